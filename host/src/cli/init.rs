//! `kubeadm-rs init` and its `phase` subcommands: the phase tree bound to clap by the binder,
//! the run prepared by the library.

use std::sync::Arc;

use clap::{ArgMatches, Command};

use super::binder::{PhasedCommand, selected};
use super::flags::{self, INIT_FLAGS, PHASE_ONLY_FLAGS, Verb};
use super::plugins::plugin_options;
use super::{CliError, reporter};
use crate::config::constants::KUBERNETES_DIR;
use crate::phases::init::{InitOptions, InitRequest, init_workflow_with, prepare_init};
use crate::plugins::LoadedPlugin;
use crate::system::{LIVE_CONFIG, LiveSystem};
use crate::workflow::{Flag, Workflow};

/// `init` with its phase tree; `plugins` become phases as the configuration enables them.
pub fn command(plugins: &[Arc<LoadedPlugin>]) -> Command {
    let workflow = init_workflow_with(plugins);
    let own: Vec<Flag> = INIT_FLAGS
        .into_iter()
        .filter(|f| !PHASE_ONLY_FLAGS.contains(f))
        .collect();
    phased(&workflow, &own).build()
}

fn phased<'w, C: ?Sized>(workflow: &'w Workflow<C>, own: &'w [Flag]) -> PhasedCommand<'w, C> {
    PhasedCommand {
        verb: Verb::Init,
        usage_name: "init",
        about: "Run this command in order to set up the Kubernetes control plane",
        long_about: "Run this command in order to set up the Kubernetes control plane",
        flags: own,
        workflow,
    }
}

/// Runs `init` (all phases) or `init phase <path>`.
pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    let (phase, m) = selected(m);
    let events = reporter(flags::output(m));
    let request = InitRequest {
        config: flags::config_path(m),
        overrides: flags::init_overrides(m)?,
        phase,
        rootfs: flags::rootfs(m),
        options: InitOptions {
            kubeconfig_dir: flags::kubeconfig_dir(m).unwrap_or_else(|| KUBERNETES_DIR.to_string()),
            kubeconfig: flags::kubeconfig(m),
            upload_certs: flags::switch(m, Flag::UploadCerts.name()),
            skip_token_print: flags::switch(m, Flag::SkipTokenPrint.name()),
            skip_certificate_key_print: flags::switch(m, Flag::SkipCertificateKeyPrint.name()),
            ..InitOptions::default()
        },
        plugins: plugin_options(m),
    };
    let prepared = prepare_init(request, &LIVE_CONFIG, Box::new(LiveSystem), &events)
        .map_err(|e| CliError::prepare(e, Verb::Init))?;
    // What the run wrote is durable before the command reports success.
    prepared.run(&events)?.sync()?;
    Ok(())
}
