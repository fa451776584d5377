//! From a config file and command-line flags to the one `InitConfig` (or `JoinConfig`) every
//! phase uses: file or flags, then static defaults, then kubeadm's dynamic defaults, then validation.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::constants::*;
use super::defaults::{HostFacts, set_cluster_defaults, set_init_defaults, set_join_defaults};
use super::duration::GoDuration;
use super::load::{Documents, Known};
use super::plugins::PluginConfiguration;
use super::v1beta4::*;
use super::validation::syntax;
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
    /// `--apiserver-extra-args` and friends (phase subcommands only): `name=value` pairs that
    /// replace same-named extra args from the config.
    pub apiserver_extra_args: Option<Vec<Arg>>,
    pub controller_manager_extra_args: Option<Vec<Arg>>,
    pub scheduler_extra_args: Option<Vec<Arg>>,
    pub ignore_preflight_errors: Vec<String>,
    pub skip_phases: Vec<String>,
    pub dry_run: bool,
    /// `--token`, `--token-ttl`: the first bootstrap token.
    pub token: Option<String>,
    pub token_ttl: Option<GoDuration>,
    /// `--certificate-key`: the key `upload-certs` encrypts with.
    pub certificate_key: Option<String>,
}

/// Parses kubeadm's `mapStringString` flag form: `name=value[,name=value...]`.
pub fn parse_extra_args(flag: &str, s: &str) -> Result<Vec<Arg>, ConfigError> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => Ok(Arg {
                name: name.trim().to_string(),
                value: value.to_string(),
            }),
            _ => Err(ConfigError::Invalid(vec![format!(
                "--{flag}: {pair:?} is not of the form name=value"
            )])),
        })
        .collect()
}

/// Puts flag-given args over the config's: each replaces every config arg of the same name.
fn override_args(args: &mut Vec<Arg>, extra: &Option<Vec<Arg>>) {
    if let Some(extra) = extra {
        args.retain(|a| !extra.iter().any(|e| e.name == a.name));
        args.extend(extra.iter().cloned());
    }
}

/// Collects the names of set flags, sorted as kubeadm lists them.
fn set_flags(flags: &[(bool, &'static str)]) -> Vec<&'static str> {
    let mut set: Vec<&'static str> = flags
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
    set.sort_unstable();
    set
}

/// kubeadm's ValidateMixedArguments: only a few flags may be given beside `--config`.
fn reject_mixed(flags: Vec<&'static str>) -> Result<(), ConfigError> {
    if flags.is_empty() {
        return Ok(());
    }
    Err(ConfigError::Invalid(vec![format!(
        "can not mix '--config' with arguments [{}]",
        flags.join(" ")
    )]))
}

impl InitOverrides {
    /// Flags that `--config` cannot be mixed with (kubeadm allows only a few beside it).
    fn config_bound(&self) -> Vec<&'static str> {
        set_flags(&[
            (
                self.advertise_address.is_some(),
                "apiserver-advertise-address",
            ),
            (self.bind_port.is_some(), "apiserver-bind-port"),
            (self.cert_extra_sans.is_some(), "apiserver-cert-extra-sans"),
            (self.cert_dir.is_some(), "cert-dir"),
            (
                self.control_plane_endpoint.is_some(),
                "control-plane-endpoint",
            ),
            (self.cri_socket.is_some(), "cri-socket"),
            (self.feature_gates.is_some(), "feature-gates"),
            (self.image_repository.is_some(), "image-repository"),
            (self.kubernetes_version.is_some(), "kubernetes-version"),
            (self.pod_network_cidr.is_some(), "pod-network-cidr"),
            (self.service_cidr.is_some(), "service-cidr"),
            (self.service_dns_domain.is_some(), "service-dns-domain"),
            (self.patches.is_some(), "patches"),
            (self.apiserver_extra_args.is_some(), "apiserver-extra-args"),
            (
                self.controller_manager_extra_args.is_some(),
                "controller-manager-extra-args",
            ),
            (self.scheduler_extra_args.is_some(), "scheduler-extra-args"),
            (self.token.is_some(), "token"),
            (self.token_ttl.is_some(), "token-ttl"),
            (self.certificate_key.is_some(), "certificate-key"),
        ])
    }
}

/// Parses `--feature-gates` (`Name=true,Other=false`) as kubeadm's NewFeatureGate does; whether the
/// names are known is checked by validation, with everything else.
pub fn parse_feature_gates(s: &str) -> Result<BTreeMap<String, bool>, ConfigError> {
    let mut gates = BTreeMap::new();
    for pair in s.split(',').filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(ConfigError::field(
                "featureGates",
                format!("{pair:?} is missing a bool value; expected Name=true|false"),
            ));
        };
        let (k, v) = (k.trim(), v.trim());
        let v = syntax::parse_go_bool(v).ok_or_else(|| {
            ConfigError::field(
                &format!("featureGates.{k}"),
                format!("{v:?} is not a boolean; expected true or false"),
            )
        })?;
        gates.insert(k.to_string(), v);
    }
    Ok(gates)
}

