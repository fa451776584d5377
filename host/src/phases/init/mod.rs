//! The `init` workflow: kubeadm's phases, in kubeadm's order.

mod certs;
mod context;
mod control_plane;
mod etcd;
mod kubeconfig;
mod kubelet_start;
mod plugins;
mod preflight;

pub use context::{InitContext, InitData, InitOptions};

use std::sync::Arc;

use crate::plugins::{LoadedPlugin, PluginKind};
use crate::workflow::{Phase, Workflow};

/// The phase tree of `kubeadm-rs init`.
pub fn init_workflow() -> Workflow<dyn InitContext> {
    Workflow::new(init_phases())
}

/// The phase tree with the enabled plugins as phases: preflight plugins inside `preflight`,
/// addon plugins inside `addon`, each in the order the configuration lists them.
pub fn init_workflow_with(plugins: &[Arc<LoadedPlugin>]) -> Workflow<dyn InitContext> {
    let mut phases = init_phases();
    let (preflight, addons): (Vec<_>, Vec<_>) = plugins
        .iter()
        .cloned()
        .partition(|p| p.kind() == PluginKind::Preflight);
    if let Some(first) = phases.first_mut() {
        first
            .children
            .extend(preflight.into_iter().map(plugins::preflight_plugin_phase));
    }
    if !addons.is_empty() {
        phases.push(
            Phase::new(
                "addon",
                "Install required addons for passing conformance tests",
            )
            .with_all()
            .children(addons.into_iter().map(plugins::addon_plugin_phase)),
        );
    }
    Workflow::new(phases)
}

fn init_phases() -> Vec<Phase<dyn InitContext>> {
    vec![
        preflight::preflight_phase(),
        certs::certs_phase(),
        kubeconfig::kubeconfig_phase(),
        etcd::etcd_phase(),
        control_plane::control_plane_phase(),
        kubelet_start::kubelet_start_phase(),
    ]
}
