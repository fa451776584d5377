//! Validation of resolved configurations, as kubeadm's `ValidateInitConfiguration` and
//! `ValidateJoinConfiguration` (plus a few checks kubeadm leaves to later failures). Every problem is
//! reported at once, each as `field.path: "value" is <what is wrong>; expected <what>`; secrets
//! (tokens, certificate keys) are never echoed.

pub(crate) mod syntax;

use std::fmt::Display;
use std::net::IpAddr;

use ipnet::IpNet;

use super::constants::*;
use super::duration::GoDuration;
use super::v1beta4::*;
use super::{ConfigError, EncryptionAlgorithm, InitConfig, parse_version};

/// Errors and warnings found so far.
#[derive(Default)]
struct Report {
    errors: Vec<String>,
    warnings: Vec<String>,
}

impl Report {
    fn error(&mut self, path: impl Display, message: impl Display) {
        self.errors.push(format!("{path}: {message}"));
    }

    /// `path: "value" is <problem>; expected <expected>`.
    fn invalid(
        &mut self,
        path: impl Display,
        value: &str,
        problem: impl Display,
        expected: impl Display,
    ) {
        self.errors.push(format!(
            "{path}: {value:?} is {problem}; expected {expected}"
        ));
    }

    fn warn(&mut self, message: impl Display) {
        self.warnings.push(message.to_string());
    }

    fn finish(self) -> Result<Vec<String>, ConfigError> {
        if self.errors.is_empty() {
            Ok(self.warnings)
        } else {
            Err(ConfigError::Invalid(self.errors))
        }
    }
}

const DNS1123_SUBDOMAIN: &str = "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";
const TOKEN_FORMAT: &str = "a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}";
const MIN_SERVICE_SUBNET_ADDRESSES: u128 = 10;
const MAX_SERVICE_SUBNET_HOST_BITS: u8 = 20;
const MIN_POD_SUBNET_ADDRESSES: u128 = 14;
const POD_SUBNET_NODE_MASK_MAX_DIFF: u8 = 16;
const PULL_POLICIES: [&str; 3] = ["Always", "IfNotPresent", "Never"];
const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const TOKEN_USAGES: [&str; 2] = ["signing", "authentication"];
const HOST_PATH_TYPES: [&str; 8] = [
    "",
    "DirectoryOrCreate",
    "Directory",
    "FileOrCreate",
    "File",
    "Socket",
    "CharDevice",
    "BlockDevice",
];
/// kubeadm warns when validity periods exceed its own defaults (1 year, 10 years).
const RECOMMENDED_CERT_VALIDITY: GoDuration = GoDuration::from_secs(8760 * 3600);
const RECOMMENDED_CA_VALIDITY: GoDuration = GoDuration::from_secs(87600 * 3600);

/// Validates a resolved init configuration; returns warnings, or every error found.
pub fn validate_init(cfg: &InitConfig) -> Result<Vec<String>, ConfigError> {
    let mut r = Report::default();
    let init = &cfg.init;
    node_registration(&mut r, &init.node_registration);
    bootstrap_tokens(&mut r, &init.bootstrap_tokens);
    cluster(&mut r, &cfg.cluster);
    api_endpoint(&mut r, &init.local_api_endpoint, "localAPIEndpoint");
    certificate_key(&mut r, &init.certificate_key, "certificateKey");
    patches(&mut r, init.patches.as_ref());
    timeouts(&mut r, init.timeouts.as_ref());
    r.finish()
}

/// Validates a ClusterConfiguration on its own (e.g. one read back from the cluster).
pub fn validate_cluster(c: &ClusterConfiguration) -> Result<Vec<String>, ConfigError> {
    let mut r = Report::default();
    cluster(&mut r, c);
    r.finish()
}

