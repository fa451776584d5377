//! kubeadm's `init`, `join` and `reset` flags, defined once; a command takes its list, each phase
//! subcommand the ones its phase names.

use clap::builder::TypedValueParser as _;
use clap::{ArgAction, ArgMatches};

use crate::config::plugins::DEFAULT_PLUGIN_DIR;
use crate::config::reset::ResetOverrides;
use crate::config::v1beta4::Arg;
use crate::config::{ConfigError, GoDuration, InitOverrides, JoinOverrides, parse_extra_args};
use crate::workflow::Flag;
use crate::workflow::render::OutputFormat;

/// Every `init` flag, in the order `init --help` lists them.
pub const INIT_FLAGS: [Flag; 34] = [
    Flag::ApiserverAdvertiseAddress,
    Flag::ApiserverBindPort,
    Flag::ApiserverCertExtraSans,
    Flag::CertDir,
    Flag::CertificateKey,
    Flag::Config,
    Flag::ControlPlaneEndpoint,
    Flag::CriSocket,
    Flag::DryRun,
    Flag::FeatureGates,
    Flag::IgnorePreflightErrors,
    Flag::ImageRepository,
    Flag::KubernetesVersion,
    Flag::NodeName,
    Flag::Patches,
    Flag::PodNetworkCidr,
    Flag::ServiceCidr,
    Flag::ServiceDnsDomain,
    Flag::SkipCertificateKeyPrint,
    Flag::SkipPhases,
    Flag::SkipTokenPrint,
    Flag::Token,
    Flag::TokenTtl,
    Flag::UploadCerts,
    Flag::PluginDir,
    Flag::AllowUnsignedPlugins,
    Flag::KubeconfigDir,
    Flag::Kubeconfig,
    Flag::ApiserverExtraArgs,
    Flag::ControllerManagerExtraArgs,
    Flag::SchedulerExtraArgs,
    Flag::Output,
    Flag::Rootfs,
    Flag::Verbosity,
];

/// Flags only phase subcommands take (kubeadm's "additional flags").
pub const PHASE_ONLY_FLAGS: [Flag; 5] = [
    Flag::KubeconfigDir,
    Flag::Kubeconfig,
    Flag::ApiserverExtraArgs,
    Flag::ControllerManagerExtraArgs,
    Flag::SchedulerExtraArgs,
];

/// Every `join` flag, in the order `join --help` lists them.
pub const JOIN_FLAGS: [Flag; 22] = [
    Flag::ApiServerEndpoint,
    Flag::ApiserverAdvertiseAddress,
    Flag::ApiserverBindPort,
    Flag::CertificateKey,
    Flag::Config,
    Flag::ControlPlane,
    Flag::CriSocket,
    Flag::DiscoveryFile,
    Flag::DiscoveryToken,
    Flag::DiscoveryTokenCaCertHash,
    Flag::DiscoveryTokenUnsafeSkipCaVerification,
    Flag::DryRun,
    Flag::IgnorePreflightErrors,
    Flag::NodeName,
    Flag::Patches,
    Flag::SkipPhases,
    Flag::TlsBootstrapToken,
    Flag::Token,
    Flag::PluginDir,
    Flag::AllowUnsignedPlugins,
    Flag::Output,
    Flag::Rootfs,
];

/// Every `reset` flag, in the order `reset --help` lists them.
pub const RESET_FLAGS: [Flag; 12] = [
    Flag::CertDir,
    Flag::CleanupTmpDir,
    Flag::Config,
    Flag::CriSocket,
    Flag::DryRun,
    Flag::Force,
    Flag::IgnorePreflightErrors,
    Flag::Kubeconfig,
    Flag::SkipPhases,
    Flag::Output,
    Flag::Rootfs,
    Flag::Verbosity,
];

/// The command a flag belongs to: kubeadm words some flags differently for each command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Init,
    Join,
    Reset,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Init => "init",
            Verb::Join => "join",
            Verb::Reset => "reset",
        }
    }
}

