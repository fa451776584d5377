//! The `kubelet-start` phase: the kubelet's flags, instance and cluster configuration
//! files, then a kubelet (re)start through systemd.

use super::InitContext;
use crate::phases::common::{start_kubelet, stop_kubelet, write_kubelet_files};
use crate::workflow::{Flag, Phase};

pub fn kubelet_start_phase() -> Phase<dyn InitContext> {
    Phase::new("kubelet-start", "Write kubelet settings and (re)start the kubelet")
        .long(
            "Write a file with KubeletConfiguration and an environment file with node specific kubelet settings, \
             and then (re)start kubelet.",
        )
        .flags(&[Flag::Config, Flag::CriSocket, Flag::NodeName, Flag::Patches, Flag::DryRun, Flag::ImageRepository])
        .run(|ctx| run(ctx))
}

fn run(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let systemd = stop_kubelet(ctx);
    write_kubelet_files(ctx, ctx.cfg(), systemd, false)?;
    start_kubelet(ctx, systemd);
    Ok(())
}

#[cfg(test)]
mod tests;
