//! The `preflight` phase: kubeadm's node checks for `init`, then its image check.

use super::InitContext;
use crate::phases::common::{record_findings, verdict};
use crate::preflight::{Findings, Host, Issue, image_pull, init_node_checks};
use crate::workflow::{Flag, Phase};

pub fn preflight_phase() -> Phase<dyn InitContext> {
    Phase::new("preflight", "Run pre-flight checks")
        .long("Run pre-flight checks for kubeadm init.")
        .flags(&[
            Flag::Config,
            Flag::IgnorePreflightErrors,
            Flag::DryRun,
            Flag::CriSocket,
            Flag::ImageRepository,
            Flag::KubernetesVersion,
        ])
        .run(run_node_checks)
        .finish(judge_then_check_images)
}

/// Runs every node check and reports its findings; the verdict waits for the plugin checks.
fn run_node_checks<C: ?Sized + InitContext>(ctx: &mut C) -> anyhow::Result<()> {
    let host = Host {
        system: ctx.system(),
        root: ctx.root(),
    };
    let findings: Vec<(String, Issue)> =
        init_node_checks(ctx.cfg(), ctx.manifests_dir(), ctx.system())
            .into_iter()
            .flat_map(|check| {
                let name = check.name();
                check.run(&host).into_iter().map(move |i| (name.clone(), i))
            })
            .collect();
    record_findings(ctx, findings)?;
    Ok(())
}

/// One verdict over the node's and every plugin's findings; the images are looked at only once
/// the node passed, as kubeadm does.
fn judge_then_check_images<C: ?Sized + InitContext>(ctx: &mut C) -> anyhow::Result<()> {
    verdict(ctx)?;
    let mut images = Findings::new(ctx.events(), ctx.ignored_preflight_errors());
    images.record_all("ImagePull", image_pull(ctx.cfg(), ctx.dry_run()));
    images.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests;
