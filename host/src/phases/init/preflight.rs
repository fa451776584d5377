//! The `preflight` phase: kubeadm's node checks for `init`, then its image check.

use super::InitContext;
use crate::preflight::{Findings, Host, image_pull, init_node_checks};
use crate::workflow::Phase;

pub fn preflight_phase() -> Phase<dyn InitContext> {
    Phase::new("preflight", "Run pre-flight checks")
        .long("Run pre-flight checks for kubeadm init.")
        .flags(&[
            "config",
            "ignore-preflight-errors",
            "dry-run",
            "cri-socket",
            "image-repository",
            "kubernetes-version",
        ])
        .run(|ctx| run_preflight(ctx))
}

/// Runs every node check and reports all findings before failing; the images are looked at
/// only once the node passed, as kubeadm does.
fn run_preflight(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let host = Host {
        system: ctx.system(),
        root: ctx.root(),
    };
    let mut node = Findings::new(ctx.events(), ctx.ignored_preflight_errors());
    for check in init_node_checks(ctx.cfg(), ctx.manifests_dir(), ctx.system()) {
        node.record_all(&check.name(), check.run(&host));
    }
    node.finish()?;

    let mut images = Findings::new(ctx.events(), ctx.ignored_preflight_errors());
    images.record_all("ImagePull", image_pull(ctx.cfg(), ctx.dry_run()));
    images.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests;
