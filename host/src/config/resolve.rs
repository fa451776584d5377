//! From a config file and command-line flags to the one `InitConfig` every phase uses.

use std::collections::BTreeMap;

use super::constants::*;
use super::defaults::{HostFacts, set_cluster_defaults, set_init_defaults, set_join_defaults};
use super::load::{Documents, Known};
use super::v1beta4::*;
use super::{ConfigError, InitConfig, validation};

/// Config-bound `init` flags. `Some` means the user set the flag.
#[derive(Clone, Debug, Default)]
pub struct InitOverrides {
    pub advertise_address: Option<String>,
    pub bind_port: Option<i32>,
    pub cert_extra_sans: Option<Vec<String>>,
    pub cert_dir: Option<String>,
    pub control_plane_endpoint: Option<String>,
    pub cri_socket: Option<String>,
    pub feature_gates: Option<String>,
    pub image_repository: Option<String>,
    pub kubernetes_version: Option<String>,
    pub node_name: Option<String>,
    pub pod_network_cidr: Option<String>,
    pub service_cidr: Option<String>,
    pub service_dns_domain: Option<String>,
    pub patches: Option<String>,
    pub ignore_preflight_errors: Vec<String>,
    pub skip_phases: Vec<String>,
    pub dry_run: bool,
}

impl InitOverrides {
    /// Flags that `--config` cannot be mixed with (kubeadm allows only a few beside it).
    fn config_bound(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        let mut check = |on: bool, name: &'static str| {
            if on {
                set.push(name);
            }
        };
        check(self.advertise_address.is_some(), "apiserver-advertise-address");
        check(self.bind_port.is_some(), "apiserver-bind-port");
        check(self.cert_extra_sans.is_some(), "apiserver-cert-extra-sans");
        check(self.cert_dir.is_some(), "cert-dir");
        check(self.control_plane_endpoint.is_some(), "control-plane-endpoint");
        check(self.cri_socket.is_some(), "cri-socket");
        check(self.feature_gates.is_some(), "feature-gates");
        check(self.image_repository.is_some(), "image-repository");
        check(self.kubernetes_version.is_some(), "kubernetes-version");
        check(self.pod_network_cidr.is_some(), "pod-network-cidr");
        check(self.service_cidr.is_some(), "service-cidr");
        check(self.service_dns_domain.is_some(), "service-dns-domain");
        check(self.patches.is_some(), "patches");
        set
    }
}

/// Parses `--feature-gates` (`Name=true,Other=false`).
pub fn parse_feature_gates(s: &str) -> Result<BTreeMap<String, bool>, ConfigError> {
    let mut gates = BTreeMap::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(ConfigError::field(
                "featureGates",
                format!("{pair:?} is not of the form Name=true|false"),
            ));
        };
        let v = v.trim().parse::<bool>().map_err(|_| {
            ConfigError::field(
                &format!("featureGates.{}", k.trim()),
                format!("{v:?} is not a boolean (true or false)"),
            )
        })?;
        gates.insert(k.trim().to_string(), v);
    }
    Ok(gates)
}

/// Release labels (`stable-1`, `stable`, `latest`) resolve offline to this build's version.
fn resolve_version_label(version: &mut String, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
    if super::parse_version(version).is_some() {
        return Ok(());
    }
    let ours = super::parse_version(KUBERNETES_VERSION).expect("built-in version parses");
    let label_minor = version
        .strip_prefix("stable-")
        .or_else(|| version.strip_prefix("latest-"))
        .and_then(|rest| rest.strip_prefix("1."))
        .and_then(|m| m.parse::<u64>().ok());
    let is_label = matches!(version.as_str(), "stable" | "stable-1" | "latest" | "latest-1") || label_minor == Some(ours.1);
    if !is_label {
        return Err(ConfigError::field(
            "kubernetesVersion",
            format!(
                "{version:?} is not a version kubeadm-rs can use: expected a version like {KUBERNETES_VERSION} \
                 or the label stable-1 (labels are resolved offline)"
            ),
        ));
    }
    warnings.push(format!(
        "kubernetesVersion {version:?} is a release label; kubeadm-rs resolves it offline to {KUBERNETES_VERSION}"
    ));
    *version = KUBERNETES_VERSION.to_string();
    Ok(())
}

