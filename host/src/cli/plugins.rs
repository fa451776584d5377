//! Plugins on the command line: the options that say where they come from, the configured ones
//! for help text, and the plugin author's and operator's commands `plugin list|inspect|verify|run`
//! (the distributor's `plugin push|pull` are in `oci`).

mod oci;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Command};
use kubeadm_rs_plugin_contract::names;

use super::CliError;
use crate::cluster::NoCluster;
use crate::config::plugins::{PluginConfiguration, PluginSource, PluginSpec};
use crate::config::{self, load_documents};
use crate::events::{Events, Severity};
use crate::phases::common::PluginOptions;
use crate::plugins::{ClusterView, LoadedPlugin, PluginHost, PluginKind, verify_file};
use crate::system::LIVE_CONFIG;
use crate::workflow::Flag;

/// Where plugins come from and how far they are trusted, from the command line.
pub fn plugin_options(m: &ArgMatches) -> PluginOptions {
    let string = |name: &str| m.try_get_one::<String>(name).ok().flatten().cloned();
    PluginOptions {
        config: string(Flag::Config.name()),
        plugin_dir: string(Flag::PluginDir.name()),
        allow_unsigned: m
            .try_get_one::<bool>(Flag::AllowUnsignedPlugins.name())
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false),
        rootfs: string(Flag::Rootfs.name()),
    }
}

/// The same options read straight from the process arguments, before clap runs: the help
/// text and phase subcommands include the configured plugins.
fn scan(args: &[OsString]) -> PluginOptions {
    let mut opts = PluginOptions::default();
    let mut it = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .peekable();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next());
        match name.as_str() {
            "--config" => opts.config = value(),
            "--plugin-dir" => opts.plugin_dir = value(),
            "--rootfs" => opts.rootfs = value(),
            "--allow-unsigned-plugins" => opts.allow_unsigned = true,
            _ => {}
        }
    }
    opts
}

/// The plugins named by a `--config` on the command line, for the help text; problems are
/// reported when the command runs, not here. Their compile cache is only read: help, or a
/// usage error clap finds afterwards, writes nothing under the node root.
pub fn for_help(args: &[OsString]) -> Vec<Arc<LoadedPlugin>> {
    let opts = scan(args);
    let Some(path) = &opts.config else {
        return Vec::new();
    };
    let Ok(text) = config::read_config_file(path) else {
        return Vec::new();
    };
    let Some(plugins) = plugin_configuration(&text, path) else {
        return Vec::new();
    };
    let Ok(host) = opts.help_host(Some(&plugins)) else {
        return Vec::new();
    };
    plugins
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .filter_map(|spec| host.load(spec).ok().map(Arc::new))
        .collect()
}

/// The PluginConfiguration of a config file for any command (init's or join's).
fn plugin_configuration(text: &str, source: &str) -> Option<PluginConfiguration> {
    let docs = load_documents(text, source).ok()?;
    config::plugin_configuration(&docs).ok().flatten()
}

pub fn command() -> Command {
    let file = || {
        Arg::new("file")
            .value_name("FILE")
            .required(true)
            .help("The plugin's .wasm file")
    };
    let grant = || {
        Arg::new("grant")
            .long("grant")
            .value_name("GRANT")
            .action(ArgAction::Append)
            .help("Grant a permission the plugin declared: read-path=/dir, sysctl=key, cluster-read=Kind[/namespace], cluster-apply=Kind[/namespace]")
    };
    Command::new("plugin")
        .about("Inspect, verify and run kubeadm-rs plugins")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("list")
                .about("List the plugins in the plugin directory: digest, signature, and whether the configuration enables them")
                .arg(super::flags::flag(Flag::Config, super::flags::Verb::Init))
                .arg(super::flags::flag(Flag::PluginDir, super::flags::Verb::Init)),
        )
        .subcommand(
            Command::new("inspect")
                .about("Show a plugin's world, WIT version, imports, declared permissions with reasons, digest and signature")
                .arg(file())
                .arg(super::flags::flag(Flag::Config, super::flags::Verb::Init)),
        )
        .subcommand(
            Command::new("verify")
                .about("Check a plugin's signature (<file>.minisig) against the configuration's trusted keys")
                .arg(file())
                .arg(super::flags::flag(Flag::Config, super::flags::Verb::Init).required(true)),
        )
        .subcommand(
            Command::new("run")
                .about("Run one plugin exactly as init would and print its findings or manifests: the plugin author's test loop")
                .arg(file())
                .arg(
                    Arg::new("param")
                        .long("param")
                        .value_name("KEY=VALUE")
                        .action(ArgAction::Append)
                        .help("A plugin parameter"),
                )
                .arg(grant())
                .arg(super::flags::flag(Flag::Config, super::flags::Verb::Init))
                .arg(
                    Arg::new("pod-network-cidr")
                        .long("pod-network-cidr")
                        .value_name("CIDR")
                        .help("The pod subnet an addon plugin sees, when no --config gives one"),
                ),
        )
        .subcommands(oci::subcommands())
}

