use kubeadm_rs_plugin_sdk::testing::{MockCluster, render_addon, sample_cluster};
use kubeadm_rs_plugin_sdk::{PermissionRequest, PluginInfo};
use serde_json::Value;

use super::*;

fn render(cluster: &ClusterView, params: &[(&str, &str)]) -> Result<Vec<Manifest>, PluginError> {
    render_addon::<Flannel>(cluster, params, &MockCluster::unavailable("dry-run"))
}

/// Every object of every manifest, parsed back from YAML.
fn objects(manifests: &[Manifest]) -> Vec<Value> {
    manifests
        .iter()
        .map(|m| {
            serde_saphyr::from_str::<Value>(&m.content)
                .unwrap_or_else(|e| panic!("{}: {e}", m.name))
        })
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn net_conf(objects: &[Value]) -> Value {
    let text = find(objects, "ConfigMap")["data"]["net-conf.json"]
        .as_str()
        .unwrap();
    serde_json::from_str(text).unwrap()
}

#[test]
fn renders_upstreams_objects_in_apply_order() {
    let objects = objects(&render(&sample_cluster(), &[]).unwrap());
    let kinds: Vec<(&str, &str, Option<&str>)> = objects
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap(),
                o["metadata"]["namespace"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Namespace", "kube-flannel", None),
            ("ServiceAccount", "flannel", Some("kube-flannel")),
            ("ClusterRole", "flannel", None),
            ("ClusterRoleBinding", "flannel", None),
            ("ConfigMap", "kube-flannel-cfg", Some("kube-flannel")),
            ("DaemonSet", "kube-flannel-ds", Some("kube-flannel")),
        ]
    );
}

#[test]
fn every_rendered_object_is_covered_by_a_declared_permission() {
    let declared: Vec<PermissionRequest> = PluginInfo::addon::<Flannel>().permissions;
    for object in objects(&render(&sample_cluster(), &[]).unwrap()) {
        let kind = object["kind"].as_str().unwrap();
        let namespace = object["metadata"]["namespace"].as_str();
        let wanted = Permission::cluster_apply(kind, namespace);
        assert!(
            declared.iter().any(|r| r.permission == wanted),
            "{wanted} is not declared"
        );
    }
}

#[test]
fn net_conf_takes_the_pod_subnet_and_backend() {
    let defaults = objects(&render(&sample_cluster(), &[]).unwrap());
    assert_eq!(
        net_conf(&defaults),
        serde_json::json!({
            "Network": "10.244.0.0/16",
            "EnableNFTables": false,
            "Backend": { "Type": "vxlan" }
        })
    );

    let mut cluster = sample_cluster();
    cluster.pod_subnets = vec!["10.10.0.0/16".into()];
    let conf = net_conf(&objects(
        &render(&cluster, &[("backend", "host-gw")]).unwrap(),
    ));
    assert_eq!(conf["Network"], "10.10.0.0/16");
    assert_eq!(conf["Backend"]["Type"], "host-gw");
}

#[test]
fn dual_stack_and_ipv6_only_subnets_enable_ipv6() {
    let mut cluster = sample_cluster();
    cluster.pod_subnets = vec!["10.244.0.0/16".into(), "fd00:10:244::/56".into()];
    let conf = net_conf(&objects(&render(&cluster, &[]).unwrap()));
    assert_eq!(conf["Network"], "10.244.0.0/16");
    assert_eq!(conf["EnableIPv6"], true);
    assert_eq!(conf["IPv6Network"], "fd00:10:244::/56");

    cluster.pod_subnets = vec!["fd00:10:244::/56".into()];
    let conf = net_conf(&objects(&render(&cluster, &[]).unwrap()));
    assert_eq!(conf["EnableIPv4"], false);
    assert_eq!(conf["IPv6Network"], "fd00:10:244::/56");
    assert!(conf.get("Network").is_none());
}

#[test]
fn cni_conf_chains_flannel_and_portmap() {
    let objects = objects(&render(&sample_cluster(), &[]).unwrap());
    let text = find(&objects, "ConfigMap")["data"]["cni-conf.json"]
        .as_str()
        .unwrap();
    let conf: Value = serde_json::from_str(text).unwrap();
    assert_eq!(conf["name"], "cbr0");
    assert_eq!(conf["cniVersion"], "0.3.1");
    assert_eq!(conf["plugins"][0]["type"], "flannel");
    assert_eq!(conf["plugins"][1]["type"], "portmap");
}

#[test]
fn images_come_from_parameters_with_upstream_defaults() {
    let containers = |objects: &[Value]| -> Vec<(String, String)> {
        let spec = &find(objects, "DaemonSet")["spec"]["template"]["spec"];
        ["initContainers", "containers"]
            .iter()
            .flat_map(|list| spec[list].as_array().unwrap().iter())
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["image"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let defaults = objects(&render(&sample_cluster(), &[]).unwrap());
    assert_eq!(
        containers(&defaults),
        [
            ("install-cni-plugin".into(), DEFAULT_CNI_PLUGIN_IMAGE.into()),
            ("install-cni".into(), DEFAULT_IMAGE.into()),
            ("kube-flannel".into(), DEFAULT_IMAGE.into()),
        ]
    );
    let params = [
        ("image", "registry.example/flannel:v0.26.7"),
        (
            "cni-plugin-image",
            "registry.example/flannel-cni-plugin:v1.6.2-flannel1",
        ),
    ];
    let mirrored = objects(&render(&sample_cluster(), &params).unwrap());
    assert_eq!(
        containers(&mirrored),
        [
            ("install-cni-plugin".into(), params[1].1.into()),
            ("install-cni".into(), params[0].1.into()),
            ("kube-flannel".into(), params[0].1.into()),
        ]
    );
}

#[test]
fn strings_that_look_like_numbers_stay_strings() {
    let objects = objects(&render(&sample_cluster(), &[]).unwrap());
    let env = &find(&objects, "DaemonSet")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env[2]["value"], Value::String("5000".into()));
}

#[test]
fn refuses_to_render_without_a_pod_subnet() {
    let mut cluster = sample_cluster();
    cluster.pod_subnets.clear();
    assert_eq!(
        render(&cluster, &[]).unwrap_err().to_string(),
        "flannel needs a pod subnet: set networking.podSubnet in ClusterConfiguration (or --pod-network-cidr), e.g. 10.244.0.0/16"
    );
}

#[test]
fn bad_parameters_are_named() {
    let cases = [
        (
            ("backend", "geneve"),
            "parameter `backend`: `geneve` is not one of vxlan, host-gw, wireguard, udp, ipip, ipsec",
        ),
        (
            ("image", ""),
            "parameter `image`: `` is not an image reference such as docker.io/flannel/flannel:v0.26.7",
        ),
        (
            ("cni-plugin-image", "a b"),
            "parameter `cni-plugin-image`: `a b` is not an image reference such as docker.io/flannel/flannel:v0.26.7",
        ),
        (
            ("iface", "eth0"),
            "unknown parameter `iface`; this plugin understands: image, cni-plugin-image, backend",
        ),
    ];
    for (param, message) in cases {
        assert_eq!(
            render(&sample_cluster(), &[param]).unwrap_err().to_string(),
            message
        );
    }
}
