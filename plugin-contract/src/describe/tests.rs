use super::*;

fn valid() -> Describe<'static> {
    Describe {
        name: "net-sysctls",
        version: "1.2.3",
        world: World::Preflight,
        min_host_version: "0.1.0",
        checks: vec![("ip-forward", "net.ipv4.ip_forward is 1")],
        parameters: vec![Parameter {
            name: "ipv6",
            description: "also IPv6",
            default: Some("false"),
        }],
        permissions: vec![(Permission::Sysctl("net.ipv4.ip_forward"), "pods are routed")],
    }
}

#[test]
fn a_well_formed_description_keeps_the_contract() {
    assert_eq!(valid().problems(), Vec::<String>::new());
    let mut addon = valid();
    addon.world = World::Addon;
    addon.checks.clear();
    addon.permissions = vec![
        (
            Permission::ClusterRead(Scope {
                kind: "ConfigMap",
                namespace: Some("kube-system"),
            }),
            "reads the cluster's proxy settings",
        ),
        (
            Permission::ClusterApply(Scope {
                kind: "ClusterRole",
                namespace: None,
            }),
            "its RBAC",
        ),
    ];
    assert_eq!(addon.problems(), Vec::<String>::new());
}

#[test]
fn each_breach_is_named_with_what_is_expected() {
    type Breach = fn(&mut Describe<'static>);
    let cases: &[(&str, Breach, &str)] = &[
        (
            "uppercase name",
            |d| d.name = "Net",
            "name \"Net\" is not a plugin name; expected lowercase",
        ),
        ("name ending in -", |d| d.name = "net-", "name \"net-\""),
        (
            "reserved name",
            |d| d.name = "coredns",
            "name \"coredns\" is the name of a built-in phase",
        ),
        (
            "version",
            |d| d.version = "1.2",
            "version \"1.2\" is not a semantic version",
        ),
        (
            "min host version",
            |d| d.min_host_version = "latest",
            "min-host-version \"latest\"",
        ),
        (
            "no checks",
            |d| d.checks.clear(),
            "a preflight plugin declares no checks",
        ),
        (
            "addon with checks",
            |d| d.world = World::Addon,
            "an addon plugin declares checks",
        ),
        (
            "check name",
            |d| d.checks[0].0 = "IP",
            "check name \"IP\" is not kebab-case",
        ),
        (
            "check twice",
            |d| d.checks.push(d.checks[0]),
            "check \"ip-forward\" is declared twice",
        ),
        (
            "check text",
            |d| d.checks[0].1 = " ",
            "check \"ip-forward\" has no description",
        ),
        (
            "parameter name",
            |d| d.parameters[0].name = "a b",
            "parameter name \"a b\"",
        ),
        (
            "parameter twice",
            |d| d.parameters.push(d.parameters[0]),
            "parameter \"ipv6\" is declared twice",
        ),
        (
            "no reason",
            |d| d.permissions[0].1 = "",
            "permission sysctl \"net.ipv4.ip_forward\" gives no reason",
        ),
        (
            "escaping path",
            |d| d.permissions[0].0 = Permission::ReadPath("/etc/../root"),
            "read-path \"/etc/../root\": not a clean absolute path",
        ),
        (
            "empty segment",
            |d| d.permissions[0].0 = Permission::ReadPath("/etc//x"),
            "not a clean absolute path",
        ),
        (
            "sysctl",
            |d| d.permissions[0].0 = Permission::Sysctl("net..x"),
            "not a sysctl key",
        ),
        (
            "cluster from preflight",
            |d| {
                d.permissions[0].0 = Permission::ClusterRead(Scope {
                    kind: "Secret",
                    namespace: None,
                })
            },
            "a preflight plugin cannot be granted cluster access",
        ),
        (
            "kind",
            |d| {
                d.world = World::Addon;
                d.checks.clear();
                d.permissions[0].0 = Permission::ClusterApply(Scope {
                    kind: "config-map",
                    namespace: None,
                });
            },
            "kind \"config-map\" is not a Kubernetes kind",
        ),
        (
            "namespace",
            |d| {
                d.world = World::Addon;
                d.checks.clear();
                d.permissions[0].0 = Permission::ClusterApply(Scope {
                    kind: "Secret",
                    namespace: Some("Kube"),
                });
            },
            "namespace \"Kube\" is not a namespace name",
        ),
        (
            "long text",
            |d| d.parameters[0].description = "x".repeat(MAX_TEXT + 1).leak(),
            "a parameter description is 4097 bytes; expected at most 4096",
        ),
        (
            "many items",
            |d| d.checks = (0..=MAX_ITEMS).map(|_| ("c", "d")).collect(),
            "lists 257 checks; expected at most 256",
        ),
    ];
    for (case, breach, want) in cases {
        let mut d = valid();
        breach(&mut d);
        let problems = d.problems();
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{case}: {problems:?}"
        );
    }
}

#[test]
fn every_problem_is_listed_at_once_and_values_are_quoted_by_the_caller() {
    let mut d = valid();
    d.name = "Bad\u{1b}";
    d.version = "x";
    let problems = d.problems_quoted(&|s| format!("<{}>", s.escape_default()));
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("name <Bad\\u{1b}>"), "{problems:?}");
}
