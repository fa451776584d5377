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
        // Linked to a context with no network: denied on every call, not at the audit.
        (PluginKind::Preflight, "wasi:sockets/tcp@0.2.9", None),
        (
            PluginKind::Preflight,
            "wasi:sockets/ip-name-lookup@0.2.9",
            None,
        ),
        (
            PluginKind::Preflight,
            "wasi:sockets-extra/raw@0.2.9",
            Some("does not provide"),
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

fn read_path(path: &str) -> PermissionRequest {
    PermissionRequest {
        permission: Permission::ReadPath(path.into()),
        reason: "r".into(),
    }
}

const MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw
24 22 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw
40 22 0:40 / /srv/host\\040root/proc rw - proc proc rw
41 22 0:41 / /srv/data rw - tmpfs tmpfs rw
";

#[test]
fn mountinfo_gives_the_kernel_file_systems_with_their_escaped_paths() {
    assert_eq!(
        pseudo_mounts(MOUNTINFO),
        [
            (PathBuf::from("/proc"), "proc".to_string()),
            (PathBuf::from("/sys"), "sysfs".to_string()),
            (PathBuf::from("/srv/host root/proc"), "proc".to_string()),
        ]
    );
}

#[test]
fn read_paths_into_the_host_or_the_kernel_are_never_granted() {
    let root = tempfile::tempdir().unwrap();
    for dir in ["srv/host root/proc", "srv/data", "srv/host root/etc"] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    let real = root.path().canonicalize().unwrap();
    let mountinfo = MOUNTINFO.replace(
        "/srv/host\\040root",
        &format!("{}/srv/host\\040root", real.display()),
    );
    let denied = |path: &str| {
        unreachable_paths(&[read_path(path)], root.path(), || Ok(mountinfo.clone()))
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    for path in [
        "/",
        "/proc",
        "/proc/self",
        "/sys/fs/cgroup",
        "/dev",
        "/dev/shm",
    ] {
        let d = denied(path);
        assert_eq!(d.len(), 1, "{path}: {d:?}");
        assert!(
            d[0].starts_with(&format!("read-path {path} is never granted: ")),
            "{d:?}"
        );
    }
    for (path, mount) in [
        ("/srv/host root", "srv/host root/proc"),
        ("/srv", "srv/host root/proc"),
    ] {
        let d = denied(path);
        assert_eq!(
            d,
            [format!(
                "read-path {path} is never granted: a proc file system is mounted at {}; plugins get node facts (kernel modules, sysctls, memory, ...) from the node interface instead",
                real.join(mount).display()
            )]
        );
    }
    for path in [
        "/srv/data",
        "/srv/host root/etc",
        "/procfs",
        "/devices",
        "/not-there",
    ] {
        assert_eq!(denied(path), Vec::<String>::new(), "{path}");
    }
    // Mounts that cannot be read are no excuse: the grant is refused.
    let d = unreachable_paths(&[read_path("/srv/data")], root.path(), || {
        Err(std::io::Error::other("no procfs"))
    });
    assert!(d[0].to_string().contains("cannot be checked"), "{d:?}");
    // Plugins without read paths do not even read the mounts.
    assert!(unreachable_paths(&[], root.path(), || panic!("read")).is_empty());
}
