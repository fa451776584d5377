//! The `join` workflow: kubeadm v1.34's phases, in kubeadm's order.

mod context;
mod kubelet;
mod preflight;
mod prepare;

pub use context::{
    DEFAULT_TLS_BOOTSTRAP_TIMEOUT, JoinContext, JoinData, JoinOptions, TLS_BOOTSTRAP_RETRY_INTERVAL,
};
pub use prepare::{JoinRequest, PreparedJoin, prepare_join};

use std::sync::Arc;

use crate::phases::common::preflight_plugin_phase;
use crate::plugins::{LoadedPlugin, PluginKind};
use crate::workflow::Workflow;

/// The phase tree of `kubeadm-rs join`.
pub fn join_workflow() -> Workflow<dyn JoinContext> {
    join_workflow_with(&[])
}

/// The phase tree with the enabled preflight plugins inside `preflight`, in the order the
/// configuration lists them (addon plugins belong to `init`).
pub fn join_workflow_with(plugins: &[Arc<LoadedPlugin>]) -> Workflow<dyn JoinContext> {
    let mut preflight_phase = preflight::preflight_phase();
    preflight_phase.children.extend(
        plugins
            .iter()
            .filter(|p| p.kind() == PluginKind::Preflight)
            .cloned()
            .map(preflight_plugin_phase),
    );
    Workflow::new(vec![
        preflight_phase,
        kubelet::kubelet_start_phase(),
        kubelet::kubelet_wait_bootstrap_phase(),
    ])
}
