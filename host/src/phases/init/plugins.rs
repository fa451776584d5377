//! Plugin phases: each enabled preflight plugin runs inside `preflight` as
//! `preflight/<plugin>`, each addon plugin is `addon/<plugin>`. They are skipped, filtered,
//! listed and ignored (`--ignore-preflight-errors=<plugin>/<check>`) like built-in phases.

use std::sync::Arc;

use super::InitContext;
use crate::plugins::{ClusterView, LoadedPlugin, NoCluster, handle_failure};
use crate::preflight::{Findings, Issue};
use crate::workflow::{Phase, Severity};

fn short(plugin: &LoadedPlugin) -> String {
    let info = plugin.describe();
    format!(
        "Run the {} plugin {} ({})",
        info.kind.world(),
        info.name,
        info.version
    )
}

/// `preflight/<plugin>`: the plugin's findings join the node's, named `<plugin>/<check>`.
pub fn preflight_plugin_phase(plugin: Arc<LoadedPlugin>) -> Phase<dyn InitContext> {
    let checks: Vec<String> = plugin
        .describe()
        .checks
        .iter()
        .map(|c| format!("{}/{}", plugin.name(), c.name))
        .collect();
    Phase::<dyn InitContext>::new(plugin.name(), short(&plugin))
        .long(format!(
            "{}\n\nChecks: {}",
            short(&plugin),
            checks.join(", ")
        ))
        .flags(&[
            "config",
            "ignore-preflight-errors",
            "dry-run",
            "plugin-dir",
            "allow-unsigned-plugins",
        ])
        .run(move |ctx| {
            let findings = match plugin.run_preflight() {
                Ok(findings) => findings,
                Err(e) => return Ok(handle_failure(plugin.spec().on_failure, e, ctx.events())?),
            };
            let mut report = Findings::new(ctx.events(), ctx.ignored_preflight_errors());
            for f in findings {
                let message = match &f.remedy {
                    Some(remedy) => format!("{} (remedy: {remedy})", f.message),
                    None => f.message.clone(),
                };
                let issue = match f.severity {
                    Severity::Error => Issue::error(message),
                    Severity::Warning => Issue::warning(message),
                    Severity::Info => Issue::info(message),
                };
                report.record(&format!("{}/{}", plugin.name(), f.check), issue);
            }
            report.finish()?;
            Ok(())
        })
}

/// `addon/<plugin>`: renders the plugin's manifests for this cluster and validates them
/// against its grants. Applying them to a cluster needs the cluster phases, which this build
/// does not have: outside `--dry-run` the phase fails and says so instead of pretending.
pub fn addon_plugin_phase(plugin: Arc<LoadedPlugin>) -> Phase<dyn InitContext> {
    Phase::<dyn InitContext>::new(plugin.name(), short(&plugin))
        .flags(&["config", "dry-run", "plugin-dir", "allow-unsigned-plugins"])
        .run(move |ctx| {
            let reader = Arc::new(NoCluster(
                "no API server is reachable from this phase (dry-run, or the control plane is not up yet)".into(),
            ));
            let manifests = match plugin.render_addon(&ClusterView::of(ctx.cfg()), reader) {
                Ok(manifests) => manifests,
                Err(e) => return Ok(handle_failure(plugin.spec().on_failure, e, ctx.events())?),
            };
            let objects: usize = manifests.iter().map(|m| m.objects.len()).sum();
            ctx.events().info(format!(
                "[addon] {} rendered {objects} objects in {} manifests",
                plugin.name(),
                manifests.len()
            ));
            if ctx.dry_run() {
                for m in &manifests {
                    ctx.events().info(format!("[dryrun] Would apply manifest {:?} of addon {}:", m.name, plugin.name()));
                    ctx.events().output(format!("---\n{}", m.content.trim_start_matches("---\n")));
                }
            } else {
                anyhow::bail!(
                    "the manifests are rendered and valid, but this build of kubeadm-rs cannot apply addons to a cluster yet: \
                     run with --dry-run, or skip the phase with --skip-phases=addon/{}",
                    plugin.name()
                );
            }
            Ok(())
        })
}
