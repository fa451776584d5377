//! Which checks `kubeadm join` runs on the node before it learns anything from the cluster
//! (kubeadm's `RunJoinNodeChecks`), in kubeadm's order.

use std::net::IpAddr;

use super::checks::NodeCheck;
use super::init::{IPV4_FORWARD, IPV6_DEFAULT_FORWARDING, common_checks};
use crate::config::JoinConfiguration;
use crate::config::constants::{BOOTSTRAP_KUBELET_KUBECONFIG, KUBELET_KUBECONFIG};
use crate::system::System;

/// The node checks of `join`: the kubelet's kubeconfig files must not exist, the checks every
/// node gets, the CA file (workers; a control plane may have its certificates already), and
/// no proxy and forwarding on for the discovery endpoint's address family.
pub fn join_node_checks(
    cfg: &JoinConfiguration,
    kubeconfig_dir: &str,
    system: &dyn System,
) -> Vec<NodeCheck> {
    let dir = kubeconfig_dir.trim_end_matches('/');
    let mut checks = vec![
        NodeCheck::IsPrivilegedUser,
        NodeCheck::FileAvailable {
            path: format!("{dir}/{KUBELET_KUBECONFIG}"),
        },
        NodeCheck::FileAvailable {
            path: format!("{dir}/{BOOTSTRAP_KUBELET_KUBECONFIG}"),
        },
    ];
    checks.extend(common_checks(
        &cfg.node_registration.cri_socket,
        &cfg.node_registration.name,
        "",
        system,
    ));
    if cfg.control_plane.is_none() {
        checks.push(NodeCheck::FileAvailable {
            path: cfg.ca_cert_path.clone(),
        });
    }
    let endpoint = cfg
        .discovery
        .bootstrap_token
        .as_ref()
        .map(|t| t.api_server_endpoint.as_str())
        .unwrap_or_default();
    if let Some(host) = split_host(endpoint) {
        checks.push(NodeCheck::HttpProxy {
            host: host.to_string(),
        });
        match host.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => checks.push(NodeCheck::FileContent {
                path: IPV4_FORWARD,
                content: "1",
            }),
            Ok(IpAddr::V6(_)) => checks.push(NodeCheck::FileContent {
                path: IPV6_DEFAULT_FORWARDING,
                content: "1",
            }),
            Err(_) => {}
        }
    }
    checks
}

/// The host of `host:port` (`[v6]:port` too), as Go's `net.SplitHostPort`.
fn split_host(endpoint: &str) -> Option<&str> {
    let (host, port) = endpoint.rsplit_once(':')?;
    if port.is_empty() {
        return None;
    }
    match host.strip_prefix('[') {
        Some(v6) => v6.strip_suffix(']'),
        None if host.contains(':') => None,
        None => Some(host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JoinOverrides;
    use crate::system::fake::FakeSystem;
    use crate::test_support::FakeHost;

    fn names(control_plane: bool, endpoint: &str) -> Vec<String> {
        let flags = JoinOverrides {
            api_server_endpoint: Some(endpoint.into()),
            token: Some("abcdef.0123456789abcdef".into()),
            discovery_token_unsafe_skip_ca_verification: true,
            control_plane,
            ..Default::default()
        };
        let cfg = crate::config::resolve_join(None, &flags, &FakeHost::default())
            .unwrap()
            .0
            .join;
        join_node_checks(&cfg, "/etc/kubernetes", &FakeSystem::kubeadm_ready())
            .iter()
            .map(NodeCheck::name)
            .collect()
    }

    #[test]
    fn the_checks_follow_kubeadms_order_and_the_endpoints_family() {
        let worker = names(false, "10.0.0.1:6443");
        assert_eq!(worker[0], "IsPrivilegedUser");
        assert_eq!(worker[1], "FileAvailable--etc-kubernetes-kubelet.conf");
        assert_eq!(
            worker[2],
            "FileAvailable--etc-kubernetes-bootstrap-kubelet.conf"
        );
        let tail: Vec<&str> = worker
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "FileAvailable--etc-kubernetes-pki-ca.crt",
                "HTTPProxy",
                "FileContent--proc-sys-net-ipv4-ip_forward"
            ]
        );
        assert!(worker.contains(&"CRI".to_string()) && worker.contains(&"Port-10250".to_string()));

        let control_plane = names(true, "[fd00::1]:6443");
        assert!(!control_plane.contains(&"FileAvailable--etc-kubernetes-pki-ca.crt".to_string()));
        assert_eq!(
            control_plane.last().unwrap(),
            "FileContent--proc-sys-net-ipv6-conf-default-forwarding"
        );
        let by_name = names(false, "cp.example:6443");
        assert_eq!(by_name.last().unwrap(), "HTTPProxy");
    }
}