/// Versions without the `v` are accepted and normalised; release labels (`stable-1`, `stable`,
/// `latest`) resolve offline to this build's version, with a warning.
fn resolve_version_label(
    version: &mut String,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    if super::parse_version(version).is_some() {
        return Ok(());
    }
    if super::parse_version(&format!("v{version}")).is_some() {
        version.insert(0, 'v');
        return Ok(());
    }
    let ours = super::parse_version(KUBERNETES_VERSION).expect("built-in version parses");
    let label_minor = version
        .strip_prefix("stable-")
        .or_else(|| version.strip_prefix("latest-"))
        .and_then(|rest| rest.strip_prefix("1."))
        .and_then(|m| m.parse::<u64>().ok());
    let is_label = matches!(
        version.as_str(),
        "stable" | "stable-1" | "latest" | "latest-1"
    ) || label_minor == Some(ours.1);
    if !is_label {
        return Err(ConfigError::field(
            "kubernetesVersion",
            format!(
                "{version:?} is not a version kubeadm-rs can use; expected a version like {KUBERNETES_VERSION} \
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
    let (mut kubelet, mut kube_proxy, mut plugins) = (None, None, None);

    if let Some(docs) = docs {
        reject_mixed(flags.config_bound())?;
        let decoded = docs.decode_all()?;
        warnings.extend(decoded.deprecations);
        warnings.extend(decoded.strict);
        let (mut has_init, mut has_cluster, mut control_plane_timeout) = (false, false, None);
        for (_, known) in decoded.items {
            match known {
                Known::Init(c) => (init, has_init) = (*c, true),
                Known::Cluster {
                    config,
                    control_plane_timeout: timeout,
                } => (cluster, has_cluster, control_plane_timeout) = (*config, true, timeout),
                Known::Kubelet(c) => kubelet = Some(c),
                Known::KubeProxy(c) => kube_proxy = Some(c),
                Known::Plugins(p) => plugins = Some(*p),
                Known::Join(_) => warnings.push(format!(
                    "{}: JoinConfiguration is not used by init; ignored",
                    docs.source
                )),
                Known::Unused(w) => warnings.push(w),
                Known::Unknown {
                    location,
                    api_version,
                } => warnings.push(Known::unknown_warning(&location, &api_version)),
            }
        }
        if !has_init && !has_cluster {
            return Err(ConfigError::Decode {
                location: docs.source.clone(),
                message: "no InitConfiguration or ClusterConfiguration kind was found in the configuration file".into(),
            });
        }
        if let Some(timeout) = control_plane_timeout {
            init.timeouts
                .get_or_insert_with(Timeouts::default)
                .control_plane_component_health_check = Some(timeout);
        }
    }

    apply_flags(&mut init, &mut cluster, flags)?;
    set_init_defaults(&mut init);
    set_cluster_defaults(&mut cluster);
    set_init_dynamic_defaults(&mut init, &mut cluster, facts, &mut warnings)?;

    let cfg = InitConfig {
        init,
        cluster,
        kubelet,
        kube_proxy,
        plugins,
    };
    warnings.extend(validation::validate_init(&cfg)?);
    Ok((cfg, warnings))
}

/// kubeadm's SetInitDynamicDefaults: values that come from the host or from other fields.
fn set_init_dynamic_defaults(
    init: &mut InitConfiguration,
    cluster: &mut ClusterConfiguration,
    facts: &dyn HostFacts,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    for token in &mut init.bootstrap_tokens {
        if token.token.is_empty() {
            token.token = facts.new_token();
            if token.description.is_empty() {
                token.description = DEFAULT_TOKEN_DESCRIPTION.to_string();
            }
        }
    }
    set_node_registration_dynamic_defaults(&mut init.node_registration, true, facts, warnings)?;
    set_advertise_address(
        &mut init.local_api_endpoint,
        "localAPIEndpoint.advertiseAddress",
        facts,
    )?;
    resolve_version_label(&mut cluster.kubernetes_version, warnings)?;
    // An endpoint without a port gets this node's bind port, so other control planes may use their own.
    if let Ok((host, None)) = syntax::parse_host_port(&cluster.control_plane_endpoint) {
        let port = init.local_api_endpoint.bind_port;
        cluster.control_plane_endpoint = match host.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
            _ => format!("{host}:{port}"),
        };
    }
    // Some DNS names (like cloud load balancers') come with capitals; certificates need lower case.
    for san in &mut cluster.api_server.cert_sans {
        *san = san.to_lowercase();
    }
    apply_public_keys_ecdsa_gate(cluster, warnings);
    Ok(())
}

/// The deprecated PublicKeysECDSA gate, when set, decides the key type, as upstream's
/// `EncryptionAlgorithmType()`: true means ECDSA-P256, false means RSA-2048.
fn apply_public_keys_ecdsa_gate(cluster: &mut ClusterConfiguration, warnings: &mut Vec<String>) {
    let Some(&ecdsa) = cluster.feature_gates.get("PublicKeysECDSA") else {
        return;
    };
    let algorithm = if ecdsa {
        "ECDSA-P256"
    } else {
        DEFAULT_ENCRYPTION_ALGORITHM
    };
    if cluster.encryption_algorithm != algorithm
        && cluster.encryption_algorithm != DEFAULT_ENCRYPTION_ALGORITHM
    {
        warnings.push(format!(
            "encryptionAlgorithm {:?} is overridden by the feature gate PublicKeysECDSA={ecdsa}; using {algorithm}",
            cluster.encryption_algorithm
        ));
    }
    cluster.encryption_algorithm = algorithm.to_string();
}

/// kubeadm's SetNodeRegistrationDynamicDefaults.
fn set_node_registration_dynamic_defaults(
    reg: &mut NodeRegistrationOptions,
    control_plane: bool,
    facts: &dyn HostFacts,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    if reg.name.trim().is_empty() {
        reg.name = facts.hostname().map_err(|e| {
            ConfigError::field(
                "nodeRegistration.name",
                format!("is not set and the host name is unknown ({e}); expected --node-name or nodeRegistration.name"),
            )
        })?;
    }
    // Node names are host names: kubeadm trims and lower-cases them, given or detected.
    reg.name = reg.name.trim().to_lowercase();
    if control_plane && reg.taints.is_none() {
        reg.taints = Some(vec![control_plane_taint()]);
    }
    if reg.cri_socket.is_empty() {
        reg.cri_socket = DEFAULT_CRI_SOCKET.to_string();
    } else if syntax::is_absolute(&reg.cri_socket) {
        warnings.push(format!(
            "Usage of CRI endpoints without URL scheme is deprecated and can cause kubelet errors in the future. \
             Automatically prepending scheme \"unix\" to the \"criSocket\" with value {:?}. Please update your configuration!",
            reg.cri_socket
        ));
        reg.cri_socket = format!("unix://{}", reg.cri_socket);
    }
    Ok(())
}

/// The taint `init` (and a control-plane `join`) puts on the node unless told otherwise.
pub fn control_plane_taint() -> Taint {
    Taint {
        key: "node-role.kubernetes.io/control-plane".into(),
        effect: "NoSchedule".into(),
        ..Default::default()
    }
}

/// kubeadm's SetAPIEndpointDynamicDefaults: an unset or unspecified address becomes the default
/// route's; a loopback address selects a global unicast address on the loopback interface.
fn set_advertise_address(
    endpoint: &mut ApiEndpoint,
    path: &str,
    facts: &dyn HostFacts,
) -> Result<(), ConfigError> {
    let given = endpoint.advertise_address.trim();
    let parsed = given.parse::<IpAddr>();
    if !given.is_empty() && parsed.is_err() {
        // Not an IP: validation reports it with everything else.
        return Ok(());
    }
    endpoint.advertise_address = match parsed {
        Ok(ip) if ip.is_loopback() => match facts.loopback_global_address() {
            Ok(Some(address)) => address,
            Ok(None) => {
                return Err(ConfigError::field(
                    path,
                    format!(
                        "{given:?} is a loopback address and no global unicast address was found on the loopback \
                         interface; expected the IP address other nodes reach this node at"
                    ),
                ));
            }
            Err(e) => return Err(ConfigError::field(path, format!("{given:?}: {e}"))),
        },
        Ok(ip) if !ip.is_unspecified() => ip.to_string(),
        _ => facts.default_address().map_err(|e| {
            ConfigError::field(
                path,
                format!("is not set and could not be chosen from the default route ({e}); pass --apiserver-advertise-address"),
            )
        })?,
    };
    Ok(())
}

fn apply_flags(
    init: &mut InitConfiguration,
    cluster: &mut ClusterConfiguration,
    f: &InitOverrides,
) -> Result<(), ConfigError> {
    override_args(&mut cluster.api_server.extra_args, &f.apiserver_extra_args);
    override_args(
        &mut cluster.controller_manager.extra_args,
        &f.controller_manager_extra_args,
    );
    override_args(&mut cluster.scheduler.extra_args, &f.scheduler_extra_args);
    if f.token.is_some() || f.token_ttl.is_some() {
        if init.bootstrap_tokens.is_empty() {
            init.bootstrap_tokens.push(BootstrapToken::default());
        }
        let first = &mut init.bootstrap_tokens[0];
        if let Some(v) = &f.token {
            first.token = v.clone();
            // As kubeadm's flag options: the token given on the command line is init's token.
            if first.description.is_empty() {
                first.description = DEFAULT_TOKEN_DESCRIPTION.to_string();
            }
        }
        if let Some(v) = f.token_ttl {
            first.ttl = Some(v);
        }
    }
    if let Some(v) = &f.certificate_key {
        init.certificate_key = v.clone();
    }
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
        init.patches = Some(Patches {
            directory: v.clone(),
        });
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

/// Config-bound `join` flags and its argument. `Some` (or `true`) means the user gave it.
#[derive(Clone, Debug, Default)]
pub struct JoinOverrides {
    /// The `[api-server-endpoint]` argument.
    pub api_server_endpoint: Option<String>,
    pub advertise_address: Option<String>,
    pub bind_port: Option<i32>,
    pub certificate_key: Option<String>,
    pub control_plane: bool,
    pub cri_socket: Option<String>,
    pub discovery_file: Option<String>,
    pub discovery_token: Option<String>,
    pub discovery_token_ca_cert_hashes: Option<Vec<String>>,
    pub discovery_token_unsafe_skip_ca_verification: bool,
    pub node_name: Option<String>,
    pub patches: Option<String>,
    pub tls_bootstrap_token: Option<String>,
    pub token: Option<String>,
    pub ignore_preflight_errors: Vec<String>,
    pub skip_phases: Vec<String>,
    pub dry_run: bool,
}

impl JoinOverrides {
    fn config_bound(&self) -> Vec<&'static str> {
        set_flags(&[
            (
                self.advertise_address.is_some(),
                "apiserver-advertise-address",
            ),
            (self.bind_port.is_some(), "apiserver-bind-port"),
            (self.certificate_key.is_some(), "certificate-key"),
            (self.control_plane, "control-plane"),
            (self.cri_socket.is_some(), "cri-socket"),
            (self.discovery_file.is_some(), "discovery-file"),
            (self.discovery_token.is_some(), "discovery-token"),
            (
                self.discovery_token_ca_cert_hashes.is_some(),
                "discovery-token-ca-cert-hash",
            ),
            (
                self.discovery_token_unsafe_skip_ca_verification,
                "discovery-token-unsafe-skip-ca-verification",
            ),
            (self.patches.is_some(), "patches"),
            (self.tls_bootstrap_token.is_some(), "tls-bootstrap-token"),
            (self.token.is_some(), "token"),
        ])
    }

    /// The JoinConfiguration the flags describe when there is no config file (kubeadm's newJoinData).
    fn to_configuration(&self) -> JoinConfiguration {
        let token = self.token.clone().unwrap_or_default();
        let or_token = |v: &Option<String>| {
            v.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| token.clone())
        };
        let discovery = match &self.discovery_file {
            Some(path) if !path.is_empty() => Discovery {
                file: Some(FileDiscovery {
                    kube_config_path: path.clone(),
                }),
                tls_bootstrap_token: or_token(&self.tls_bootstrap_token),
                ..Default::default()
            },
            _ => Discovery {
                bootstrap_token: Some(BootstrapTokenDiscovery {
                    token: or_token(&self.discovery_token),
                    api_server_endpoint: self.api_server_endpoint.clone().unwrap_or_default(),
                    ca_cert_hashes: self
                        .discovery_token_ca_cert_hashes
                        .clone()
                        .unwrap_or_default(),
                    unsafe_skip_ca_verification: self.discovery_token_unsafe_skip_ca_verification,
                }),
                tls_bootstrap_token: or_token(&self.tls_bootstrap_token),
                ..Default::default()
            },
        };
        JoinConfiguration {
            node_registration: NodeRegistrationOptions {
                cri_socket: self.cri_socket.clone().unwrap_or_default(),
                ..Default::default()
            },
            discovery,
            control_plane: self.control_plane.then(|| JoinControlPlane {
                local_api_endpoint: ApiEndpoint {
                    advertise_address: self.advertise_address.clone().unwrap_or_default(),
                    bind_port: self.bind_port.unwrap_or_default(),
                },
                certificate_key: self.certificate_key.clone().unwrap_or_default(),
            }),
            patches: self.patches.clone().map(|directory| Patches { directory }),
            ..Default::default()
        }
    }
}

/// The file's `PluginConfiguration`, whichever command the file is for (for help text, which
/// lists plugin phases before the command's own configuration is resolved).
pub fn plugin_configuration(docs: &Documents) -> Result<Option<PluginConfiguration>, ConfigError> {
    Ok(docs
        .decode_all()?
        .items
        .into_iter()
        .find_map(|(_, known)| match known {
            Known::Plugins(p) => Some(*p),
            _ => None,
        }))
}

/// Everything `join` works from, as the operator gave it: the node's JoinConfiguration
/// (defaulted and validated) and kubeadm-rs's `PluginConfiguration`, when the file has one.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinConfig {
    pub join: JoinConfiguration,
    pub plugins: Option<PluginConfiguration>,
}

/// Builds the join configuration from a file or from flags, defaulted, dynamically defaulted
/// (node name, CRI socket, advertise address) and validated. Returns it and warnings to show.
pub fn resolve_join(
    docs: Option<&Documents>,
    flags: &JoinOverrides,
    facts: &dyn HostFacts,
) -> Result<(JoinConfig, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let mut plugins = None;
    let mut join = match docs {
        Some(docs) => {
            reject_mixed(flags.config_bound())?;
            if flags.api_server_endpoint.is_some() {
                warnings.push(
                    "the API server endpoint argument is ignored when --config is given"
                        .to_string(),
                );
            }
            let decoded = docs.decode_all()?;
            warnings.extend(decoded.deprecations);
            warnings.extend(decoded.strict);
            let mut join = None;
            for (_, known) in decoded.items {
                match known {
                    Known::Join(c) => join = Some(*c),
                    Known::Unused(w) => warnings.push(w),
                    Known::Unknown {
                        location,
                        api_version,
                    } => warnings.push(Known::unknown_warning(&location, &api_version)),
                    Known::Plugins(p) => plugins = Some(*p),
                    Known::Init(_)
                    | Known::Cluster { .. }
                    | Known::Kubelet(_)
                    | Known::KubeProxy(_) => {}
                }
            }
            join.ok_or_else(|| ConfigError::Decode {
                location: docs.source.clone(),
                message: "no JoinConfiguration found in the supplied config".into(),
            })?
        }
        None => flags.to_configuration(),
    };
    if let Some(name) = &flags.node_name {
        join.node_registration.name = name.clone();
    }
    join.node_registration
        .ignore_preflight_errors
        .extend(flags.ignore_preflight_errors.iter().cloned());
    if !flags.skip_phases.is_empty() {
        join.skip_phases = flags.skip_phases.clone();
    }
    join.dry_run |= flags.dry_run;

    set_join_defaults(&mut join);
    let control_plane = join.control_plane.is_some();
    set_node_registration_dynamic_defaults(
        &mut join.node_registration,
        control_plane,
        facts,
        &mut warnings,
    )?;
    if let Some(cp) = &mut join.control_plane {
        set_advertise_address(
            &mut cp.local_api_endpoint,
            "controlPlane.localAPIEndpoint.advertiseAddress",
            facts,
        )?;
    }
    warnings.extend(validation::validate_join(&join)?);
    Ok((JoinConfig { join, plugins }, warnings))
}

/// The configuration a joining node runs with (kubeadm's `FetchInitConfigurationFromCluster`
/// for join): the cluster's ClusterConfiguration (`kubeadm-config`) and KubeletConfiguration
/// (`kubelet-config`), defaulted as `init` defaults them, with this node's registration, API
/// endpoint (a control-plane join), certificate key, patches and timeouts from the join's.
pub fn join_init_config(
    join: &JoinConfig,
    cluster_configuration: &str,
    kubelet_configuration: &str,
    facts: &dyn HostFacts,
) -> Result<InitConfig, ConfigError> {
    let text = format!("{cluster_configuration}\n---\n{kubelet_configuration}");
    let docs = super::load_documents(
        &text,
        "the cluster's kubeadm-config and kubelet-config ConfigMaps",
    )?;
    let (mut cfg, _) = resolve_init(Some(&docs), &InitOverrides::default(), facts)?;
    let node = &join.join;
    cfg.init.bootstrap_tokens.clear();
    cfg.init.node_registration = node.node_registration.clone();
    if let Some(cp) = &node.control_plane {
        cfg.init.local_api_endpoint = cp.local_api_endpoint.clone();
        cfg.init.certificate_key = cp.certificate_key.clone();
    }
    cfg.init.patches = node.patches.clone();
    cfg.init.timeouts = node.timeouts.clone();
    cfg.init.dry_run = node.dry_run;
    cfg.init.skip_phases.clear();
    cfg.plugins = join.plugins.clone();
    Ok(cfg)
}

#[cfg(test)]
mod tests;
