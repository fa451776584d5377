use super::*;

fn declared(names: &[&str]) -> Vec<Parameter> {
    names.iter().map(|n| Parameter::new(*n, "test")).collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn only_declared_keys_are_accepted_once() {
    let ok = Params::checked(
        pairs(&[("min-cpus", "2")]),
        &declared(&["min-cpus", "min-memory"]),
    );
    assert_eq!(ok.unwrap().get("min-cpus"), Some("2"));

    let typo = Params::checked(
        pairs(&[("min-cpu", "2")]),
        &declared(&["min-cpus", "min-memory"]),
    );
    assert_eq!(
        typo.unwrap_err().to_string(),
        "unknown parameter `min-cpu`; this plugin understands: min-cpus, min-memory"
    );

    let none = Params::checked(pairs(&[("x", "1")]), &[]);
    assert_eq!(
        none.unwrap_err().to_string(),
        "unknown parameter `x`; this plugin takes no parameters"
    );

    let twice = Params::checked(pairs(&[("a", "1"), ("a", "2")]), &declared(&["a"]));
    assert_eq!(
        twice.unwrap_err().to_string(),
        "parameter `a` is given twice"
    );
}

#[test]
fn typed_getters_use_defaults_and_name_bad_values() {
    let params = Params::new()
        .with("cpus", "4")
        .with("bad", "four")
        .with("flag", "true")
        .with("not-flag", "yes");
    assert_eq!(params.u32_or("cpus", 2), Ok(4));
    assert_eq!(params.u32_or("missing", 2), Ok(2));
    assert_eq!(params.u64_or("missing", 7), Ok(7));
    assert_eq!(
        params.u64_or("bad", 2).unwrap_err().to_string(),
        "parameter `bad`: `four` is not an unsigned integer"
    );
    assert_eq!(params.bool_or("flag", false), Ok(true));
    assert_eq!(params.bool_or("missing", true), Ok(true));
    assert_eq!(
        params.bool_or("not-flag", false).unwrap_err().to_string(),
        "parameter `not-flag`: `yes` is not `true` or `false`"
    );
    assert_eq!(params.str_or("missing", "vxlan"), "vxlan");
    assert_eq!(params.require("cpus"), Ok("4"));
    assert_eq!(
        params.require("image").unwrap_err().to_string(),
        "parameter `image` is required"
    );
    assert_eq!(
        params
            .parse_or::<u16>("bad", 80, "a port number")
            .unwrap_err()
            .to_string(),
        "parameter `bad`: `four` is not a port number"
    );
}

#[test]
fn sizes_are_the_quantities_the_host_takes_for_limits() {
    // The contract's table, which the host's `limits.memory` runs too.
    for (text, bytes) in kubeadm_rs_plugin_contract::quantity::CASES {
        let params = Params::new().with("size", *text);
        let got = params.bytes_or("size", 0).ok();
        assert_eq!(got, *bytes, "`{text}`");
    }
    assert_eq!(Params::new().bytes_or("size", 42), Ok(42));
    assert_eq!(
        Params::new()
            .with("m", "lots")
            .bytes_or("m", 0)
            .unwrap_err()
            .to_string(),
        "parameter `m`: `lots` is not a whole number of bytes, optionally with a unit Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), such as 64Mi or 1.5G"
    );
}

#[test]
fn lists_are_comma_separated() {
    let params = Params::new().with("modules", " ip_vs, ,nf_conntrack ");
    assert_eq!(params.list_or("modules", &[]), ["ip_vs", "nf_conntrack"]);
    assert_eq!(params.list_or("missing", &["overlay"]), ["overlay"]);
    assert!(
        Params::new()
            .with("modules", "")
            .list_or("modules", &["x"])
            .is_empty()
    );
}

#[test]
fn iteration_keeps_the_order_given() {
    let params = Params::new().with("b", "2").with("a", "1");
    assert_eq!(params.iter().collect::<Vec<_>>(), [("b", "2"), ("a", "1")]);
}
