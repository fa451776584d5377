use serde_json::json;

use super::*;

fn token() -> Value {
    json!({
        "kind": "BootstrapToken",
        "apiVersion": "output.kubeadm.k8s.io/v1alpha3",
        "token": "abcdef.0123456789abcdef",
        "usages": ["signing", "authentication"],
        "groups": ["system:bootstrappers:kubeadm:default-node-token"],
        "items": [
            {"metadata": {"name": "a"}, "n": 1},
            {"metadata": {"name": "b"}, "n": 2},
            {"metadata": {"name": "c"}, "n": 3}
        ]
    })
}

fn jsonpath(template: &str) -> String {
    JsonPath::parse(template).unwrap().render(&token())
}

fn go(template: &str) -> String {
    GoTemplate::parse(template)
        .unwrap()
        .render(&token())
        .unwrap()
}

#[test]
fn jsonpath_follows_kubectls_dialect() {
    assert_eq!(jsonpath("{.token}"), "abcdef.0123456789abcdef");
    assert_eq!(jsonpath("id={.token}\n"), "id=abcdef.0123456789abcdef\n");
    assert_eq!(jsonpath("{.usages}"), r#"["signing","authentication"]"#);
    assert_eq!(jsonpath("{.usages[*]}"), "signing authentication");
    assert_eq!(jsonpath("{.usages[0]}"), "signing");
    assert_eq!(jsonpath("{.usages[-1]}"), "authentication");
    assert_eq!(jsonpath("{.items[*].metadata.name}"), "a b c");
    assert_eq!(jsonpath("{.items[0:2].n}"), "1 2");
    assert_eq!(jsonpath("{$.items[1]['metadata']['name']}"), "b");
    assert_eq!(jsonpath("{.items[?(@.n == 2)].metadata.name}"), "b");
    assert_eq!(jsonpath(r#"{.items[?(@.metadata.name != "a")].n}"#), "2 3");
    assert_eq!(
        jsonpath(r#"{range .items[*]}{.metadata.name}{"\t"}{$.kind}{"\n"}{end}"#),
        "a\tBootstrapToken\nb\tBootstrapToken\nc\tBootstrapToken\n"
    );
    assert_eq!(
        jsonpath("{range .usages}[{@}]{end}"),
        "[signing][authentication]"
    );
    // kubectl's printer allows missing keys: they print nothing.
    assert_eq!(jsonpath("<{.description}>"), "<>");
}

#[test]
fn jsonpath_recursive_descent_finds_a_field_at_any_depth() {
    assert_eq!(jsonpath("{..name}"), "a b c");
    assert_eq!(jsonpath("{.items..n}"), "1 2 3");
    assert_eq!(jsonpath("{..items[1].n}"), "2");
    // Objects are walked in key order: groups, items, usages.
    assert_eq!(
        jsonpath("{..[0]}"),
        r#"system:bootstrappers:kubeadm:default-node-token {"metadata":{"name":"a"},"n":1} signing"#
    );
    let nested = json!({"name": "top", "spec": {"name": "inner", "list": [{"name": "deep"}]}});
    let all = JsonPath::parse("{..name}").unwrap().render(&nested);
    assert_eq!(all, "top inner deep");
}

#[test]
fn jsonpath_templates_that_cannot_be_parsed_name_the_problem() {
    for (template, problem) in [
        ("{.token", "unclosed '{'"),
        ("{range .items[*]}{.n}", "{range} without {end}"),
        ("{end}", "{end} without {range}"),
        ("{...name}", "'..' needs a field or '[' after it"),
        ("{.items..}", "'..' needs a field or '[' after it"),
        ("{.items[x]}", "\"x\" is not an index"),
    ] {
        let err = JsonPath::parse(template).unwrap_err();
        assert_eq!(err.template, template);
        assert!(err.to_string().contains(problem), "{template}: {err}");
        assert!(err.to_string().starts_with("jsonpath template "), "{err}");
    }
}

#[test]
fn go_templates_print_as_go_does() {
    assert_eq!(go("{{.token}}"), "abcdef.0123456789abcdef");
    assert_eq!(go("{{.usages}}"), "[signing authentication]");
    assert_eq!(
        go("{{.items}}"),
        "[map[metadata:map[name:a] n:1] map[metadata:map[name:b] n:2] map[metadata:map[name:c] n:3]]"
    );
    assert_eq!(
        go("{{range .items}}{{.metadata.name}}{{\"\\n\"}}{{end}}"),
        "a\nb\nc\n"
    );
    assert_eq!(go("{{.description}}"), "<no value>");
    assert_eq!(go("{{if .description}}yes{{else}}no{{end}}"), "no");
    assert_eq!(
        go("{{with .groups}}{{.}}{{end}}"),
        "[system:bootstrappers:kubeadm:default-node-token]"
    );
    assert_eq!(go("a {{- \" b \" -}} c"), "a b c");
    assert_eq!(go("{{range .missing}}x{{else}}none{{end}}"), "none");
}

#[test]
fn go_templates_outside_the_subset_are_refused_by_name() {
    for (template, problem) in [
        ("{{.token", "unclosed '{{'"),
        ("{{range .items}}", "missing {{end}}"),
        ("{{end}}", "unexpected {{end}}"),
        ("{{printf \"%s\" .token}}", "is not supported"),
        ("{{.token | upper}}", "is not supported"),
    ] {
        let err = GoTemplate::parse(template).unwrap_err();
        assert!(err.to_string().contains(problem), "{template}: {err}");
        assert!(
            err.to_string().starts_with("go-template template "),
            "{err}"
        );
    }
    let err = GoTemplate::parse("{{.token.x}}")
        .unwrap()
        .render(&token())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("can't evaluate field x in type string"),
        "{err}"
    );
}
