use super::*;
use crate::{Check, Params, Permission, PermissionRequest};

#[test]
fn unset_facts_are_unavailable_and_unset_sysctls_do_not_exist() {
    let node = MockNode::new();
    assert_eq!(
        node.cpu_count(),
        Err(FactError::Unavailable {
            fact: "cpu-count".into(),
            reason: "not set in MockNode".into()
        })
    );
    assert_eq!(
        node.sysctl("net.ipv4.ip_forward"),
        Err(FactError::NotFound {
            fact: "sysctl net.ipv4.ip_forward".into()
        })
    );
    assert_eq!(node.sysctl_opt("net.ipv4.ip_forward"), Ok(None));
    let denied = node.with_denied_sysctl("kernel.panic");
    assert!(matches!(
        denied.sysctl("kernel.panic"),
        Err(FactError::Denied { .. })
    ));
    assert!(matches!(
        denied.sysctl_opt("kernel.panic"),
        Err(FactError::Denied { .. })
    ));
}

#[test]
fn the_healthy_node_passes_kubeadm_preflight_facts() {
    let node = MockNode::healthy();
    assert_eq!(node.cpu_count(), Ok(2));
    assert_eq!(node.memory_bytes(), Ok(4 << 30));
    assert_eq!(node.swap_bytes(), Ok(0));
    assert_eq!(node.cgroup_version(), Ok(CgroupVersion::V2));
    assert_eq!(node.os_release().unwrap().id(), "debian");
    assert_eq!(node.os_release().unwrap().version_id(), Some("12"));
    assert_eq!(node.sysctl("net.ipv4.ip_forward").as_deref(), Ok("1"));
    assert_eq!(node.module_loaded("br-netfilter"), Ok(true));
    assert_eq!(node.port_in_use(6443), Ok(false));

    let broken = MockNode::healthy()
        .without_kernel_module("overlay")
        .without_sysctl("net.bridge.bridge-nf-call-iptables")
        .with_listening_tcp_ports(&[10250, 6443, 6443]);
    assert_eq!(broken.module_loaded("overlay"), Ok(false));
    assert_eq!(
        broken.sysctl_opt("net.bridge.bridge-nf-call-iptables"),
        Ok(None)
    );
    assert_eq!(broken.listening_tcp_ports(), Ok(vec![6443, 10250]));
    assert_eq!(broken.port_in_use(6443), Ok(true));
}

#[test]
fn os_release_defaults_follow_os_release_5() {
    let empty = OsRelease::default();
    assert_eq!(empty.id(), "linux");
    assert_eq!(empty.pretty_name(), "Linux");
    assert_eq!(empty.version_id(), None);
}

/// Reads a sysctl it never declared: the host denies that, so the runner must too.
struct Sneaky;

impl PreflightPlugin for Sneaky {
    const NAME: &'static str = "sneaky";
    const VERSION: &'static str = "1.0.0";
    fn checks() -> Vec<Check> {
        vec![Check::new("forward", "ip_forward is 1")]
    }
    fn permissions() -> Vec<PermissionRequest> {
        vec![Permission::sysctl("net.ipv4.ip_forward").because("pods are routed")]
    }
    fn run(node: &dyn NodeFacts, _: &Params) -> Result<Vec<Finding>, PluginError> {
        node.sysctl("net.ipv4.ip_forward")?;
        node.sysctl("kernel.hostname")?;
        Ok(Vec::new())
    }
}

#[test]
fn undeclared_sysctls_are_denied_even_when_the_node_has_them() {
    let node = MockNode::healthy().with_sysctl("kernel.hostname", "node-1");
    assert_eq!(
        run_preflight::<Sneaky>(&node, &[]).unwrap_err().to_string(),
        "node fact `sysctl kernel.hostname` was denied: the plugin must declare it and the operator must grant it"
    );
}

struct Misdescribed;

