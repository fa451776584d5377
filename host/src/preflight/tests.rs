//! The init check plan, a healthy host, and how findings are collected and judged.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::config::v1beta4::ExternalEtcd;
use crate::config::{InitConfig, default_cluster_configuration, default_init_configuration};
use crate::events::{Event, Events, Recorder, Severity};
use crate::node::NodeRoot;
use crate::system::fake::FakeSystem;

fn cfg() -> InitConfig {
    let mut init = default_init_configuration();
    init.local_api_endpoint.advertise_address = "192.0.2.10".into();
    init.node_registration.name = "node-1".into();
    InitConfig {
        init,
        cluster: default_cluster_configuration(),
        kubelet: None,
        kube_proxy: None,
        plugins: None,
    }
}

fn names(cfg: &InitConfig, system: &FakeSystem) -> Vec<String> {
    init_node_checks(cfg, "/etc/kubernetes/manifests", system)
        .iter()
        .map(NodeCheck::name)
        .collect()
}

#[test]
fn init_runs_kubeadms_checks_in_kubeadms_order() {
    let want = [
        "IsPrivilegedUser",
        "NumCPU",
        "Mem",
        "KubernetesVersion",
        "Firewalld",
        "Port-6443",
        "Port-10259",
        "Port-10257",
        "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml",
        "FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml",
        "FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml",
        "FileAvailable--etc-kubernetes-manifests-etcd.yaml",
        "HTTPProxy",
        "HTTPProxyCIDR",
        "CRI",
        "Swap",
        "FileExisting-ip",
        "FileExisting-iptables",
        "FileExisting-mount",
        "FileExisting-nsenter",
        "FileExisting-ebtables",
        "FileExisting-ethtool",
        "FileExisting-socat",
        "FileExisting-tc",
        "FileExisting-touch",
        "SystemVerification",
        "Hostname",
        "KubeletVersion",
        "Service-Kubelet",
        "Port-10250",
        "FileContent--proc-sys-net-ipv4-ip_forward",
        "Port-2379",
        "Port-2380",
        "DirAvailable--var-lib-etcd",
    ];
    assert_eq!(names(&cfg(), &FakeSystem::kubeadm_ready()), want);
}

#[test]
fn the_plan_follows_the_configuration_and_the_host() {
    type Case = (
        &'static str,
        fn(&mut InitConfig, &mut FakeSystem),
        &'static [&'static str],
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        (
            "another bind port",
            |c, _| c.init.local_api_endpoint.bind_port = 7443,
            &["Port-7443"],
            &["Port-6443"],
        ),
        (
            "another etcd data directory",
            |c, _| c.cluster.etcd.local.as_mut().unwrap().data_dir = "/mnt/etcd-data".into(),
            &["DirAvailable--mnt-etcd-data"],
            &["DirAvailable--var-lib-etcd"],
        ),
        (
            "external etcd",
            |c, _| {
                c.cluster.etcd.local = None;
                c.cluster.etcd.external = Some(ExternalEtcd {
                    endpoints: vec!["https://192.0.2.20:2379".into()],
                    ca_file: "/etc/etcd/ca.crt".into(),
                    ..Default::default()
                });
            },
            &["ExternalEtcdClientCertificates"],
            &["Port-2379", "Port-2380", "DirAvailable--var-lib-etcd"],
        ),
        (
            "an IPv6 cluster",
            |c, _| {
                c.init.local_api_endpoint.advertise_address = "fd00::10".into();
                c.cluster.networking.service_subnet = "fd00:10:96::/112".into();
            },
            &["FileContent--proc-sys-net-ipv6-conf-default-forwarding"],
            &["FileContent--proc-sys-net-ipv4-ip_forward"],
        ),
        (
            "a dual-stack Pod network",
            |c, _| c.cluster.networking.pod_subnet = "10.244.0.0/16,fd00:10:244::/56".into(),
            &[
                "FileContent--proc-sys-net-ipv4-ip_forward",
                "FileContent--proc-sys-net-ipv6-conf-default-forwarding",
            ],
            &[],
        ),
        (
            "Kubernetes before 1.32 needs conntrack",
            |c, _| c.cluster.kubernetes_version = "v1.31.4".into(),
            &["FileExisting-conntrack"],
            &[],
        ),
        (
            "no kubelet installed",
            |_, s| {
                s.executables.remove("kubelet");
            },
            &[],
            &["KubeletVersion"],
        ),
        (
            "no systemd",
            |_, s| s.systemd = false,
            &[],
            &["Firewalld", "Service-Kubelet"],
        ),
    ];
    for (case, change, present, absent) in cases {
        let (mut c, mut system) = (cfg(), FakeSystem::kubeadm_ready());
        change(&mut c, &mut system);
        let got = names(&c, &system);
        for name in *present {
            assert!(
                got.iter().any(|n| n == name),
                "{case}: {name} missing from {got:?}"
            );
        }
        for name in *absent {
            assert!(!got.iter().any(|n| n == name), "{case}: {name} in {got:?}");
        }
    }
}

