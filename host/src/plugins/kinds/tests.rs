use super::*;

#[test]
fn the_shared_rules_apply_with_plugin_strings_neutralised() {
    assert_eq!(
        check_object("v1", "ConfigMap", "kube-proxy", Some("kube-system")),
        Ok(())
    );
    for (name, ns, want) in [
        (
            "x?dryRun=All#",
            Some("x"),
            "metadata.name must be a lowercase RFC 1123 subdomain",
        ),
        (
            "ok",
            None,
            "metadata.namespace is missing; ConfigMap is a namespaced kind",
        ),
        // Bidi overrides and zero-width characters are shown escaped, as in every message.
        ("evil\u{202e}lmth", Some("x"), "\"evil\\u{202e}lmth\""),
        ("ok", Some("kube\u{200b}system"), "\"kube\\u{200b}system\""),
    ] {
        let err = check_object("v1", "ConfigMap", name, ns).expect_err(want);
        assert!(err.contains(want), "{name:?} {ns:?}: {err}");
        assert!(
            !err.chars().any(crate::plugins::is_hidden_control),
            "{err:?}"
        );
    }
}
