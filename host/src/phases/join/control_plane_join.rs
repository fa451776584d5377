//! `control-plane-join` and `wait-control-plane` (control-plane joins only): init's own
//! `mark-control-plane` and `wait-control-plane` steps, run on the cluster's configuration.

use super::JoinContext;
use super::init_view::InitView;
use crate::phases::init::mark_control_plane::mark_control_plane;
use crate::phases::init::wait_control_plane::wait_control_plane;
use crate::workflow::{Flag, Phase};

fn control_plane_only(ctx: &(dyn JoinContext + 'static)) -> anyhow::Result<bool> {
    Ok(ctx.control_plane())
}

pub fn control_plane_join_phase() -> Phase<dyn JoinContext> {
    let flags = [
        Flag::Config,
        Flag::ControlPlane,
        Flag::NodeName,
        Flag::DryRun,
    ];
    Phase::new(
        "control-plane-join",
        "Join a machine as a control plane instance",
    )
    .long("Join a machine as a control plane instance.")
    .with_all()
    .flags(&flags)
    .run_if(control_plane_only)
    .child(
        Phase::new("mark-control-plane", "Mark a node as a control-plane")
            .flags(&flags)
            .run_if(control_plane_only)
            .run(|ctx| mark_control_plane(&InitView::of(ctx)?)),
    )
}

pub fn wait_control_plane_phase() -> Phase<dyn JoinContext> {
    Phase::new("wait-control-plane", "Wait for the control plane to start")
        .flags(&[Flag::Config, Flag::DryRun])
        .run_if(control_plane_only)
        .run(|ctx| wait_control_plane(&InitView::of(ctx)?))
}
