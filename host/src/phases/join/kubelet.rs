//! `kubelet-start` (and the hidden `kubelet-wait-bootstrap`) of `join`: the TLS-bootstrap
//! kubeconfig and the CA file, the kubelet's files from the cluster's configuration (as `init`
//! writes them, with `--register-with-taints` for workers), a kubelet restart, then the wait for
//! the kubelet's own `kubelet.conf`, after which the bootstrap credentials leave the disk.

use std::time::Instant;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;

use super::JoinContext;
use super::init_view::InitView;
use crate::cluster::Cluster;
use crate::config::constants::{BOOTSTRAP_KUBELET_KUBECONFIG, KUBELET_KUBECONFIG};
use crate::kubeconfig::{Kubeconfig, read_kubeconfig};
use crate::phases::common::{
    CommandContext, NODE_LOCAL_CRI_SOCKET, start_kubelet, stop_kubelet, write_kubelet_files,
};
use crate::phases::init::upload_config::annotate_cri_socket;
use crate::phases::init::wait_control_plane::{KubeletHealth, PollPauses};
use crate::workflow::{Flag, Phase};

use super::context::DEFAULT_TLS_BOOTSTRAP_TIMEOUT;

const CONTROL_PLANE_KUBELET_LOCAL_MODE: &str = "ControlPlaneKubeletLocalMode";

pub fn kubelet_start_phase() -> Phase<dyn JoinContext> {
    Phase::new(
        "kubelet-start",
        "Write kubelet settings, certificates and (re)start the kubelet",
    )
    .long(
        "Write a file with KubeletConfiguration and an environment file with node specific kubelet settings, \
         and then (re)start kubelet.",
    )
    .flags(&[
        Flag::ApiServerEndpoint,
        Flag::Config,
        Flag::CriSocket,
        Flag::NodeName,
        Flag::DiscoveryFile,
        Flag::DiscoveryToken,
        Flag::DiscoveryTokenCaCertHash,
        Flag::DiscoveryTokenUnsafeSkipCaVerification,
        Flag::TlsBootstrapToken,
        Flag::Token,
        Flag::Patches,
        Flag::DryRun,
    ])
    .run(run_kubelet_start)
}

/// Hidden, as in kubeadm: with ControlPlaneKubeletLocalMode the wait moves out of kubelet-start.
pub fn kubelet_wait_bootstrap_phase() -> Phase<dyn JoinContext> {
    Phase::new(
        "kubelet-wait-bootstrap",
        "[EXPERIMENTAL] Wait for the kubelet to bootstrap itself (only used when feature gate ControlPlaneKubeletLocalMode is enabled)",
    )
    .hidden()
    .flags(&[Flag::Config, Flag::CriSocket, Flag::DryRun])
    .run_if(local_mode)
    .run(wait_for_bootstrap)
}

fn local_mode<C: ?Sized + JoinContext>(ctx: &C) -> anyhow::Result<bool> {
    Ok(ctx
        .init_cfg()?
        .feature_enabled(CONTROL_PLANE_KUBELET_LOCAL_MODE))
}

fn bootstrap_kubeconfig_path<C: ?Sized + JoinContext>(ctx: &C) -> String {
    format!("{}/{BOOTSTRAP_KUBELET_KUBECONFIG}", ctx.kubeconfig_dir())
}

fn kubelet_kubeconfig_path<C: ?Sized + JoinContext>(ctx: &C) -> String {
    format!("{}/{KUBELET_KUBECONFIG}", ctx.kubeconfig_dir())
}

