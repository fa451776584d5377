//! The kube-proxy addon as kubeadm installs it: the `kube-proxy` ConfigMap (its
//! KubeProxyConfiguration and an in-cluster kubeconfig), the DaemonSet, its ServiceAccount and RBAC.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EnvVar, EnvVarSource, HostPathVolumeSource,
    ObjectFieldSelector, PodSpec, PodTemplateSpec, SecurityContext, ServiceAccount, Toleration,
    Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value;

use crate::config::constants::DEFAULT_TOKEN_GROUP;
use crate::config::{ComponentConfig, InitConfig, v1beta4};
use crate::objects::rbac::{
    cluster_role_binding, group, read_config_map_role, role_binding, service_account,
};
use crate::objects::{
    ApiObject, KUBE_SYSTEM, ObjectError, config_map, meta, sign_config_map, string_map,
};

/// The name of the ConfigMap, ServiceAccount, Role, RoleBinding, DaemonSet and container.
pub const KUBE_PROXY: &str = "kube-proxy";
pub const CONFIG_KEY: &str = "config.conf";
pub const KUBECONFIG_KEY: &str = "kubeconfig.conf";
pub const NODE_PROXIER_BINDING: &str = "kubeadm:node-proxier";
pub const NODE_PROXIER_ROLE: &str = "system:node-proxier";
const CONFIG_DIR: &str = "/var/lib/kube-proxy";

/// Whether `addon/kube-proxy` installs anything (`proxy.disabled` turns it off).
pub fn enabled(cfg: &InitConfig) -> bool {
    !cfg.cluster.proxy.disabled
}

/// Every kube-proxy object, in the order kubeadm creates them: ConfigMap, DaemonSet,
/// ServiceAccount, ClusterRoleBinding `kubeadm:node-proxier`, Role and RoleBinding `kube-proxy`.
/// `proxy_config` is the KubeProxyConfiguration (see `manifests::kube_proxy_configuration`);
/// `proxy_env` the `*_proxy` variables kubeadm passes on to the container.
pub fn kube_proxy_objects(
    cfg: &InitConfig,
    proxy_config: &ComponentConfig,
    proxy_env: &[v1beta4::EnvVar],
) -> Result<Vec<ApiObject>, ObjectError> {
    Ok(vec![
        kube_proxy_config_map(cfg, proxy_config)?.into(),
        daemon_set(cfg, proxy_env).into(),
        ServiceAccount {
            metadata: meta(KUBE_PROXY, Some(KUBE_SYSTEM), &[]),
            ..Default::default()
        }
        .into(),
        cluster_role_binding(
            NODE_PROXIER_BINDING,
            NODE_PROXIER_ROLE,
            vec![service_account(KUBE_SYSTEM, KUBE_PROXY)],
        )
        .into(),
        read_config_map_role(KUBE_PROXY, KUBE_SYSTEM, KUBE_PROXY).into(),
        role_binding(KUBE_PROXY, KUBE_SYSTEM, vec![group(DEFAULT_TOKEN_GROUP)]).into(),
    ])
}

/// ConfigMap `kube-proxy` (label `app: kube-proxy`). Both values lose their final newline, as
/// kubeadm's `|-` template blocks drop it. A configuration kubeadm generated (no
/// KubeProxyConfiguration document) is signed with its hash.
fn kube_proxy_config_map(
    cfg: &InitConfig,
    proxy_config: &ComponentConfig,
) -> Result<ConfigMap, ObjectError> {
    let config =
        crate::manifests::to_yaml(&Value::Object(proxy_config.clone())).map_err(|message| {
            ObjectError::Yaml {
                object: format!("ConfigMap {KUBE_SYSTEM}/{KUBE_PROXY}"),
                what: "the KubeProxyConfiguration",
                message,
            }
        })?;
    let mut cm = config_map(
        KUBE_PROXY,
        KUBE_SYSTEM,
        &[
            (
                KUBECONFIG_KEY,
                in_cluster_kubeconfig(&cfg.control_plane_url()),
            ),
            (CONFIG_KEY, config.trim_end_matches('\n').to_string()),
        ],
    );
    cm.metadata.labels = Some(string_map(&[("app", KUBE_PROXY)]));
    if cfg.kube_proxy.is_none() {
        sign_config_map(&mut cm);
    }
    Ok(cm)
}

/// The kubeconfig kube-proxy reads: the control-plane endpoint, trusted with and authenticated
/// by the Pod's service account files.
fn in_cluster_kubeconfig(server: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: {server}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"
    )
}

fn daemon_set(cfg: &InitConfig, proxy_env: &[v1beta4::EnvVar]) -> DaemonSet {
    let labels = [("k8s-app", KUBE_PROXY)];
    DaemonSet {
        metadata: meta(KUBE_PROXY, Some(KUBE_SYSTEM), &labels),
        spec: Some(DaemonSetSpec {
            selector: LabelSelector {
                match_labels: Some(string_map(&labels)),
                ..Default::default()
            },
            update_strategy: Some(DaemonSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                ..Default::default()
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(string_map(&labels)),
                    ..Default::default()
                }),
                spec: Some(pod_spec(cfg, proxy_env)),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod_spec(cfg: &InitConfig, proxy_env: &[v1beta4::EnvVar]) -> PodSpec {
    let host_path = |name: &str, path: &str, type_: Option<&str>| Volume {
        name: name.into(),
        host_path: Some(HostPathVolumeSource {
            path: path.into(),
            type_: type_.map(str::to_string),
        }),
        ..Default::default()
    };
    PodSpec {
        priority_class_name: Some("system-node-critical".into()),
        containers: vec![container(cfg, proxy_env)],
        host_network: Some(true),
        service_account_name: Some(KUBE_PROXY.into()),
        volumes: Some(vec![
            Volume {
                name: KUBE_PROXY.into(),
                config_map: Some(ConfigMapVolumeSource {
                    name: KUBE_PROXY.into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            host_path("xtables-lock", "/run/xtables.lock", Some("FileOrCreate")),
            host_path("lib-modules", "/lib/modules", None),
        ]),
        // kube-proxy runs on every node, whatever its taints.
        tolerations: Some(vec![Toleration {
            operator: Some("Exists".into()),
            ..Default::default()
        }]),
        node_selector: Some(string_map(&[("kubernetes.io/os", "linux")])),
        ..Default::default()
    }
}

fn container(cfg: &InitConfig, proxy_env: &[v1beta4::EnvVar]) -> Container {
    let mount = |name: &str, path: &str, read_only: bool| VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..Default::default()
    };
    let mut env = vec![EnvVar {
        name: "NODE_NAME".into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: "spec.nodeName".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }];
    // kubeadm merges the proxy variables by name (the last wins) and sorts them.
    let proxy: BTreeMap<&str, &str> = proxy_env
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_str()))
        .collect();
    env.extend(proxy.into_iter().map(|(name, value)| EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    }));
    Container {
        name: KUBE_PROXY.into(),
        image: Some(cfg.control_plane_image(KUBE_PROXY)),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec![
            "/usr/local/bin/kube-proxy".into(),
            format!("--config={CONFIG_DIR}/{CONFIG_KEY}"),
            "--hostname-override=$(NODE_NAME)".into(),
        ]),
        security_context: Some(SecurityContext {
            privileged: Some(true),
            ..Default::default()
        }),
        volume_mounts: Some(vec![
            mount(KUBE_PROXY, CONFIG_DIR, false),
            mount("xtables-lock", "/run/xtables.lock", false),
            mount("lib-modules", "/lib/modules", true),
        ]),
        env: Some(env),
        ..Default::default()
    }
}