/// Validates a defaulted JoinConfiguration.
pub fn validate_join(cfg: &JoinConfiguration) -> Result<Vec<String>, ConfigError> {
    let mut r = Report::default();
    discovery(&mut r, &cfg.discovery);
    node_registration(&mut r, &cfg.node_registration);
    if let Some(cp) = &cfg.control_plane {
        api_endpoint(
            &mut r,
            &cp.local_api_endpoint,
            "controlPlane.localAPIEndpoint",
        );
        certificate_key(&mut r, &cp.certificate_key, "controlPlane.certificateKey");
    }
    if !syntax::is_absolute(&cfg.ca_cert_path) || !cfg.ca_cert_path.ends_with(".crt") {
        r.invalid(
            "caCertPath",
            &cfg.ca_cert_path,
            "not an absolute path to a .crt file",
            DEFAULT_CA_CERT_PATH,
        );
    }
    patches(&mut r, cfg.patches.as_ref());
    timeouts(&mut r, cfg.timeouts.as_ref());
    r.finish()
}

fn node_registration(r: &mut Report, n: &NodeRegistrationOptions) {
    if n.name.is_empty() {
        r.error(
            "nodeRegistration.name",
            "is empty and could not be detected from the host name; expected --node-name or nodeRegistration.name",
        );
    } else if !syntax::is_dns1123_subdomain(&n.name) {
        r.invalid(
            "nodeRegistration.name",
            &n.name,
            "not a valid node name",
            DNS1123_SUBDOMAIN,
        );
    }
    cri_socket(r, &n.cri_socket);
    extra_args(
        r,
        &n.kubelet_extra_args,
        "nodeRegistration.kubeletExtraArgs",
    );
    if !n.image_pull_policy.is_empty() && !PULL_POLICIES.contains(&n.image_pull_policy.as_str()) {
        r.invalid(
            "nodeRegistration.imagePullPolicy",
            &n.image_pull_policy,
            "not a pull policy",
            PULL_POLICIES.join(", "),
        );
    }
    for (i, taint) in n.taints.iter().flatten().enumerate() {
        let path = format!("nodeRegistration.taints[{i}]");
        if !is_qualified_name(&taint.key) {
            r.invalid(
                format!("{path}.key"),
                &taint.key,
                "not a valid taint key",
                "a name such as node-role.kubernetes.io/control-plane ([prefix/]name, alphanumerics, '-', '_', '.')",
            );
        }
        // Stricter than kubeadm on purpose: it accepts the taint here and the API server
        // refuses it later, when the node is registered or marked, after files are written.
        if !TAINT_EFFECTS.contains(&taint.effect.as_str()) {
            r.invalid(
                format!("{path}.effect"),
                &taint.effect,
                "not a taint effect",
                format!(
                    "{} (kubeadm accepts this value here, but the API server refuses a taint without a valid effect once the node is registered, halfway through; kubeadm-rs refuses it before anything is written)",
                    TAINT_EFFECTS.join(", ")
                ),
            );
        }
    }
    let ignored: std::collections::BTreeSet<String> = n
        .ignore_preflight_errors
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    if ignored.contains("all") && ignored.len() > 1 {
        let list = ignored.into_iter().collect::<Vec<_>>().join(",");
        r.invalid(
            "ignore-preflight-errors",
            &list,
            "mixing 'all' with individual checks",
            "either 'all' or a list of checks",
        );
    }
}

/// A Kubernetes qualified name: optional DNS-subdomain prefix and `/`, then 1-63 characters of
/// alphanumerics, '-', '_', '.', starting and ending with an alphanumeric.
fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let b = name.as_bytes();
    let name_ok = !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    name_ok && prefix.is_none_or(syntax::is_dns1123_subdomain)
}

fn cri_socket(r: &mut Report, socket: &str) {
    const PATH: &str = "nodeRegistration.criSocket";
    const EXPECTED: &str = "a unix:// URL such as unix:///var/run/containerd/containerd.sock";
    if socket.is_empty() {
        r.invalid(PATH, socket, "empty", EXPECTED);
        return;
    }
    match syntax::url_scheme(socket) {
        Err(e) => r.invalid(PATH, socket, format!("not a valid URL ({e})"), EXPECTED),
        Ok(Some("unix")) => {}
        Ok(Some(scheme)) => r.invalid(
            PATH,
            socket,
            format!("using URL scheme {scheme:?}"),
            EXPECTED,
        ),
        Ok(None) => r.invalid(PATH, socket, "neither a URL nor an absolute path", EXPECTED),
    }
}

