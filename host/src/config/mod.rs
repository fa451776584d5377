//! kubeadm's configuration API: `kubeadm.k8s.io/v1beta4` (and `v1beta3`, converted on load),
//! multi-document files with component configs, upstream defaults, strict decoding, validation.

mod component_fields;
pub mod constants;
mod defaults;
mod duration;
mod file;
mod load;
pub mod plugins;
mod print;
pub mod reset;
mod resolve;
mod scalars;
pub mod upgrade;
pub mod v1beta3;
pub mod v1beta4;
pub mod validation;

#[cfg(test)]
mod tests;

use std::net::IpAddr;

pub use defaults::{
    HostFacts, default_cluster_configuration, default_init_configuration,
    default_join_configuration,
};
pub use duration::{DurationError, GoDuration};
pub use file::{MAX_CONFIG_BYTES, open_bounded, read_bounded, read_config_file, read_opened};
pub use load::{Document, Documents, load_documents};
pub use plugins::PluginConfiguration;
pub use print::{
    ComponentDefaults, ComponentKind, migrate, parse_component_kinds, print_init_defaults,
    print_join_defaults, to_yaml, validate_file,
};
pub use resolve::{
    InitOverrides, JoinConfig, JoinOverrides, control_plane_taint, join_init_config,
    parse_extra_args, parse_feature_gates, plugin_configuration, resolve_init, resolve_join,
};
pub use v1beta4::{ClusterConfiguration, InitConfiguration, JoinConfiguration};

use constants::*;

pub const KUBELET_CONFIG_GROUP_VERSION: &str = "kubelet.config.k8s.io/v1beta1";
pub const KUBE_PROXY_CONFIG_GROUP_VERSION: &str = "kubeproxy.config.k8s.io/v1alpha1";

/// A configuration problem: a field path (or document) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The YAML could not be decoded into the kind it names.
    #[error("{location}: {message}")]
    Decode { location: String, message: String },
    /// One or more fields failed validation; each entry reads `field: problem`.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl ConfigError {
    pub fn field(path: &str, message: impl std::fmt::Display) -> Self {
        ConfigError::Invalid(vec![format!("{path}: {message}")])
    }
}

/// A component configuration passed through to its component (kubelet, kube-proxy), as a JSON
/// object so kubeadm's enforced fields can be set on it.
pub type ComponentConfig = serde_json::Map<String, serde_json::Value>;

/// Everything `init` works from: the node's InitConfiguration, the ClusterConfiguration and the
/// component configs, defaulted and validated.
#[derive(Clone, Debug, PartialEq)]
pub struct InitConfig {
    pub init: InitConfiguration,
    pub cluster: ClusterConfiguration,
    pub kubelet: Option<ComponentConfig>,
    pub kube_proxy: Option<ComponentConfig>,
    /// kubeadm-rs's `PluginConfiguration`, when the config file has one.
    pub plugins: Option<PluginConfiguration>,
}

/// The key algorithms `encryptionAlgorithm` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncryptionAlgorithm {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcdsaP256,
    EcdsaP384,
}

impl EncryptionAlgorithm {
    pub const NAMES: [&'static str; 5] = [
        "RSA-2048",
        "RSA-3072",
        "RSA-4096",
        "ECDSA-P256",
        "ECDSA-P384",
    ];

    pub fn name(self) -> &'static str {
        match self {
            EncryptionAlgorithm::Rsa2048 => "RSA-2048",
            EncryptionAlgorithm::Rsa3072 => "RSA-3072",
            EncryptionAlgorithm::Rsa4096 => "RSA-4096",
            EncryptionAlgorithm::EcdsaP256 => "ECDSA-P256",
            EncryptionAlgorithm::EcdsaP384 => "ECDSA-P384",
        }
    }

    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            EncryptionAlgorithm::Rsa2048
                | EncryptionAlgorithm::Rsa3072
                | EncryptionAlgorithm::Rsa4096
        )
    }
}

