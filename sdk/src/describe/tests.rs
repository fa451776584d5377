use super::*;
use crate::{NodeFacts, Params, PluginError};

fn valid_preflight() -> PluginInfo {
    PluginInfo {
        name: "net-sysctls".to_owned(),
        version: "1.2.3".to_owned(),
        kind: PluginKind::Preflight,
        wit_version: WIT_VERSION.to_owned(),
        min_host_version: "0.1.0".to_owned(),
        checks: vec![Check::new("ip-forward", "net.ipv4.ip_forward is 1")],
        parameters: vec![Parameter::new("ipv6", "also check IPv6").with_default("false")],
        permissions: vec![Permission::sysctl("net.ipv4.ip_forward").because("pods are routed")],
    }
}

#[test]
fn a_well_formed_description_is_valid() {
    assert_eq!(valid_preflight().validate(), Ok(()));
}

#[test]
fn each_contract_breach_is_named() {
    type Breach = fn(&mut PluginInfo);
    let cases: &[(&str, Breach, &str)] = &[
        (
            "uppercase name",
            |i| i.name = "Net".into(),
            "name \"Net\" is not a plugin name; expected lowercase",
        ),
        (
            "name with a slash",
            |i| i.name = "a/b".into(),
            "name \"a/b\"",
        ),
        (
            "name ending in a dash",
            |i| i.name = "net-".into(),
            "name \"net-\"",
        ),
        (
            "version not semver",
            |i| i.version = "1.2".into(),
            "version \"1.2\" is not a semantic version",
        ),
        (
            "pre-release is fine but junk is not",
            |i| i.version = "1.2.x-rc1".into(),
            "version \"1.2.x-rc1\"",
        ),
        (
            "bad min host version",
            |i| i.min_host_version = "latest".into(),
            "min-host-version \"latest\"",
        ),
        (
            "other WIT version",
            |i| i.wit_version = "0.2.0".into(),
            "wit-version \"0.2.0\" is not this SDK's \"0.1.0\"",
        ),
        (
            "preflight without checks",
            |i| i.checks.clear(),
            "a preflight plugin declares no checks; expected at least one",
        ),
        (
            "check declared twice",
            |i| i.checks.push(Check::new("ip-forward", "again")),
            "check \"ip-forward\" is declared twice",
        ),
        (
            "check without description",
            |i| i.checks[0].description = " ".into(),
            "check \"ip-forward\" has no description",
        ),
        (
            "check name with a space",
            |i| i.checks[0].name = "ip forward".into(),
            "check name \"ip forward\" is not kebab-case",
        ),
        (
            "parameter declared twice",
            |i| i.parameters.push(Parameter::new("ipv6", "x")),
            "parameter \"ipv6\" is declared twice",
        ),
        (
            "permission without reason",
            |i| i.permissions[0].reason.clear(),
            "permission sysctl \"net.ipv4.ip_forward\" gives no reason",
        ),
        (
            "relative read path",
            |i| {
                i.permissions
                    .push(Permission::read_path("etc").because("r"))
            },
            "read-path \"etc\": not a clean absolute path",
        ),
        (
            "read path with ..",
            |i| {
                i.permissions
                    .push(Permission::read_path("/etc/../root").because("r"))
            },
            "read-path \"/etc/../root\": not a clean absolute path",
        ),
        (
            "sysctl with a slash",
            |i| {
                i.permissions
                    .push(Permission::sysctl("net/ipv4").because("r"))
            },
            "sysctl \"net/ipv4\": not a sysctl key",
        ),
        (
            "sysctl with an empty part",
            |i| {
                i.permissions
                    .push(Permission::sysctl("net..x").because("r"))
            },
            "sysctl \"net..x\": not a sysctl key",
        ),
        (
            "preflight reading the cluster",
            |i| {
                i.permissions
                    .push(Permission::cluster_read("Node", None).because("r"))
            },
            "cluster-read \"Node\" (cluster-scoped): a preflight plugin cannot be granted cluster access",
        ),
    ];
    for (case, breach, expected) in cases {
        let mut info = valid_preflight();
        breach(&mut info);
        let err = info.validate().expect_err(case);
        assert!(
            err.to_string().contains(expected),
            "{case}: `{err}` does not mention `{expected}`"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut info = valid_preflight();
    info.name = "Bad".into();
    info.checks.clear();
    let err = info.validate().unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
    assert!(
        err.to_string()
            .starts_with("plugin `Bad` describes itself wrongly: ")
    );
}

#[test]
fn addon_scopes_are_checked() {
    let mut info = valid_preflight();
    info.kind = PluginKind::Addon;
    info.checks.clear();
    info.permissions = vec![
        Permission::cluster_apply("DaemonSet", "kube-flannel").because("runs flannel"),
        Permission::cluster_apply("ClusterRole", None).because("flannel's RBAC"),
    ];
    assert_eq!(info.validate(), Ok(()));

    info.permissions
        .push(Permission::cluster_read("config-map", "Kube_System").because("r"));
    let problems = info.validate().unwrap_err().problems;
    assert_eq!(
        problems,
        [
            "cluster-read \"config-map\" in namespace \"Kube_System\": kind \"config-map\" is not a Kubernetes kind; expected a letter, then letters and digits, such as ConfigMap",
            "cluster-read \"config-map\" in namespace \"Kube_System\": namespace \"Kube_System\" is not a namespace name; expected a lowercase RFC 1123 label",
        ]
    );

    info.permissions.pop();
    info.checks.push(Check::new("x", "y"));
    assert!(
        info.validate()
            .unwrap_err()
            .to_string()
            .contains("an addon plugin declares checks; expected none")
    );
}

#[test]
fn permissions_read_as_the_operator_sees_them() {
    let cases = [
        (
            Permission::read_path("/etc/modprobe.d"),
            "read-path /etc/modprobe.d",
        ),
        (
            Permission::sysctl("net.ipv4.ip_forward"),
            "sysctl net.ipv4.ip_forward",
        ),
        (
            Permission::cluster_read("ConfigMap", "kube-system"),
            "cluster-read ConfigMap in namespace kube-system",
        ),
        (
            Permission::cluster_apply("ClusterRole", None),
            "cluster-apply ClusterRole (cluster-scoped)",
        ),
    ];
    for (permission, shown) in cases {
        assert_eq!(permission.to_string(), shown);
    }
}

struct Minimal;

impl PreflightPlugin for Minimal {
    const NAME: &'static str = "minimal";
    const VERSION: &'static str = "0.3.0";
    fn checks() -> Vec<Check> {
        vec![Check::new("always", "passes")]
    }
    fn run(_: &dyn NodeFacts, _: &Params) -> Result<Vec<crate::Finding>, PluginError> {
        Ok(Vec::new())
    }
}

#[test]
fn trait_defaults_fill_the_description() {
    let info = PluginInfo::preflight::<Minimal>();
    assert_eq!(info.kind, PluginKind::Preflight);
    assert_eq!(info.wit_version, WIT_VERSION);
    assert_eq!(info.min_host_version, crate::DEFAULT_MIN_HOST_VERSION);
    assert!(info.parameters.is_empty());
    assert!(info.permissions.is_empty());
    assert_eq!(info.validate(), Ok(()));
}