fn extra_args(r: &mut Report, args: &[Arg], path: &str) {
    for (i, arg) in args.iter().enumerate() {
        if arg.name.is_empty() {
            r.error(
                format!("{path}[{i}].name"),
                "is empty; expected the argument's name, without leading dashes",
            );
        }
    }
}

fn extra_volumes(r: &mut Report, volumes: &[HostPathMount], path: &str) {
    for (i, v) in volumes.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if !syntax::is_dns1123_label(&v.name) {
            r.invalid(
                format!("{at}.name"),
                &v.name,
                "not a valid volume name",
                "a DNS-1123 label: at most 63 lower-case letters, digits and '-'",
            );
        }
        for (field, value) in [("hostPath", &v.host_path), ("mountPath", &v.mount_path)] {
            if !syntax::is_absolute(value) {
                r.invalid(
                    format!("{at}.{field}"),
                    value,
                    "not an absolute path",
                    "a path starting with /",
                );
            }
        }
        if !HOST_PATH_TYPES.contains(&v.path_type.as_str()) {
            r.invalid(
                format!("{at}.pathType"),
                &v.path_type,
                "not a host path type",
                HOST_PATH_TYPES[1..].join(", "),
            );
        }
    }
}

fn extra_envs(r: &mut Report, envs: &[EnvVar], path: &str) {
    for (i, env) in envs.iter().enumerate() {
        if env.name.is_empty() {
            r.error(
                format!("{path}[{i}].name"),
                "is empty; expected an environment variable name",
            );
        }
    }
}

fn component(r: &mut Report, c: &ControlPlaneComponent, path: &str) {
    extra_args(r, &c.extra_args, &format!("{path}.extraArgs"));
    extra_volumes(r, &c.extra_volumes, &format!("{path}.extraVolumes"));
    extra_envs(r, &c.extra_envs, &format!("{path}.extraEnvs"));
}

/// The authorization modes kubeadm's `getAuthzModes` knows.
const AUTHORIZATION_MODES: [&str; 6] = [
    "Node",
    "RBAC",
    "Webhook",
    "ABAC",
    "AlwaysAllow",
    "AlwaysDeny",
];

/// kubeadm warns about an `authorization-mode` extra argument naming modes it does not know
/// (unless a structured `authorization-config` replaces the flag). Like kubeadm v1.34, whose
/// extra arguments win over its filtered default, the value still reaches kube-apiserver as given.
fn authorization_modes(r: &mut Report, extra_args: &[Arg]) {
    let last = |name: &str| extra_args.iter().rev().find(|a| a.name == name);
    if last("authorization-config").is_some() {
        return;
    }
    let Some(arg) = last("authorization-mode") else {
        return;
    };
    for mode in arg.value.split(',') {
        if !AUTHORIZATION_MODES.contains(&mode) {
            r.warn(format!(
                "apiServer.extraArgs: authorization-mode {mode:?} is not a mode kubeadm knows ({}); \
                 kube-apiserver gets {:?} as given, as it does from kubeadm",
                AUTHORIZATION_MODES.join(", "),
                arg.value
            ));
        }
    }
}

fn bootstrap_tokens(r: &mut Report, tokens: &[BootstrapToken]) {
    for (i, t) in tokens.iter().enumerate() {
        let path = format!("bootstrapTokens[{i}]");
        token(r, &t.token, &format!("{path}.token"));
        for usage in &t.usages {
            if !TOKEN_USAGES.contains(&usage.as_str()) {
                r.invalid(
                    format!("{path}.usages"),
                    usage,
                    "not a bootstrap token usage",
                    TOKEN_USAGES.join(", "),
                );
            }
        }
        if !t.groups.is_empty() && !t.usages.iter().any(|u| u == "authentication") {
            r.error(
                format!("{path}.groups"),
                "token groups cannot be specified unless usages includes \"authentication\"",
            );
        }
        for group in &t.groups {
            if !syntax::is_bootstrap_group(group) {
                r.invalid(
                    format!("{path}.groups"),
                    group,
                    "not a bootstrap token group",
                    "a name matching system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]",
                );
            }
        }
        match (&t.ttl, &t.expires) {
            (Some(_), Some(_)) => r.error(
                &path,
                "ttl and expires are both set; expected at most one of them",
            ),
            (_, Some(expires)) if !syntax::is_rfc3339(expires) => r.invalid(
                format!("{path}.expires"),
                expires,
                "not a timestamp",
                "an RFC 3339 time such as 2030-01-02T15:04:05Z",
            ),
            _ => {}
        }
    }
}

