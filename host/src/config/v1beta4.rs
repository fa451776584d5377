//! `kubeadm.k8s.io/v1beta4`: the current config API, and the shape the rest of the tool uses.
//! Field names, nesting and omission rules follow upstream's Go types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::duration::GoDuration;
use super::scalars;

pub const GROUP_VERSION: &str = "kubeadm.k8s.io/v1beta4";

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// `{name, value}`: v1beta4's ordered, repeatable form of component arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arg {
    pub name: String,
    pub value: String,
}

/// A core/v1 EnvVar with a literal value (valueFrom is passed through as given).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostPathMount {
    pub name: String,
    pub host_path: String,
    pub mount_path: String,
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "scalars::bool"
    )]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path_type: String,
}

/// Extra arguments, volumes and environment of one control-plane component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ControlPlaneComponent {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_args: Vec<Arg>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_volumes: Vec<HostPathMount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_envs: Vec<EnvVar>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiServer {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_args: Vec<Arg>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_volumes: Vec<HostPathMount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_envs: Vec<EnvVar>,
    #[serde(rename = "certSANs", skip_serializing_if = "Vec::is_empty")]
    pub cert_sans: Vec<String>,
}

impl ApiServer {
    pub fn component(&self) -> ControlPlaneComponent {
        ControlPlaneComponent {
            extra_args: self.extra_args.clone(),
            extra_volumes: self.extra_volumes.clone(),
            extra_envs: self.extra_envs.clone(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalEtcd {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_repository: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_tag: String,
    pub data_dir: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_args: Vec<Arg>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_envs: Vec<EnvVar>,
    #[serde(rename = "serverCertSANs", skip_serializing_if = "Vec::is_empty")]
    pub server_cert_sans: Vec<String>,
    #[serde(rename = "peerCertSANs", skip_serializing_if = "Vec::is_empty")]
    pub peer_cert_sans: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalEtcd {
    pub endpoints: Vec<String>,
    #[serde(rename = "caFile")]
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Etcd {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalEtcd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalEtcd>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Networking {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service_subnet: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_subnet: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dns_domain: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Dns {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_repository: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_tag: String,
    #[serde(skip_serializing_if = "is_false", deserialize_with = "scalars::bool")]
    pub disabled: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Proxy {
    #[serde(skip_serializing_if = "is_false", deserialize_with = "scalars::bool")]
    pub disabled: bool,
}

/// ClusterConfiguration: what is shared by every node of the cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterConfiguration {
    pub api_version: String,
    pub kind: String,
    pub etcd: Etcd,
    pub networking: Networking,
    pub kubernetes_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub control_plane_endpoint: String,
    #[serde(rename = "apiServer")]
    pub api_server: ApiServer,
    pub controller_manager: ControlPlaneComponent,
    pub scheduler: ControlPlaneComponent,
    pub dns: Dns,
    pub proxy: Proxy,
    pub certificates_dir: String,
    pub image_repository: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    pub cluster_name: String,
    pub encryption_algorithm: String,
    pub certificate_validity_period: Option<GoDuration>,
    pub ca_certificate_validity_period: Option<GoDuration>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Taint {
    pub key: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    pub effect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_added: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeRegistrationOptions {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cri_socket: String,
    /// `None` means "the default control-plane taint"; `Some([])` means no taints (no omitempty upstream).
    pub taints: Option<Vec<Taint>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubelet_extra_args: Vec<Arg>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_preflight_errors: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_pull_policy: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "scalars::opt_bool"
    )]
    pub image_pull_serial: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiEndpoint {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub advertise_address: String,
    #[serde(skip_serializing_if = "is_zero", deserialize_with = "scalars::int")]
    pub bind_port: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct BootstrapToken {
    pub token: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub usages: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Patches {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub directory: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Timeouts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_plane_component_health_check: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubelet_health_check: Option<GoDuration>,
    #[serde(rename = "kubernetesAPICall", skip_serializing_if = "Option::is_none")]
    pub kubernetes_api_call: Option<GoDuration>,
    #[serde(rename = "etcdAPICall", skip_serializing_if = "Option::is_none")]
    pub etcd_api_call: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_bootstrap: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_manifests: Option<GoDuration>,
}

/// InitConfiguration: what is specific to the node running `init`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct InitConfiguration {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bootstrap_tokens: Vec<BootstrapToken>,
    #[serde(skip_serializing_if = "is_false", deserialize_with = "scalars::bool")]
    pub dry_run: bool,
    pub node_registration: NodeRegistrationOptions,
    #[serde(rename = "localAPIEndpoint")]
    pub local_api_endpoint: ApiEndpoint,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub certificate_key: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_phases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patches: Option<Patches>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct BootstrapTokenDiscovery {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub token: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_server_endpoint: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ca_cert_hashes: Vec<String>,
    #[serde(
        rename = "unsafeSkipCAVerification",
        skip_serializing_if = "is_false",
        deserialize_with = "scalars::bool"
    )]
    pub unsafe_skip_ca_verification: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct FileDiscovery {
    pub kube_config_path: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Discovery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap_token: Option<BootstrapTokenDiscovery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileDiscovery>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tls_bootstrap_token: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct JoinControlPlane {
    #[serde(rename = "localAPIEndpoint")]
    pub local_api_endpoint: ApiEndpoint,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub certificate_key: String,
}

/// JoinConfiguration: what a joining node needs (parsed and defaulted; used by `join`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct JoinConfiguration {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "is_false", deserialize_with = "scalars::bool")]
    pub dry_run: bool,
    pub node_registration: NodeRegistrationOptions,
    pub ca_cert_path: String,
    pub discovery: Discovery,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<JoinControlPlane>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_phases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patches: Option<Patches>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
}