fn run_kubelet_start<C: ?Sized + JoinContext>(ctx: &mut C) -> anyhow::Result<()> {
    let init_cfg = ctx.init_cfg()?.clone();
    let events = ctx.events().clone();
    let mut bootstrap = ctx.tls_bootstrap_kubeconfig()?.clone();
    let local_mode = init_cfg.feature_enabled(CONTROL_PLANE_KUBELET_LOCAL_MODE);
    if local_mode && ctx.control_plane() {
        // The kubelet of a control plane talks to its own API server.
        let server = init_cfg.local_api_url();
        for named in &mut bootstrap.clusters {
            named.cluster.server = server.clone();
        }
    }
    let bootstrap_path = bootstrap_kubeconfig_path(ctx);
    ctx.root()
        .write(&bootstrap_path, bootstrap.to_yaml().as_bytes(), 0o600)
        .context("couldn't save bootstrap-kubelet.conf to disk")?;

    let ca_path = ctx.cfg().ca_cert_path.clone();
    if !ctx.root().exists(&ca_path)? {
        let ca = ctx
            .discovered()?
            .ca_pem
            .clone()
            .context("discovery found no cluster CA to write to the CA file")?;
        ctx.root()
            .write(&ca_path, &ca, 0o644)
            .context("couldn't save the CA certificate to disk")?;
    }

    refuse_ready_node(ctx, &init_cfg.init.node_registration.name)?;

    let systemd = stop_kubelet(ctx);
    write_kubelet_files(ctx, &init_cfg, systemd, !ctx.control_plane())?;
    if ctx.dry_run() {
        events.info("[kubelet-start] Would start the kubelet");
        if !local_mode {
            events.info("[kubelet-wait] Would wait for the kubelet to be bootstrapped");
        }
        return Ok(());
    }
    start_kubelet(ctx, systemd);
    if !local_mode {
        wait_for_bootstrap(ctx)?;
    }
    Ok(())
}

/// kubeadm refuses to join a name a Ready Node already has: a second node with an existing
/// control plane's name would break that control plane.
fn refuse_ready_node<C: ?Sized + JoinContext>(ctx: &C, name: &str) -> anyhow::Result<()> {
    let node: Option<Node> = ctx
        .bootstrap_client()?
        .get("", name)
        .with_context(|| format!("cannot get Node {name:?}"))?;
    let ready = node
        .and_then(|n| n.status)
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if ready {
        anyhow::bail!(
            "a Node with name {name:?} and status \"Ready\" already exists in the cluster. \
             You must delete the existing Node or change the name of this new joining Node"
        );
    }
    Ok(())
}

/// Waits for a healthy kubelet (`timeouts.kubeletHealthCheck`) and for the kubeconfig the
/// kubelet writes once its TLS bootstrap is done (`timeouts.tlsBootstrap`, counted once the
/// kubelet is healthy, as kubeadm counts it); then, as kubeadm, removes
/// `bootstrap-kubelet.conf` whether or not the waits succeeded (its token is needed no
/// longer), and without NodeLocalCRISocket annotates the Node with its CRI socket as the kubelet.
fn wait_for_bootstrap<C: ?Sized + JoinContext>(ctx: &mut C) -> anyhow::Result<()> {
    let annotate = !ctx.init_cfg()?.feature_enabled(NODE_LOCAL_CRI_SOCKET);
    if ctx.dry_run() {
        ctx.events()
            .info("[kubelet-wait] Would wait for the kubelet to be bootstrapped");
        if annotate {
            annotate_cri_socket(&Cluster::dry_run(ctx.events().clone()), ctx.init_cfg()?)?;
        }
        return Ok(());
    }
    let kubelet_conf = kubelet_kubeconfig_path(ctx);
    let waited = wait_healthy_and_bootstrapped(&*ctx, &kubelet_conf);
    remove_bootstrap_kubeconfig(ctx)?;
    waited?;
    if annotate {
        let client = kubelet_client(ctx, &kubelet_conf)?;
        annotate_cri_socket(&client, ctx.init_cfg()?)
            .context("error writing CRISocket for this node")?;
    }
    Ok(())
}

