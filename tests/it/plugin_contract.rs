//! The plugin contract read by both sides: one table of cases run through the host's paths
//! (the operator's `PluginConfiguration`, the host's reading of `describe`) and the SDK's
//! (`Params::bytes_or`, `PluginInfo::validate`), which must accept and refuse the same.

use kubeadm_rs::config::plugins::{ObjectScope, PluginConfiguration};
use kubeadm_rs::config::{load_documents, plugin_configuration};
use kubeadm_rs::plugins as host;
use kubeadm_rs_plugin_contract::quantity::CASES;
use kubeadm_rs_plugin_sdk::{self as sdk, Check, Parameter, Params, Permission};

/// The host's reading of `limits.maxOutputBytes: <text>` in a config file.
fn host_bytes(text: &str) -> Result<u64, String> {
    let doc = format!(
        "apiVersion: kubeadm-rs.io/v1alpha1\nkind: PluginConfiguration\nplugins:\n  - name: a\n    source: {{name: a}}\n    limits:\n      maxOutputBytes: {text:?}\n"
    );
    let docs = load_documents(&doc, "kubeadm.yaml").map_err(|e| e.to_string())?;
    let config: PluginConfiguration = plugin_configuration(&docs)
        .map_err(|e| e.to_string())?
        .expect("a plugin document");
    Ok(config.plugins[0].limits.max_output_bytes.expect("set").0)
}

#[test]
fn host_and_sdk_read_byte_sizes_alike() {
    for (text, want) in CASES {
        let host = host_bytes(text);
        let sdk = Params::new().with("size", *text).bytes_or("size", 0);
        assert_eq!(
            host.as_ref().ok(),
            want.as_ref(),
            "host, {text:?}: {host:?}"
        );
        assert_eq!(sdk.as_ref().ok(), want.as_ref(), "sdk, {text:?}: {sdk:?}");
    }
}

#[test]
fn a_refused_byte_size_names_the_field_and_what_is_expected() {
    let err = host_bytes("64MB").unwrap_err();
    assert!(
        err.contains("plugins[0].limits.maxOutputBytes: \"64MB\" is invalid"),
        "{err}"
    );
    assert!(
        err.contains("\"64MB\" is not a byte size; expected a whole number of bytes"),
        "{err}"
    );
    let err = Params::new()
        .with("min-memory", "64MB")
        .bytes_or("min-memory", 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("parameter `min-memory`: `64MB` is not a whole number of bytes"),
        "{err}"
    );
}

fn valid() -> sdk::PluginInfo {
    sdk::PluginInfo {
        name: "net-sysctls".into(),
        version: "1.2.3".into(),
        kind: sdk::PluginKind::Preflight,
        wit_version: sdk::WIT_VERSION.into(),
        min_host_version: "0.1.0".into(),
        checks: vec![Check::new("ip-forward", "net.ipv4.ip_forward is 1")],
        parameters: vec![Parameter::new("ipv6", "also IPv6").with_default("false")],
        permissions: vec![Permission::sysctl("net.ipv4.ip_forward").because("pods are routed")],
    }
}

/// What the host makes of the same `describe` (the WIT record carries the same fields).
fn as_host(info: &sdk::PluginInfo) -> host::PluginInfo {
    let scope = |s: &sdk::ObjectScope| ObjectScope {
        kind: s.kind.clone(),
        namespace: s.namespace.clone(),
    };
    host::PluginInfo {
        name: info.name.clone(),
        version: info.version.clone(),
        kind: match info.kind {
            sdk::PluginKind::Preflight => host::PluginKind::Preflight,
            sdk::PluginKind::Addon => host::PluginKind::Addon,
        },
        wit_version: info.wit_version.clone(),
        min_host_version: info.min_host_version.clone(),
        checks: info
            .checks
            .iter()
            .map(|c| host::CheckInfo {
                name: c.name.clone(),
                description: c.description.clone(),
            })
            .collect(),
        parameters: info
            .parameters
            .iter()
            .map(|p| host::ParameterInfo {
                name: p.name.clone(),
                description: p.description.clone(),
                default: p.default.clone(),
            })
            .collect(),
        permissions: info
            .permissions
            .iter()
            .map(|r| host::PermissionRequest {
                permission: match &r.permission {
                    Permission::ReadPath(p) => host::Permission::ReadPath(p.clone()),
                    Permission::Sysctl(k) => host::Permission::Sysctl(k.clone()),
                    Permission::ClusterRead(s) => host::Permission::ClusterRead(scope(s)),
                    Permission::ClusterApply(s) => host::Permission::ClusterApply(scope(s)),
                },
                reason: r.reason.clone(),
            })
            .collect(),
    }
}

#[test]
fn host_and_sdk_refuse_the_same_descriptions() {
    type Change = fn(&mut sdk::PluginInfo);
    let addon: Change = |i| {
        i.kind = sdk::PluginKind::Addon;
        i.checks.clear();
        i.permissions = vec![Permission::cluster_apply("DaemonSet", "kube-flannel").because("r")];
    };
    let cases: &[(&str, Change, bool)] = &[
        ("valid", |_| {}, true),
        ("valid addon", addon, true),
        ("uppercase name", |i| i.name = "Net".into(), false),
        ("reserved name", |i| i.name = "kube-proxy".into(), false),
        ("long name", |i| i.name = "a".repeat(64), false),
        ("version", |i| i.version = "1.2".into(), false),
        (
            "version with build",
            |i| i.version = "1.2.3+abc".into(),
            true,
        ),
        (
            "min host version",
            |i| i.min_host_version = "latest".into(),
            false,
        ),
        ("no checks", |i| i.checks.clear(), false),
        (
            "check twice",
            |i| i.checks.push(Check::new("ip-forward", "again")),
            false,
        ),
        (
            "check without text",
            |i| i.checks[0].description = " ".into(),
            false,
        ),
        (
            "parameter twice",
            |i| i.parameters.push(Parameter::new("ipv6", "x")),
            false,
        ),
        (
            "parameter with a space",
            |i| i.parameters[0].name = "a b".into(),
            false,
        ),
        ("no reason", |i| i.permissions[0].reason.clear(), false),
        (
            "empty path segment",
            |i| i.permissions = vec![Permission::read_path("/etc//x").because("r")],
            false,
        ),
        (
            "sysctl",
            |i| i.permissions = vec![Permission::sysctl("net..x").because("r")],
            false,
        ),
        (
            "cluster from preflight",
            |i| i.permissions = vec![Permission::cluster_read("Node", None).because("r")],
            false,
        ),
        (
            "namespace",
            |i| {
                i.kind = sdk::PluginKind::Addon;
                i.checks.clear();
                i.permissions = vec![Permission::cluster_read("Secret", "Kube").because("r")];
            },
            false,
        ),
        (
            "long text",
            |i| i.checks[0].description = "x".repeat(4097),
            false,
        ),
        (
            "many parameters",
            |i| {
                i.parameters = (0..257)
                    .map(|n| Parameter::new(format!("p{n}"), "d"))
                    .collect()
            },
            false,
        ),
    ];
    for (case, change, valid_) in cases {
        let mut info = valid();
        change(&mut info);
        let sdk = info.validate().map_err(|e| e.problems);
        let host = as_host(&info).as_contract().problems();
        assert_eq!(sdk.is_ok(), *valid_, "{case}: the SDK says {sdk:?}");
        assert_eq!(host.is_empty(), *valid_, "{case}: the host says {host:?}");
        assert_eq!(sdk.err().unwrap_or_default(), host, "{case}");
    }
}
