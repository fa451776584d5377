//! Addon plugin `flannel`: the Flannel CNI as upstream's `kube-flannel.yml` installs it
//! (namespace, RBAC, ConfigMap, DaemonSet), with `net-conf.json` taking the cluster's pod
//! subnet. Parameters choose the images and the backend.

use kubeadm_rs_plugin_sdk::{
    AddonPlugin, ClusterObjects, ClusterView, Manifest, ParamError, Parameter, Params, Permission,
    PermissionRequest, PluginError, log,
};
use serde_json::{Value, json};

const NAMESPACE: &str = "kube-flannel";
const DEFAULT_IMAGE: &str = "docker.io/flannel/flannel:v0.26.7";
const DEFAULT_CNI_PLUGIN_IMAGE: &str = "docker.io/flannel/flannel-cni-plugin:v1.6.2-flannel1";
/// Flannel's backends that need no cloud-provider setup.
const BACKENDS: &[&str] = &["vxlan", "host-gw", "wireguard", "udp", "ipip", "ipsec"];

pub struct Flannel;

impl AddonPlugin for Flannel {
    const NAME: &'static str = "flannel";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new(
                "image",
                "the flannel image (flanneld and the CNI config installer)",
            )
            .with_default(DEFAULT_IMAGE),
            Parameter::new(
                "cni-plugin-image",
                "the image that installs the flannel CNI binary",
            )
            .with_default(DEFAULT_CNI_PLUGIN_IMAGE),
            Parameter::new(
                "backend",
                format!("the backend type: {}", BACKENDS.join(", ")),
            )
            .with_default("vxlan"),
        ]
    }

    fn permissions() -> Vec<PermissionRequest> {
        vec![
            Permission::cluster_apply("Namespace", None)
                .because("flannel runs in its own namespace, kube-flannel"),
            Permission::cluster_apply("ServiceAccount", NAMESPACE).because("flanneld's identity"),
            Permission::cluster_apply("ClusterRole", None)
                .because("flanneld reads nodes and pods and patches node status"),
            Permission::cluster_apply("ClusterRoleBinding", None)
                .because("binds flannel's ClusterRole to its ServiceAccount"),
            Permission::cluster_apply("ConfigMap", NAMESPACE)
                .because("kube-flannel-cfg holds the CNI config and the pod network"),
            Permission::cluster_apply("DaemonSet", NAMESPACE)
                .because("runs flanneld on every node"),
        ]
    }

    fn render(
        cluster: &ClusterView,
        params: &Params,
        _objects: &dyn ClusterObjects,
    ) -> Result<Vec<Manifest>, PluginError> {
        let image = image_param(params, "image", DEFAULT_IMAGE)?;
        let cni_plugin_image = image_param(params, "cni-plugin-image", DEFAULT_CNI_PLUGIN_IMAGE)?;
        let backend = params.str_or("backend", "vxlan");
        if !BACKENDS.contains(&backend) {
            return Err(ParamError::Invalid {
                key: "backend".to_owned(),
                value: backend.to_owned(),
                expected: format!("one of {}", BACKENDS.join(", ")),
            }
            .into());
        }
        log::info(
            "rendering Flannel",
            &[("backend", backend), ("image", image)],
        );
        let objects = [
            ("namespace", namespace()),
            ("serviceaccount", service_account()),
            ("clusterrole", cluster_role()),
            ("clusterrolebinding", cluster_role_binding()),
            ("configmap", config_map(&net_conf(cluster, backend)?)),
            ("daemonset", daemon_set(image, cni_plugin_image)),
        ];
        objects
            .into_iter()
            .map(|(name, object)| {
                serde_saphyr::to_string(&object)
                    .map(|yaml| Manifest::new(name, yaml))
                    .map_err(|e| {
                        PluginError::msg(format!("cannot write the {name} manifest as YAML: {e}"))
                    })
            })
            .collect()
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(addon: Flannel);

/// An image reference from a parameter: non-empty, no whitespace.
fn image_param<'a>(params: &'a Params, key: &str, default: &'a str) -> Result<&'a str, ParamError> {
    let image = params.str_or(key, default);
    if image.is_empty() || image.contains(char::is_whitespace) {
        return Err(ParamError::Invalid {
            key: key.to_owned(),
            value: image.to_owned(),
            expected: "an image reference such as docker.io/flannel/flannel:v0.26.7".to_owned(),
        });
    }
    Ok(image)
}

/// `net-conf.json`: the pod network flannel carves node subnets from, per IP family.
fn net_conf(cluster: &ClusterView, backend: &str) -> Result<String, PluginError> {
    let ipv4 = cluster.pod_subnet_ipv4();
    let ipv6 = cluster.pod_subnet_ipv6();
    let mut conf = serde_json::Map::new();
    match (ipv4, ipv6) {
        (None, None) => {
            return Err(PluginError::msg(
                "flannel needs a pod subnet: set networking.podSubnet in ClusterConfiguration (or --pod-network-cidr), e.g. 10.244.0.0/16",
            ));
        }
        (Some(v4), v6) => {
            conf.insert("Network".into(), json!(v4));
            if let Some(v6) = v6 {
                conf.insert("EnableIPv6".into(), json!(true));
                conf.insert("IPv6Network".into(), json!(v6));
            }
        }
        (None, Some(v6)) => {
            conf.insert("EnableIPv4".into(), json!(false));
            conf.insert("EnableIPv6".into(), json!(true));
            conf.insert("IPv6Network".into(), json!(v6));
        }
    }
    conf.insert("EnableNFTables".into(), json!(false));
    conf.insert("Backend".into(), json!({ "Type": backend }));
    Ok(pretty(&Value::Object(conf)))
}

/// `cni-conf.json`: the CNI chain flannel installs on every node.
fn cni_conf() -> String {
    pretty(&json!({
        "name": "cbr0",
        "cniVersion": "0.3.1",
        "plugins": [
            { "type": "flannel", "delegate": { "hairpinMode": true, "isDefaultGateway": true } },
            { "type": "portmap", "capabilities": { "portMappings": true } }
        ]
    }))
}

fn pretty(value: &Value) -> String {
    // Serializing a Value built by json! cannot fail.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn namespace() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "labels": { "k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged" }
        }
    })
}

