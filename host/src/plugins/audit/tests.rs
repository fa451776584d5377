use super::*;
use crate::config::plugins::{GrantScope, ObjectScope};

fn names(imports: &[&str]) -> Vec<String> {
    imports.iter().map(|s| s.to_string()).collect()
}

#[test]
fn imports_no_plugin_may_have_are_refused_with_what_they_would_reach() {
    let cases = [
        (PluginKind::Preflight, "wasi:cli/stdout@0.2.6", None),
        (
            PluginKind::Preflight,
            "wasi:filesystem/preopens@0.2.6",
            None,
        ),
        (PluginKind::Preflight, "kubeadm-rs:plugin/node@0.1.0", None),
        (PluginKind::Addon, "kubeadm-rs:plugin/cluster@0.1.0", None),
        (
            PluginKind::Preflight,
            "wasi:sockets/tcp@0.2.6",
            Some("network access"),
        ),
        (
            PluginKind::Preflight,
            "wasi:sockets/ip-name-lookup@0.2.6",
            Some("DNS lookups"),
        ),
        (
            PluginKind::Preflight,
            "kubeadm-rs:plugin/cluster@0.1.0",
            Some("only addon plugins"),
        ),
        (
            PluginKind::Addon,
            "kubeadm-rs:plugin/node@0.1.0",
            Some("only preflight plugins"),
        ),
        (
            PluginKind::Preflight,
            "wasi:http/outgoing-handler@0.2.6",
            Some("does not provide"),
        ),
        (
            PluginKind::Preflight,
            "kubeadm-rs:plugin/secrets@0.1.0",
            Some("does not provide"),
        ),
    ];
    for (kind, import, want) in cases {
        let denials = forbidden_imports(kind, &names(&[import]));
        match want {
            None => assert!(denials.is_empty(), "{import}: {denials:?}"),
            Some(want) => {
                let text = denials[0].to_string();
                assert!(
                    text.contains(want) && text.contains(import),
                    "{import}: {text}"
                );
            }
        }
    }
}

fn request(permission: Permission) -> PermissionRequest {
    PermissionRequest {
        permission,
        reason: "because".into(),
    }
}

#[test]
fn files_need_a_declared_read_path() {
    let imports = names(&[
        "wasi:filesystem/preopens@0.2.6",
        "wasi:filesystem/types@0.2.6",
    ]);
    let denials = undeclared_imports(&imports, &[]);
    assert_eq!(denials.len(), 1);
    assert!(
        denials[0]
            .to_string()
            .contains("declares no read-path permission")
    );
    assert!(
        undeclared_imports(&imports, &[request(Permission::ReadPath("/etc".into()))]).is_empty()
    );
}

#[test]
fn grants_cover_exactly_what_they_name() {
    let grants = Grants {
        read_paths: vec!["/etc/cni".into()],
        sysctls: vec!["net.ipv4.ip_forward".into()],
        cluster_read: vec![],
        cluster_apply: vec![GrantScope {
            kind: "DaemonSet".into(),
            namespaces: vec!["kube-flannel".into()],
        }],
    };
    let scope = |kind: &str, ns: Option<&str>| ObjectScope {
        kind: kind.into(),
        namespace: ns.map(str::to_string),
    };
    let cases = [
        (Permission::ReadPath("/etc/cni".into()), true),
        (Permission::ReadPath("/etc/cni/net.d".into()), true),
        (Permission::ReadPath("/etc/cnix".into()), false),
        (Permission::ReadPath("/etc".into()), false),
        (Permission::Sysctl("net.ipv4.ip_forward".into()), true),
        (Permission::Sysctl("net.ipv4.ip_forwarding".into()), false),
        (
            Permission::ClusterApply(scope("DaemonSet", Some("kube-flannel"))),
            true,
        ),
        (
            Permission::ClusterApply(scope("DaemonSet", Some("kube-system"))),
            false,
        ),
        (Permission::ClusterApply(scope("DaemonSet", None)), false),
        (
            Permission::ClusterRead(scope("DaemonSet", Some("kube-flannel"))),
            false,
        ),
    ];
    for (permission, want) in cases {
        assert_eq!(granted(&grants, &permission), want, "{permission}");
    }
}

#[test]
fn a_denial_names_the_config_line_that_grants_it() {
    let denials = ungranted(
        "net-sysctls",
        &[request(Permission::Sysctl("net.ipv4.ip_forward".into()))],
        &Grants::default(),
    );
    assert_eq!(
        denials[0].to_string(),
        "sysctl net.ipv4.ip_forward is not granted (wanted for: because); add to plugins[net-sysctls].grants: sysctls: [net.ipv4.ip_forward]"
    );
    let scope = ObjectScope {
        kind: "DaemonSet".into(),
        namespace: Some("kube-flannel".into()),
    };
    let denials = ungranted(
        "flannel",
        &[request(Permission::ClusterApply(scope))],
        &Grants::default(),
    );
    assert!(
        denials[0]
            .to_string()
            .ends_with("add to plugins[flannel].grants: clusterApply: [{kind: DaemonSet, namespaces: [kube-flannel]}]"),
        "{}",
        denials[0]
    );
}

#[test]
fn wit_versions_are_compatible_within_the_same_0_minor() {
    for (version, ok) in [
        ("0.1.0", true),
        ("0.1.7", true),
        ("0.2.0", false),
        ("1.1.0", false),
        ("0.1", false),
        ("garbage", false),
    ] {
        assert_eq!(wit_compatible(version), ok, "{version}");
    }
    assert_eq!(semver("1.2.3-rc.1"), Some((1, 2, 3)));
}