/// Builds the init configuration: file (if any), then flags, then defaults, then validation.
/// Returns the configuration and warnings to show.
pub fn resolve_init(
    docs: Option<&Documents>,
    flags: &InitOverrides,
    facts: &dyn HostFacts,
) -> Result<(InitConfig, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let mut init = InitConfiguration::default();
    let mut cluster = ClusterConfiguration::default();
    let (mut kubelet, mut kube_proxy) = (None, None);

    if let Some(docs) = docs {
        let mixed = flags.config_bound();
        if !mixed.is_empty() {
            return Err(ConfigError::Invalid(vec![format!(
                "can not mix '--config' with arguments [{}]",
                mixed.join(", ")
            )]));
        }
        for known in docs.decode_all()? {
            match known {
                Known::Init(c) => init = c,
                Known::Cluster(c) => cluster = c,
                Known::Kubelet(c) => kubelet = Some(c),
                Known::KubeProxy(c) => kube_proxy = Some(c),
                Known::Join(_) => warnings.push(format!(
                    "{}: JoinConfiguration is not used by init; ignored",
                    docs.source
                )),
                Known::Other(w) => warnings.push(w),
            }
        }
    }

    apply_flags(&mut init, &mut cluster, flags)?;
    set_init_defaults(&mut init);
    set_cluster_defaults(&mut cluster);
    resolve_version_label(&mut cluster.kubernetes_version, &mut warnings)?;

    let reg = &mut init.node_registration;
    if reg.name.is_empty() {
        reg.name = facts
            .hostname()
            .map_err(|e| ConfigError::field("nodeRegistration.name", format!("not set and the host name is unknown: {e}")))?;
    }
    if reg.cri_socket.is_empty() {
        reg.cri_socket = DEFAULT_CRI_SOCKET.to_string();
    }
    if init.local_api_endpoint.advertise_address.is_empty() {
        init.local_api_endpoint.advertise_address = facts.default_address().map_err(|e| {
            ConfigError::field(
                "localAPIEndpoint.advertiseAddress",
                format!("not set and could not be chosen from the default route ({e}); pass --apiserver-advertise-address"),
            )
        })?;
    }
    for token in &mut init.bootstrap_tokens {
        if token.token.is_empty() {
            token.token = facts.new_token();
            if token.description.is_empty() {
                token.description = DEFAULT_TOKEN_DESCRIPTION.to_string();
            }
        }
    }

    let cfg = InitConfig {
        init,
        cluster,
        kubelet,
        kube_proxy,
    };
    warnings.extend(validation::validate_init(&cfg)?);
    Ok((cfg, warnings))
}

fn apply_flags(init: &mut InitConfiguration, cluster: &mut ClusterConfiguration, f: &InitOverrides) -> Result<(), ConfigError> {
    if let Some(v) = &f.advertise_address {
        init.local_api_endpoint.advertise_address = v.clone();
    }
    if let Some(v) = f.bind_port {
        init.local_api_endpoint.bind_port = v;
    }
    if let Some(v) = &f.cert_extra_sans {
        cluster.api_server.cert_sans = v.clone();
    }
    if let Some(v) = &f.cert_dir {
        cluster.certificates_dir = v.clone();
    }
    if let Some(v) = &f.control_plane_endpoint {
        cluster.control_plane_endpoint = v.clone();
    }
    if let Some(v) = &f.cri_socket {
        init.node_registration.cri_socket = v.clone();
    }
    if let Some(v) = &f.feature_gates {
        cluster.feature_gates = parse_feature_gates(v)?;
    }
    if let Some(v) = &f.image_repository {
        cluster.image_repository = v.clone();
    }
    if let Some(v) = &f.kubernetes_version {
        cluster.kubernetes_version = v.clone();
    }
    if let Some(v) = &f.node_name {
        init.node_registration.name = v.clone();
    }
    if let Some(v) = &f.pod_network_cidr {
        cluster.networking.pod_subnet = v.clone();
    }
    if let Some(v) = &f.service_cidr {
        cluster.networking.service_subnet = v.clone();
    }
    if let Some(v) = &f.service_dns_domain {
        cluster.networking.dns_domain = v.clone();
    }
    if let Some(v) = &f.patches {
        init.patches = Some(Patches { directory: v.clone() });
    }
    init.node_registration
        .ignore_preflight_errors
        .extend(f.ignore_preflight_errors.iter().cloned());
    if !f.skip_phases.is_empty() {
        init.skip_phases = f.skip_phases.clone();
    }
    init.dry_run |= f.dry_run;
    Ok(())
}

/// Builds a JoinConfiguration from a file, defaulted and validated.
pub fn resolve_join(docs: &Documents) -> Result<(JoinConfiguration, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let mut join = None;
    for known in docs.decode_all()? {
        match known {
            Known::Join(c) => join = Some(c),
            Known::Other(w) => warnings.push(w),
            Known::Init(_) | Known::Cluster(_) | Known::Kubelet(_) | Known::KubeProxy(_) => {}
        }
    }
    let mut join = join.ok_or_else(|| ConfigError::Decode {
        location: docs.source.clone(),
        message: "no JoinConfiguration document found".into(),
    })?;
    set_join_defaults(&mut join);
    warnings.extend(validation::validate_join(&join)?);
    Ok((join, warnings))
}
