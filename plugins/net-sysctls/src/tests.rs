use kubeadm_rs_plugin_sdk::testing::{MockNode, run_preflight};
use kubeadm_rs_plugin_sdk::{FactError, PluginError, Severity};

use super::*;

fn run(node: &MockNode, params: &[(&str, &str)]) -> Vec<Finding> {
    run_preflight::<NetSysctls>(node, params).expect("the plugin runs")
}

#[test]
fn a_node_with_both_sysctls_on_passes() {
    assert_eq!(run(&MockNode::healthy(), &[]), []);
}

#[test]
fn each_sysctl_that_is_off_is_an_error_with_a_remedy() {
    let node = MockNode::healthy()
        .with_sysctl("net.ipv4.ip_forward", "0")
        .with_sysctl("net.bridge.bridge-nf-call-iptables", "0");
    let findings = run(&node, &[]);
    let checks: Vec<&str> = findings.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(checks, ["ip-forward", "bridge-nf-call-iptables"]);
    assert!(findings.iter().all(|f| f.severity == Severity::Error));
    assert_eq!(findings[0].message, "net.ipv4.ip_forward is 0, want 1");
    assert_eq!(
        findings[0].remedy.as_deref(),
        Some(
            "run `sysctl -w net.ipv4.ip_forward=1` and persist it with `echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-kubernetes.conf`"
        )
    );
}

#[test]
fn a_missing_bridge_key_means_br_netfilter_is_not_loaded() {
    let node = MockNode::healthy().without_sysctl("net.bridge.bridge-nf-call-iptables");
    let findings = run(&node, &[]);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].message,
        "net.bridge.bridge-nf-call-iptables does not exist: the br_netfilter module is not loaded"
    );
    assert!(
        findings[0]
            .remedy
            .as_deref()
            .unwrap()
            .starts_with("run `modprobe br_netfilter`")
    );
}

#[test]
fn ipv6_checks_run_only_when_asked() {
    let node = MockNode::healthy().with_sysctl("net.ipv6.conf.all.forwarding", "0");
    assert_eq!(run(&node, &[("ipv6", "false")]), []);
    let findings = run(&node, &[("ipv6", "true")]);
    let checks: Vec<&str> = findings.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(checks, ["ipv6-forwarding", "bridge-nf-call-ip6tables"]);
}

#[test]
fn an_ungranted_sysctl_fails_the_plugin_naming_the_key() {
    let node = MockNode::healthy().with_denied_sysctl("net.ipv4.ip_forward");
    let err = run_preflight::<NetSysctls>(&node, &[]).unwrap_err();
    assert!(
        matches!(err, PluginError::Fact(FactError::Denied { ref fact }) if fact == "sysctl net.ipv4.ip_forward")
    );
}

#[test]
fn a_bad_parameter_is_named() {
    let err = run_preflight::<NetSysctls>(&MockNode::healthy(), &[("ipv6", "yes")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `ipv6`: `yes` is not `true` or `false`"
    );
}