/// kubeadm waits for the kubelet's `/healthz`, then polls for a usable `kubelet.conf`. The
/// kubelet serves the one while it bootstraps the other, so here both are looked at in each
/// pass: each is still required, and reported, in kubeadm's order, but the bootstrap is not
/// looked for only after a pause that follows the healthy answer.
fn wait_healthy_and_bootstrapped<C: ?Sized + JoinContext>(
    ctx: &C,
    kubelet_conf: &str,
) -> anyhow::Result<()> {
    let view = InitView::of(ctx)?;
    let health = KubeletHealth::start(&view)?;
    let timeout = ctx
        .cfg()
        .timeouts
        .as_ref()
        .and_then(|t| t.tls_bootstrap.as_ref())
        .map_or(DEFAULT_TLS_BOOTSTRAP_TIMEOUT, |d| d.0);
    let waiting_for_bootstrap = || {
        ctx.events()
            .info("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap");
        Instant::now() + timeout
    };
    // Set once the kubelet is healthy: the bootstrap's deadline.
    let mut deadline = health.is_none().then(waiting_for_bootstrap);
    let mut bootstrap_done = false;
    let mut pauses = PollPauses::up_to(ctx.tls_bootstrap_interval());
    loop {
        if let Some(health) = &health
            && deadline.is_none()
            && health.probe(&view)?
        {
            deadline = Some(waiting_for_bootstrap());
            // A healthy kubelet is bootstrapping now: look again soon.
            pauses = PollPauses::up_to(ctx.tls_bootstrap_interval());
        }
        if !bootstrap_done {
            match bootstrapped(ctx, kubelet_conf) {
                Ok(()) => bootstrap_done = true,
                Err(why) if deadline.is_some_and(|d| Instant::now() >= d) => {
                    anyhow::bail!(
                        "the kubelet did not write a usable {kubelet_conf} within {timeout:?} ({why}). This error is likely caused by:\n\
                         \t- The kubelet is not running\n\
                         \t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)\n\
                         If you are on a systemd-powered system, you can try to troubleshoot the error with the following commands:\n\
                         \t- 'systemctl status kubelet'\n\
                         \t- 'journalctl -xeu kubelet'"
                    );
                }
                Err(_) => {}
            }
        }
        if bootstrap_done && deadline.is_some() {
            return Ok(());
        }
        let pause = pauses.next_pause();
        std::thread::sleep(match deadline {
            Some(d) => pause.min(d.saturating_duration_since(Instant::now())),
            None => pause,
        });
    }
}

/// A client with the kubelet's own credentials from `kubelet.conf`; the files it names (the
/// rotated client certificate) are read from the node root and embedded.
fn kubelet_client<C: ?Sized + JoinContext>(ctx: &C, path: &str) -> anyhow::Result<Cluster> {
    let read = |file: &str| -> anyhow::Result<Vec<u8>> {
        ctx.root()
            .read(file)?
            .with_context(|| format!("{path} names {file}, which does not exist"))
    };
    let mut kubeconfig =
        read_kubeconfig(ctx.root(), path)?.with_context(|| format!("{path} does not exist"))?;
    for named in &mut kubeconfig.clusters {
        if let Some(file) = named.cluster.certificate_authority.take() {
            named.cluster.certificate_authority_data = Some(read(&file)?);
        }
    }
    for named in &mut kubeconfig.users {
        if let Some(file) = named.user.client_certificate.take() {
            named.user.client_certificate_data = Some(read(&file)?);
        }
        if let Some(file) = named.user.client_key.take() {
            named.user.client_key_data = Some(read(&file)?);
        }
    }
    let timeout = ctx.init_cfg()?.api_call_timeout();
    Ok(Cluster::from_kubeconfig(
        &kubeconfig.to_yaml(),
        path,
        timeout,
    )?)
}

/// Whether `kubelet.conf` yields a client: it parses and the credentials it names are there.
fn bootstrapped<C: ?Sized + CommandContext>(ctx: &C, path: &str) -> Result<(), String> {
    let text = ctx
        .root()
        .read(path)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{path} does not exist yet"))?;
    let kubeconfig = Kubeconfig::parse(&String::from_utf8_lossy(&text))?;
    kubeconfig
        .current_cluster()
        .ok_or_else(|| format!("{path} has no current cluster"))?;
    let user = kubeconfig
        .current_user()
        .ok_or_else(|| format!("{path} has no current user"))?;
    for file in [&user.client_certificate, &user.client_key]
        .into_iter()
        .flatten()
    {
        if !ctx.root().exists(file).map_err(|e| e.to_string())? {
            return Err(format!("{path} names {file}, which does not exist yet"));
        }
    }
    let has_credentials = user.token.is_some()
        || user.client_certificate_data.is_some()
        || user.client_certificate.is_some();
    if has_credentials {
        Ok(())
    } else {
        Err(format!("{path} has no credentials yet"))
    }
}

fn remove_bootstrap_kubeconfig<C: ?Sized + JoinContext>(ctx: &C) -> anyhow::Result<()> {
    // Through the node root like every change: confined to it, and reported as an event.
    ctx.root()
        .remove_all(bootstrap_kubeconfig_path(ctx), false)?;
    Ok(())
}