/// A token's value is a secret, so the message says what is expected without repeating it.
fn token(r: &mut Report, value: &str, path: &str) {
    if !syntax::is_bootstrap_token(value) {
        let problem = if value.is_empty() {
            "is empty"
        } else {
            "is not a valid bootstrap token"
        };
        r.error(
            path,
            format!("the value {problem}; expected {TOKEN_FORMAT}"),
        );
    }
}

fn certificate_key(r: &mut Report, key: &str, path: &str) {
    let valid = key.len() == 64 && key.bytes().all(|c| c.is_ascii_hexdigit());
    if !key.is_empty() && !valid {
        r.error(
            path,
            "the value is not a hex-encoded 32-byte AES key; expected 64 hexadecimal characters (see `kubeadm-rs certs certificate-key`)",
        );
    }
}

fn api_endpoint(r: &mut Report, e: &ApiEndpoint, path: &str) {
    if e.advertise_address.parse::<IpAddr>().is_err() {
        r.invalid(
            format!("{path}.advertiseAddress"),
            &e.advertise_address,
            "not an IP address",
            "an IPv4 or IPv6 address of this node",
        );
    }
    if !(1..=65535).contains(&e.bind_port) {
        r.invalid(
            format!("{path}.bindPort"),
            &e.bind_port.to_string(),
            "not a valid port",
            "a number between 1 and 65535",
        );
    }
}

fn patches(r: &mut Report, p: Option<&Patches>) {
    if p.is_some_and(|p| p.directory.is_empty()) {
        r.error(
            "patches.directory",
            "is empty; expected the directory holding the patch files",
        );
    }
}

fn timeouts(r: &mut Report, t: Option<&Timeouts>) {
    let Some(t) = t else { return };
    for (name, value) in [
        (
            "controlPlaneComponentHealthCheck",
            t.control_plane_component_health_check,
        ),
        ("kubeletHealthCheck", t.kubelet_health_check),
        ("kubernetesAPICall", t.kubernetes_api_call),
        ("etcdAPICall", t.etcd_api_call),
        ("tlsBootstrap", t.tls_bootstrap),
        ("discovery", t.discovery),
        ("upgradeManifests", t.upgrade_manifests),
    ] {
        if let Some(d) = value.filter(GoDuration::is_zero) {
            r.invalid(
                format!("timeouts.{name}"),
                &d.to_string(),
                "not positive",
                "a duration such as 4m0s",
            );
        }
    }
}

fn cluster(r: &mut Report, c: &ClusterConfiguration) {
    if !c.dns.image_repository.is_empty() {
        image_repository(r, &c.dns.image_repository, "dns.imageRepository");
    }
    networking(r, c);
    cert_sans(r, &c.api_server.cert_sans, "apiServer.certSANs");
    component(r, &c.api_server.component(), "apiServer");
    authorization_modes(r, &c.api_server.extra_args);
    component(r, &c.controller_manager, "controllerManager");
    component(r, &c.scheduler, "scheduler");
    if !syntax::is_absolute(&c.certificates_dir) {
        r.invalid(
            "certificatesDir",
            &c.certificates_dir,
            "not an absolute path",
            DEFAULT_CERTIFICATES_DIR,
        );
    }
    feature_gates(r, c);
    if !c.control_plane_endpoint.is_empty()
        && let Err(e) = syntax::parse_host_port(&c.control_plane_endpoint)
    {
        r.invalid(
            "controlPlaneEndpoint",
            &c.control_plane_endpoint,
            format!("not a valid endpoint ({e})"),
            "an IP address or DNS name, optionally with :port",
        );
    }
    image_repository(r, &c.image_repository, "imageRepository");
    etcd(r, &c.etcd);
    if c.encryption_algorithm
        .parse::<EncryptionAlgorithm>()
        .is_err()
    {
        r.invalid(
            "encryptionAlgorithm",
            &c.encryption_algorithm,
            "not a supported encryption algorithm",
            EncryptionAlgorithm::NAMES.join(", "),
        );
    }
    if c.cluster_name.is_empty() {
        r.error(
            "clusterName",
            format!("is empty; expected a name such as {DEFAULT_CLUSTER_NAME}"),
        );
    }
    kubernetes_version(r, &c.kubernetes_version);
    validity_periods(r, c);
}