fn service_account() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": { "name": "flannel", "namespace": NAMESPACE, "labels": { "k8s-app": "flannel" } }
    })
}

fn cluster_role() -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": "flannel", "labels": { "k8s-app": "flannel" } },
        "rules": [
            { "apiGroups": [""], "resources": ["pods"], "verbs": ["get"] },
            { "apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"] },
            { "apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"] }
        ]
    })
}

fn cluster_role_binding() -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": { "name": "flannel", "labels": { "k8s-app": "flannel" } },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "flannel" },
        "subjects": [ { "kind": "ServiceAccount", "name": "flannel", "namespace": NAMESPACE } ]
    })
}

fn config_map(net_conf: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "kube-flannel-cfg",
            "namespace": NAMESPACE,
            "labels": { "app": "flannel", "k8s-app": "flannel", "tier": "node" }
        },
        "data": { "cni-conf.json": cni_conf(), "net-conf.json": net_conf }
    })
}

fn daemon_set(image: &str, cni_plugin_image: &str) -> Value {
    let labels = json!({ "app": "flannel", "k8s-app": "flannel", "tier": "node" });
    json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": { "name": "kube-flannel-ds", "namespace": NAMESPACE, "labels": labels },
        "spec": {
            "selector": { "matchLabels": { "app": "flannel", "k8s-app": "flannel" } },
            "template": {
                "metadata": { "labels": labels },
                "spec": {
                    "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [ { "matchExpressions": [
                            { "key": "kubernetes.io/os", "operator": "In", "values": ["linux"] }
                        ] } ]
                    } } },
                    "hostNetwork": true,
                    "priorityClassName": "system-node-critical",
                    "tolerations": [ { "operator": "Exists", "effect": "NoSchedule" } ],
                    "serviceAccountName": "flannel",
                    "initContainers": [
                        {
                            "name": "install-cni-plugin",
                            "image": cni_plugin_image,
                            "command": ["cp"],
                            "args": ["-f", "/flannel", "/opt/cni/bin/flannel"],
                            "volumeMounts": [ { "name": "cni-plugin", "mountPath": "/opt/cni/bin" } ]
                        },
                        {
                            "name": "install-cni",
                            "image": image,
                            "command": ["cp"],
                            "args": ["-f", "/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                            "volumeMounts": [
                                { "name": "cni", "mountPath": "/etc/cni/net.d" },
                                { "name": "flannel-cfg", "mountPath": "/etc/kube-flannel/" }
                            ]
                        }
                    ],
                    "containers": [ {
                        "name": "kube-flannel",
                        "image": image,
                        "command": ["/opt/bin/flanneld"],
                        "args": ["--ip-masq", "--kube-subnet-mgr"],
                        "resources": { "requests": { "cpu": "100m", "memory": "50Mi" } },
                        "securityContext": {
                            "privileged": false,
                            "capabilities": { "add": ["NET_ADMIN", "NET_RAW"] }
                        },
                        "env": [
                            { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } },
                            { "name": "POD_NAMESPACE", "valueFrom": { "fieldRef": { "fieldPath": "metadata.namespace" } } },
                            { "name": "EVENT_QUEUE_DEPTH", "value": "5000" }
                        ],
                        "volumeMounts": [
                            { "name": "run", "mountPath": "/run/flannel" },
                            { "name": "flannel-cfg", "mountPath": "/etc/kube-flannel/" },
                            { "name": "xtables-lock", "mountPath": "/run/xtables.lock" }
                        ]
                    } ],
                    "volumes": [
                        { "name": "run", "hostPath": { "path": "/run/flannel" } },
                        { "name": "cni-plugin", "hostPath": { "path": "/opt/cni/bin" } },
                        { "name": "cni", "hostPath": { "path": "/etc/cni/net.d" } },
                        { "name": "flannel-cfg", "configMap": { "name": "kube-flannel-cfg" } },
                        { "name": "xtables-lock", "hostPath": { "path": "/run/xtables.lock", "type": "FileOrCreate" } }
                    ]
                }
            }
        }
    })
}

#[cfg(test)]
mod tests;
