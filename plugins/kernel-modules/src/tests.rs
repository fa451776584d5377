use kubeadm_rs_plugin_sdk::testing::{MockNode, run_preflight};

use super::*;

fn checks_and_messages(node: &MockNode, params: &[(&str, &str)]) -> Vec<(String, String)> {
    run_preflight::<KernelModules>(node, params)
        .expect("the plugin runs")
        .into_iter()
        .map(|f| (f.check, f.message))
        .collect()
}

/// (case, loaded modules, parameters, expected (check, message) findings)
type Case<'a> = (
    &'a str,
    &'a [&'a str],
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, &'a str)],
);

#[test]
fn reports_each_missing_module_under_its_check() {
    let cases: &[Case<'_>] = &[
        ("both loaded", &["overlay", "br_netfilter"], &[], &[]),
        (
            "built-in names with dashes count",
            &["overlay", "br-netfilter"],
            &[],
            &[],
        ),
        (
            "overlay missing",
            &["br_netfilter"],
            &[],
            &[("overlay", "kernel module overlay is not loaded")],
        ),
        (
            "nothing loaded",
            &[],
            &[],
            &[
                ("overlay", "kernel module overlay is not loaded"),
                ("br-netfilter", "kernel module br_netfilter is not loaded"),
            ],
        ),
        (
            "extra modules from the parameter",
            &["overlay", "br_netfilter", "ip_vs"],
            &[("modules", "ip_vs, nf_conntrack")],
            &[("extra", "kernel module nf_conntrack is not loaded")],
        ),
    ];
    for (case, loaded, params, expected) in cases {
        let node = MockNode::new().with_kernel_modules(loaded);
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, m)| ((*c).to_owned(), (*m).to_owned()))
            .collect();
        assert_eq!(checks_and_messages(&node, params), expected, "{case}");
    }
}

#[test]
fn the_remedy_loads_the_module_now_and_on_boot() {
    let node = MockNode::new().with_kernel_modules(&["overlay"]);
    let findings = run_preflight::<KernelModules>(&node, &[]).unwrap();
    assert_eq!(
        findings[0].remedy.as_deref(),
        Some(
            "run `modprobe br_netfilter` and list it in /etc/modules-load.d/k8s.conf so it loads on boot"
        )
    );
}

#[test]
fn module_names_from_the_operator_are_checked() {
    let node = MockNode::healthy();
    let err = run_preflight::<KernelModules>(&node, &[("modules", "ip_vs,../../x")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `modules`: `../../x` is not a kernel module name (letters, digits, `_` and `-`)"
    );
}

#[test]
fn an_unreadable_module_list_fails_the_plugin() {
    let err = run_preflight::<KernelModules>(&MockNode::new(), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "node fact `kernel-modules` is unavailable: not set in MockNode"
    );
}