#[test]
fn one_proxy_check_per_service_and_pod_cidr() {
    let mut c = cfg();
    c.cluster.networking.service_subnet = "10.96.0.0/16,fd00:10:96::/112".into();
    c.cluster.networking.pod_subnet = "10.244.0.0/16".into();
    let cidrs: Vec<String> = init_node_checks(
        &c,
        "/etc/kubernetes/manifests",
        &FakeSystem::kubeadm_ready(),
    )
    .into_iter()
    .filter_map(|check| match check {
        NodeCheck::HttpProxyCidr { cidr } => Some(cidr),
        _ => None,
    })
    .collect();
    assert_eq!(cidrs, ["10.96.0.0/16", "fd00:10:96::/112", "10.244.0.0/16"]);
}

#[test]
fn a_kubeadm_ready_host_passes_every_check() {
    let system = FakeSystem::kubeadm_ready();
    let dir = tempfile::tempdir().unwrap();
    let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
    let host = Host {
        system: &system,
        root: &root,
    };
    for check in init_node_checks(&cfg(), "/etc/kubernetes/manifests", &system) {
        assert_eq!(check.run(&host), Vec::new(), "{}", check.name());
    }
}

fn findings(events: &[Event]) -> Vec<(String, Severity, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Finding {
                check,
                severity,
                ignored,
                ..
            } => Some((check.clone(), *severity, *ignored)),
            _ => None,
        })
        .collect()
}

