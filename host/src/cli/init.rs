//! `kubeadm-rs init` and its `phase` subcommands, generated from the phase tree.

use std::sync::Arc;

use clap::{ArgMatches, Command};

use super::flags::{self, INIT_FLAGS, PHASE_ONLY_FLAGS};
use super::plugins::{PluginOptions, load_enabled};
use super::{CliError, reporter};
use crate::certkey::CertificateKey;
use crate::config::{self, constants::KUBERNETES_DIR};
use crate::node::NodeRoot;
use crate::phases::init::{InitContext, InitData, InitOptions, init_workflow_with};
use crate::plugins::LoadedPlugin;
use crate::system::{LiveHostFacts, LiveSystem};
use crate::workflow::{Flat, Phase, Selection, Workflow};

/// Flags every phase subcommand takes besides its own.
const PHASE_COMMON_FLAGS: [&str; 3] = ["output", "rootfs", "v"];

/// kubeadm's phase table for `init --help`: names padded, children as `/name`, `all` and hidden left out.
pub fn phase_table<C: ?Sized>(command: &str, workflow: &Workflow<C>) -> String {
    let rows: Vec<(String, &str)> = workflow
        .flatten()
        .into_iter()
        .filter(|f| !f.phase.hidden)
        .map(|f: Flat<'_, C>| {
            let name = if f.depth == 0 {
                f.phase.name.clone()
            } else {
                format!("{}/{}", "  ".repeat(f.depth), f.phase.name)
            };
            (name, f.phase.short.as_str())
        })
        .collect();
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 2;
    let mut out = format!("The \"{command}\" command executes the following phases:\n```\n");
    for (name, short) in rows {
        out.push_str(&format!("{name:<width$}{short}\n"));
    }
    out.push_str("```");
    out
}

/// `init` with its phase tree; `plugins` become phases as the configuration enables them.
pub fn command(plugins: &[Arc<LoadedPlugin>]) -> Command {
    let workflow = init_workflow_with(plugins);
    let mut cmd = Command::new("init")
        // The phase table is preformatted: wrapping would break its columns.
        .term_width(0)
        .about("Run this command in order to set up the Kubernetes control plane")
        .long_about(format!(
            "Run this command in order to set up the Kubernetes control plane\n\n{}",
            phase_table("init", &workflow)
        ));
    for name in INIT_FLAGS.iter().filter(|n| !PHASE_ONLY_FLAGS.contains(n)) {
        cmd = cmd.arg(flags::flag(name));
    }
    cmd.subcommand(phase_command(&workflow))
}

fn phase_command<C: ?Sized>(workflow: &Workflow<C>) -> Command {
    let mut cmd = Command::new("phase")
        .about("Use this command to invoke single phase of the init workflow")
        .subcommand_required(true)
        .arg_required_else_help(true);
    for phase in workflow.phases.iter().filter(|p| !p.hidden) {
        cmd = cmd.subcommand(phase_subcommand(phase, &[]));
    }
    cmd
}