fn image_repository(r: &mut Report, repo: &str, path: &str) {
    if !syntax::is_image_repository(repo) {
        r.invalid(
            path,
            repo,
            "not a valid image repository",
            format!("a registry and path such as {DEFAULT_IMAGE_REPOSITORY} or registry.example.com:5000/k8s"),
        );
    }
}

fn cert_sans(r: &mut Report, sans: &[String], path: &str) {
    for san in sans {
        let ok = syntax::is_dns1123_subdomain(san)
            || syntax::is_wildcard_dns1123_subdomain(san)
            || san.parse::<IpAddr>().is_ok();
        if !ok {
            r.invalid(
                path,
                san,
                "not a valid subject alternative name",
                "an IP address, a DNS-1123 subdomain or a wildcard such as *.example.com",
            );
        }
    }
}

fn networking(r: &mut Report, c: &ClusterConfiguration) {
    let n = &c.networking;
    if !syntax::is_dns1123_subdomain(&n.dns_domain) {
        r.invalid(
            "networking.dnsDomain",
            &n.dns_domain,
            "not a valid DNS domain",
            DNS1123_SUBDOMAIN,
        );
    }
    if !n.service_subnet.is_empty()
        && let Some(nets) = subnets(
            r,
            &n.service_subnet,
            "networking.serviceSubnet",
            MIN_SERVICE_SUBNET_ADDRESSES,
        )
    {
        for net in nets {
            let host_bits = net.max_prefix_len() - net.prefix_len();
            if host_bits > MAX_SERVICE_SUBNET_HOST_BITS {
                r.invalid(
                    "networking.serviceSubnet",
                    &net.to_string(),
                    "too large a service subnet",
                    format!(
                        "a mask of at least /{} for {}-bit addresses",
                        net.max_prefix_len() - MAX_SERVICE_SUBNET_HOST_BITS,
                        net.max_prefix_len()
                    ),
                );
            }
        }
    }
    if !n.pod_subnet.is_empty()
        && let Some(nets) = subnets(
            r,
            &n.pod_subnet,
            "networking.podSubnet",
            MIN_POD_SUBNET_ADDRESSES,
        )
        && last_arg(&c.controller_manager.extra_args, "allocate-node-cidrs") != Some("false")
    {
        for net in nets {
            pod_subnet_node_mask(r, c, &net);
        }
    }
}

/// Parses comma-separated CIDRs (one, or two of different families) and checks their size.
fn subnets(r: &mut Report, value: &str, path: &str, min_addresses: u128) -> Option<Vec<IpNet>> {
    let parsed: Result<Vec<IpNet>, _> = value.split(',').map(str::parse::<IpNet>).collect();
    let Ok(nets) = parsed else {
        r.invalid(
            path,
            value,
            "not a valid CIDR",
            "a CIDR such as 10.96.0.0/12, or an IPv4 and an IPv6 CIDR separated by a comma",
        );
        return None;
    };
    let dual_stack = matches!(nets.as_slice(), [a, b] if a.addr().is_ipv4() != b.addr().is_ipv4());
    if nets.len() > 2 || (nets.len() == 2 && !dual_stack) {
        r.invalid(
            path,
            value,
            "not one CIDR or a dual-stack pair",
            "one (IPv4 or IPv6) CIDR, or two CIDRs, one of each family",
        );
    }
    for net in &nets {
        let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
        let addresses = 1u128.checked_shl(host_bits).unwrap_or(u128::MAX);
        if addresses < min_addresses {
            r.invalid(
                path,
                &net.to_string(),
                format!("a subnet with only {addresses} address(es)"),
                format!("at least {min_addresses} addresses"),
            );
        }
        let site_local: IpNet = "fec0::/10".parse().expect("literal CIDR");
        if site_local.contains(&net.network()) || net.contains(&site_local.network()) {
            r.warn(format!(
                "{path}: the subnet {net} contains IPv6 site-local addresses that belong to fec0::/10 which has been deprecated by rfc3879"
            ));
        }
    }
    Some(nets)
}

