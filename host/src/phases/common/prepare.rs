//! The clap-free preparation every command shares before its first phase: the config file read
//! and parsed, the node root chosen, the enabled plugins loaded.

use std::sync::Arc;

use super::plugins::{PluginLoadError, PluginOptions, configured_plugin_phases, load_enabled};
use crate::certkey::CertKeyError;
use crate::config::plugins::PluginConfiguration;
use crate::config::{ConfigError, Documents, load_documents, read_config_file};
use crate::events::Events;
use crate::node::{NodeError, NodeRoot};
use crate::plugins::{LoadedPlugin, PluginError, PluginHost};
use crate::workflow::{Plan, PlanError, Selection, Workflow};

/// Why a command could not be prepared; nothing has been written when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error(transparent)]
    CertificateKey(#[from] CertKeyError),
    #[error(transparent)]
    PluginHost(#[from] PluginError),
    #[error(transparent)]
    Plugins(#[from] PluginLoadError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// The config file's documents, when `--config` names one.
pub fn read_config(path: Option<&str>) -> Result<Option<Documents>, PrepareError> {
    let Some(path) = path else {
        return Ok(None);
    };
    // Bounded and regular files only: `--config /dev/zero` is an error, not an OOM kill.
    let text = read_config_file(path)?;
    Ok(Some(load_documents(&text, path)?))
}

/// Where the run writes: a fresh temporary directory in dry-run (kept afterwards for the
/// operator to look at), `--rootfs`, or this host's `/`.
pub fn node_root(
    dry_run: bool,
    rootfs: Option<&str>,
    dry_run_prefix: &str,
    events: &Events,
) -> Result<NodeRoot, NodeError> {
    match (dry_run, rootfs) {
        (true, _) => NodeRoot::temporary(dry_run_prefix, events.clone()),
        (false, Some(dir)) => NodeRoot::open(dir, events.clone()),
        (false, None) => NodeRoot::open("/", events.clone()),
    }
}

/// The plugins the configuration enables, loaded, and the host that loaded them.
#[derive(Default)]
pub struct Plugins {
    pub loaded: Vec<Arc<LoadedPlugin>>,
    host: Option<PluginHost>,
}

impl Plugins {
    /// For a command that fails before its first phase: removes what loading wrote under the
    /// node root (compile cache entries, its key and directories), so bad input leaves nothing.
    pub fn discard(&self) {
        if let Some(host) = &self.host {
            host.discard_cache_writes();
        }
    }
}

/// The plugins the configuration enables, loaded (each one's `onFailure` applied). When one
/// fails the command, whatever loading wrote is removed again.
pub fn load_plugins(
    configuration: Option<&PluginConfiguration>,
    options: &PluginOptions,
    events: &Events,
) -> Result<Plugins, PrepareError> {
    let Some(configuration) = configuration else {
        return Ok(Plugins::default());
    };
    let host = options.host(Some(configuration), events.clone())?;
    match load_enabled(&host, configuration, events) {
        Ok(loaded) => Ok(Plugins {
            loaded,
            host: Some(host),
        }),
        Err(e) => {
            host.discard_cache_writes();
            Err(e.into())
        }
    }
}

/// Where a command's plugins come from and where it writes: what [`plan_run`] needs besides
/// the phase tree.
pub struct RunSetup<'a> {
    pub selection: &'a Selection,
    pub plugins: Option<&'a PluginConfiguration>,
    /// The phases plugins run under (`preflight`, `addon`).
    pub plugin_parents: &'a [&'a str],
    pub plugin_options: &'a PluginOptions,
    pub dry_run: bool,
    pub rootfs: Option<&'a str>,
    /// The name of the temporary directory a dry run writes to.
    pub dry_run_prefix: &'a str,
}

/// The last steps every command takes before its first phase: the selection's phase names
/// checked before any plugin is compiled into the cache under the node root, the enabled
/// plugins loaded into the phase tree `tree` builds, the plan made and the node root chosen.
/// What loading wrote is removed when a later step fails.
pub fn plan_run<C: ?Sized>(
    tree: impl Fn(&[Arc<LoadedPlugin>]) -> Workflow<C>,
    setup: RunSetup<'_>,
    events: &Events,
) -> Result<(Workflow<C>, Plan, NodeRoot), PrepareError> {
    tree(&[]).check_names(
        setup.selection,
        &configured_plugin_phases(setup.plugins, setup.plugin_parents),
    )?;
    let plugins = load_plugins(setup.plugins, setup.plugin_options, events)?;
    let workflow = tree(&plugins.loaded);
    let planned = workflow
        .plan(setup.selection)
        .map_err(PrepareError::from)
        .and_then(|plan| {
            let root = node_root(setup.dry_run, setup.rootfs, setup.dry_run_prefix, events)?;
            Ok((plan, root))
        });
    let (plan, root) = planned.inspect_err(|_| plugins.discard())?;
    Ok((workflow, plan, root))
}
