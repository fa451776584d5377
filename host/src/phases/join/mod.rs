//! The `join` workflow: kubeadm v1.34's phases, in kubeadm's order.

mod context;
mod control_plane_join;
mod control_plane_prepare;
mod etcd;
mod init_view;
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
        control_plane_prepare::control_plane_prepare_phase(),
        etcd::check_etcd_phase(),
        kubelet::kubelet_start_phase(),
        etcd::etcd_join_phase(),
        kubelet::kubelet_wait_bootstrap_phase(),
        control_plane_join::control_plane_join_phase(),
        control_plane_join::wait_control_plane_phase(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_kubeadm_v1_34_with_its_hidden_ones() {
        let workflow = join_workflow();
        let flat: Vec<(String, bool)> = workflow
            .flatten()
            .into_iter()
            .map(|f| (f.path, f.phase.hidden))
            .collect();
        let expected = [
            ("preflight", false),
            ("control-plane-prepare", false),
            ("control-plane-prepare/download-certs", false),
            ("control-plane-prepare/certs", false),
            ("control-plane-prepare/kubeconfig", false),
            ("control-plane-prepare/control-plane", false),
            ("check-etcd", true),
            ("kubelet-start", false),
            ("etcd-join", false),
            ("kubelet-wait-bootstrap", true),
            ("control-plane-join", false),
            ("control-plane-join/mark-control-plane", false),
            ("wait-control-plane", false),
        ];
        let expected: Vec<(String, bool)> =
            expected.iter().map(|(p, h)| (p.to_string(), *h)).collect();
        assert_eq!(flat, expected);
        // Control-plane-only phases carry a run condition; workers skip them.
        for f in workflow.flatten() {
            let worker_phase = matches!(f.path.as_str(), "preflight" | "kubelet-start");
            assert_eq!(f.phase.run_if.is_none(), worker_phase, "{}", f.path);
        }
    }
}
