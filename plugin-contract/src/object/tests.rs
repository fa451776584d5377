use super::*;

#[test]
fn names_follow_the_kinds_rules_and_never_carry_url_syntax() {
    let ok =
        |api: &str, kind: &str, name: &str, ns: Option<&str>| check_object(api, kind, name, ns);
    assert_eq!(
        ok("v1", "ConfigMap", "kube-proxy", Some("kube-system")),
        Ok(())
    );
    assert_eq!(ok("v1", "ConfigMap", "a.b-c", Some("x")), Ok(()));
    assert_eq!(ok("v1", "Namespace", "kube-flannel", None), Ok(()));
    assert_eq!(
        ok(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "system:coredns",
            None
        ),
        Ok(())
    );
    assert_eq!(
        ok("example.com/v1alpha1", "Widget", "w-1", Some("ns")),
        Ok(())
    );
    assert_eq!(ok("example.com/v1alpha1", "Widget", "w-1", None), Ok(()));

    let cases = [
        (
            "v1",
            "ConfigMap",
            "x?dryRun=All#",
            Some("x"),
            "metadata.name must be a lowercase RFC 1123 subdomain",
        ),
        (
            "v1",
            "ConfigMap",
            "../../../apis/x",
            Some("x"),
            "metadata.name must be",
        ),
        (
            "v1",
            "ConfigMap",
            "UPPER",
            Some("x"),
            "metadata.name must be",
        ),
        (
            "v1",
            "ConfigMap",
            &"a".repeat(254),
            Some("x"),
            "metadata.name must be",
        ),
        (
            "v1",
            "Namespace",
            "a.b",
            None,
            "metadata.name must be a lowercase RFC 1123 label",
        ),
        ("v1", "Service", "1abc", Some("x"), "RFC 1035 label"),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "..",
            None,
            "not \".\" or \"..\"",
        ),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "a/b",
            None,
            "metadata.name must be",
        ),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "a%2fb",
            None,
            "metadata.name must be",
        ),
        (
            "v1",
            "ConfigMap",
            "ok",
            None,
            "metadata.namespace is missing; ConfigMap is a namespaced kind",
        ),
        (
            "v1",
            "ConfigMap",
            "ok",
            Some("../kube-system"),
            "metadata.namespace \"../kube-system\" must be",
        ),
        (
            "v1",
            "Namespace",
            "ok",
            Some("x"),
            "but Namespace is cluster-scoped",
        ),
        (
            "apps/v1",
            "ConfigMap",
            "ok",
            Some("x"),
            "outside the kind's API group; ConfigMap is in the core group",
        ),
        (
            "v1",
            "DaemonSet",
            "ok",
            Some("x"),
            "DaemonSet is in group apps",
        ),
        (
            "v1",
            "Widget",
            "ok",
            None,
            "the core group has no such kind",
        ),
        ("../v1", "Widget", "ok", None, "is not <group>/<version>"),
        (
            "example.com/v1?x",
            "Widget",
            "ok",
            None,
            "is not <group>/<version>",
        ),
        ("v1", "Config/Map", "ok", None, "is not a Kubernetes kind"),
        (
            "v1",
            "ConfigMap",
            "ok",
            Some("bad\u{1b}[2J"),
            "\"bad\\u{1b}[2J\"",
        ),
    ];
    for (api, kind, name, ns, want) in cases {
        let err = ok(api, kind, name, ns).expect_err(want);
        assert!(err.contains(want), "{api} {kind} {name} {ns:?}: {err}");
        assert!(!err.contains('\u{1b}'), "{err:?}");
    }
}

#[test]
fn manifests_split_into_documents_on_separator_lines() {
    assert_eq!(
        documents("a: 1\n---\n# only a comment\n---\nb: 2\n--- \nc: 3\n"),
        ["a: 1\n", "b: 2\n", "c: 3\n"]
    );
    assert_eq!(documents("{\"a\": 1}\n---\n"), ["{\"a\": 1}\n---\n"]);
    assert!(documents("\n# nothing\n").is_empty());
}
