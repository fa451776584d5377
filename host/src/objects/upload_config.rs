//! `upload-config`: the ClusterConfiguration (`kubeadm-config`) and the cluster-wide
//! KubeletConfiguration (`kubelet-config`) stored in `kube-system` for joining and upgrading nodes,
//! each with the Role and RoleBinding that let nodes and bootstrap tokens read it.

use serde_json::Value;

use super::rbac::{group, read_config_map_role, role_binding};
use super::{ApiObject, KUBE_SYSTEM, NODES_GROUP, ObjectError, config_map, sign_config_map};
use crate::config::constants::DEFAULT_TOKEN_GROUP;
use crate::config::{ComponentConfig, InitConfig};

pub const KUBEADM_CONFIG_CONFIG_MAP: &str = "kubeadm-config";
pub const CLUSTER_CONFIGURATION_KEY: &str = "ClusterConfiguration";
pub const NODES_KUBEADM_CONFIG_ROLE: &str = "kubeadm:nodes-kubeadm-config";
pub const KUBELET_CONFIG_CONFIG_MAP: &str = "kubelet-config";
pub const KUBELET_CONFIG_KEY: &str = "kubelet";
pub const KUBELET_CONFIG_ROLE: &str = "kubeadm:kubelet-config";

/// `upload-config/kubeadm`: ConfigMap `kubeadm-config`, Role and RoleBinding
/// `kubeadm:nodes-kubeadm-config` (bootstrap tokens and nodes may read it).
pub fn kubeadm_config_objects(cfg: &InitConfig) -> Result<Vec<ApiObject>, ObjectError> {
    let cm = config_map(
        KUBEADM_CONFIG_CONFIG_MAP,
        KUBE_SYSTEM,
        &[(CLUSTER_CONFIGURATION_KEY, cluster_configuration_yaml(cfg)?)],
    );
    Ok(vec![
        cm.into(),
        read_config_map_role(
            NODES_KUBEADM_CONFIG_ROLE,
            KUBE_SYSTEM,
            KUBEADM_CONFIG_CONFIG_MAP,
        )
        .into(),
        role_binding(
            NODES_KUBEADM_CONFIG_ROLE,
            KUBE_SYSTEM,
            vec![group(DEFAULT_TOKEN_GROUP), group(NODES_GROUP)],
        )
        .into(),
    ])
}

/// The ClusterConfiguration as kubeadm stores it: v1beta4 YAML with `apiVersion` and `kind`.
pub fn cluster_configuration_yaml(cfg: &InitConfig) -> Result<String, ObjectError> {
    crate::config::to_yaml(&cfg.cluster).map_err(|e| ObjectError::Yaml {
        object: format!("ConfigMap {KUBE_SYSTEM}/{KUBEADM_CONFIG_CONFIG_MAP}"),
        what: "the ClusterConfiguration",
        message: e.to_string(),
    })
}

/// `upload-config/kubelet`: ConfigMap `kubelet-config` holding `kubelet` (the cluster-wide
/// KubeletConfiguration, as `kubelet-start` computed it, before patches and the instance config),
/// Role and RoleBinding `kubeadm:kubelet-config` (nodes and bootstrap tokens may read it).
/// A configuration kubeadm generated (no KubeletConfiguration document) is signed with its hash.
pub fn kubelet_config_objects(
    cfg: &InitConfig,
    kubelet: &ComponentConfig,
) -> Result<Vec<ApiObject>, ObjectError> {
    let yaml = crate::manifests::to_yaml(&Value::Object(kubelet.clone())).map_err(|message| {
        ObjectError::Yaml {
            object: format!("ConfigMap {KUBE_SYSTEM}/{KUBELET_CONFIG_CONFIG_MAP}"),
            what: "the KubeletConfiguration",
            message,
        }
    })?;
    let mut cm = config_map(
        KUBELET_CONFIG_CONFIG_MAP,
        KUBE_SYSTEM,
        &[(KUBELET_CONFIG_KEY, yaml)],
    );
    if cfg.kubelet.is_none() {
        sign_config_map(&mut cm);
    }
    Ok(vec![
        cm.into(),
        read_config_map_role(KUBELET_CONFIG_ROLE, KUBE_SYSTEM, KUBELET_CONFIG_CONFIG_MAP).into(),
        role_binding(
            KUBELET_CONFIG_ROLE,
            KUBE_SYSTEM,
            vec![group(NODES_GROUP), group(DEFAULT_TOKEN_GROUP)],
        )
        .into(),
    ])
}
