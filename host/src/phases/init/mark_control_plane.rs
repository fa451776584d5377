//! `mark-control-plane`: once this node's Node has registered, kubeadm's control-plane labels
//! and taints.

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;

use super::InitContext;
use super::api::wait_for_node;
use crate::cluster::PatchKind;
use crate::objects::control_plane_node::{CONTROL_PLANE_LABELS, ControlPlaneMarks};
use crate::workflow::{Flag, Phase};

pub fn mark_control_plane_phase() -> Phase<dyn InitContext> {
    Phase::new("mark-control-plane", "Mark a node as a control-plane")
        .flags(&[Flag::Config, Flag::NodeName, Flag::Kubeconfig, Flag::DryRun])
        .run(|ctx| mark_control_plane(ctx))
}

/// Labels and taints this node as a control plane once its Node has registered (also for a
/// control-plane `join`).
pub(crate) fn mark_control_plane(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    let name = cfg.node_name();
    let marks = ControlPlaneMarks::for_node(&cfg.init.node_registration)?;
    let events = ctx.events();
    events.info(format!(
        "[mark-control-plane] Marking the node {name} as control-plane by adding the labels: [{}]",
        CONTROL_PLANE_LABELS.join(" ")
    ));
    if !marks.taints.is_empty() {
        let taints: Vec<String> = marks
            .taints
            .iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect();
        events.info(format!(
            "[mark-control-plane] Marking the node {name} as control-plane by adding the taints [{}]",
            taints.join(" ")
        ));
    }
    let cluster = ctx.cluster()?;
    let node = wait_for_node(&cluster, name, cfg.api_call_timeout())?;
    if let Some(patch) = marks.patch(&node) {
        cluster
            .patch::<Node>("", name, &PatchKind::Strategic(patch))
            .with_context(|| format!("marking Node {name:?}"))?;
    }
    Ok(())
}
