//! `bootstrap-token`'s objects besides the token Secrets: the RBAC that lets bootstrap tokens
//! join nodes, the public `cluster-info` ConfigMap with its anonymous read access, and the
//! `kubeadm:cluster-admins` binding the admin kubeconfig's group relies on.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::rbac::{
    cluster_role, cluster_role_binding, core_rule, group, read_config_map_role, role_binding, user,
};
use super::{ApiObject, KUBE_PUBLIC, NODES_GROUP, ObjectError, config_map};
use crate::config::constants::DEFAULT_TOKEN_GROUP;
use crate::kubeconfig::Kubeconfig;

pub const GET_NODES_ROLE: &str = "kubeadm:get-nodes";
pub const KUBELET_BOOTSTRAP_BINDING: &str = "kubeadm:kubelet-bootstrap";
pub const NODE_BOOTSTRAPPER_ROLE: &str = "system:node-bootstrapper";
pub const NODE_AUTOAPPROVE_BOOTSTRAP_BINDING: &str = "kubeadm:node-autoapprove-bootstrap";
pub const NODE_CLIENT_APPROVAL_ROLE: &str =
    "system:certificates.k8s.io:certificatesigningrequests:nodeclient";
pub const NODE_AUTOAPPROVE_ROTATION_BINDING: &str = "kubeadm:node-autoapprove-certificate-rotation";
pub const SELF_NODE_CLIENT_APPROVAL_ROLE: &str =
    "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient";
pub const CLUSTER_INFO_CONFIG_MAP: &str = "cluster-info";
pub const CLUSTER_INFO_KUBECONFIG_KEY: &str = "kubeconfig";
pub const CLUSTER_INFO_ROLE: &str = "kubeadm:bootstrap-signer-clusterinfo";
pub const ANONYMOUS_USER: &str = "system:anonymous";
/// Both the group admin.conf's certificate carries and the ClusterRoleBinding granting it
/// `cluster-admin`.
pub const CLUSTER_ADMINS: &str = "kubeadm:cluster-admins";

/// The bootstrap-token RBAC, in kubeadm's order: bootstrap tokens may get Nodes (ClusterRole and
/// binding `kubeadm:get-nodes`), post CSRs (`kubeadm:kubelet-bootstrap`) and have them approved
/// (`kubeadm:node-autoapprove-bootstrap`); nodes have their renewal CSRs approved
/// (`kubeadm:node-autoapprove-certificate-rotation`).
pub fn bootstrap_token_rbac() -> Vec<ApiObject> {
    let tokens = || vec![group(DEFAULT_TOKEN_GROUP)];
    vec![
        cluster_role(GET_NODES_ROLE, vec![core_rule(&["get"], &["nodes"], &[])]).into(),
        cluster_role_binding(GET_NODES_ROLE, GET_NODES_ROLE, tokens()).into(),
        cluster_role_binding(KUBELET_BOOTSTRAP_BINDING, NODE_BOOTSTRAPPER_ROLE, tokens()).into(),
        cluster_role_binding(
            NODE_AUTOAPPROVE_BOOTSTRAP_BINDING,
            NODE_CLIENT_APPROVAL_ROLE,
            tokens(),
        )
        .into(),
        cluster_role_binding(
            NODE_AUTOAPPROVE_ROTATION_BINDING,
            SELF_NODE_CLIENT_APPROVAL_ROLE,
            vec![group(NODES_GROUP)],
        )
        .into(),
    ]
}

/// ConfigMap `kube-public/cluster-info` (key `kubeconfig`, see [`cluster_info_kubeconfig`]) and
/// the Role and RoleBinding `kubeadm:bootstrap-signer-clusterinfo` letting anonymous users read it.
pub fn cluster_info_objects(admin_kubeconfig: &str) -> Result<Vec<ApiObject>, ObjectError> {
    let kubeconfig = cluster_info_kubeconfig(admin_kubeconfig)?;
    Ok(vec![
        config_map(
            CLUSTER_INFO_CONFIG_MAP,
            KUBE_PUBLIC,
            &[(CLUSTER_INFO_KUBECONFIG_KEY, kubeconfig)],
        )
        .into(),
        read_config_map_role(CLUSTER_INFO_ROLE, KUBE_PUBLIC, CLUSTER_INFO_CONFIG_MAP).into(),
        role_binding(CLUSTER_INFO_ROLE, KUBE_PUBLIC, vec![user(ANONYMOUS_USER)]).into(),
    ])
}

/// The kubeconfig `cluster-info` publishes: the admin kubeconfig's current cluster (server and
/// CA) under the name `""` and nothing else, laid out byte for byte as client-go's
/// `clientcmd.Write` lays it out. Joining nodes check a JWS over exactly this text.
pub fn cluster_info_kubeconfig(admin_kubeconfig: &str) -> Result<String, ObjectError> {
    let admin = Kubeconfig::parse(admin_kubeconfig).map_err(ObjectError::AdminKubeconfig)?;
    let cluster = admin.current_cluster().ok_or_else(|| {
        ObjectError::AdminKubeconfig(format!(
            "current-context {:?} does not name a context with a cluster in the file",
            admin.current_context
        ))
    })?;
    let mut fields = Map::new();
    if let Some(path) = &cluster.certificate_authority {
        fields.insert("certificate-authority".into(), json!(path));
    }
    if let Some(data) = &cluster.certificate_authority_data {
        fields.insert(
            "certificate-authority-data".into(),
            json!(STANDARD.encode(data)),
        );
    }
    fields.insert("server".into(), json!(cluster.server));
    // clientcmd writes an empty user and context list as null, and keeps the empty current-context.
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "", "cluster": Value::Object(fields)}],
        "contexts": null,
        "current-context": "",
        "preferences": {},
        "users": null,
    });
    crate::config::to_yaml(&config).map_err(|e| ObjectError::Yaml {
        object: format!("ConfigMap {KUBE_PUBLIC}/{CLUSTER_INFO_CONFIG_MAP}"),
        what: "the cluster-info kubeconfig",
        message: e.to_string(),
    })
}

/// ClusterRoleBinding `kubeadm:cluster-admins`: the group of the same name gets `cluster-admin`.
pub fn cluster_admins_binding() -> ApiObject {
    cluster_role_binding(CLUSTER_ADMINS, "cluster-admin", vec![group(CLUSTER_ADMINS)]).into()
}
