//! Addon plugin phases: each enabled addon plugin is `addon/<plugin>`, skipped, filtered and
//! listed like built-in phases (preflight plugins are common to every command: `phases::common`).

use std::sync::Arc;

use super::InitContext;
use anyhow::Context as _;

use crate::cluster::{ApiReader, ClusterReader, Kind, NoCluster};
use crate::events::ObjectAction;
use crate::phases::common::plugin_short;
use crate::plugins::{ClusterView, LoadedPlugin, Stage, handle_failure};
use crate::workflow::{Flag, Phase};

/// `addon/<plugin>`: renders the plugin's manifests for this cluster, validates them against
/// its grants, and applies them with server-side apply (prints them in `--dry-run`).
pub fn addon_plugin_phase(plugin: Arc<LoadedPlugin>) -> Phase<dyn InitContext> {
    Phase::<dyn InitContext>::new(plugin.name(), plugin_short(&plugin))
        .flags(&[
            Flag::Config,
            Flag::Kubeconfig,
            Flag::DryRun,
            Flag::PluginDir,
            Flag::AllowUnsignedPlugins,
        ])
        .run(move |ctx| {
            let reader: Arc<dyn ClusterReader> = if ctx.dry_run() {
                Arc::new(NoCluster("no API server is asked in dry-run".into()))
            } else {
                // A read must fit in the plugin's own time limit.
                let budget = plugin.limits().timeout.min(ctx.cfg().api_call_timeout());
                Arc::new(ApiReader(ctx.cluster()?.with_timeout(budget)))
            };
            let manifests = match plugin.render_addon(&ClusterView::of(ctx.cfg()), reader) {
                Ok(manifests) => manifests,
                Err(e) => {
                    return Ok(handle_failure(
                        plugin.spec().on_failure,
                        Stage::Run,
                        e,
                        ctx.events(),
                    )?);
                }
            };
            let objects: usize = manifests.iter().map(|m| m.objects.len()).sum();
            ctx.events().info(format!(
                "[addon] {} rendered {objects} objects in {} manifests",
                plugin.name(),
                manifests.len()
            ));
            if ctx.dry_run() {
                for m in &manifests {
                    ctx.events().info(format!(
                        "[dryrun] Would apply manifest {:?} of addon {}:",
                        m.name,
                        plugin.name()
                    ));
                    ctx.events()
                        .output(format!("---\n{}", m.content.trim_start_matches("---\n")));
                    // The manifest above is each object's body; the events name them one by one.
                    for object in &m.objects {
                        let kind = Kind::of_value(&object.value)?;
                        let namespace = object.namespace.as_deref().unwrap_or_default();
                        ctx.events().emit(kind.event(
                            ObjectAction::Apply,
                            namespace,
                            &object.name,
                            true,
                            None,
                        ));
                    }
                }
                return Ok(());
            }
            let cluster = ctx.cluster()?;
            for object in manifests.iter().flat_map(|m| &m.objects) {
                cluster
                    .apply(&object.value)
                    .with_context(|| format!("applying {object} of addon {}", plugin.name()))?;
            }
            ctx.events()
                .info(format!("[addons] Applied addon: {}", plugin.name()));
            Ok(())
        })
}