fn with_flags(mut cmd: Command, names: &[&'static str]) -> Command {
    let mut seen: Vec<&str> = Vec::new();
    for name in names.iter().chain(PHASE_COMMON_FLAGS.iter()) {
        if !seen.contains(name) {
            seen.push(name);
            cmd = cmd.arg(flags::flag(name));
        }
    }
    cmd
}

/// One phase as a subcommand: a parent prints help unless `all` is chosen; a leaf runs.
fn phase_subcommand<C: ?Sized>(phase: &Phase<C>, inherited: &[&'static str]) -> Command {
    let own: Vec<&'static str> = if phase.flags.is_empty() {
        inherited.to_vec()
    } else {
        phase.flags.clone()
    };
    let mut cmd = Command::new(phase.name.clone()).about(phase.short.clone());
    if let Some(long) = &phase.long {
        cmd = cmd.long_about(long.clone());
    }
    let children: Vec<&Phase<C>> = phase.children.iter().filter(|c| !c.hidden).collect();
    if children.is_empty() {
        return with_flags(cmd, &own);
    }
    cmd = cmd.subcommand_required(true).arg_required_else_help(true);
    if phase.run_all_siblings {
        cmd = cmd.subcommand(with_flags(
            Command::new("all").about(format!("Run all {} phases", phase.name)),
            &own,
        ));
    }
    for child in children {
        cmd = cmd.subcommand(phase_subcommand(child, &own));
    }
    cmd
}

/// Follows `phase a b c` down the matches to the phase path and the leaf's flags.
fn selected_phase(m: &ArgMatches) -> (String, &ArgMatches) {
    let mut path = Vec::new();
    let mut cur = m;
    while let Some((name, sub)) = cur.subcommand() {
        if name != "all" {
            path.push(name.to_string());
        }
        cur = sub;
    }
    (path.join("/"), cur)
}

/// Runs `init` (all phases) or `init phase <path>`.
pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    let (filter, m) = match m.subcommand() {
        Some(("phase", pm)) => {
            let (path, leaf) = selected_phase(pm);
            (Some(path), leaf)
        }
        _ => (None, m),
    };
    let events = reporter(flags::output(m));
    let overrides = flags::overrides(m)?;

    let docs = match flags::config_path(m) {
        Some(path) => {
            let text = config::read_config_file(&path)?;
            Some(config::load_documents(&text, &path)?)
        }
        None => None,
    };
    let (mut cfg, warnings) = config::resolve_init(docs.as_ref(), &overrides, &LiveHostFacts)?;
    for w in warnings {
        events.warn(w);
    }
    // As kubeadm: uploading certificates without a key generates one (printed at the end).
    if flags::switch(m, "upload-certs") && cfg.init.certificate_key.is_empty() {
        cfg.init.certificate_key = CertificateKey::generate()
            .map_err(|e| CliError::input(e.to_string()))?
            .expose();
    }

    let plugins = match &cfg.plugins {
        Some(plugins) => {
            let host = PluginOptions::from_matches(m).host(Some(plugins), events.clone())?;
            load_enabled(&host, plugins, &events)?
        }
        None => Vec::new(),
    };
    let workflow = init_workflow_with(&plugins);
    let selection = Selection {
        filter,
        skip: if overrides.skip_phases.is_empty() {
            cfg.init.skip_phases.clone()
        } else {
            overrides.skip_phases.clone()
        },
    };
    let plan = workflow.plan(&selection)?;

    let dry_run = cfg.init.dry_run;
    let root = match (dry_run, flags::rootfs(m)) {
        (true, _) => NodeRoot::temporary("kubeadm-init-dryrun", events.clone())?,
        (false, Some(dir)) => NodeRoot::open(dir, events.clone())?,
        (false, None) => NodeRoot::open("/", events.clone())?,
    };
    let options = InitOptions {
        kubeconfig_dir: flags::kubeconfig_dir(m).unwrap_or_else(|| KUBERNETES_DIR.to_string()),
        dry_run,
        prepared_root: flags::rootfs(m).is_some(),
        kubeconfig: flags::kubeconfig(m),
        upload_certs: flags::switch(m, "upload-certs"),
        skip_token_print: flags::switch(m, "skip-token-print"),
        skip_certificate_key_print: flags::switch(m, "skip-certificate-key-print"),
    };
    let mut data = InitData::new(cfg, root, options, Box::new(LiveSystem));
    let ctx: &mut dyn InitContext = &mut data;
    workflow.execute(&plan, ctx, &events)?;

    if dry_run {
        let mut root = data.into_root();
        root.keep();
        events.info(format!(
            "[dryrun] Wrote certificates, kubeconfig files and control plane manifests to the {:?} directory",
            root.host_path().display().to_string()
        ));
    }
    Ok(())
}