/// The clap definition of one flag, with kubeadm's help text.
pub fn flag(f: Flag, verb: Verb) -> clap::Arg {
    let name = f.name();
    let arg = clap::Arg::new(name).long(name);
    let join = verb == Verb::Join;
    let reset = verb == Verb::Reset;
    match f {
        Flag::ApiServerEndpoint => clap::Arg::new(name)
            .value_name("api-server-endpoint")
            .help("The API server endpoint (host:port) to discover the cluster through, for token-based discovery"),
        Flag::ApiserverAdvertiseAddress if join => arg
            .value_name("IP")
            .help("If the node should host a new control plane instance, the IP address the API Server will advertise it's listening on. If not set the default network interface will be used."),
        Flag::ApiserverAdvertiseAddress => arg
            .value_name("IP")
            .help("The IP address the API Server will advertise it's listening on. If not set the default network interface will be used."),
        Flag::ApiserverBindPort if join => arg
            .value_name("PORT")
            .value_parser(clap::value_parser!(i32))
            .help("If the node should host a new control plane instance, the port for the API Server to bind to. [default: 6443]"),
        Flag::ApiserverBindPort => arg
            .value_name("PORT")
            .value_parser(clap::value_parser!(i32))
            .help("Port for the API Server to bind to. [default: 6443]"),
        Flag::ApiserverCertExtraSans => arg
            .value_name("SANS")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help("Optional extra Subject Alternative Names (SANs) to use for the API Server serving certificate. Can be both IP addresses and DNS names."),
        Flag::CertDir if reset => arg
            .value_name("DIR")
            .help("The path to the directory where the certificates are stored. If specified, clean this directory. [default: /etc/kubernetes/pki]"),
        Flag::CleanupTmpDir => boolean(arg)
            .help("Cleanup the \"/etc/kubernetes/tmp\" directory"),
        Flag::Force => boolean(arg)
            .short('f')
            .help("Reset the node without prompting for confirmation."),
        Flag::CertDir => arg
            .value_name("DIR")
            .help("The path where to save and store the certificates. [default: /etc/kubernetes/pki]"),
        Flag::CertificateKey if join => arg
            .value_name("KEY")
            .help("Use this key to decrypt the certificate secrets uploaded by init. The certificate key is a hex encoded string that is an AES key of size 32 bytes."),
        Flag::CertificateKey => arg
            .value_name("KEY")
            .help("Key used to encrypt the control-plane certificates in the kubeadm-certs Secret. The certificate key is a hex encoded string that is an AES key of size 32 bytes."),
        Flag::SkipCertificateKeyPrint => boolean(arg)
            .help("Don't print the key used to encrypt the control-plane certificates."),
        Flag::SkipTokenPrint => boolean(arg)
            .help("Skip printing of the default bootstrap token generated by 'kubeadm init'."),
        Flag::Token if join => arg
            .value_name("TOKEN")
            .help("Use this token for both discovery-token and tls-bootstrap-token when those values are not provided."),
        Flag::Token => arg
            .value_name("TOKEN")
            .help("The token to use for establishing bidirectional trust between nodes and control-plane nodes. The format is [a-z0-9]{6}\\.[a-z0-9]{16} - e.g. abcdef.0123456789abcdef"),
        Flag::TokenTtl => arg
            .value_name("DURATION")
            // A negative value must reach validation, which names it, instead of reading as a flag.
            .allow_hyphen_values(true)
            .help("The duration before the token is automatically deleted (e.g. 1s, 2m, 3h). If set to '0', the token will never expire [default: 24h0m0s]"),
        Flag::UploadCerts => boolean(arg)
            .help("Upload control-plane certificates to the kubeadm-certs Secret."),
        Flag::Kubeconfig if reset => arg
            .value_name("FILE")
            .help("The kubeconfig file to use when talking to the cluster: when given, the etcd members are found through the cluster's etcd Pods, as kubeadm finds them (otherwise through this node's etcd manifest)."),
        Flag::Kubeconfig => arg
            .value_name("FILE")
            .help("The kubeconfig file to use when talking to the cluster. [default: <kubeconfig-dir>/admin.conf]"),
        Flag::Config => arg
            .value_name("FILE")
            .help("Path to a kubeadm configuration file."),
        Flag::ControlPlane => boolean(arg)
            .help("Create a new control plane instance on this node"),
        Flag::DiscoveryFile => arg
            .value_name("FILE")
            .help("For file-based discovery, a file or URL from which to load cluster information."),
        Flag::DiscoveryToken => arg
            .value_name("TOKEN")
            .help("For token-based discovery, the token used to validate cluster information fetched from the API server."),
        Flag::DiscoveryTokenCaCertHash => arg
            .value_name("HASH")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help("For token-based discovery, validate that the root CA public key matches this hash (format: \"<type>:<value>\")."),
        Flag::DiscoveryTokenUnsafeSkipCaVerification => boolean(arg)
            .help("For token-based discovery, allow joining without --discovery-token-ca-cert-hash pinning."),
        Flag::TlsBootstrapToken => arg
            .value_name("TOKEN")
            .help("Specify the token used to temporarily authenticate with the Kubernetes Control Plane while joining the node."),
        Flag::ControlPlaneEndpoint => arg
            .value_name("ENDPOINT")
            .help("Specify a stable IP address or DNS name for the control plane."),
        Flag::CriSocket => arg
            .value_name("URL")
            .help("Path to the CRI socket to connect. If empty kubeadm will try to auto-detect this value; use this option only if you have more than one CRI installed or if you have non-standard CRI socket."),
        Flag::DryRun => boolean(arg)
            .help("Don't apply any changes; just output what would be done."),
        Flag::FeatureGates => arg
            .value_name("GATES")
            .help("A set of key=value pairs that describe feature gates for various features. Options are: ControlPlaneKubeletLocalMode=true|false, NodeLocalCRISocket=true|false, PublicKeysECDSA=true|false (DEPRECATED), RootlessControlPlane=true|false (ALPHA)"),
        Flag::IgnorePreflightErrors => arg
            .value_name("CHECKS")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help("A list of checks whose errors will be shown as warnings. Example: 'IsPrivilegedUser,Swap'. Value 'all' ignores errors from all checks."),
        Flag::ImageRepository => arg
            .value_name("REPO")
            .help("Choose a container registry to pull control plane images from [default: registry.k8s.io]"),
        Flag::KubernetesVersion => arg
            .value_name("VERSION")
            .help("Choose a specific Kubernetes version for the control plane. [default: stable-1]"),
        Flag::NodeName => arg
            .value_name("NAME")
            .help("Specify the node name."),
        Flag::Patches => arg
            .value_name("DIR")
            .help("Path to a directory that contains files named \"target[suffix][+patchtype].extension\". For example, \"kube-apiserver0+merge.yaml\" or just \"etcd.json\". \"target\" can be one of \"kube-apiserver\", \"kube-controller-manager\", \"kube-scheduler\", \"etcd\", \"kubeletconfiguration\". \"patchtype\" can be one of \"strategic\", \"merge\" or \"json\" and they match the patch formats supported by kubectl. The default \"patchtype\" is \"strategic\". \"extension\" must be either \"json\" or \"yaml\". \"suffix\" is an optional string that can be used to determine which patches are applied first alpha-numerically."),
        Flag::PodNetworkCidr => arg
            .value_name("CIDR")
            .help("Specify range of IP addresses for the pod network. If set, the control plane will automatically allocate CIDRs for every node."),
        Flag::ServiceCidr => arg
            .value_name("CIDR")
            .help("Use alternative range of IP address for service VIPs. [default: 10.96.0.0/12]"),
        Flag::ServiceDnsDomain => arg
            .value_name("DOMAIN")
            .help("Use alternative domain for services, e.g. \"myorg.internal\". [default: cluster.local]"),
        Flag::SkipPhases => arg
            .value_name("PHASES")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help("List of phases to be skipped"),
        Flag::ApiserverExtraArgs | Flag::ControllerManagerExtraArgs | Flag::SchedulerExtraArgs => arg
            .value_name("NAME=VALUE")
            .help(format!(
                "A set of extra flags to pass to the {} or override default ones in form of <flagname>=<value>",
                match f {
                    Flag::ApiserverExtraArgs => "API Server",
                    Flag::ControllerManagerExtraArgs => "Controller Manager",
                    _ => "Scheduler",
                }
            )),
        Flag::PluginDir => arg
            .value_name("DIR")
            .help(format!("Where plugins named by `source.name` are found [default: the configuration's pluginDir, else {DEFAULT_PLUGIN_DIR}]")),
        Flag::AllowUnsignedPlugins => boolean(arg)
            .help("Run plugins that are neither pinned by sha256 nor signed by a trusted key"),
        Flag::KubeconfigDir => arg
            .value_name("DIR")
            .default_value("/etc/kubernetes")
            .help("The path where to save the kubeconfig file."),
        Flag::Output => arg
            .value_name("FORMAT")
            .value_parser(clap::value_parser!(OutputFormat))
            .default_value("text")
            .help("How progress is reported: a phase tree for people (text) or one JSON object per event (json)."),
        Flag::Rootfs => arg
            .value_name("DIR")
            .help("The path to the 'real' host root filesystem: every node path is resolved under it."),
        Flag::Verbosity => arg
            .short('v')
            .value_name("LEVEL")
            .value_parser(clap::value_parser!(u8))
            .help("Number for the log level verbosity"),
    }
}