fn ignore(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn ignored_errors_become_warnings_case_insensitively() {
    // (ignore set, severity found, severity reported, ignored, still fails)
    let cases: &[(&[&str], Severity, Severity, bool, bool)] = &[
        (&[], Severity::Error, Severity::Error, false, true),
        (
            &["port-6443"],
            Severity::Error,
            Severity::Warning,
            true,
            false,
        ),
        (
            &["PORT-6443"],
            Severity::Error,
            Severity::Warning,
            true,
            false,
        ),
        (
            &["Port-6443"],
            Severity::Error,
            Severity::Warning,
            true,
            false,
        ),
        (&["all"], Severity::Error, Severity::Warning, true, false),
        (&["ALL"], Severity::Error, Severity::Warning, true, false),
        (
            &["port-10250"],
            Severity::Error,
            Severity::Error,
            false,
            true,
        ),
        (
            &["port-6443"],
            Severity::Warning,
            Severity::Warning,
            false,
            false,
        ),
        (&["all"], Severity::Info, Severity::Info, false, false),
    ];
    for (set, found, reported, ignored, fails) in cases {
        let recorder = Arc::new(Recorder::default());
        let events = Events::new(recorder.clone());
        let set = ignore(set);
        let mut f = Findings::new(&events, &set);
        f.record(
            "Port-6443",
            Issue {
                severity: *found,
                message: "Port 6443 is in use".into(),
                remedy: None,
            },
        );
        let case = format!("{set:?} {found:?}");
        assert_eq!(f.finish().is_err(), *fails, "{case}");
        assert_eq!(
            recorder.take(),
            [Event::Finding {
                check: "Port-6443".into(),
                severity: *reported,
                message: "Port 6443 is in use".into(),
                remedy: None,
                ignored: *ignored,
            }],
            "{case}"
        );
    }
}

#[test]
fn every_finding_is_reported_before_the_run_fails() {
    let mut system = FakeSystem::kubeadm_ready();
    system.busy_ports.insert(6443);
    system.sockets.clear();
    system.executables.remove("socat");
    system.memory_mb = 1024;
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let events = Events::new(recorder.clone());
    let root = NodeRoot::open(dir.path(), events.clone()).unwrap();
    root.write("/var/lib/etcd/member", b"x", 0o600).unwrap();
    recorder.take();
    let host = Host {
        system: &system,
        root: &root,
    };

    let ignored = ignore(&["mem"]);
    let mut f = Findings::new(&events, &ignored);
    for check in init_node_checks(&cfg(), "/etc/kubernetes/manifests", &system) {
        f.record_all(&check.name(), check.run(&host));
    }
    let err = f.finish().unwrap_err();

    assert_eq!(
        findings(&recorder.take()),
        [
            ("Mem".to_string(), Severity::Warning, true),
            ("Port-6443".to_string(), Severity::Error, false),
            ("CRI".to_string(), Severity::Error, false),
            ("FileExisting-socat".to_string(), Severity::Warning, false),
            (
                "DirAvailable--var-lib-etcd".to_string(),
                Severity::Error,
                false
            ),
        ]
    );
    assert_eq!(
        err.check_names(),
        ["Port-6443", "CRI", "DirAvailable--var-lib-etcd"]
    );
    assert_eq!(
        err.to_string(),
        "3 preflight checks failed: [ERROR Port-6443]: Port 6443 is in use, [ERROR CRI]: could not connect to the \
         container runtime: dial unix /var/run/containerd/containerd.sock: No such file or directory (os error 2), \
         [ERROR DirAvailable--var-lib-etcd]: /var/lib/etcd is not empty; if you know what you are doing, make them \
         non-fatal with --ignore-preflight-errors=Port-6443,CRI,DirAvailable--var-lib-etcd"
    );
}

#[test]
fn a_check_with_several_errors_is_counted_and_named_once() {
    let events = Events::discard();
    let ignored = BTreeSet::new();
    let mut f = Findings::new(&events, &ignored);
    f.record_all(
        "SystemVerification",
        [
            Issue::error("unsupported operating system: Plan9"),
            Issue::error("missing required cgroups: memory"),
        ],
    );
    let err = f.finish().unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 preflight check failed: [ERROR SystemVerification]: unsupported operating system: Plan9, [ERROR \
         SystemVerification]: missing required cgroups: memory; if you know what you are doing, make them non-fatal \
         with --ignore-preflight-errors=SystemVerification"
    );
}

#[test]
fn image_pull_lists_images_in_dry_run_and_never_pretends_to_pull() {
    let c = cfg();
    let dry = image_pull(&c, true);
    assert_eq!(dry.len(), c.images().len());
    for (issue, image) in dry.iter().zip(c.images()) {
        assert_eq!(*issue, Issue::info(format!("would pull {image}")));
    }

    let real = image_pull(&c, false);
    assert_eq!(real.len(), 1);
    assert_eq!(real[0].severity, Severity::Info);
    assert!(
        real[0]
            .message
            .starts_with("kubeadm-rs does not pull images yet"),
        "{}",
        real[0].message
    );
    assert!(
        real[0].message.ends_with(&c.images().join(", ")),
        "{}",
        real[0].message
    );

    let mut never = cfg();
    never.init.node_registration.image_pull_policy = "Never".into();
    assert_eq!(
        image_pull(&never, false),
        [Issue::info(
            "imagePullPolicy is Never: no images are pulled"
        )]
    );

    let mut bad = cfg();
    bad.init.node_registration.image_pull_policy = "Sometimes".into();
    assert_eq!(
        image_pull(&bad, false),
        [Issue::error("unsupported pull policy \"Sometimes\"")]
    );
}
