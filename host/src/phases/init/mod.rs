//! The `init` workflow: kubeadm's phases, in kubeadm's order.

mod addons;
mod api;
mod bootstrap_token;
mod certs;
mod context;
pub(crate) mod control_plane;
mod etcd;
mod kubeconfig;
mod kubelet_finalize;
mod kubelet_start;
pub(crate) mod mark_control_plane;
mod plugins;
mod preflight;
mod prepare;
mod show_join_command;
mod upload_certs;
pub(crate) mod upload_config;
pub(crate) mod wait_control_plane;

pub use context::{InitContext, InitData, InitOptions};
pub use prepare::{InitRequest, PreparedInit, prepare_init};

use std::sync::Arc;

use crate::phases::common::preflight_plugin_phase;
use crate::plugins::{LoadedPlugin, PluginKind};
use crate::workflow::Workflow;

/// The phase tree of `kubeadm-rs init`.
pub fn init_workflow() -> Workflow<dyn InitContext> {
    init_workflow_with(&[])
}

/// The phase tree with the enabled plugins as phases: preflight plugins inside `preflight`,
/// addon plugins inside `addon` after CoreDNS and kube-proxy, each in the order the
/// configuration lists them.
pub fn init_workflow_with(plugins: &[Arc<LoadedPlugin>]) -> Workflow<dyn InitContext> {
    let (preflight, addons): (Vec<_>, Vec<_>) = plugins
        .iter()
        .cloned()
        .partition(|p| p.kind() == PluginKind::Preflight);
    let mut preflight_phase = preflight::preflight_phase();
    preflight_phase
        .children
        .extend(preflight.into_iter().map(preflight_plugin_phase));
    Workflow::new(vec![
        preflight_phase,
        certs::certs_phase(),
        kubeconfig::kubeconfig_phase(),
        etcd::etcd_phase(),
        control_plane::control_plane_phase(),
        kubelet_start::kubelet_start_phase(),
        wait_control_plane::wait_control_plane_phase(),
        upload_config::upload_config_phase(),
        upload_certs::upload_certs_phase(),
        mark_control_plane::mark_control_plane_phase(),
        bootstrap_token::bootstrap_token_phase(),
        kubelet_finalize::kubelet_finalize_phase(),
        addons::addon_phase(
            addons
                .into_iter()
                .map(plugins::addon_plugin_phase)
                .collect(),
        ),
        show_join_command::show_join_command_phase(),
    ])
}