/// The pod subnet must hold whole node subnets (controller-manager's --node-cidr-mask-size-ipv4/6).
fn pod_subnet_node_mask(r: &mut Report, c: &ClusterConfiguration, net: &IpNet) {
    let (flag, default) = if net.addr().is_ipv6() {
        ("node-cidr-mask-size-ipv6", 64)
    } else {
        ("node-cidr-mask-size-ipv4", 24)
    };
    let node_mask = match last_arg(&c.controller_manager.extra_args, flag) {
        None => default,
        Some(v) => match v.parse::<u8>() {
            Ok(m) => m,
            Err(_) => {
                r.invalid(
                    format!("controllerManager.extraArgs.{flag}"),
                    v,
                    "not an integer",
                    "a mask size such as 24",
                );
                return;
            }
        },
    };
    let mask = net.prefix_len();
    if mask > node_mask {
        r.invalid(
            "networking.podSubnet",
            &net.to_string(),
            format!(
                "smaller than a node subnet (/{mask} is narrower than the node mask /{node_mask})"
            ),
            format!("a mask of at most /{node_mask} (or change --{flag})"),
        );
    } else if node_mask - mask > POD_SUBNET_NODE_MASK_MAX_DIFF {
        r.invalid(
            "networking.podSubnet",
            &net.to_string(),
            format!("too large for node mask /{node_mask} (more than {POD_SUBNET_NODE_MASK_MAX_DIFF} bits apart)"),
            format!("a mask of at least /{}", node_mask - POD_SUBNET_NODE_MASK_MAX_DIFF),
        );
    }
}

fn last_arg<'a>(args: &'a [Arg], name: &str) -> Option<&'a str> {
    args.iter()
        .rev()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

fn feature_gates(r: &mut Report, c: &ClusterConfiguration) {
    let known: Vec<&str> = FEATURE_GATES.iter().map(|(name, _)| *name).collect();
    for (name, value) in &c.feature_gates {
        if !known.contains(&name.as_str()) {
            r.invalid(
                "featureGates",
                name,
                "an unrecognized feature-gate key",
                format!("one of {}", known.join(", ")),
            );
        } else if name == "PublicKeysECDSA" {
            r.warn(format!(
                "Setting deprecated feature gate PublicKeysECDSA={value}. It will be removed in a future release; use encryptionAlgorithm instead."
            ));
        }
    }
}

fn etcd(r: &mut Report, e: &Etcd) {
    match (&e.local, &e.external) {
        (None, None) => r.error(
            "etcd",
            "neither local nor external is set; expected exactly one",
        ),
        (Some(_), Some(_)) => r.error(
            "etcd",
            "local and external are both set; expected exactly one",
        ),
        (Some(local), None) => {
            if !syntax::is_absolute(&local.data_dir) {
                r.invalid(
                    "etcd.local.dataDir",
                    &local.data_dir,
                    "not an absolute path",
                    DEFAULT_ETCD_DATA_DIR,
                );
            }
            cert_sans(r, &local.server_cert_sans, "etcd.local.serverCertSANs");
            cert_sans(r, &local.peer_cert_sans, "etcd.local.peerCertSANs");
            if !local.image_repository.is_empty() {
                image_repository(r, &local.image_repository, "etcd.local.imageRepository");
            }
            extra_args(r, &local.extra_args, "etcd.local.extraArgs");
            extra_envs(r, &local.extra_envs, "etcd.local.extraEnvs");
        }
        (None, Some(ext)) => external_etcd(r, ext),
    }
}

