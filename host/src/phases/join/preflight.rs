//! The `preflight` phase of `join`: kubeadm's join checks on the node and the preflight
//! plugins, one verdict over all of them; then discovery and the cluster's configuration (as
//! kubeadm fetches them from preflight), and for a control-plane join the init checks of a
//! secondary control plane and the image check.

use super::JoinContext;
use crate::phases::common::{record_findings, verdict};
use crate::preflight::{
    Findings, Host, Issue, NodeCheck, image_pull, join_node_checks, secondary_control_plane_checks,
};
use crate::workflow::{Flag, Phase};

pub fn preflight_phase() -> Phase<dyn JoinContext> {
    Phase::new("preflight", "Run join pre-flight checks")
        .long("Run pre-flight checks for kubeadm join.")
        .flags(&[
            Flag::ApiServerEndpoint,
            Flag::Config,
            Flag::IgnorePreflightErrors,
            Flag::DryRun,
            Flag::CriSocket,
            Flag::NodeName,
            Flag::DiscoveryFile,
            Flag::DiscoveryToken,
            Flag::DiscoveryTokenCaCertHash,
            Flag::DiscoveryTokenUnsafeSkipCaVerification,
            Flag::TlsBootstrapToken,
            Flag::Token,
            Flag::ControlPlane,
            Flag::ApiserverAdvertiseAddress,
            Flag::ApiserverBindPort,
            Flag::CertificateKey,
        ])
        .run(run_node_checks)
        .finish(judge_then_check_control_plane)
}

fn findings(checks: Vec<NodeCheck>, host: &Host<'_>) -> Vec<(String, Issue)> {
    checks
        .into_iter()
        .flat_map(|check| {
            let name = check.name();
            check.run(host).into_iter().map(move |i| (name.clone(), i))
        })
        .collect()
}

fn run_node_checks<C: ?Sized + JoinContext>(ctx: &mut C) -> anyhow::Result<()> {
    ctx.events().info("[preflight] Running pre-flight checks");
    let host = Host {
        system: ctx.system(),
        root: ctx.root(),
    };
    let found = findings(
        join_node_checks(ctx.cfg(), ctx.kubeconfig_dir(), ctx.system()),
        &host,
    );
    record_findings(ctx, found)?;
    Ok(())
}

/// One verdict over the node's and the plugins' findings; then the cluster is discovered and
/// its configuration read; a control plane then needs a certificate key or the shared
/// certificates on disk, passes the secondary control plane checks and gets its images.
fn judge_then_check_control_plane<C: ?Sized + JoinContext>(ctx: &mut C) -> anyhow::Result<()> {
    verdict(ctx)?;
    let init_cfg = ctx.init_cfg()?.clone();
    if !ctx.control_plane() {
        return Ok(());
    }
    if init_cfg.cluster.control_plane_endpoint.is_empty() {
        anyhow::bail!(
            "unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address\n\n\
             Please ensure that:\n\
             * The cluster has a stable controlPlaneEndpoint address.\n\
             * The certificates that must be shared among control plane instances are provided."
        );
    }
    let downloads_certs = !init_cfg.init.certificate_key.is_empty();
    if !downloads_certs {
        let ca = format!("{}/ca.crt", init_cfg.cert_dir());
        if !ctx.root().exists(&ca)? {
            anyhow::bail!(
                "no --certificate-key was given and the shared certificates are not on this node ({ca} is missing): \
                 pass the key `kubeadm-rs init --upload-certs` printed, or copy the cluster's CAs and service-account key first"
            );
        }
    }
    ctx.events().info(
        "[preflight] Running pre-flight checks before initializing the new control plane instance",
    );
    let host = Host {
        system: ctx.system(),
        root: ctx.root(),
    };
    let checks = secondary_control_plane_checks(
        &init_cfg,
        ctx.manifests_dir(),
        ctx.system(),
        downloads_certs,
    );
    let mut report = Findings::new(ctx.events(), ctx.ignored_preflight_errors());
    for (check, issue) in findings(checks, &host) {
        report.record(&check, issue);
    }
    report.finish()?;
    let mut images = Findings::new(ctx.events(), ctx.ignored_preflight_errors());
    images.record_all("ImagePull", image_pull(&init_cfg, ctx.dry_run()));
    images.finish()?;
    Ok(())
}