impl PreflightPlugin for Misdescribed {
    const NAME: &'static str = "Misdescribed";
    const VERSION: &'static str = "1";
    fn checks() -> Vec<Check> {
        Vec::new()
    }
    fn run(_: &dyn NodeFacts, _: &Params) -> Result<Vec<Finding>, PluginError> {
        Ok(Vec::new())
    }
}

#[test]
fn a_broken_describe_fails_before_run() {
    let err = run_preflight::<Misdescribed>(&MockNode::new(), &[]).unwrap_err();
    assert!(matches!(err, PluginError::Contract(_)));
    assert!(
        err.to_string()
            .starts_with("plugin bug: plugin `Misdescribed` describes itself wrongly: ")
    );
}

/// Reads the kube-proxy ConfigMap it declared, and a Secret it did not; renders what it saw.
struct Reader;

impl AddonPlugin for Reader {
    const NAME: &'static str = "reader";
    const VERSION: &'static str = "1.0.0";
    fn permissions() -> Vec<PermissionRequest> {
        vec![
            Permission::cluster_read("ConfigMap", "kube-system").because("reads kube-proxy's mode"),
            Permission::cluster_apply("ConfigMap", "kube-system").because("renders what it saw"),
        ]
    }
    fn render(
        _: &ClusterView,
        params: &Params,
        objects: &dyn ClusterObjects,
    ) -> Result<Vec<Manifest>, PluginError> {
        let content = if params.get("secret").is_some() {
            objects.get("Secret", Some("kube-system"), "token")?
        } else {
            objects.get_if_reachable("ConfigMap", Some("kube-system"), "kube-proxy")?
        };
        let seen = content.unwrap_or_else(|| "absent".into());
        Ok(vec![Manifest::new(
            "seen",
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seen\n  namespace: kube-system\ndata:\n  seen: {seen:?}\n"
            ),
        )])
    }
}

impl Reader {
    fn seen(objects: &dyn ClusterObjects, params: &[(&str, &str)]) -> Result<String, PluginError> {
        let manifests = render_addon::<Reader>(&sample_cluster(), params, objects)?;
        let object: serde_json::Value = serde_saphyr::from_str(&manifests[0].content).unwrap();
        Ok(object["data"]["seen"].as_str().unwrap().to_owned())
    }
}

#[test]
fn cluster_reads_follow_declarations_and_reachability() {
    let cluster = MockCluster::new()
        .with_object(
            "ConfigMap",
            "kube-system",
            "kube-proxy",
            r#"{"kind":"ConfigMap"}"#,
        )
        .with_object("Secret", "kube-system", "token", "{}");
    assert_eq!(
        Reader::seen(&cluster, &[]).unwrap(),
        r#"{"kind":"ConfigMap"}"#
    );
    assert_eq!(Reader::seen(&MockCluster::new(), &[]).unwrap(), "absent");
    assert_eq!(
        Reader::seen(&MockCluster::unavailable("dry-run"), &[]).unwrap(),
        "absent"
    );
    assert_eq!(
        Reader::seen(&cluster, &[("secret", "1")])
            .unwrap_err()
            .to_string(),
        "unknown parameter `secret`; this plugin takes no parameters"
    );
}

struct SecretReader;

impl AddonPlugin for SecretReader {
    const NAME: &'static str = "secret-reader";
    const VERSION: &'static str = "1.0.0";
    fn render(
        _: &ClusterView,
        _: &Params,
        objects: &dyn ClusterObjects,
    ) -> Result<Vec<Manifest>, PluginError> {
        objects.get("Secret", Some("kube-system"), "token")?;
        Ok(Vec::new())
    }
}

