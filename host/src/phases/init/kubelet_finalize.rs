//! `kubelet-finalize`: once the kubelet has a rotated client certificate, kubelet.conf points
//! at it instead of embedding the bootstrap one, so rotation keeps the kubelet's credentials
//! current.

use anyhow::Context as _;

use super::InitContext;
use super::api::read_text;
use crate::config::constants::KUBELET_KUBECONFIG;
use crate::kubeconfig::Kubeconfig;
use crate::manifests::args::last_value;
use crate::workflow::{Flag, Phase};

/// Where the kubelet keeps its certificates unless `--cert-dir` says otherwise.
const KUBELET_CERT_DIR: &str = "/var/lib/kubelet/pki";
const CURRENT_CLIENT_CERT: &str = "kubelet-client-current.pem";

pub fn kubelet_finalize_phase() -> Phase<dyn InitContext> {
    let flags = [Flag::Config, Flag::CertDir, Flag::DryRun];
    Phase::new(
        "kubelet-finalize",
        "Updates settings relevant to the kubelet after TLS bootstrap",
    )
    .long("Updates settings relevant to the kubelet after TLS bootstrap")
    .with_all()
    .flags(&flags)
    .children([Phase::new(
        "enable-client-cert-rotation",
        "Enable kubelet client certificate rotation",
    )
    .flags(&flags)
    .run(|ctx| run(ctx))])
}

fn run(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    let cert_dir = last_value(&cfg.init.node_registration.kubelet_extra_args, "cert-dir")
        .unwrap_or(KUBELET_CERT_DIR);
    let pem = format!("{}/{CURRENT_CLIENT_CERT}", cert_dir.trim_end_matches('/'));
    if ctx.root().read(&pem)?.is_none() {
        ctx.events().info(format!(
            "[kubelet-finalize] The kubelet has no rotated client certificate at {pem:?} yet; kubelet.conf is left as it is"
        ));
        return Ok(());
    }
    let path = format!("{}/{KUBELET_KUBECONFIG}", ctx.kubeconfig_dir());
    ctx.events().info(format!(
        "[kubelet-finalize] Updating {path:?} to point to a rotatable kubelet client certificate and key"
    ));
    let mut kubeconfig =
        Kubeconfig::parse(&read_text(ctx, &path)?).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    // The kubelet's identity is the current context's user, as kubeadm reads it.
    let user_name = kubeconfig
        .context(&kubeconfig.current_context)
        .map(|c| c.user.clone())
        .with_context(|| format!("{path}: the current context names no user"))?;
    let user = kubeconfig
        .users
        .iter_mut()
        .find(|u| u.name == user_name)
        .with_context(|| format!("{path} has no user {user_name:?}"))?;
    user.user.client_certificate = Some(pem.clone());
    user.user.client_key = Some(pem);
    user.user.client_certificate_data = None;
    user.user.client_key_data = None;
    ctx.root()
        .write(&path, kubeconfig.to_yaml().as_bytes(), 0o600)
        .with_context(|| format!("writing {path}"))?;
    let systemd = ctx.system().systemd_running() && !ctx.prepared_root();
    if systemd && !ctx.dry_run() {
        // As kubeadm: kubelet.conf is already right, so a failed restart is the operator's to fix.
        if let Err(e) = ctx.system().run("systemctl", &["restart", "kubelet"]) {
            ctx.events().warn(format!(
                "[kubelet-finalize] failed to restart the kubelet: {e}; please ensure the kubelet is reloaded and running manually"
            ));
        }
    }
    Ok(())
}
