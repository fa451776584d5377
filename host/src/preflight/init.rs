//! Which checks `kubeadm init` runs, in kubeadm's order (`InitNodeChecks`), and its image check.

use std::net::IpAddr;

use super::Issue;
use super::checks::NodeCheck;
use crate::config::constants::*;
use crate::config::{InitConfig, parse_version};
use crate::system::System;

/// Static Pod manifests `init` writes, which must not exist yet.
const CONTROL_PLANE_MANIFESTS: [&str; 4] = [
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
];
pub(super) const IPV4_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";
pub(super) const IPV6_DEFAULT_FORWARDING: &str = "/proc/sys/net/ipv6/conf/default/forwarding";

/// The node checks of `kubeadm init` for this configuration and host. Checks kubeadm runs
/// unconditionally but that cannot apply here are left out: `KubeletVersion` without a
/// `kubelet` on `PATH`, `Firewalld` and `Service-Kubelet` without systemd.
pub fn init_node_checks(
    cfg: &InitConfig,
    manifests_dir: &str,
    system: &dyn System,
) -> Vec<NodeCheck> {
    node_checks(cfg, manifests_dir, system, false)
}

/// The init checks a control-plane `join` adds to its own (kubeadm's `RunInitNodeChecks` with
/// `isSecondaryControlPlane`): the node-wide checks join already ran are left out, and so are
/// the external etcd files when the certificates come from the cluster.
pub fn secondary_control_plane_checks(
    cfg: &InitConfig,
    manifests_dir: &str,
    system: &dyn System,
    downloads_certs: bool,
) -> Vec<NodeCheck> {
    node_checks(cfg, manifests_dir, system, true)
        .into_iter()
        .filter(|c| {
            !(downloads_certs && matches!(c, NodeCheck::ExternalEtcdClientCertificates { .. }))
        })
        .collect()
}

pub(super) fn node_checks(
    cfg: &InitConfig,
    manifests_dir: &str,
    system: &dyn System,
    secondary: bool,
) -> Vec<NodeCheck> {
    let bind_port = cfg.bind_port();
    let advertise = &cfg.init.local_api_endpoint.advertise_address;
    let systemd = system.systemd_running();

    let mut checks = vec![
        NodeCheck::IsPrivilegedUser,
        NodeCheck::NumCpu {
            min: CONTROL_PLANE_MIN_CPUS,
        },
        NodeCheck::Mem {
            min_mb: CONTROL_PLANE_MIN_MEMORY_MB,
        },
        NodeCheck::KubernetesVersion {
            version: cfg.cluster.kubernetes_version.clone(),
        },
    ];
    if systemd {
        checks.push(NodeCheck::Firewalld {
            ports: vec![bind_port, KUBELET_PORT],
        });
    }
    checks.extend([
        NodeCheck::Port(bind_port),
        NodeCheck::Port(SCHEDULER_PORT),
        NodeCheck::Port(CONTROLLER_MANAGER_PORT),
    ]);
    checks.extend(
        CONTROL_PLANE_MANIFESTS
            .iter()
            .map(|name| NodeCheck::FileAvailable {
                path: format!("{}/{name}.yaml", manifests_dir.trim_end_matches('/')),
            }),
    );
    checks.push(NodeCheck::HttpProxy {
        host: advertise.clone(),
    });

    // Forwarding must be on for every address family the cluster uses.
    let (mut ipv4, mut ipv6) = (false, false);
    let networking = &cfg.cluster.networking;
    for cidr in networking
        .service_subnet
        .split(',')
        .chain(networking.pod_subnet.split(','))
    {
        let cidr = cidr.trim();
        if cidr.is_empty() {
            continue;
        }
        checks.push(NodeCheck::HttpProxyCidr {
            cidr: cidr.to_string(),
        });
        match cidr.parse::<ipnet::IpNet>() {
            Ok(ipnet::IpNet::V4(_)) => ipv4 = true,
            Ok(ipnet::IpNet::V6(_)) => ipv6 = true,
            Err(_) => {}
        }
    }

    if !secondary {
        checks.extend(common_checks(
            &cfg.init.node_registration.cri_socket,
            cfg.node_name(),
            &cfg.cluster.kubernetes_version,
            system,
        ));
    }

    match advertise.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => ipv4 = true,
        Ok(IpAddr::V6(_)) => ipv6 = true,
        Err(_) => {}
    }
    // A secondary control plane had these checked as a joining node.
    if ipv4 && !secondary {
        checks.push(NodeCheck::FileContent {
            path: IPV4_FORWARD,
            content: "1",
        });
    }
    if ipv6 && !secondary {
        checks.push(NodeCheck::FileContent {
            path: IPV6_DEFAULT_FORWARDING,
            content: "1",
        });
    }

    if let Some(local) = cfg.local_etcd() {
        checks.extend([
            NodeCheck::Port(ETCD_CLIENT_PORT),
            NodeCheck::Port(ETCD_PEER_PORT),
            NodeCheck::DirAvailable {
                path: local.data_dir.clone(),
            },
        ]);
    }
    if let Some(external) = &cfg.cluster.etcd.external {
        checks.extend(
            [&external.ca_file, &external.cert_file, &external.key_file]
                .into_iter()
                .filter(|path| !path.is_empty())
                .map(|path| NodeCheck::ExternalEtcdClientCertificates { path: path.clone() }),
        );
    }
    checks
}

