use kubeadm_rs_plugin_sdk::Severity;
use kubeadm_rs_plugin_sdk::testing::{MockNode, run_preflight};

use super::*;

fn findings(node: &MockNode, params: &[(&str, &str)]) -> Vec<(String, Severity, String)> {
    run_preflight::<MinResources>(node, params)
        .expect("the plugin runs")
        .into_iter()
        .map(|f| (f.check, f.severity, f.message))
        .collect()
}

fn node(cpus: u32, memory_mib: u64, swap_mib: u64) -> MockNode {
    MockNode::new()
        .with_cpu_count(cpus)
        .with_memory_bytes(memory_mib << 20)
        .with_swap_bytes(swap_mib << 20)
}

#[test]
fn thresholds_default_to_kubeadm_control_plane_minimums() {
    assert_eq!(findings(&node(2, 1700, 0), &[]), []);
    assert_eq!(
        findings(&node(1, 1699, 0), &[]),
        [
            (
                "cpus".into(),
                Severity::Error,
                "the node has 1 CPUs, the minimum is 2".into()
            ),
            (
                "memory".into(),
                Severity::Error,
                "the node has 1699 MiB of memory, the minimum is 1700 MiB".into()
            ),
        ]
    );
}

#[test]
fn thresholds_come_from_parameters() {
    let params = [("min-cpus", "4"), ("min-memory", "8Gi")];
    assert_eq!(
        findings(&node(2, 4096, 0), &params),
        [
            (
                "cpus".into(),
                Severity::Error,
                "the node has 2 CPUs, the minimum is 4".into()
            ),
            (
                "memory".into(),
                Severity::Error,
                "the node has 4096 MiB of memory, the minimum is 8192 MiB".into()
            ),
        ]
    );
    assert_eq!(
        findings(
            &node(1, 512, 0),
            &[("min-cpus", "1"), ("min-memory", "512Mi")]
        ),
        []
    );
}

#[test]
fn swap_is_a_warning_unless_allowed() {
    assert_eq!(
        findings(&node(2, 2048, 1024), &[]),
        [(
            "swap".into(),
            Severity::Warning,
            "swap is on (1024 MiB)".into()
        )]
    );
    assert_eq!(
        findings(&node(2, 2048, 1024), &[("allow-swap", "true")]),
        []
    );
}

#[test]
fn bad_thresholds_are_named() {
    let err =
        run_preflight::<MinResources>(&node(2, 2048, 0), &[("min-memory", "2 gigs")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `min-memory`: `2 gigs` is not a whole number of bytes, optionally with a unit Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), such as 64Mi or 1.5G"
    );
    let err = run_preflight::<MinResources>(&node(2, 2048, 0), &[("min-cpu", "2")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown parameter `min-cpu`; this plugin understands: min-cpus, min-memory, allow-swap"
    );
}
