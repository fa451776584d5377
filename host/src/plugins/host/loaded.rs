//! A loaded plugin: what the phases use. Each call runs in a fresh sandbox with exactly the
//! declared (and granted) permissions, and what it returns is checked against `describe`.

use std::path::PathBuf;
use std::sync::Arc;

use super::call::{Prepared, WorldPre};
use crate::cluster::ClusterReader;
use crate::config::plugins::PluginSpec;
use crate::plugins::cache::CacheOutcome;
use crate::plugins::error::PluginError;
use crate::plugins::integrity::{Digest, Trust};
use crate::plugins::model::{ClusterView, Finding, Manifest, Permission, PluginInfo, PluginKind};
use crate::plugins::output;
use crate::plugins::sandbox::{EffectiveLimits, Grants};

/// A plugin that passed every load check: run it as often as needed, each call in a fresh
/// sandbox with exactly the declared (and granted) permissions.
pub struct LoadedPlugin {
    pub(super) plugin: Prepared,
    pub(super) spec: PluginSpec,
    pub(super) info: Arc<PluginInfo>,
    pub(super) grants: Arc<Grants>,
    pub(super) digest: Digest,
    pub(super) trust: Trust,
    pub(super) cache: CacheOutcome,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.spec.name)
            .field("kind", &self.info.kind)
            .field("digest", &self.digest)
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// What `describe` said at load time.
    pub fn describe(&self) -> &PluginInfo {
        &self.info
    }

    pub fn kind(&self) -> PluginKind {
        self.info.kind
    }

    /// The plugin's phase: `preflight/<name>` or `addon/<name>`.
    pub fn phase_path(&self) -> String {
        format!("{}/{}", self.info.kind.world(), self.spec.name)
    }

    pub fn spec(&self) -> &PluginSpec {
        &self.spec
    }

    pub fn limits(&self) -> &EffectiveLimits {
        &self.plugin.limits
    }

    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Whether the component came from the compile cache.
    pub fn cache(&self) -> &CacheOutcome {
        &self.cache
    }

    /// Creates an instance in a fresh sandbox and drops it: the cost every call pays first.
    pub fn instantiate(&self) -> Result<(), PluginError> {
        self.plugin.instantiate(self.grants.clone())
    }

    fn wrong_world(&self, wanted: PluginKind) -> PluginError {
        PluginError::NotAPlugin {
            plugin: self.spec.name.clone(),
            file: PathBuf::from(&self.spec.name),
            reason: format!(
                "it is {} plugin, not {} plugin",
                article(self.info.kind),
                article(wanted)
            ),
        }
    }

    /// Runs a preflight plugin's checks with its configured parameters.
    pub fn run_preflight(&self) -> Result<Vec<Finding>, PluginError> {
        let WorldPre::Preflight(pre) = &self.plugin.pre else {
            return Err(self.wrong_world(PluginKind::Preflight));
        };
        let findings = self
            .plugin
            .run(pre, self.grants.clone(), &self.spec.parameters)?;
        output::findings(&self.spec.name, &self.info, findings)
    }

    /// Renders an addon for `cluster` with its configured parameters; `reader` answers its
    /// cluster reads. The manifests are validated against the declared, granted scopes.
    pub fn render_addon(
        &self,
        cluster: &ClusterView,
        reader: Arc<dyn ClusterReader>,
    ) -> Result<Vec<Manifest>, PluginError> {
        let WorldPre::Addon(pre) = &self.plugin.pre else {
            return Err(self.wrong_world(PluginKind::Addon));
        };
        let manifests = self.plugin.render(
            pre,
            self.grants.clone(),
            reader,
            &cluster.into(),
            &self.spec.parameters,
        )?;
        let apply: Vec<_> = self
            .info
            .permissions
            .iter()
            .filter_map(|r| match &r.permission {
                Permission::ClusterApply(scope) => Some(scope.clone()),
                _ => None,
            })
            .collect();
        output::manifests(&self.spec.name, &apply, &self.plugin.limits, manifests)
    }
}

fn article(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Preflight => "a preflight",
        PluginKind::Addon => "an addon",
    }
}