/// kubeadm's `addCommonChecks`: the container runtime, swap, executables, the system, the
/// hostname and the kubelet; `control_plane_version` is empty for a join, which cannot know it yet.
pub(super) fn common_checks(
    cri_socket: &str,
    node_name: &str,
    control_plane_version: &str,
    system: &dyn System,
) -> Vec<NodeCheck> {
    let mut checks = vec![
        NodeCheck::Cri {
            socket: cri_socket.to_string(),
        },
        NodeCheck::Swap,
    ];
    checks.extend(exec_checks(control_plane_version));
    checks.push(NodeCheck::SystemVerification);
    checks.push(NodeCheck::Hostname {
        node_name: node_name.to_string(),
    });
    if system.find_executable("kubelet").is_some() {
        checks.push(NodeCheck::KubeletVersion {
            control_plane_version: control_plane_version.to_string(),
        });
    }
    if system.systemd_running() {
        checks.push(NodeCheck::ServiceKubelet);
    }
    checks.push(NodeCheck::Port(KUBELET_PORT));
    checks
}

/// The executables kubelet, kube-proxy and the CNI plugins call on the node.
fn exec_checks(kubernetes_version: &str) -> Vec<NodeCheck> {
    let mut checks = Vec::new();
    // From 1.32 kube-proxy no longer needs conntrack on PATH.
    let before_1_32 =
        parse_version(kubernetes_version).is_some_and(|(major, minor, _)| (major, minor) < (1, 32));
    if before_1_32 {
        checks.push(NodeCheck::InPath {
            executable: "conntrack",
            mandatory: true,
        });
    }
    let mandatory = ["ip", "iptables", "mount", "nsenter"];
    let optional = ["ebtables", "ethtool", "socat", "tc", "touch"];
    checks.extend(mandatory.into_iter().map(|executable| NodeCheck::InPath {
        executable,
        mandatory: true,
    }));
    checks.extend(optional.into_iter().map(|executable| NodeCheck::InPath {
        executable,
        mandatory: false,
    }));
    checks
}

/// kubeadm's `ImagePull` check. kubeadm-rs has no CRI client, so nothing is pulled: dry-run
/// lists what kubeadm would pull, a real run says who will pull the images instead.
pub fn image_pull(cfg: &InitConfig, dry_run: bool) -> Vec<Issue> {
    let images = cfg.images();
    if dry_run {
        return images
            .iter()
            .map(|image| Issue::info(format!("would pull {image}")))
            .collect();
    }
    match cfg.init.node_registration.image_pull_policy.as_str() {
        "Never" => vec![Issue::info(
            "imagePullPolicy is Never: no images are pulled",
        )],
        "Always" | "IfNotPresent" => vec![Issue::info(format!(
            "kubeadm-rs does not pull images yet (it has no CRI client); the kubelet pulls them when it starts \
             the static Pods, or pull them beforehand with 'crictl pull': {}",
            images.join(", ")
        ))],
        other => vec![Issue::error(format!("unsupported pull policy {other:?}"))],
    }
}
