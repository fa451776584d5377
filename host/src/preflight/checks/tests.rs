//! Each node check passing and failing on a fake host and a temporary node root.

use super::*;
use crate::events::{Events, Severity};
use crate::system::ServiceState;
use crate::system::fake::FakeSystem;

use Severity::{Error, Warning};

struct Case {
    name: &'static str,
    check: NodeCheck,
    /// Changes to a host on which every check passes.
    host: fn(&mut FakeSystem),
    /// Files to create on the node root.
    node: fn(&NodeRoot),
    /// What the check must find; a message ending in `*` is a prefix.
    want: &'static [(Severity, &'static str)],
}

fn same_host(_: &mut FakeSystem) {}
fn empty_node(_: &NodeRoot) {}

fn env(system: &mut FakeSystem, vars: &[(&str, &str)]) {
    system
        .env
        .extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "root passes",
            check: NodeCheck::IsPrivilegedUser,
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "another user fails",
            check: NodeCheck::IsPrivilegedUser,
            host: |s| s.euid = 1000,
            node: empty_node,
            want: &[(Error, "user is not running as root")],
        },
        Case {
            name: "enough CPUs",
            check: NodeCheck::NumCpu { min: 2 },
            host: |s| s.cpus = 2,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "too few CPUs",
            check: NodeCheck::NumCpu { min: 2 },
            host: |s| s.cpus = 1,
            node: empty_node,
            want: &[(
                Error,
                "the number of available CPUs 1 is less than the required 2",
            )],
        },
        Case {
            name: "just enough memory",
            check: NodeCheck::Mem { min_mb: 1700 },
            host: |s| s.memory_mb = 1700,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "too little memory",
            check: NodeCheck::Mem { min_mb: 1700 },
            host: |s| s.memory_mb = 814,
            node: empty_node,
            want: &[(
                Error,
                "the system RAM (814 MB) is less than the minimum 1700 MB",
            )],
        },
        Case {
            name: "this release",
            check: NodeCheck::KubernetesVersion {
                version: KUBERNETES_VERSION.into(),
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "an older release",
            check: NodeCheck::KubernetesVersion {
                version: "v1.33.5".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a pre-release of the next minor",
            check: NodeCheck::KubernetesVersion {
                version: "v1.35.0-alpha.1".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(
                Warning,
                "Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes \
                 version: 1.35.0-alpha.1. Kubeadm version: 1.34.x",
            )],
        },
        Case {
            name: "an unparsable version",
            check: NodeCheck::KubernetesVersion {
                version: "latest".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(Error, "couldn't parse Kubernetes version \"latest\"")],
        },
        Case {
            name: "firewalld inactive",
            check: NodeCheck::Firewalld {
                ports: vec![6443, 10250],
            },
            host: |s| {
                s.services.insert(
                    "firewalld".into(),
                    ServiceState {
                        exists: true,
                        enabled: true,
                        active: false,
                    },
                );
            },
            node: empty_node,
            want: &[],
        },
        Case {
            name: "firewalld active",
            check: NodeCheck::Firewalld {
                ports: vec![6443, 10250],
            },
            host: |s| {
                s.services.insert(
                    "firewalld".into(),
                    ServiceState {
                        exists: true,
                        enabled: true,
                        active: true,
                    },
                );
            },
            node: empty_node,
            want: &[(
                Warning,
                "firewalld is active, please ensure ports [6443 10250] are open or your cluster may not function \
                 correctly",
            )],
        },
        Case {
            name: "a free port",
            check: NodeCheck::Port(6443),
            host: |s| {
                s.busy_ports.insert(10250);
            },
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a port in use",
            check: NodeCheck::Port(6443),
            host: |s| {
                s.busy_ports.insert(6443);
            },
            node: empty_node,
            want: &[(Error, "Port 6443 is in use")],
        },
        Case {
            name: "no manifest yet",
            check: NodeCheck::FileAvailable {
                path: "/etc/kubernetes/manifests/etcd.yaml".into(),
            },
            host: same_host,
            node: |root| {
                root.write("/etc/kubernetes/manifests/kube-apiserver.yaml", b"", 0o600)
                    .unwrap()
            },
            want: &[],
        },
        Case {
            name: "a manifest already there",
            check: NodeCheck::FileAvailable {
                path: "/etc/kubernetes/manifests/etcd.yaml".into(),
            },
            host: same_host,
            node: |root| {
                root.write("/etc/kubernetes/manifests/etcd.yaml", b"", 0o600)
                    .unwrap()
            },
            want: &[(Error, "/etc/kubernetes/manifests/etcd.yaml already exists")],
        },
        Case {
            name: "no etcd data directory",
            check: NodeCheck::DirAvailable {
                path: "/var/lib/etcd".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "an empty etcd data directory",
            check: NodeCheck::DirAvailable {
                path: "/var/lib/etcd".into(),
            },
            host: same_host,
            node: |root| root.create_dir_all("/var/lib/etcd", 0o700).unwrap(),
            want: &[],
        },
        Case {
            name: "an etcd data directory with data",
            check: NodeCheck::DirAvailable {
                path: "/var/lib/etcd".into(),
            },
            host: same_host,
            node: |root| {
                root.write("/var/lib/etcd/member/snap/db", b"x", 0o600)
                    .unwrap()
            },
            want: &[(Error, "/var/lib/etcd is not empty")],
        },
        Case {
            name: "a file where the etcd data directory goes",
            check: NodeCheck::DirAvailable {
                path: "/var/lib/etcd".into(),
            },
            host: same_host,
            node: |root| root.write("/var/lib/etcd", b"x", 0o600).unwrap(),
            want: &[(Error, "unable to check if /var/lib/etcd is empty: *")],
        },
        Case {
            name: "external etcd certificate present",
            check: NodeCheck::ExternalEtcdClientCertificates {
                path: "/etc/etcd/ca.crt".into(),
            },
            host: same_host,
            node: |root| root.write("/etc/etcd/ca.crt", b"x", 0o644).unwrap(),
            want: &[],
        },
        Case {
            name: "external etcd certificate missing",
            check: NodeCheck::ExternalEtcdClientCertificates {
                path: "/etc/etcd/ca.crt".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(Error, "/etc/etcd/ca.crt doesn't exist")],
        },
        Case {
            name: "forwarding on",
            check: NodeCheck::FileContent {
                path: "/proc/sys/net/ipv4/ip_forward",
                content: "1",
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "forwarding off",
            check: NodeCheck::FileContent {
                path: "/proc/sys/net/ipv4/ip_forward",
                content: "1",
            },
            host: |s| {
                s.files
                    .insert("/proc/sys/net/ipv4/ip_forward".into(), b"0\n".to_vec());
            },
            node: empty_node,
            want: &[(
                Error,
                "/proc/sys/net/ipv4/ip_forward contents are not set to 1",
            )],
        },
        Case {
            name: "no IPv6 forwarding file",
            check: NodeCheck::FileContent {
                path: "/proc/sys/net/ipv6/conf/default/forwarding",
                content: "1",
            },
            host: |s| {
                s.files.remove("/proc/sys/net/ipv6/conf/default/forwarding");
            },
            node: empty_node,
            want: &[(
                Error,
                "/proc/sys/net/ipv6/conf/default/forwarding does not exist",
            )],
        },
        Case {
            name: "a mandatory executable present",
            check: NodeCheck::InPath {
                executable: "ip",
                mandatory: true,
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a mandatory executable missing",
            check: NodeCheck::InPath {
                executable: "ip",
                mandatory: true,
            },
            host: |s| {
                s.executables.remove("ip");
            },
            node: empty_node,
            want: &[(Error, "ip not found in system path")],
        },
        Case {
            name: "an optional executable missing",
            check: NodeCheck::InPath {
                executable: "socat",
                mandatory: false,
            },
            host: |s| {
                s.executables.remove("socat");
            },
            node: empty_node,
            want: &[(Warning, "socat not found in system path")],
        },
        Case {
            name: "no proxy for the API server",
            check: NodeCheck::HttpProxy {
                host: "192.0.2.10".into(),
            },
            host: |s| env(s, &[("HTTP_PROXY", "http://proxy:3128")]),
            node: empty_node,
            want: &[],
        },
        Case {
            name: "the API server behind a proxy",
            check: NodeCheck::HttpProxy {
                host: "192.0.2.10".into(),
            },
            host: |s| env(s, &[("HTTPS_PROXY", "proxy:3128")]),
            node: empty_node,
            want: &[(
                Warning,
                "Connection to \"https://192.0.2.10\" uses proxy \"http://proxy:3128\". If that is not intended, \
                 adjust your proxy settings",
            )],
        },
        Case {
            name: "an IPv6 API server behind a proxy",
            check: NodeCheck::HttpProxy {
                host: "fd00::10".into(),
            },
            host: |s| env(s, &[("https_proxy", "http://proxy:3128")]),
            node: empty_node,
            want: &[(
                Warning,
                "Connection to \"https://[fd00::10]:1234\" uses proxy \"http://proxy:3128\". If that is not intended, \
                 adjust your proxy settings",
            )],
        },
        Case {
            name: "the API server excepted from the proxy",
            check: NodeCheck::HttpProxy {
                host: "192.0.2.10".into(),
            },
            host: |s| {
                env(
                    s,
                    &[("HTTPS_PROXY", "proxy:3128"), ("NO_PROXY", "192.0.2.0/24")],
                )
            },
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a service CIDR behind a proxy",
            check: NodeCheck::HttpProxyCidr {
                cidr: "10.96.0.0/12".into(),
            },
            host: |s| {
                env(
                    s,
                    &[
                        ("HTTPS_PROXY", "http://proxy:3128"),
                        ("NO_PROXY", "192.0.2.10"),
                    ],
                )
            },
            node: empty_node,
            want: &[(
                Warning,
                "connection to \"10.96.0.0/12\" uses proxy \"http://proxy:3128\". This may lead to malfunctional \
                 cluster setup. Make sure that Pod and Services IP ranges specified correctly as exceptions in proxy \
                 configuration",
            )],
        },
        Case {
            name: "a service CIDR excepted from the proxy",
            check: NodeCheck::HttpProxyCidr {
                cidr: "10.96.0.0/12".into(),
            },
            host: |s| {
                env(
                    s,
                    &[
                        ("HTTPS_PROXY", "http://proxy:3128"),
                        ("NO_PROXY", "10.96.0.0/12"),
                    ],
                )
            },
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a malformed CIDR",
            check: NodeCheck::HttpProxyCidr {
                cidr: "10.96.0.0/33".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(
                Error,
                "error parsing CIDR \"10.96.0.0/33\": invalid CIDR address: 10.96.0.0/33",
            )],
        },
        Case {
            name: "a CIDR without a first address",
            check: NodeCheck::HttpProxyCidr {
                cidr: "10.0.0.1/32".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(
                Error,
                "unable to get first IP address from the given CIDR (10.0.0.1/32): can't generate IP with index 1 \
                 from subnet. subnet too small. subnet: \"10.0.0.1/32\"",
            )],
        },
        Case {
            name: "the container runtime listens",
            check: NodeCheck::Cri {
                socket: "unix:///var/run/containerd/containerd.sock".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a bare socket path is a unix socket",
            check: NodeCheck::Cri {
                socket: "/var/run/containerd/containerd.sock".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "no container runtime",
            check: NodeCheck::Cri {
                socket: "unix:///var/run/crio/crio.sock".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(
                Error,
                "could not connect to the container runtime: dial unix /var/run/crio/crio.sock: No such file or \
                 directory (os error 2)",
            )],
        },
        Case {
            name: "a runtime endpoint that is not a unix socket",
            check: NodeCheck::Cri {
                socket: "tcp://10.0.0.1:2376".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(
                Error,
                "could not connect to the container runtime: unsupported CRI endpoint \"tcp://10.0.0.1:2376\": \
                 kubeadm-rs connects only to unix:// sockets",
            )],
        },
        Case {
            name: "no swap",
            check: NodeCheck::Swap,
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "no /proc/swaps",
            check: NodeCheck::Swap,
            host: |s| {
                s.files.remove("/proc/swaps");
            },
            node: empty_node,
            want: &[],
        },
        Case {
            name: "swap on",
            check: NodeCheck::Swap,
            host: |s| {
                s.files.insert(
                    "/proc/swaps".into(),
                    b"Filename\tType\tSize\tUsed\tPriority\n/swap.img\tfile\t2097148\t0\t-2\n"
                        .to_vec(),
                );
            },
            node: empty_node,
            want: &[(
                Warning,
                "swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please \
                 refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the \
                 node",
            )],
        },
        Case {
            name: "a verified system",
            check: NodeCheck::SystemVerification,
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a system that fails verification",
            check: NodeCheck::SystemVerification,
            host: |s| {
                s.files.insert(
                    "/sys/fs/cgroup/cgroup.controllers".into(),
                    b"cpu io hugetlb".to_vec(),
                );
            },
            node: empty_node,
            want: &[(Error, "missing required cgroups: cpuset memory pids")],
        },
        Case {
            name: "a good node name that resolves",
            check: NodeCheck::Hostname {
                node_name: "node-1".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a node name that does not resolve",
            check: NodeCheck::Hostname {
                node_name: "node-2".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[
                (Warning, "hostname \"node-2\" could not be reached"),
                (Warning, "hostname \"node-2\": lookup node-2: no such host"),
            ],
        },
        Case {
            name: "a node name that is not a DNS subdomain",
            check: NodeCheck::Hostname {
                node_name: "Node_1".into(),
            },
            host: |s| {
                s.dns
                    .insert("Node_1".into(), vec!["192.0.2.10".parse().unwrap()]);
            },
            node: empty_node,
            want: &[(
                Warning,
                "invalid node name format \"Node_1\": a lowercase RFC 1123 subdomain must consist*",
            )],
        },
        Case {
            name: "a kubelet of this release",
            check: NodeCheck::KubeletVersion {
                control_plane_version: KUBERNETES_VERSION.into(),
            },
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "the oldest kubelet supported",
            check: NodeCheck::KubeletVersion {
                control_plane_version: KUBERNETES_VERSION.into(),
            },
            host: |s| kubelet_says(s, Ok("Kubernetes v1.31.0")),
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a kubelet too old for kubeadm",
            check: NodeCheck::KubeletVersion {
                control_plane_version: KUBERNETES_VERSION.into(),
            },
            host: |s| kubelet_says(s, Ok("Kubernetes v1.30.14")),
            node: empty_node,
            want: &[(
                Error,
                "Kubelet version \"1.30.14\" is lower than kubeadm can support. Please upgrade kubelet",
            )],
        },
        Case {
            name: "a kubelet newer than the control plane",
            check: NodeCheck::KubeletVersion {
                control_plane_version: "v1.33.4".into(),
            },
            host: same_host,
            node: empty_node,
            want: &[(
                Error,
                "the kubelet version is higher than the control plane version. This is not a supported version skew \
                 and may lead to a malfunctional cluster. Kubelet version: \"1.34.2\" Control plane version: \
                 \"1.33.4\"",
            )],
        },
        Case {
            name: "a kubelet that does not run",
            check: NodeCheck::KubeletVersion {
                control_plane_version: KUBERNETES_VERSION.into(),
            },
            host: |s| {
                kubelet_says(
                    s,
                    Err("kubelet --version failed (exit status: 1): bad binary"),
                )
            },
            node: empty_node,
            want: &[(
                Error,
                "couldn't get kubelet version: cannot execute 'kubelet --version': kubelet --version failed (exit \
                 status: 1): bad binary",
            )],
        },
        Case {
            name: "a kubelet that prints something else",
            check: NodeCheck::KubeletVersion {
                control_plane_version: KUBERNETES_VERSION.into(),
            },
            host: |s| kubelet_says(s, Ok("kubelet 1.34\n")),
            node: empty_node,
            want: &[(
                Error,
                "couldn't get kubelet version: Unable to parse output from Kubelet: \"kubelet 1.34\"",
            )],
        },
        Case {
            name: "an enabled kubelet service",
            check: NodeCheck::ServiceKubelet,
            host: same_host,
            node: empty_node,
            want: &[],
        },
        Case {
            name: "a kubelet service that is not enabled",
            check: NodeCheck::ServiceKubelet,
            host: |s| {
                s.services.get_mut("kubelet").unwrap().enabled = false;
            },
            node: empty_node,
            want: &[(
                Warning,
                "kubelet service is not enabled, please run 'systemctl enable kubelet.service'",
            )],
        },
        Case {
            name: "no kubelet service",
            check: NodeCheck::ServiceKubelet,
            host: |s| {
                s.services.clear();
            },
            node: empty_node,
            want: &[(Warning, "kubelet service does not exist")],
        },
    ]
}

fn kubelet_says(system: &mut FakeSystem, output: Result<&str, &str>) {
    let output = output.map(str::to_string).map_err(str::to_string);
    system.commands.insert("kubelet --version".into(), output);
}

#[test]
fn each_check_passes_and_fails_as_kubeadm() {
    for case in cases() {
        let mut system = FakeSystem::kubeadm_ready();
        (case.host)(&mut system);
        let dir = tempfile::tempdir().unwrap();
        let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
        (case.node)(&root);

        let got = case.check.run(&Host {
            system: &system,
            root: &root,
        });

        assert_eq!(got.len(), case.want.len(), "{}: {got:#?}", case.name);
        for (issue, (severity, message)) in got.iter().zip(case.want) {
            assert_eq!(
                issue.severity, *severity,
                "{}: {}",
                case.name, issue.message
            );
            match message.strip_suffix('*') {
                Some(prefix) => assert!(
                    issue.message.starts_with(prefix),
                    "{}: {}",
                    case.name,
                    issue.message
                ),
                None => assert_eq!(issue.message, *message, "{}", case.name),
            }
        }
    }
}

#[test]
fn names_are_kubeadms() {
    let cases = [
        (NodeCheck::IsPrivilegedUser, "IsPrivilegedUser"),
        (NodeCheck::NumCpu { min: 2 }, "NumCPU"),
        (NodeCheck::Mem { min_mb: 1700 }, "Mem"),
        (
            NodeCheck::KubernetesVersion {
                version: String::new(),
            },
            "KubernetesVersion",
        ),
        (NodeCheck::Firewalld { ports: vec![] }, "Firewalld"),
        (NodeCheck::Port(6443), "Port-6443"),
        (
            NodeCheck::FileAvailable {
                path: "/etc/kubernetes/manifests/kube-apiserver.yaml".into(),
            },
            "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml",
        ),
        (
            NodeCheck::DirAvailable {
                path: "/var/lib/etcd".into(),
            },
            "DirAvailable--var-lib-etcd",
        ),
        (
            NodeCheck::ExternalEtcdClientCertificates {
                path: "/etc/etcd/ca.crt".into(),
            },
            "ExternalEtcdClientCertificates",
        ),
        (
            NodeCheck::FileContent {
                path: "/proc/sys/net/ipv4/ip_forward",
                content: "1",
            },
            "FileContent--proc-sys-net-ipv4-ip_forward",
        ),
        (
            NodeCheck::InPath {
                executable: "conntrack",
                mandatory: true,
            },
            "FileExisting-conntrack",
        ),
        (
            NodeCheck::HttpProxy {
                host: String::new(),
            },
            "HTTPProxy",
        ),
        (
            NodeCheck::HttpProxyCidr {
                cidr: String::new(),
            },
            "HTTPProxyCIDR",
        ),
        (
            NodeCheck::Cri {
                socket: String::new(),
            },
            "CRI",
        ),
        (NodeCheck::Swap, "Swap"),
        (NodeCheck::SystemVerification, "SystemVerification"),
        (
            NodeCheck::Hostname {
                node_name: String::new(),
            },
            "Hostname",
        ),
        (
            NodeCheck::KubeletVersion {
                control_plane_version: String::new(),
            },
            "KubeletVersion",
        ),
        (NodeCheck::ServiceKubelet, "Service-Kubelet"),
    ];
    for (check, name) in cases {
        assert_eq!(check.name(), name);
    }
}