fn read_plugins(path: &str) -> Result<Option<PluginConfiguration>, CliError> {
    let text = config::read_config_file(path)?;
    let docs = load_documents(&text, path)?;
    let (cfg, _) = config::resolve_init(Some(&docs), &Default::default(), &LIVE_CONFIG)?;
    Ok(cfg.plugins)
}

/// The `--config` file's PluginConfiguration, if any, and a quiet host built from it.
fn configured(opts: &PluginOptions) -> Result<(Option<PluginConfiguration>, PluginHost), CliError> {
    let plugins = opts
        .config
        .as_deref()
        .map(read_plugins)
        .transpose()?
        .flatten();
    let host = opts.host(plugins.as_ref(), Events::discard())?;
    Ok((plugins, host))
}

/// A plugin file's digest and signature status against `keys`.
fn verification(
    file: &Path,
    keys: &[crate::config::plugins::TrustedKey],
) -> Result<crate::plugins::Verification, CliError> {
    verify_file(file, keys).map_err(|e| CliError::input(format!("reading {}: {e}", file.display())))
}

fn apply_grant(spec: &mut PluginSpec, grant: &str) -> Result<(), CliError> {
    let bad = || {
        CliError::input(format!(
            "--grant {grant:?}: expected read-path=/dir, sysctl=key, cluster-read=Kind[/namespace] or cluster-apply=Kind[/namespace]"
        ))
    };
    let (kind, value) = grant.split_once('=').ok_or_else(bad)?;
    let scope = |v: &str| {
        let (kind, ns) = match v.split_once('/') {
            Some((k, n)) => (k.to_string(), vec![n.to_string()]),
            None => (v.to_string(), Vec::new()),
        };
        config::plugins::GrantScope {
            kind,
            namespaces: ns,
        }
    };
    match kind {
        "read-path" if names::is_clean_absolute_path(value) => {
            spec.grants.read_paths.push(value.to_string())
        }
        "sysctl" if names::is_sysctl_key(value) => spec.grants.sysctls.push(value.to_string()),
        "cluster-read" | "cluster-apply"
            if value.is_empty() || value.starts_with('/') || value.ends_with('/') =>
        {
            return Err(bad());
        }
        "cluster-read" => spec.grants.cluster_read.push(scope(value)),
        "cluster-apply" => spec.grants.cluster_apply.push(scope(value)),
        _ => return Err(bad()),
    }
    Ok(())
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    let events = super::reporter(super::render::OutputFormat::Text);
    if let Some((name, s)) = m.subcommand()
        && let Some(result) = oci::run(name, s)
    {
        return result;
    }
    match m.subcommand() {
        Some(("list", s)) => {
            let (plugins, host) = configured(&plugin_options(s))?;
            let dir = host.config().plugin_dir.clone();
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            println!(
                "{:<24} {:<66} {:<28} ENABLED",
                "NAME", "SHA256", "SIGNATURE"
            );
            for file in files {
                let name = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let v = verification(&file, &host.config().trusted_keys)?;
                let enabled = plugins.as_ref().and_then(|p| {
                    p.plugins
                        .iter()
                        .find(|spec| spec.source.oci.is_none() && host.plugin_file(spec) == file)
                        .map(|spec| spec.enabled)
                });
                println!(
                    "{:<24} {:<66} {:<28} {}",
                    name,
                    v.digest.to_string(),
                    v.signature.to_string(),
                    match enabled {
                        Some(true) => "yes",
                        Some(false) => "no (enabled: false)",
                        None => "no (not in the configuration)",
                    }
                );
            }
        }
        Some(("inspect", s)) => {
            let (_, host) = configured(&plugin_options(s))?;
            let file = PathBuf::from(s.get_one::<String>("file").expect("required"));
            let i = host
                .inspect(&file)
                .map_err(|e| CliError::input(e.to_string()))?;
            let v = verification(&file, &host.config().trusted_keys)?;
            println!("name:        {}", i.info.name);
            println!("version:     {}", i.info.version);
            println!("world:       {}", i.kind.world());
            println!(
                "wit version: {}",
                i.wit_version.as_deref().unwrap_or("(none)")
            );
            println!("min host:    {}", i.info.min_host_version);
            println!("sha256:      {}", i.digest);
            println!("signature:   {}", v.signature);
            println!("imports:");
            for import in &i.imports {
                println!("  {import}");
            }
            println!("checks:");
            for c in &i.info.checks {
                println!("  {}: {}", c.name, c.description);
            }
            println!("permissions:");
            for p in &i.info.permissions {
                println!("  {}: {}", p.permission, p.reason);
            }
        }
        Some(("verify", s)) => {
            let (_, host) = configured(&plugin_options(s))?;
            let keys = &host.config().trusted_keys;
            let file = PathBuf::from(s.get_one::<String>("file").expect("required"));
            let v = verification(&file, keys)?;
            println!("sha256:    {}", v.digest);
            println!("signature: {}", v.signature);
            if !matches!(v.signature, crate::plugins::SignatureStatus::Valid { .. }) {
                return Err(CliError::input(format!(
                    "{}: {}",
                    file.display(),
                    v.signature
                )));
            }
        }
        Some(("run", s)) => {
            let mut opts = plugin_options(s);
            opts.allow_unsigned = true;
            let file = s.get_one::<String>("file").expect("required");
            let path =
                std::path::absolute(file).map_err(|e| CliError::input(format!("{file}: {e}")))?;
            // Usage errors first: nothing is compiled for a command that cannot run.
            let mut spec = PluginSpec::new("", PluginSource::path(path.display().to_string()));
            for param in s.get_many::<String>("param").into_iter().flatten() {
                let (k, v) = param.split_once('=').ok_or_else(|| {
                    CliError::input(format!("--param {param:?}: expected key=value"))
                })?;
                spec.parameters.set(k, v);
            }
            for grant in s.get_many::<String>("grant").into_iter().flatten() {
                apply_grant(&mut spec, grant)?;
            }
            let host = opts.host(None, events.clone())?;
            // Named by the file until its own `describe` names it, as a configuration would.
            spec.name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let plugin = host
                .load_as_described(spec)
                .map_err(|e| CliError::input(e.to_string()))?;
            match plugin.kind() {
                PluginKind::Preflight => {
                    let findings = plugin
                        .run_preflight()
                        .map_err(|e| CliError::input(e.to_string()))?;
                    for f in &findings {
                        println!(
                            "[{} {}/{}]: {}",
                            severity_label(f.severity),
                            plugin.name(),
                            f.check,
                            f.message
                        );
                        if let Some(remedy) = &f.remedy {
                            println!("\tremedy: {remedy}");
                        }
                    }
                    if findings.iter().any(|f| f.severity == Severity::Error) {
                        return Err(CliError::input(format!(
                            "plugin {} reported errors",
                            plugin.name()
                        )));
                    }
                }
                PluginKind::Addon => {
                    let mut overrides = config::InitOverrides {
                        pod_network_cidr: s.get_one::<String>("pod-network-cidr").cloned(),
                        ..Default::default()
                    };
                    let docs = match s.get_one::<String>("config") {
                        Some(path) => {
                            overrides.pod_network_cidr = None;
                            let text = config::read_config_file(path)?;
                            Some(load_documents(&text, path)?)
                        }
                        None => None,
                    };
                    let (cfg, _) = config::resolve_init(docs.as_ref(), &overrides, &LIVE_CONFIG)?;
                    let reader =
                        Arc::new(NoCluster("plugin run has no cluster to read from".into()));
                    let manifests = plugin
                        .render_addon(&ClusterView::of(&cfg), reader)
                        .map_err(|e| CliError::input(e.to_string()))?;
                    for m in manifests {
                        println!("---\n{}", m.content.trim_start_matches("---\n").trim_end());
                    }
                }
            }
        }
        _ => unreachable!("clap requires a subcommand"),
    }
    Ok(())
}
