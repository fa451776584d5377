//! The Kubernetes API objects `init` creates, built as values (no API calls): the phases that
//! apply them live in `phases::init`.
//!
//! Every builder returns [`ApiObject`]s, in the order kubeadm creates them. An [`ApiObject`] is a
//! typed k8s-openapi object; [`ApiObject::to_value`] gives the JSON the API server receives, with
//! `apiVersion` and `kind` set. The Node changes of `mark-control-plane` are a patch instead
//! ([`control_plane_node`]).

pub mod addons;
pub mod bootstrap;
pub mod control_plane_node;
mod rbac;
pub mod upload_config;

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::Metadata;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub const KUBE_SYSTEM: &str = "kube-system";
pub const KUBE_PUBLIC: &str = "kube-public";
/// The group every kubelet authenticates in once it has its own client certificate.
pub const NODES_GROUP: &str = "system:nodes";
/// The annotation holding the checksum of a component config ConfigMap kubeadm generated, so a
/// later upgrade can tell whether a user has edited it.
pub const COMPONENT_CONFIG_HASH_ANNOTATION: &str = "kubeadm.kubernetes.io/component-config.hash";

/// Why an object could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The kubeconfig `cluster-info` is copied from does not say which cluster it talks to.
    #[error("admin kubeconfig: {0}")]
    AdminKubeconfig(String),
    #[error("{object}: could not write {what} as YAML: {message}")]
    Yaml {
        object: String,
        what: &'static str,
        message: String,
    },
    #[error("nodeRegistration.taints: {taint:?} is not a valid Taint: {message}")]
    InvalidTaint { taint: String, message: String },
}

/// One object kubeadm creates, typed. Cluster-scoped kinds have no namespace.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiObject {
    ServiceAccount(ServiceAccount),
    ConfigMap(ConfigMap),
    Service(Service),
    Role(Role),
    RoleBinding(RoleBinding),
    ClusterRole(ClusterRole),
    ClusterRoleBinding(ClusterRoleBinding),
    Deployment(Deployment),
    DaemonSet(DaemonSet),
}

/// Runs `$body` with `$o` bound to the typed object inside `$self`, whatever its kind.
macro_rules! each_kind {
    ($self:expr, $o:ident => $body:expr) => {
        match $self {
            ApiObject::ServiceAccount($o) => $body,
            ApiObject::ConfigMap($o) => $body,
            ApiObject::Service($o) => $body,
            ApiObject::Role($o) => $body,
            ApiObject::RoleBinding($o) => $body,
            ApiObject::ClusterRole($o) => $body,
            ApiObject::ClusterRoleBinding($o) => $body,
            ApiObject::Deployment($o) => $body,
            ApiObject::DaemonSet($o) => $body,
        }
    };
}

impl ApiObject {
    /// `v1`, `rbac.authorization.k8s.io/v1`, `apps/v1`.
    pub fn api_version(&self) -> &'static str {
        each_kind!(self, o => k8s_openapi::api_version(o))
    }

    pub fn kind(&self) -> &'static str {
        each_kind!(self, o => k8s_openapi::kind(o))
    }

    pub fn metadata(&self) -> &ObjectMeta {
        each_kind!(self, o => o.metadata())
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    /// The object as the API server receives it: `apiVersion`, `kind`, and only the fields set.
    pub fn to_value(&self) -> serde_json::Value {
        each_kind!(self, o => serde_json::to_value(o).expect("k8s-openapi objects serialize"))
    }
}

impl fmt::Display for ApiObject {
    /// `ConfigMap kube-system/kubeadm-config`, `ClusterRole system:coredns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.namespace() {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind(), self.name()),
            None => write!(f, "{} {}", self.kind(), self.name()),
        }
    }
}

macro_rules! from_kind {
    ($($kind:ident),*) => {
        $(impl From<$kind> for ApiObject {
            fn from(o: $kind) -> Self {
                ApiObject::$kind(o)
            }
        })*
    };
}

from_kind!(
    ServiceAccount,
    ConfigMap,
    Service,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
    Deployment,
    DaemonSet
);

/// Name, namespace (if any) and labels: the metadata kubeadm's objects carry.
fn meta(name: &str, namespace: Option<&str>, labels: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: (!labels.is_empty()).then(|| string_map(labels)),
        ..Default::default()
    }
}

fn string_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A ConfigMap in `namespace` holding `data`.
fn config_map(name: &str, namespace: &str, data: &[(&str, String)]) -> ConfigMap {
    ConfigMap {
        metadata: meta(name, Some(namespace), &[]),
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
        ..Default::default()
    }
}

/// kubeadm's checksum of a ConfigMap: SHA-256 over its data values, then its binary data values,
/// each in key order, as `sha256:<hex>`.
pub fn component_config_hash(cm: &ConfigMap) -> String {
    let mut bytes = Vec::new();
    for value in cm.data.iter().flat_map(BTreeMap::values) {
        bytes.extend_from_slice(value.as_bytes());
    }
    for value in cm.binary_data.iter().flat_map(BTreeMap::values) {
        bytes.extend_from_slice(&value.0);
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    format!("sha256:{}", hex::encode(digest.as_ref()))
}

/// Annotates a generated component config ConfigMap with [`component_config_hash`], as kubeadm
/// does for configs the user did not supply.
fn sign_config_map(cm: &mut ConfigMap) {
    let hash = component_config_hash(cm);
    cm.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(COMPONENT_CONFIG_HASH_ANNOTATION.to_string(), hash);
}

#[cfg(test)]
mod tests;
