//! Addon plugin phases: each enabled addon plugin is `addon/<plugin>`, skipped, filtered and
//! listed like built-in phases (preflight plugins are common to every command: `phases::common`).

use std::sync::Arc;

use super::InitContext;
use anyhow::Context as _;

use crate::cluster::{Cluster, Kind};
use crate::config::plugins::ObjectScope;
use crate::events::ObjectAction;
use crate::phases::common::plugin_short;
use crate::plugins::{ClusterReader, ClusterView, LoadedPlugin, NoCluster, handle_failure};
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

/// What addon plugins may read: objects of the kinds kubeadm-rs knows the API group of.
struct ApiReader(Cluster);

impl ClusterReader for ApiReader {
    fn get(&self, scope: &ObjectScope, name: &str) -> Result<Option<String>, String> {
        let api_version = api_version_of(&scope.kind)
            .ok_or_else(|| format!("kubeadm-rs cannot read objects of kind {}", scope.kind))?;
        let namespace = scope.namespace.clone().unwrap_or_default();
        // The plugin host calls this from inside its own runtime; the client runs its own, so
        // the request goes out from a thread of its own.
        std::thread::scope(|s| {
            s.spawn(|| self.0.get_value(api_version, &scope.kind, &namespace, name))
                .join()
                .map_err(|_| "the API request panicked".to_string())?
                .map(|found| found.map(|v| v.to_string()))
                .map_err(|e| e.to_string())
        })
    }
}

/// The API group and version of the kinds an addon may read.
fn api_version_of(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "ConfigMap"
        | "Secret"
        | "Service"
        | "ServiceAccount"
        | "Namespace"
        | "Node"
        | "Pod"
        | "Endpoints"
        | "PersistentVolume"
        | "PersistentVolumeClaim" => "v1",
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" => "apps/v1",
        "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" => {
            "rbac.authorization.k8s.io/v1"
        }
        "NetworkPolicy" | "IngressClass" | "Ingress" => "networking.k8s.io/v1",
        "PriorityClass" => "scheduling.k8s.io/v1",
        "CustomResourceDefinition" => "apiextensions.k8s.io/v1",
        "Job" | "CronJob" => "batch/v1",
        "Lease" => "coordination.k8s.io/v1",
        "StorageClass" => "storage.k8s.io/v1",
        _ => return None,
    })
}