fn external_etcd(r: &mut Report, ext: &ExternalEtcd) {
    const PATH: &str = "etcd.external";
    if ext.cert_file.is_empty() != ext.key_file.is_empty() {
        r.error(
            PATH,
            "only one of certFile and keyFile is set; expected both or neither",
        );
    }
    if !ext.cert_file.is_empty() && !ext.key_file.is_empty() && ext.ca_file.is_empty() {
        r.error(
            PATH,
            "certFile and keyFile are set without caFile; expected caFile as well",
        );
    }
    if ext.endpoints.is_empty() {
        r.error(
            format!("{PATH}.endpoints"),
            "is empty; expected at least one etcd client URL such as https://10.0.0.2:2379",
        );
    }
    // Plain http is only allowed when no TLS material is configured at all.
    let require_https =
        !(ext.ca_file.is_empty() && ext.cert_file.is_empty() && ext.key_file.is_empty());
    for url in &ext.endpoints {
        let path = format!("{PATH}.endpoints");
        match syntax::url_scheme(url) {
            Err(e) => r.invalid(
                &path,
                url,
                format!("not a valid URL ({e})"),
                "a URL such as https://10.0.0.2:2379",
            ),
            Ok(None) => r.invalid(
                &path,
                url,
                "a URL without a scheme",
                "a URL such as https://10.0.0.2:2379",
            ),
            Ok(Some(scheme)) if require_https && scheme != "https" => r.invalid(
                &path,
                url,
                "not an HTTPS URL while TLS files are set",
                "an https:// URL",
            ),
            Ok(Some(_)) => {}
        }
    }
    for (field, value) in [
        ("caFile", &ext.ca_file),
        ("certFile", &ext.cert_file),
        ("keyFile", &ext.key_file),
    ] {
        if !value.is_empty() && !syntax::is_absolute(value) {
            r.invalid(
                format!("{PATH}.{field}"),
                value,
                "not an absolute path",
                "a path starting with /",
            );
        }
    }
}

fn kubernetes_version(r: &mut Report, version: &str) {
    let Some((major, minor, _)) = parse_version(version) else {
        r.invalid(
            "kubernetesVersion",
            version,
            "not a valid version",
            format!("a version such as {KUBERNETES_VERSION}"),
        );
        return;
    };
    let (our_major, our_minor, _) =
        parse_version(KUBERNETES_VERSION).expect("built-in version parses");
    if (major, minor) < (our_major, MIN_CONTROL_PLANE_MINOR) {
        r.invalid(
            "kubernetesVersion",
            version,
            "older than the control plane versions this kubeadm-rs deploys",
            format!("v{our_major}.{MIN_CONTROL_PLANE_MINOR}.0 or newer"),
        );
    } else if (major, minor) > (our_major, our_minor) {
        r.warn(format!(
            "Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. \
             Kubernetes version: {version}. Kubeadm version: {our_major}.{our_minor}.x"
        ));
    }
}

fn validity_periods(r: &mut Report, c: &ClusterConfiguration) {
    let periods = [
        (
            "certificateValidityPeriod",
            c.certificate_validity_period,
            RECOMMENDED_CERT_VALIDITY,
            "certificate",
        ),
        (
            "caCertificateValidityPeriod",
            c.ca_certificate_validity_period,
            RECOMMENDED_CA_VALIDITY,
            "CA certificate",
        ),
    ];
    for (name, period, recommended, what) in periods {
        match period {
            Some(d) if d.is_zero() => r.invalid(name, &d.to_string(), "not positive", format!("a duration such as {recommended}")),
            Some(d) if d > recommended => r.warn(format!(
                "{name}: the value {d} is more than the recommended default for {what} expiration: {recommended}"
            )),
            _ => {}
        }
    }
    if let (Some(leaf), Some(ca)) = (
        c.certificate_validity_period,
        c.ca_certificate_validity_period,
    ) && leaf > ca
    {
        r.warn(format!(
            "certificateValidityPeriod: the value {leaf} is longer than caCertificateValidityPeriod {ca}; \
             certificates will not outlive the CA that signs them"
        ));
    }
}