impl std::str::FromStr for EncryptionAlgorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "RSA-2048" => EncryptionAlgorithm::Rsa2048,
            "RSA-3072" => EncryptionAlgorithm::Rsa3072,
            "RSA-4096" => EncryptionAlgorithm::Rsa4096,
            "ECDSA-P256" => EncryptionAlgorithm::EcdsaP256,
            "ECDSA-P384" => EncryptionAlgorithm::EcdsaP384,
            other => {
                return Err(format!(
                    "{other:?} is not a supported encryption algorithm; expected one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        })
    }
}

impl InitConfig {
    pub fn node_name(&self) -> &str {
        &self.init.node_registration.name
    }

    /// The advertise address; validation guarantees it parses.
    pub fn advertise_address(&self) -> IpAddr {
        self.init
            .local_api_endpoint
            .advertise_address
            .parse()
            .expect("advertiseAddress is validated before use")
    }

    pub fn bind_port(&self) -> u16 {
        self.init.local_api_endpoint.bind_port as u16
    }

    pub fn cert_dir(&self) -> &str {
        &self.cluster.certificates_dir
    }

    pub fn encryption_algorithm(&self) -> EncryptionAlgorithm {
        self.cluster
            .encryption_algorithm
            .parse()
            .expect("encryptionAlgorithm is validated before use")
    }

    pub fn is_external_etcd(&self) -> bool {
        self.cluster.etcd.external.is_some()
    }

    pub fn local_etcd(&self) -> Option<&v1beta4::LocalEtcd> {
        self.cluster.etcd.local.as_ref()
    }

    pub fn feature_enabled(&self, gate: &str) -> bool {
        self.cluster
            .feature_gates
            .get(gate)
            .copied()
            .unwrap_or_else(|| {
                FEATURE_GATES
                    .iter()
                    .find(|(name, _)| *name == gate)
                    .is_some_and(|(_, on)| *on)
            })
    }

    /// The service CIDRs (dual-stack allows two, comma-separated).
    pub fn service_subnets(&self) -> Vec<ipnet::IpNet> {
        parse_cidrs(&self.cluster.networking.service_subnet)
    }

    /// The first address of the first service CIDR: the `kubernetes` Service's cluster IP.
    pub fn api_server_service_ip(&self) -> IpAddr {
        nth_address(&self.service_subnets()[0], 1)
    }

    /// The tenth address of the first service CIDR: the cluster DNS Service's IP.
    pub fn dns_service_ip(&self) -> IpAddr {
        nth_address(&self.service_subnets()[0], 10)
    }

    /// `https://host:port` of the control-plane endpoint, or of this node's API endpoint.
    pub fn control_plane_url(&self) -> String {
        let endpoint = &self.cluster.control_plane_endpoint;
        if endpoint.is_empty() {
            return self.local_api_url();
        }
        let has_port = match endpoint.rsplit_once(':') {
            Some((host, port)) => {
                port.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']'))
            }
            None => false,
        };
        if has_port {
            format!("https://{endpoint}")
        } else if endpoint.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("https://[{endpoint}]:{}", self.bind_port())
        } else {
            format!("https://{endpoint}:{}", self.bind_port())
        }
    }

    /// `https://advertiseAddress:bindPort`: how components on this node reach its API server.
    pub fn local_api_url(&self) -> String {
        format!(
            "https://{}",
            host_port(self.advertise_address(), self.bind_port())
        )
    }

    /// The Kubernetes version as `(major, minor, patch)`; validation guarantees it parses.
    pub fn kubernetes_version(&self) -> (u64, u64, u64) {
        parse_version(&self.cluster.kubernetes_version)
            .expect("kubernetesVersion is validated before use")
    }

    pub fn image_repository(&self) -> &str {
        &self.cluster.image_repository
    }

    /// `<repo>/<name>:<kubernetesVersion>` for a core control-plane image.
    pub fn control_plane_image(&self, name: &str) -> String {
        format!(
            "{}/{name}:{}",
            self.image_repository(),
            self.cluster.kubernetes_version.replace('+', "_")
        )
    }

    pub fn etcd_image(&self) -> String {
        let local = self.local_etcd();
        let repo = local
            .map(|l| l.image_repository.as_str())
            .filter(|r| !r.is_empty())
            .unwrap_or(self.image_repository());
        format!("{repo}/etcd:{}", self.etcd_version_tag())
    }

    /// The etcd image tag: `etcd.local.imageTag`, or the version kubeadm pairs with this release.
    pub fn etcd_version_tag(&self) -> String {
        self.local_etcd()
            .map(|l| l.image_tag.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| DEFAULT_ETCD_VERSION.to_string())
    }

    pub fn coredns_image(&self) -> String {
        let dns = &self.cluster.dns;
        let mut repo = if dns.image_repository.is_empty() {
            self.image_repository().to_string()
        } else {
            dns.image_repository.clone()
        };
        // The official image moved to registry.k8s.io/coredns/coredns; mirrors keep the old path.
        if repo == DEFAULT_IMAGE_REPOSITORY {
            repo.push_str("/coredns");
        }
        let tag = if dns.image_tag.is_empty() {
            COREDNS_VERSION
        } else {
            &dns.image_tag
        };
        format!("{repo}/coredns:{tag}")
    }

    pub fn pause_image(&self) -> String {
        format!("{}/pause:{PAUSE_VERSION}", self.image_repository())
    }

    /// The images `config images list` prints, in kubeadm's order.
    pub fn images(&self) -> Vec<String> {
        let mut images = vec![
            self.control_plane_image("kube-apiserver"),
            self.control_plane_image("kube-controller-manager"),
            self.control_plane_image("kube-scheduler"),
            self.control_plane_image("kube-proxy"),
            self.coredns_image(),
            self.pause_image(),
        ];
        if !self.is_external_etcd() {
            images.push(self.etcd_image());
        }
        images
    }

    /// The effective `--ignore-preflight-errors` set from config (lower-cased).
    pub fn ignore_preflight_errors(&self) -> Vec<String> {
        self.init
            .node_registration
            .ignore_preflight_errors
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect()
    }

    pub fn timeouts(&self) -> v1beta4::Timeouts {
        self.init.timeouts.clone().unwrap_or_default()
    }

    /// `timeouts.kubernetesAPICall`: how long one API call may keep failing transiently.
    pub fn api_call_timeout(&self) -> std::time::Duration {
        self.timeouts()
            .kubernetes_api_call
            .map_or(constants::DEFAULT_API_TIMEOUT, |d| d.0)
    }

    pub fn patches_dir(&self) -> Option<&str> {
        self.init
            .patches
            .as_ref()
            .map(|p| p.directory.as_str())
            .filter(|d| !d.is_empty())
    }
}

/// `host:port`, bracketing IPv6 hosts.
pub fn host_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// Comma-separated CIDRs; entries that do not parse are left out (validation reports them).
pub fn parse_cidrs(s: &str) -> Vec<ipnet::IpNet> {
    s.split(',').filter_map(|c| c.trim().parse().ok()).collect()
}

/// The `n`th address of a network (0 is the network address itself).
pub fn nth_address(net: &ipnet::IpNet, n: u128) -> IpAddr {
    match net {
        ipnet::IpNet::V4(v4) => IpAddr::V4((u32::from(v4.network()).wrapping_add(n as u32)).into()),
        ipnet::IpNet::V6(v6) => IpAddr::V6((u128::from(v6.network()).wrapping_add(n)).into()),
    }
}

/// Parses `v1.34.2` (with optional pre-release or build suffix) into numbers.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.strip_prefix('v')?;
    let core = core.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}