/// The spellings Go's `strconv.ParseBool` accepts, which pflag uses for `--flag=value`.
const TRUE_SPELLINGS: [&str; 6] = ["1", "t", "T", "true", "TRUE", "True"];
const FALSE_SPELLINGS: [&str; 6] = ["0", "f", "F", "false", "FALSE", "False"];

/// A boolean flag as pflag has them: `--flag` alone means true, and `--flag=true` or
/// `--flag=false` set it explicitly. The `=` is required, so `--flag word` leaves `word` an argument.
pub fn boolean(arg: clap::Arg) -> clap::Arg {
    arg.num_args(0..=1)
        .value_name("true|false")
        .require_equals(true)
        .default_missing_value("true")
        .action(ArgAction::Set)
        .hide_possible_values(true)
        .value_parser(
            clap::builder::PossibleValuesParser::new(
                TRUE_SPELLINGS.into_iter().chain(FALSE_SPELLINGS),
            )
            .map(|v| TRUE_SPELLINGS.contains(&v.as_str())),
        )
}

fn string(m: &ArgMatches, name: &str) -> Option<String> {
    m.try_get_one::<String>(name).ok().flatten().cloned()
}

fn strings(m: &ArgMatches, name: &str) -> Option<Vec<String>> {
    m.try_get_many::<String>(name).ok().flatten().map(|v| {
        v.map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn extra_args(m: &ArgMatches, name: &str) -> Result<Option<Vec<Arg>>, ConfigError> {
    string(m, name)
        .map(|s| parse_extra_args(name, &s))
        .transpose()
}

/// Reads the config-bound `init` flags that were given (flags a subcommand lacks read as unset).
pub fn init_overrides(m: &ArgMatches) -> Result<InitOverrides, ConfigError> {
    Ok(InitOverrides {
        apiserver_extra_args: extra_args(m, "apiserver-extra-args")?,
        controller_manager_extra_args: extra_args(m, "controller-manager-extra-args")?,
        scheduler_extra_args: extra_args(m, "scheduler-extra-args")?,
        advertise_address: string(m, "apiserver-advertise-address"),
        bind_port: bind_port(m),
        cert_extra_sans: strings(m, "apiserver-cert-extra-sans"),
        cert_dir: string(m, "cert-dir"),
        control_plane_endpoint: string(m, "control-plane-endpoint"),
        cri_socket: string(m, "cri-socket"),
        feature_gates: string(m, "feature-gates"),
        image_repository: string(m, "image-repository"),
        kubernetes_version: string(m, "kubernetes-version"),
        node_name: string(m, "node-name"),
        pod_network_cidr: string(m, "pod-network-cidr"),
        service_cidr: string(m, "service-cidr"),
        service_dns_domain: string(m, "service-dns-domain"),
        patches: string(m, "patches"),
        ignore_preflight_errors: strings(m, "ignore-preflight-errors").unwrap_or_default(),
        skip_phases: strings(m, "skip-phases").unwrap_or_default(),
        dry_run: switch(m, "dry-run"),
        token: string(m, "token"),
        token_ttl: string(m, "token-ttl").map(|v| token_ttl(&v)).transpose()?,
        certificate_key: string(m, "certificate-key"),
    })
}

/// `--token-ttl`: a Go duration of 0 (never expires) or more.
fn token_ttl(v: &str) -> Result<GoDuration, ConfigError> {
    if v.trim().starts_with('-') {
        return Err(ConfigError::Invalid(vec![format!(
            "--token-ttl: {v:?} is negative; expected 0 (the token never expires) or a positive duration such as 24h0m0s or 30m"
        )]));
    }
    v.parse::<GoDuration>().map_err(|e| {
        ConfigError::Invalid(vec![format!(
            "--token-ttl: {v:?} is not a duration ({e}); expected e.g. 24h0m0s, 30m or 0"
        )])
    })
}

fn bind_port(m: &ArgMatches) -> Option<i32> {
    m.try_get_one::<i32>("apiserver-bind-port")
        .ok()
        .flatten()
        .copied()
}

/// Reads the config-bound `join` flags and the endpoint argument that were given.
pub fn join_overrides(m: &ArgMatches) -> JoinOverrides {
    JoinOverrides {
        api_server_endpoint: string(m, Flag::ApiServerEndpoint.name()),
        advertise_address: string(m, "apiserver-advertise-address"),
        bind_port: bind_port(m),
        certificate_key: string(m, "certificate-key"),
        control_plane: switch(m, "control-plane"),
        cri_socket: string(m, "cri-socket"),
        discovery_file: string(m, "discovery-file"),
        discovery_token: string(m, "discovery-token"),
        discovery_token_ca_cert_hashes: strings(m, "discovery-token-ca-cert-hash"),
        discovery_token_unsafe_skip_ca_verification: switch(
            m,
            "discovery-token-unsafe-skip-ca-verification",
        ),
        node_name: string(m, "node-name"),
        patches: string(m, "patches"),
        tls_bootstrap_token: string(m, "tls-bootstrap-token"),
        token: string(m, "token"),
        ignore_preflight_errors: strings(m, "ignore-preflight-errors").unwrap_or_default(),
        skip_phases: strings(m, "skip-phases").unwrap_or_default(),
        dry_run: switch(m, "dry-run"),
    }
}

/// Reads the `reset` flags that were given.
pub fn reset_overrides(m: &ArgMatches) -> ResetOverrides {
    ResetOverrides {
        cert_dir: string(m, "cert-dir"),
        cleanup_tmp_dir: switch(m, "cleanup-tmp-dir"),
        cri_socket: string(m, "cri-socket"),
        dry_run: switch(m, "dry-run"),
        force: switch(m, "force"),
        ignore_preflight_errors: strings(m, "ignore-preflight-errors").unwrap_or_default(),
        skip_phases: strings(m, "skip-phases").unwrap_or_default(),
    }
}

/// A boolean flag; flags a subcommand lacks read as unset.
pub fn switch(m: &ArgMatches, name: &str) -> bool {
    m.try_get_one::<bool>(name)
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false)
}

/// `--kubeconfig`, when given.
pub fn kubeconfig(m: &ArgMatches) -> Option<String> {
    string(m, "kubeconfig")
}

pub fn config_path(m: &ArgMatches) -> Option<String> {
    string(m, "config")
}

pub fn rootfs(m: &ArgMatches) -> Option<String> {
    string(m, "rootfs")
}

pub fn kubeconfig_dir(m: &ArgMatches) -> Option<String> {
    string(m, "kubeconfig-dir")
}

pub fn output(m: &ArgMatches) -> OutputFormat {
    m.try_get_one::<OutputFormat>("output")
        .ok()
        .flatten()
        .copied()
        .unwrap_or(OutputFormat::Text)
}
