//! kubeadm's `init` flags, defined once; `init` takes all of them, each phase subcommand the
//! ones its phase names.

use clap::{ArgAction, ArgMatches};

use crate::config::v1beta4::Arg;
use crate::config::{ConfigError, InitOverrides, parse_extra_args};
use crate::workflow::render::OutputFormat;

/// Every `init` flag name, in the order `init --help` lists them.
pub const INIT_FLAGS: [&str; 27] = [
    "apiserver-advertise-address",
    "apiserver-bind-port",
    "apiserver-cert-extra-sans",
    "cert-dir",
    "config",
    "control-plane-endpoint",
    "cri-socket",
    "dry-run",
    "feature-gates",
    "ignore-preflight-errors",
    "image-repository",
    "kubernetes-version",
    "node-name",
    "patches",
    "pod-network-cidr",
    "service-cidr",
    "service-dns-domain",
    "skip-phases",
    "plugin-dir",
    "allow-unsigned-plugins",
    "kubeconfig-dir",
    "apiserver-extra-args",
    "controller-manager-extra-args",
    "scheduler-extra-args",
    "output",
    "rootfs",
    "v",
];

/// Flags only phase subcommands take (kubeadm's "additional flags").
pub const PHASE_ONLY_FLAGS: [&str; 4] = [
    "kubeconfig-dir",
    "apiserver-extra-args",
    "controller-manager-extra-args",
    "scheduler-extra-args",
];

/// The clap definition of one flag, with kubeadm's help text.
pub fn flag(name: &'static str) -> clap::Arg {
    let arg = clap::Arg::new(name).long(name);
    match name {
        "apiserver-advertise-address" => arg
            .value_name("IP")
            .help("The IP address the API Server will advertise it's listening on. If not set the default network interface will be used."),
        "apiserver-bind-port" => arg
            .value_name("PORT")
            .value_parser(clap::value_parser!(i32))
            .help("Port for the API Server to bind to. [default: 6443]"),
        "apiserver-cert-extra-sans" => arg
            .value_name("SANS")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help("Optional extra Subject Alternative Names (SANs) to use for the API Server serving certificate. Can be both IP addresses and DNS names."),
        "cert-dir" => arg
            .value_name("DIR")
            .help("The path where to save and store the certificates. [default: /etc/kubernetes/pki]"),
        "config" => arg
            .value_name("FILE")
            .help("Path to a kubeadm configuration file."),
        "control-plane-endpoint" => arg
            .value_name("ENDPOINT")
            .help("Specify a stable IP address or DNS name for the control plane."),
        "cri-socket" => arg
            .value_name("URL")
            .help("Path to the CRI socket to connect. If empty kubeadm will try to auto-detect this value; use this option only if you have more than one CRI installed or if you have non-standard CRI socket."),
        "dry-run" => arg
            .action(ArgAction::SetTrue)
            .help("Don't apply any changes; just output what would be done."),
        "feature-gates" => arg
            .value_name("GATES")
            .help("A set of key=value pairs that describe feature gates for various features. Options are: ControlPlaneKubeletLocalMode=true|false, NodeLocalCRISocket=true|false, PublicKeysECDSA=true|false (DEPRECATED), RootlessControlPlane=true|false (ALPHA)"),
        "ignore-preflight-errors" => arg
            .value_name("CHECKS")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help("A list of checks whose errors will be shown as warnings. Example: 'IsPrivilegedUser,Swap'. Value 'all' ignores errors from all checks."),
        "image-repository" => arg
            .value_name("REPO")
            .help("Choose a container registry to pull control plane images from [default: registry.k8s.io]"),
        "kubernetes-version" => arg
            .value_name("VERSION")
            .help("Choose a specific Kubernetes version for the control plane. [default: stable-1]"),
        "node-name" => arg
            .value_name("NAME")
            .help("Specify the node name."),
        "patches" => arg
            .value_name("DIR")
            .help("Path to a directory that contains files named \"target[suffix][+patchtype].extension\". For example, \"kube-apiserver0+merge.yaml\" or just \"etcd.json\". \"target\" can be one of \"kube-apiserver\", \"kube-controller-manager\", \"kube-scheduler\", \"etcd\", \"kubeletconfiguration\". \"patchtype\" can be one of \"strategic\", \"merge\" or \"json\" and they match the patch formats supported by kubectl. The default \"patchtype\" is \"strategic\". \"extension\" must be either \"json\" or \"yaml\". \"suffix\" is an optional string that can be used to determine which patches are applied first alpha-numerically."),
        "pod-network-cidr" => arg
            .value_name("CIDR")
            .help("Specify range of IP addresses for the pod network. If set, the control plane will automatically allocate CIDRs for every node."),
        "service-cidr" => arg
            .value_name("CIDR")
            .help("Use alternative range of IP address for service VIPs. [default: 10.96.0.0/12]"),
        "service-dns-domain" => arg
            .value_name("DOMAIN")
            .help("Use alternative domain for services, e.g. \"myorg.internal\". [default: cluster.local]"),
        "skip-phases" => arg
            .value_name("PHASES")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help("List of phases to be skipped"),
        "apiserver-extra-args" | "controller-manager-extra-args" | "scheduler-extra-args" => arg
            .value_name("NAME=VALUE")
            .help(format!(
                "A set of extra flags to pass to the {} or override default ones in form of <flagname>=<value>",
                match name {
                    "apiserver-extra-args" => "API Server",
                    "controller-manager-extra-args" => "Controller Manager",
                    _ => "Scheduler",
                }
            )),
        "plugin-dir" | "allow-unsigned-plugins" => super::plugins::flag(name),
        "kubeconfig-dir" => arg
            .value_name("DIR")
            .default_value("/etc/kubernetes")
            .help("The path where to save the kubeconfig file."),
        "output" => arg
            .value_name("FORMAT")
            .value_parser(clap::value_parser!(OutputFormat))
            .default_value("text")
            .help("How progress is reported: a phase tree for people (text) or one JSON object per event (json)."),
        "rootfs" => arg
            .value_name("DIR")
            .help("The path to the 'real' host root filesystem: every node path is resolved under it."),
        "v" => arg
            .short('v')
            .value_name("LEVEL")
            .value_parser(clap::value_parser!(u8))
            .help("Number for the log level verbosity"),
        other => unreachable!("flag {other} is not defined"),
    }
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

/// Reads the config-bound flags that were given (flags a subcommand lacks read as unset).
pub fn overrides(m: &ArgMatches) -> Result<InitOverrides, ConfigError> {
    Ok(InitOverrides {
        apiserver_extra_args: extra_args(m, "apiserver-extra-args")?,
        controller_manager_extra_args: extra_args(m, "controller-manager-extra-args")?,
        scheduler_extra_args: extra_args(m, "scheduler-extra-args")?,
        advertise_address: string(m, "apiserver-advertise-address"),
        bind_port: m
            .try_get_one::<i32>("apiserver-bind-port")
            .ok()
            .flatten()
            .copied(),
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
        dry_run: m
            .try_get_one::<bool>("dry-run")
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false),
    })
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
