//! `kubeadm-rs config`: print defaults, validate, migrate, and list images.

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::CliError;
use super::flags::{self, Verb};
use crate::config::{self, ComponentDefaults, InitOverrides};
use crate::manifests::{kube_proxy_configuration, kubelet_configuration};
use crate::system::LIVE_CONFIG;
use crate::workflow::Flag;

fn component_configs_arg() -> Arg {
    Arg::new("component-configs")
        .long("component-configs")
        .value_name("KINDS")
        .value_delimiter(',')
        .action(ArgAction::Append)
        .help("A comma-separated list for component config API objects to print the default values for. Available values: [KubeProxyConfiguration KubeletConfiguration]. If this flag is not set, no component configs will be printed.")
}

pub fn command() -> Command {
    Command::new("config")
        .about("Manage configuration for a kubeadm cluster persisted in a ConfigMap in the cluster")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("print")
                .about("Print configuration")
                .subcommand_required(true)
                .arg_required_else_help(true)
                .subcommand(
                    Command::new("init-defaults")
                        .about("Print default init configuration, that can be used for 'kubeadm-rs init'")
                        .arg(component_configs_arg()),
                )
                .subcommand(
                    Command::new("join-defaults")
                        .about("Print default join configuration, that can be used for 'kubeadm-rs join'")
                        .arg(component_configs_arg()),
                ),
        )
        .subcommand(
            Command::new("validate")
                .about("Read a file containing the kubeadm configuration API and report any validation problems")
                .arg(flags::flag(Flag::Config, Verb::Init).required(true)),
        )
        .subcommand(
            Command::new("migrate")
                .about("Read an older version of the kubeadm configuration API types from a file, and output the similar config object for the newer version")
                .arg(
                    Arg::new("old-config")
                        .long("old-config")
                        .value_name("FILE")
                        .required(true)
                        .help("Path to the kubeadm config file that is using an old API version and should be converted. This flag is mandatory."),
                )
                .arg(
                    Arg::new("new-config")
                        .long("new-config")
                        .value_name("FILE")
                        .help("Path to the resulting equivalent kubeadm config file using the new API version. Optional, if not specified output will be sent to STDOUT."),
                ),
        )
        .subcommand(
            Command::new("images")
                .about("Interact with container images used by kubeadm")
                .subcommand_required(true)
                .arg_required_else_help(true)
                .subcommand(
                    Command::new("list")
                        .about("Print a list of images kubeadm will use. The configuration file is used in case any images or image repositories are customized")
                        .arg(flags::flag(Flag::Config, Verb::Init))
                        .arg(flags::flag(Flag::KubernetesVersion, Verb::Init))
                        .arg(flags::flag(Flag::ImageRepository, Verb::Init))
                        .arg(flags::flag(Flag::FeatureGates, Verb::Init)),
                ),
        )
}

fn read(path: &str) -> Result<String, CliError> {
    Ok(config::read_config_file(path)?)
}

fn component_kinds(m: &ArgMatches) -> Result<Vec<config::ComponentKind>, CliError> {
    let names: Vec<String> = m
        .get_many::<String>("component-configs")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    Ok(config::parse_component_kinds(&names)?)
}

const DEFAULTS: ComponentDefaults<'static> = ComponentDefaults {
    kubelet: &kubelet_configuration,
    kube_proxy: &kube_proxy_configuration,
};

pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    match m.subcommand() {
        Some(("print", p)) => match p.subcommand() {
            Some(("init-defaults", s)) => print!(
                "{}",
                config::print_init_defaults(&component_kinds(s)?, &DEFAULTS)?
            ),
            Some(("join-defaults", s)) => print!(
                "{}",
                config::print_join_defaults(&component_kinds(s)?, &DEFAULTS, &LIVE_CONFIG)?
            ),
            _ => unreachable!("clap requires a subcommand"),
        },
        Some(("validate", s)) => {
            let path = flags::config_path(s).expect("required");
            for warning in config::validate_file(&read(&path)?, &path, &LIVE_CONFIG)? {
                eprintln!("warning: {warning}");
            }
            println!("ok");
        }
        Some(("migrate", s)) => {
            let old = s.get_one::<String>("old-config").expect("required");
            let migrated = config::migrate(&read(old)?, old, &LIVE_CONFIG)?;
            match s.get_one::<String>("new-config") {
                Some(new) => std::fs::write(new, migrated)
                    .map_err(|e| CliError::input(format!("writing {new}: {e}")))?,
                None => print!("{migrated}"),
            }
        }
        Some(("images", i)) => {
            let s = i
                .subcommand_matches("list")
                .expect("clap requires a subcommand");
            let docs = match flags::config_path(s) {
                Some(path) => Some(config::load_documents(&read(&path)?, &path)?),
                None => None,
            };
            let overrides = InitOverrides {
                kubernetes_version: s.get_one::<String>("kubernetes-version").cloned(),
                image_repository: s.get_one::<String>("image-repository").cloned(),
                feature_gates: s.get_one::<String>("feature-gates").cloned(),
                ..Default::default()
            };
            let (cfg, warnings) = config::resolve_init(docs.as_ref(), &overrides, &LIVE_CONFIG)?;
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            for image in cfg.images() {
                println!("{image}");
            }
        }
        _ => unreachable!("clap requires a subcommand"),
    }
    Ok(())
}
