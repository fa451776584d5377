//! `kubeadm.k8s.io/v1beta3`: still accepted, converted to v1beta4 on load as upstream's conversion
//! functions do (maps of extra args become sorted `{name, value}` lists; `apiServer.timeoutForControlPlane`
//! and `discovery.timeout` move to `timeouts`; the PublicKeysECDSA gate selects ECDSA-P256).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::duration::GoDuration;
use super::v1beta4 as v4;

pub const GROUP_VERSION: &str = "kubeadm.k8s.io/v1beta3";

fn args(map: BTreeMap<String, String>) -> Vec<v4::Arg> {
    map.into_iter()
        .map(|(name, value)| v4::Arg { name, value })
        .collect()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ControlPlaneComponent {
    pub extra_args: BTreeMap<String, String>,
    pub extra_volumes: Vec<v4::HostPathMount>,
}

impl ControlPlaneComponent {
    fn convert(self) -> v4::ControlPlaneComponent {
        v4::ControlPlaneComponent {
            extra_args: args(self.extra_args),
            extra_volumes: self.extra_volumes,
            extra_envs: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiServer {
    pub extra_args: BTreeMap<String, String>,
    pub extra_volumes: Vec<v4::HostPathMount>,
    #[serde(rename = "certSANs")]
    pub cert_sans: Vec<String>,
    pub timeout_for_control_plane: Option<GoDuration>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalEtcd {
    pub image_repository: String,
    pub image_tag: String,
    pub data_dir: String,
    pub extra_args: BTreeMap<String, String>,
    #[serde(rename = "serverCertSANs")]
    pub server_cert_sans: Vec<String>,
    #[serde(rename = "peerCertSANs")]
    pub peer_cert_sans: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Etcd {
    pub local: Option<LocalEtcd>,
    pub external: Option<v4::ExternalEtcd>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Dns {
    pub image_repository: String,
    pub image_tag: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterConfiguration {
    pub api_version: String,
    pub kind: String,
    pub etcd: Etcd,
    pub networking: v4::Networking,
    pub kubernetes_version: String,
    pub control_plane_endpoint: String,
    #[serde(rename = "apiServer")]
    pub api_server: ApiServer,
    pub controller_manager: ControlPlaneComponent,
    pub scheduler: ControlPlaneComponent,
    pub dns: Dns,
    pub certificates_dir: String,
    pub image_repository: String,
    pub feature_gates: BTreeMap<String, bool>,
    pub cluster_name: String,
}

impl ClusterConfiguration {
    pub fn convert(self) -> v4::ClusterConfiguration {
        // v1beta4 replaced the PublicKeysECDSA gate with encryptionAlgorithm; the gate stays (deprecated,
        // still honoured) so the converted file means what the old one did.
        let ecdsa = self
            .feature_gates
            .get("PublicKeysECDSA")
            .copied()
            .unwrap_or(false);
        v4::ClusterConfiguration {
            api_version: v4::GROUP_VERSION.into(),
            kind: "ClusterConfiguration".into(),
            etcd: v4::Etcd {
                local: self.etcd.local.map(|l| v4::LocalEtcd {
                    image_repository: l.image_repository,
                    image_tag: l.image_tag,
                    data_dir: l.data_dir,
                    extra_args: args(l.extra_args),
                    extra_envs: Vec::new(),
                    server_cert_sans: l.server_cert_sans,
                    peer_cert_sans: l.peer_cert_sans,
                }),
                external: self.etcd.external,
            },
            networking: self.networking,
            kubernetes_version: self.kubernetes_version,
            control_plane_endpoint: self.control_plane_endpoint,
            api_server: v4::ApiServer {
                extra_args: args(self.api_server.extra_args),
                extra_volumes: self.api_server.extra_volumes,
                extra_envs: Vec::new(),
                cert_sans: self.api_server.cert_sans,
            },
            controller_manager: self.controller_manager.convert(),
            scheduler: self.scheduler.convert(),
            dns: v4::Dns {
                image_repository: self.dns.image_repository,
                image_tag: self.dns.image_tag,
                disabled: false,
            },
            proxy: v4::Proxy::default(),
            certificates_dir: self.certificates_dir,
            image_repository: self.image_repository,
            feature_gates: self.feature_gates,
            cluster_name: self.cluster_name,
            encryption_algorithm: if ecdsa {
                "ECDSA-P256".into()
            } else {
                String::new()
            },
            certificate_validity_period: None,
            ca_certificate_validity_period: None,
        }
    }

    /// v1beta3 kept the control-plane wait timeout here; v1beta4 moved it to
    /// `InitConfiguration.timeouts.controlPlaneComponentHealthCheck` (a zero value is ignored, as upstream).
    pub fn timeout_for_control_plane(&self) -> Option<GoDuration> {
        self.api_server
            .timeout_for_control_plane
            .filter(|d| !d.is_zero())
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeRegistrationOptions {
    pub name: String,
    pub cri_socket: String,
    pub taints: Option<Vec<v4::Taint>>,
    pub kubelet_extra_args: BTreeMap<String, String>,
    pub ignore_preflight_errors: Vec<String>,
    pub image_pull_policy: String,
}

impl NodeRegistrationOptions {
    fn convert(self) -> v4::NodeRegistrationOptions {
        v4::NodeRegistrationOptions {
            name: self.name,
            cri_socket: self.cri_socket,
            taints: self.taints,
            kubelet_extra_args: args(self.kubelet_extra_args),
            ignore_preflight_errors: self.ignore_preflight_errors,
            image_pull_policy: self.image_pull_policy,
            image_pull_serial: Some(true),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct InitConfiguration {
    pub api_version: String,
    pub kind: String,
    pub bootstrap_tokens: Vec<v4::BootstrapToken>,
    pub node_registration: NodeRegistrationOptions,
    #[serde(rename = "localAPIEndpoint")]
    pub local_api_endpoint: v4::ApiEndpoint,
    pub certificate_key: String,
    pub skip_phases: Vec<String>,
    pub patches: Option<v4::Patches>,
}

impl InitConfiguration {
    pub fn convert(self) -> v4::InitConfiguration {
        v4::InitConfiguration {
            api_version: v4::GROUP_VERSION.into(),
            kind: "InitConfiguration".into(),
            bootstrap_tokens: self.bootstrap_tokens,
            dry_run: false,
            node_registration: self.node_registration.convert(),
            local_api_endpoint: self.local_api_endpoint,
            certificate_key: self.certificate_key,
            skip_phases: self.skip_phases,
            patches: self.patches,
            timeouts: None,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Discovery {
    pub bootstrap_token: Option<v4::BootstrapTokenDiscovery>,
    pub file: Option<v4::FileDiscovery>,
    pub tls_bootstrap_token: String,
    pub timeout: Option<GoDuration>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct JoinConfiguration {
    pub api_version: String,
    pub kind: String,
    pub node_registration: NodeRegistrationOptions,
    pub ca_cert_path: String,
    pub discovery: Discovery,
    pub control_plane: Option<v4::JoinControlPlane>,
    pub skip_phases: Vec<String>,
    pub patches: Option<v4::Patches>,
}

impl JoinConfiguration {
    pub fn convert(self) -> v4::JoinConfiguration {
        v4::JoinConfiguration {
            api_version: v4::GROUP_VERSION.into(),
            kind: "JoinConfiguration".into(),
            dry_run: false,
            node_registration: self.node_registration.convert(),
            ca_cert_path: self.ca_cert_path,
            discovery: v4::Discovery {
                bootstrap_token: self.discovery.bootstrap_token,
                file: self.discovery.file,
                tls_bootstrap_token: self.discovery.tls_bootstrap_token,
            },
            control_plane: self.control_plane,
            skip_phases: self.skip_phases,
            patches: self.patches,
            timeouts: self.discovery.timeout.map(|d| v4::Timeouts {
                discovery: Some(d),
                ..Default::default()
            }),
        }
    }
}