fn discovery(r: &mut Report, d: &Discovery) {
    match (&d.bootstrap_token, &d.file) {
        (None, None) => r.error(
            "discovery",
            "neither bootstrapToken nor file is set; expected exactly one",
        ),
        (Some(_), Some(_)) => r.error(
            "discovery",
            "bootstrapToken and file are both set; expected exactly one",
        ),
        _ => {}
    }
    if let Some(bt) = &d.bootstrap_token {
        bootstrap_token_discovery(r, bt);
        token(r, &d.tls_bootstrap_token, "discovery.tlsBootstrapToken");
    }
    if let Some(file) = &d.file {
        discovery_file(r, &file.kube_config_path);
        if !d.tls_bootstrap_token.is_empty() {
            token(r, &d.tls_bootstrap_token, "discovery.tlsBootstrapToken");
        }
    }
}

fn bootstrap_token_discovery(r: &mut Report, bt: &BootstrapTokenDiscovery) {
    const PATH: &str = "discovery.bootstrapToken";
    if bt.api_server_endpoint.is_empty() {
        r.error(
            format!("{PATH}.apiServerEndpoint"),
            "is not set; expected the API server's host:port (the argument of `join`)",
        );
    } else if let Err(e) = syntax::split_host_port(&bt.api_server_endpoint) {
        r.invalid(
            format!("{PATH}.apiServerEndpoint"),
            &bt.api_server_endpoint,
            format!("not a host:port ({e})"),
            "an address such as 10.0.0.1:6443 or [fd00::1]:6443",
        );
    }
    if bt.ca_cert_hashes.is_empty() && !bt.unsafe_skip_ca_verification {
        r.error(
            format!("{PATH}.caCertHashes"),
            "using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true \
             in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue",
        );
    }
    // Stricter than kubeadm on purpose: its validation takes any string and the pin is only
    // parsed when discovery compares it with the cluster CA.
    for hash in &bt.ca_cert_hashes {
        if !is_ca_cert_hash(hash) {
            r.invalid(
                format!("{PATH}.caCertHashes"),
                hash,
                "not a CA public key hash",
                "sha256:<64 hexadecimal characters> (kubeadm accepts this value here and refuses it only during discovery; kubeadm-rs checks the pin before it contacts the cluster)",
            );
        }
    }
    token(r, &bt.token, &format!("{PATH}.token"));
}

/// `sha256:<hex>` as kubeadm's pubkeypin reads it (hex of either case).
fn is_ca_cert_hash(s: &str) -> bool {
    s.split_once(':').is_some_and(|(format, hex)| {
        format.eq_ignore_ascii_case("sha256")
            && hex.len() == 64
            && hex.bytes().all(|c| c.is_ascii_hexdigit())
    })
}

/// kubeadm's `ValidateDiscoveryKubeConfigPath`: a URL must parse and be https; anything
/// without a scheme is a file that must exist on this host (looked at as kubeadm does, with a stat).
fn discovery_file(r: &mut Report, path: &str) {
    const FIELD: &str = "discovery.file.kubeConfigPath";
    const EXPECTED: &str = "a kubeconfig file path or an https:// URL";
    if path.is_empty() {
        r.error(FIELD, format!("is empty; expected {EXPECTED}"));
        return;
    }
    let scheme = syntax::url_scheme(path).and_then(|scheme| {
        syntax::check_url_escapes(path)?;
        if scheme.is_some() {
            syntax::check_url_port(path)?;
        }
        Ok(scheme)
    });
    match scheme {
        Err(e) => r.invalid(
            FIELD,
            path,
            format!("not a valid HTTPS URL or a file on disk ({e})"),
            EXPECTED,
        ),
        Ok(Some(scheme)) if scheme != "https" => {
            r.invalid(FIELD, path, format!("a {scheme}:// URL"), EXPECTED)
        }
        Ok(Some(_)) => {}
        Ok(None) => {
            if let Err(e) = std::fs::metadata(path)
                && e.kind() == std::io::ErrorKind::NotFound
            {
                r.invalid(
                    FIELD,
                    path,
                    "not a valid HTTPS URL or a file on disk (no such file)",
                    EXPECTED,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
