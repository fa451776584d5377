//! Static Pod manifests (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)
//! as kubeadm builds them, `--patches`, and the kubelet's and kube-proxy's configuration.
//!
//! Pods are built with k8s-openapi types, turned into JSON values (so keys come out
//! sorted, as kubeadm's serializer sorts them), patched, and written as YAML.

pub mod args;
pub mod components;
mod control_plane;
mod etcd;
pub mod kubelet;
pub mod patches;
mod pod;
mod volumes;

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

pub use args::arguments_to_command;
pub use components::{
    Defaulted, apply_systemd_resolved, defaulted_kube_proxy_configuration,
    defaulted_kubelet_configuration, kube_proxy_configuration, kubelet_configuration,
};
pub use control_plane::{API_SERVER_ENDPOINT_ANNOTATION, control_plane_pod};
pub use etcd::{ETCD_CLIENT_URLS_ANNOTATION, EtcdMember, client_url, etcd_pod, peer_url};
pub use pod::proxy_env_from_process;
pub use volumes::CA_CERTS_EXTRA_DIRS;

use crate::config::constants::KUBELET_INSTANCE_CONFIG_FILE;
use crate::config::{ComponentConfig, InitConfig};
use crate::events::Events;
use crate::node::NodeRoot;
use patches::{
    KUBELET_CONFIGURATION, PatchError, PatchFile, PatchType, Patches, no_merge_keys, pod_lists,
};

/// The local etcd member's name, container and manifest file name.
pub const ETCD: &str = "etcd";

/// The three control-plane components kubeadm runs as static Pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ControlPlaneComponent {
    ApiServer,
    ControllerManager,
    Scheduler,
}

impl ControlPlaneComponent {
    pub const ALL: [ControlPlaneComponent; 3] = [
        ControlPlaneComponent::ApiServer,
        ControlPlaneComponent::ControllerManager,
        ControlPlaneComponent::Scheduler,
    ];

    /// The Pod, container, image and manifest name (`kube-apiserver`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ControlPlaneComponent::ApiServer => "kube-apiserver",
            ControlPlaneComponent::ControllerManager => "kube-controller-manager",
            ControlPlaneComponent::Scheduler => "kube-scheduler",
        }
    }
}

/// Why a manifest could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("etcd static Pod manifest cannot be generated for cluster using external etcd")]
    ExternalEtcd,
    #[error("{component}: environment variable {name:?} is not a valid EnvVar: {message}")]
    InvalidEnv {
        component: String,
        name: String,
        message: String,
    },
    #[error(transparent)]
    Patch(#[from] PatchError),
    #[error("{target}: the patched manifest is not a valid Pod: {message}")]
    PatchedNotPod { target: String, message: String },
    #[error("{target}: could not write YAML: {message}")]
    Yaml { target: String, message: String },
}

/// What the manifests take from the node beyond the configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeEnvironment {
    /// The `*_proxy` variables kubeadm passes on to the control-plane containers.
    pub proxy_env: Vec<crate::config::v1beta4::EnvVar>,
    /// The entries of [`CA_CERTS_EXTRA_DIRS`] that exist on the node.
    pub ca_cert_dirs: Vec<String>,
    /// The cluster CA's certificate is present without its key: certificates are signed elsewhere.
    pub external_ca: bool,
}

impl NodeEnvironment {
    /// Looks at this process's environment and at the node root. Like kubeadm's `os.Stat`
    /// checks, a path that cannot be looked at counts as absent.
    pub fn detect(root: &NodeRoot, cfg: &InitConfig) -> Self {
        let ca_cert_dirs = CA_CERTS_EXTRA_DIRS
            .iter()
            .filter(|dir| root.exists(dir).unwrap_or(false))
            .map(|dir| dir.to_string())
            .collect();
        let external_ca = matches!(root.exists(join_path(cfg.cert_dir(), "ca.crt")), Ok(true))
            && matches!(root.exists(join_path(cfg.cert_dir(), "ca.key")), Ok(false));
        NodeEnvironment {
            proxy_env: pod::proxy_env_from_process(),
            ca_cert_dirs,
            external_ca,
        }
    }
}

/// `dir/name`, without doubling a trailing slash.
fn join_path(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// `timeouts.controlPlaneComponentHealthCheck` (4m by default).
fn health_check_timeout(cfg: &InitConfig) -> Duration {
    cfg.timeouts()
        .control_plane_component_health_check
        .map_or(Duration::from_secs(240), |d| d.0)
}

/// `<manifests dir>/<name>.yaml`.
pub fn manifest_path(manifests_dir: &str, name: &str) -> String {
    join_path(manifests_dir, &format!("{name}.yaml"))
}

/// A Pod as kubeadm writes it: patched with the patches for `name` (if any), checked to
/// still be a Pod, and rendered as YAML.
pub fn render_static_pod(
    name: &str,
    pod: &Pod,
    patches: Option<&Patches>,
    events: &Events,
) -> Result<String, ManifestError> {
    let mut value = serde_json::to_value(pod).expect("Pods serialize");
    if let Some(patches) = patches {
        value = patches.apply(name, value, pod_lists, events)?;
        let patched: Pod =
            serde_json::from_value(value).map_err(|e| ManifestError::PatchedNotPod {
                target: name.to_string(),
                message: e.to_string(),
            })?;
        value = serde_json::to_value(&patched).expect("Pods serialize");
    }
    to_yaml(&value).map_err(|message| ManifestError::Yaml {
        target: name.to_string(),
        message,
    })
}

/// The kubelet's config.yaml: kubeadm's KubeletConfiguration, then the
/// `kubeletconfiguration` patches, then `instance-config.yaml` (NodeLocalCRISocket)
/// applied as a strategic merge patch, as kubeadm's `WriteConfigToDisk` does.
pub fn render_kubelet_config(
    config: ComponentConfig,
    patches: Option<&Patches>,
    instance_config: Option<&str>,
    events: &Events,
) -> Result<String, ManifestError> {
    let mut value = Value::Object(config);
    if let Some(patches) = patches {
        value = patches.apply(KUBELET_CONFIGURATION, value, no_merge_keys, events)?;
    }
    if let Some(text) = instance_config {
        let instance = PatchFile::parse(
            KUBELET_INSTANCE_CONFIG_FILE,
            KUBELET_CONFIGURATION,
            PatchType::Strategic,
            text,
        )?;
        value = Patches {
            files: vec![instance],
        }
        .apply(KUBELET_CONFIGURATION, value, no_merge_keys, events)?;
    }
    to_yaml(&value).map_err(|message| ManifestError::Yaml {
        target: KUBELET_CONFIGURATION.to_string(),
        message,
    })
}

/// YAML the way kubeadm writes it (go-yaml's key order and quoting), so a probe host such
/// as `192.168.0.10` or `::1` is written plain, byte for byte as kubeadm's.
pub fn to_yaml(value: &Value) -> Result<String, String> {
    crate::config::to_yaml(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
