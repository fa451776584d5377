//! Plugins for any command: loading the enabled ones (with their `onFailure`) before a phase
//! runs, and each enabled preflight plugin as the phase `preflight/<plugin>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::CommandContext;
use super::preflight::record_findings;
use crate::config::plugins::PluginConfiguration;
use crate::events::Events;
use crate::plugins::{
    CacheMode, DEFAULT_CACHE_DIR, HostConfig, LIVE_NODE, LoadedPlugin, PluginError, PluginHost,
    Stage, handle_failure,
};
use crate::workflow::{Flag, Phase};

/// Where plugins come from and how far they are trusted (`--config`, `--plugin-dir`,
/// `--allow-unsigned-plugins`, `--rootfs`).
#[derive(Clone, Debug, Default)]
pub struct PluginOptions {
    pub config: Option<String>,
    pub plugin_dir: Option<String>,
    pub allow_unsigned: bool,
    pub rootfs: Option<String>,
}

/// Enabled plugins that could not be loaded and whose `onFailure` is `error`, every one named.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct PluginLoadError(pub Vec<PluginError>);

impl PluginOptions {
    fn under_root(&self, path: &str) -> PathBuf {
        match &self.rootfs {
            Some(root) => Path::new(root).join(path.trim_start_matches('/')),
            None => PathBuf::from(path),
        }
    }

    /// A host for this configuration: the compile cache under the node root, plugin files from
    /// `--plugin-dir` (else the configuration's, else the default), relative paths from the
    /// config file's directory.
    pub fn host(
        &self,
        plugins: Option<&PluginConfiguration>,
        events: Events,
    ) -> Result<PluginHost, PluginError> {
        self.host_with(plugins, events, CacheMode::ReadWrite)
    }

    /// As `host`, for help text and phase tables: the compile cache is only read, so asking
    /// for help (or a usage error found after it) writes nothing under the node root.
    pub fn help_host(
        &self,
        plugins: Option<&PluginConfiguration>,
    ) -> Result<PluginHost, PluginError> {
        self.host_with(plugins, Events::discard(), CacheMode::ReadOnly)
    }

    fn host_with(
        &self,
        plugins: Option<&PluginConfiguration>,
        events: Events,
        cache_mode: CacheMode,
    ) -> Result<PluginHost, PluginError> {
        let mut cfg = HostConfig::new(
            self.under_root(DEFAULT_CACHE_DIR),
            Arc::new(LIVE_NODE),
            events,
        );
        if let Some(plugins) = plugins {
            cfg = cfg.with_configuration(plugins);
        }
        if let Some(dir) = &self.plugin_dir {
            cfg.plugin_dir = PathBuf::from(dir);
        }
        if let Some(config) = &self.config {
            cfg.config_dir = Path::new(config)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
        }
        if let Some(root) = &self.rootfs {
            cfg.files_root = PathBuf::from(root);
        }
        cfg.allow_unsigned = self.allow_unsigned;
        cfg.cache_mode = cache_mode;
        PluginHost::new(cfg)
    }
}

/// The paths a configuration's enabled plugins may take as phases, `<parent>/<name>` for each
/// of `parents`: what `--skip-phases` and `phase <path>` are checked against before any plugin
/// is loaded (whether a plugin is a preflight or an addon one only its component says).
pub fn configured_plugin_phases(
    plugins: Option<&PluginConfiguration>,
    parents: &[&str],
) -> Vec<String> {
    plugins
        .into_iter()
        .flat_map(|p| p.plugins.iter().filter(|p| p.enabled))
        .flat_map(|p| {
            parents
                .iter()
                .map(move |parent| format!("{parent}/{}", p.name))
        })
        .collect()
}

/// Loads every enabled plugin. A plugin that cannot be loaded fails the command before any
/// phase runs (onFailure: error), or is left out with a warning (warn) or a note (ignore).
pub fn load_enabled(
    host: &PluginHost,
    plugins: &PluginConfiguration,
    events: &Events,
) -> Result<Vec<Arc<LoadedPlugin>>, PluginLoadError> {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for spec in plugins.plugins.iter().filter(|p| p.enabled) {
        match host.load(spec) {
            Ok(plugin) => loaded.push(Arc::new(plugin)),
            Err(e) => {
                if let Err(e) = handle_failure(spec.on_failure, Stage::Load, e, events) {
                    problems.push(e);
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(PluginLoadError(problems))
    }
}

/// One line of help for a plugin phase.
pub(crate) fn plugin_short(plugin: &LoadedPlugin) -> String {
    let info = plugin.describe();
    format!(
        "Run the {} plugin {} ({})",
        info.kind.world(),
        info.name,
        info.version
    )
}

/// `preflight/<plugin>`: the plugin's findings join the node's, named `<plugin>/<check>`, and
/// count towards preflight's one verdict.
pub fn preflight_plugin_phase<C: ?Sized + CommandContext + 'static>(
    plugin: Arc<LoadedPlugin>,
) -> Phase<C> {
    let checks: Vec<String> = plugin
        .describe()
        .checks
        .iter()
        .map(|c| format!("{}/{}", plugin.name(), c.name))
        .collect();
    Phase::<C>::new(plugin.name(), plugin_short(&plugin))
        .long(format!(
            "{}\n\nChecks: {}",
            plugin_short(&plugin),
            checks.join(", ")
        ))
        .flags(&[
            Flag::Config,
            Flag::IgnorePreflightErrors,
            Flag::DryRun,
            Flag::PluginDir,
            Flag::AllowUnsignedPlugins,
        ])
        .run(move |ctx: &mut C| {
            let findings = match plugin.run_preflight() {
                Ok(findings) => findings,
                Err(e) => {
                    return Ok(handle_failure(
                        plugin.spec().on_failure,
                        Stage::Run,
                        e,
                        ctx.events(),
                    )?);
                }
            };
            let issues = findings
                .iter()
                .map(|f| (f.check_path(plugin.name()), f.issue()));
            record_findings(ctx, issues.collect::<Vec<_>>())?;
            Ok(())
        })
}
