use super::*;
use crate::testing::{MockCluster, MockNode};
use crate::{Check, Parameter};

struct Swap;

impl PreflightPlugin for Swap {
    const NAME: &'static str = "swap";
    const VERSION: &'static str = "1.0.0";
    fn checks() -> Vec<Check> {
        vec![Check::new("off", "swap is off")]
    }
    fn parameters() -> Vec<Parameter> {
        vec![Parameter::new(
            "severity-check",
            "the check name to report under",
        )]
    }
    fn permissions() -> Vec<PermissionRequest> {
        vec![Permission::read_path("/proc/swaps").because("lists swap devices")]
    }
    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let check = params.str_or("severity-check", "off");
        let swap = node.swap_bytes()?;
        Ok((swap > 0)
            .then(|| Finding::warning(check, format!("swap is {swap} bytes")).remedy("swapoff -a"))
            .into_iter()
            .collect())
    }
}

#[test]
fn describe_carries_the_kind_and_wit_version() {
    let info = preflight_describe::<Swap>();
    assert_eq!(info.name, "swap");
    assert_eq!(info.kind, wit::PluginKind::Preflight);
    assert_eq!(info.wit_version, crate::WIT_VERSION);
    assert_eq!(info.checks[0].name, "off");
    assert_eq!(info.parameters[0].default, None);
    assert!(matches!(
        &info.permissions[0].permission,
        wit::Permission::ReadPath(path) if path == "/proc/swaps"
    ));
}

#[test]
fn run_converts_findings_and_errors_to_wit() {
    let node = MockNode::new().with_swap_bytes(1024);
    let findings = preflight_run_with::<Swap>(&node, Vec::new()).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, wit::Severity::Warning);
    assert_eq!(findings[0].message, "swap is 1024 bytes");
    assert_eq!(findings[0].remedy.as_deref(), Some("swapoff -a"));

    let unknown = preflight_run_with::<Swap>(&node, vec![("swp".into(), "1".into())]);
    assert_eq!(
        unknown.unwrap_err(),
        "unknown parameter `swp`; this plugin understands: severity-check"
    );

    let missing = preflight_run_with::<Swap>(&MockNode::new(), Vec::new());
    assert_eq!(
        missing.unwrap_err(),
        "node fact `swap-bytes` is unavailable: not set in MockNode"
    );
}

#[test]
fn findings_for_undeclared_checks_are_a_plugin_bug() {
    let node = MockNode::new().with_swap_bytes(1);
    let stray = preflight_run_with::<Swap>(&node, vec![("severity-check".into(), "on".into())]);
    assert_eq!(
        stray.unwrap_err(),
        "plugin bug: finding for undeclared check `on` (declared: off)"
    );
}

#[test]
fn host_errors_name_the_fact_or_object() {
    assert_eq!(
        fact_error("sysctl net.ipv4.ip_forward", wit_node::FactError::Denied),
        FactError::Denied {
            fact: "sysctl net.ipv4.ip_forward".into()
        }
    );
    assert_eq!(
        fact_error("os-release", wit_node::FactError::NotFound).to_string(),
        "node fact `os-release` does not exist on this node"
    );
    assert_eq!(
        fact_error(
            "memory-bytes",
            wit_node::FactError::Unavailable("no /proc".into())
        )
        .to_string(),
        "node fact `memory-bytes` is unavailable: no /proc"
    );
    assert_eq!(cgroup_from_wit(wit_node::CgroupMode::V1), CgroupVersion::V1);
    assert_eq!(cgroup_from_wit(wit_node::CgroupMode::V2), CgroupVersion::V2);
    assert_eq!(
        cluster_error(
            "ConfigMap kube-system/x".into(),
            wit_cluster::ClusterError::Unavailable("dry-run".into())
        )
        .to_string(),
        "cannot read ConfigMap kube-system/x: the cluster is unavailable (dry-run)"
    );
    assert!(matches!(
        cluster_error("Node n".into(), wit_cluster::ClusterError::Denied),
        ClusterError::Denied { object } if object == "Node n"
    ));
}

struct Echo;

impl AddonPlugin for Echo {
    const NAME: &'static str = "echo";
    const VERSION: &'static str = "1.0.0";
    fn parameters() -> Vec<Parameter> {
        vec![Parameter::new("label", "manifest label")]
    }
    fn render(
        cluster: &ClusterView,
        params: &Params,
        _: &dyn ClusterObjects,
    ) -> Result<Vec<Manifest>, PluginError> {
        let fields = [
            cluster.cluster_name.as_str(),
            &cluster.kubernetes_version,
            &cluster.pod_subnets.join(","),
            &cluster.service_subnets.join(","),
            &cluster.dns_domain,
            &cluster.control_plane_endpoint,
            &cluster.image_repository,
            &cluster.node_name,
        ];
        Ok(vec![Manifest::new(
            params.str_or("label", "all"),
            fields.join("|"),
        )])
    }
}

#[test]
fn render_sees_every_field_of_the_cluster_view() {
    let view = wit::ClusterView {
        cluster_name: "c".into(),
        kubernetes_version: "v1.34.1".into(),
        pod_subnets: vec!["10.244.0.0/16".into(), "fd00::/48".into()],
        service_subnets: vec!["10.96.0.0/12".into()],
        dns_domain: "cluster.local".into(),
        control_plane_endpoint: "10.0.0.1:6443".into(),
        image_repository: "registry.k8s.io".into(),
        node_name: "n1".into(),
    };
    let manifests = addon_render_with::<Echo>(
        &MockCluster::new(),
        view,
        vec![("label".into(), "view".into())],
    )
    .unwrap();
    assert_eq!(manifests[0].name, "view");
    assert_eq!(
        manifests[0].content,
        "c|v1.34.1|10.244.0.0/16,fd00::/48|10.96.0.0/12|cluster.local|10.0.0.1:6443|registry.k8s.io|n1"
    );
    let info = addon_describe::<Echo>();
    assert_eq!(info.kind, wit::PluginKind::Addon);
    assert!(info.checks.is_empty());
}