#[test]
fn undeclared_cluster_reads_are_denied() {
    let cluster = MockCluster::new().with_object("Secret", "kube-system", "token", "{}");
    let err = render_addon::<SecretReader>(&sample_cluster(), &[], &cluster).unwrap_err();
    assert_eq!(
        err,
        PluginError::Cluster(ClusterError::Denied {
            object: "Secret kube-system/token".into()
        })
    );
    assert!(matches!(
        MockCluster::unavailable("dry-run").get("Node", None, "n"),
        Err(ClusterError::Unavailable { object, reason }) if object == "Node n" && reason == "dry-run"
    ));
}

#[test]
fn the_sample_cluster_splits_pod_subnets_by_family() {
    let mut view = sample_cluster();
    assert_eq!(view.pod_subnet_ipv4(), Some("10.244.0.0/16"));
    assert_eq!(view.pod_subnet_ipv6(), None);
    view.pod_subnets = vec!["fd00:10:244::/56".into(), " 10.1.0.0/16".into()];
    assert_eq!(view.pod_subnet_ipv4(), Some("10.1.0.0/16"));
    assert_eq!(view.pod_subnet_ipv6(), Some("fd00:10:244::/56"));
}

/// Renders `OBJECTS` (the `case` parameter picks one), declaring ConfigMaps in `kube-system`
/// and cluster-scoped Namespaces.
struct Renderer;

const OBJECTS: &[(&str, &str)] = &[
    (
        "good",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a.b-c\n  namespace: kube-system\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-flannel\n",
    ),
    (
        "url in the name",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x?dryRun=All#\n  namespace: kube-system\n",
    ),
    (
        "no namespace",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    ),
    (
        "outside the group",
        "apiVersion: apps/v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: kube-system\n",
    ),
    (
        "namespace not a string",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: [kube-system]\n",
    ),
    (
        "undeclared namespace",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n",
    ),
    ("no objects", "# nothing\n"),
];

impl AddonPlugin for Renderer {
    const NAME: &'static str = "renderer";
    const VERSION: &'static str = "1.0.0";
    fn parameters() -> Vec<crate::Parameter> {
        vec![crate::Parameter::new("case", "which objects to render")]
    }
    fn permissions() -> Vec<PermissionRequest> {
        vec![
            Permission::cluster_apply("ConfigMap", "kube-system").because("its settings"),
            Permission::cluster_apply("Namespace", None).because("its namespace"),
        ]
    }
    fn render(
        _: &ClusterView,
        params: &Params,
        _: &dyn ClusterObjects,
    ) -> Result<Vec<Manifest>, PluginError> {
        let case = params.require("case")?;
        let (_, content) = OBJECTS.iter().find(|(c, _)| *c == case).unwrap();
        Ok(vec![Manifest::new("objects", *content)])
    }
}

#[test]
fn rendered_objects_meet_the_hosts_object_rules() {
    let render = |case: &str| {
        render_addon::<Renderer>(&sample_cluster(), &[("case", case)], &MockCluster::new())
    };
    assert_eq!(render("good").unwrap().len(), 1);
    for (case, want) in [
        (
            "url in the name",
            "plugin bug: manifest \"objects\": ConfigMap \"x?dryRun=All#\": metadata.name must be a lowercase RFC 1123 subdomain",
        ),
        (
            "no namespace",
            "plugin bug: manifest \"objects\": ConfigMap a: metadata.namespace is missing; ConfigMap is a namespaced kind",
        ),
        (
            "outside the group",
            "plugin bug: manifest \"objects\": ConfigMap: apiVersion \"apps/v1\" is outside the kind's API group",
        ),
        (
            "namespace not a string",
            "plugin bug: manifest \"objects\": ConfigMap \"a\": metadata.namespace is not a string",
        ),
        (
            "undeclared namespace",
            "plugin bug: manifest \"objects\": it renders ConfigMap in namespace default, which the plugin did not declare as cluster-apply",
        ),
        (
            "no objects",
            "plugin bug: manifest \"objects\": it holds no objects",
        ),
    ] {
        let err = render(case).unwrap_err().to_string();
        assert!(err.starts_with(want), "{case}: {err}");
    }
}
