use super::*;
use crate::config::plugins::Limits;
use crate::plugins::model::{CheckInfo, Permission, PermissionRequest};

fn info(kind: PluginKind) -> PluginInfo {
    PluginInfo {
        name: "net-sysctls".into(),
        version: "1.0.0".into(),
        kind,
        wit_version: "0.1.0".into(),
        min_host_version: "0.1.0".into(),
        checks: if kind == PluginKind::Preflight {
            vec![CheckInfo {
                name: "ip-forward".into(),
                description: "d".into(),
            }]
        } else {
            vec![]
        },
        parameters: vec![],
        permissions: vec![],
    }
}

#[test]
fn describe_must_match_the_component_and_ask_only_for_what_its_world_allows() {
    let with = |f: &dyn Fn(&mut PluginInfo)| {
        let mut i = info(PluginKind::Preflight);
        f(&mut i);
        check_describe(&i, PluginKind::Preflight)
    };
    assert_eq!(with(&|_| {}), Ok(()));
    type Change = dyn Fn(&mut PluginInfo);
    let cases: [(&str, &Change, &str); 6] = [
        (
            "bad name",
            &|i| i.name = "Bad Name".into(),
            "name \"Bad Name\" is not a plugin name",
        ),
        (
            "wrong kind",
            &|i| i.kind = PluginKind::Addon,
            "says it is a addon plugin",
        ),
        (
            "no checks",
            &|i| i.checks.clear(),
            "a preflight plugin declares no checks",
        ),
        (
            "twice",
            &|i| i.checks.push(i.checks[0].clone()),
            "check \"ip-forward\" is declared twice",
        ),
        (
            "escaping read path",
            &|i| {
                i.permissions.push(PermissionRequest {
                    permission: Permission::ReadPath("/etc/../root".into()),
                    reason: "r".into(),
                })
            },
            "read-path \"/etc/../root\": not a clean absolute path",
        ),
        (
            "cluster access from preflight",
            &|i| {
                i.permissions.push(PermissionRequest {
                    permission: Permission::ClusterRead(ObjectScope::default()),
                    reason: "r".into(),
                })
            },
            "a preflight plugin cannot be granted cluster access",
        ),
    ];
    for (case, change, want) in cases {
        let err = with(change).expect_err(case);
        assert!(err.contains(want), "{case}: {err}");
    }
}

fn finding(check: &str, message: &str) -> wit::Finding {
    wit::Finding {
        check: check.into(),
        severity: wit::Severity::Error,
        message: message.into(),
        remedy: Some("fix \u{1b}[1mit".into()),
    }
}

#[test]
fn findings_name_declared_checks_and_stay_small() {
    let i = info(PluginKind::Preflight);
    let ok = findings("p", &i, vec![finding("ip-forward", "is 0\u{7}")]).unwrap();
    assert_eq!(ok[0].message, "is 0\\u{7}");
    assert_eq!(ok[0].remedy.as_deref(), Some("fix \\u{1b}[1mit"));
    assert_eq!(ok[0].check_path("p"), "p/ip-forward");

    let cases = [
        (
            vec![finding("other", "m")],
            "check \"other\", which describe does not declare",
        ),
        (
            vec![finding("ip-forward", &"x".repeat(MAX_FINDINGS_BYTES))],
            "bytes of findings, more than the 1Mi allowed",
        ),
        (
            (0..=MAX_FINDINGS)
                .map(|_| finding("ip-forward", "m"))
                .collect(),
            "1001 findings, more than the 1000 allowed",
        ),
    ];
    for (raw, want) in cases {
        let err = findings("p", &i, raw).unwrap_err().to_string();
        assert!(err.starts_with("plugin p: bad output from run: "), "{err}");
        assert!(err.contains(want), "{err}");
    }
}

fn manifest(content: &str) -> wit::Manifest {
    wit::Manifest {
        name: "m".into(),
        content: content.into(),
    }
}

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: kube-flannel\n";

#[test]
fn manifests_hold_granted_kubernetes_objects_within_the_caps() {
    let apply = [ObjectScope {
        kind: "ConfigMap".into(),
        namespace: Some("kube-flannel".into()),
    }];
    let limits = |objects: u32, bytes: u64| EffectiveLimits {
        max_objects: objects,
        max_output_bytes: crate::config::plugins::ByteSize(bytes),
        ..EffectiveLimits::of(&Limits::default())
    };
    let two = format!("{CM}---\n{CM}");
    let ok = manifests("f", &apply, &limits(2, 4096), vec![manifest(&two)]).unwrap();
    assert_eq!(ok[0].objects.len(), 2);
    assert_eq!(ok[0].objects[0].to_string(), "ConfigMap kube-flannel/a");
    let json = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j","namespace":"kube-flannel"}}"#;
    assert_eq!(
        manifests("f", &apply, &limits(2, 4096), vec![manifest(json)]).unwrap()[0].objects[0].name,
        "j"
    );

    let cases = [
        (
            "too many",
            two.clone(),
            limits(1, 4096),
            "2 objects, more than the 1 allowed (limits.maxObjects)",
        ),
        (
            "too large",
            two.clone(),
            limits(10, 100),
            "bytes of manifests, more than the 100 allowed",
        ),
        (
            "invalid YAML",
            "kind: [unclosed\n".to_string(),
            limits(10, 4096),
            "manifest \"m\": invalid YAML",
        ),
        (
            "no name",
            "apiVersion: v1\nkind: ConfigMap\n".to_string(),
            limits(10, 4096),
            "an object has no metadata.name",
        ),
        (
            "a list",
            "- a\n- b\n".to_string(),
            limits(10, 4096),
            "a document is not a mapping",
        ),
        (
            "empty",
            "# nothing\n".to_string(),
            limits(10, 4096),
            "it holds no objects",
        ),
        (
            "escape codes",
            format!("{CM}data:\n  x: \"\u{1b}[2J\"\n"),
            limits(10, 4096),
            "control character U+001B",
        ),
        (
            "other namespace",
            CM.replace("kube-flannel", "kube-system"),
            limits(10, 4096),
            "permission denied: manifest \"m\" renders ConfigMap kube-system/a",
        ),
        (
            "other kind",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: kube-flannel\n"
                .to_string(),
            limits(10, 4096),
            "renders Secret kube-flannel/s",
        ),
    ];
    for (case, content, limits, want) in cases {
        let err = manifests("f", &apply, &limits, vec![manifest(&content)])
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{case}: {err}");
    }
}
