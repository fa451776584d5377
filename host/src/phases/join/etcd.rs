//! The stacked etcd of a control-plane join: the hidden `check-etcd` (the cluster is healthy
//! before a member is added) and `etcd-join` (this node added as a learner, its `etcd.yaml`
//! written with the existing members, then promoted once it has caught up).

use anyhow::Context as _;

use super::JoinContext;
use super::init_view::InitView;
use crate::config::InitConfig;
use crate::etcd::{AVAILABLE_INTERVAL, AVAILABLE_RETRIES, EtcdClient, Timeouts};
use crate::manifests::{ETCD, etcd_pod, peer_url};
use crate::phases::init::control_plane::write_static_pod;
use crate::workflow::{Flag, Phase};

/// Only a control plane with a stacked (local) etcd has a member to add.
fn stacked_etcd(ctx: &(dyn JoinContext + 'static)) -> anyhow::Result<bool> {
    Ok(ctx.control_plane() && !ctx.init_cfg()?.is_external_etcd())
}

pub fn check_etcd_phase() -> Phase<dyn JoinContext> {
    Phase::new(
        "check-etcd",
        "Check that the local etcd cluster is healthy before adding a member",
    )
    .hidden()
    .run_if(stacked_etcd)
    .run(|ctx| check_etcd(ctx))
}

pub fn etcd_join_phase() -> Phase<dyn JoinContext> {
    Phase::new("etcd-join", "Join etcd for control plane nodes")
        .flags(&[
            Flag::Config,
            Flag::ControlPlane,
            Flag::ApiserverAdvertiseAddress,
            Flag::NodeName,
            Flag::Patches,
            Flag::DryRun,
        ])
        .run_if(stacked_etcd)
        .run(|ctx| etcd_join(ctx))
}

fn timeouts(cfg: &InitConfig) -> Timeouts {
    let mut t = Timeouts::default();
    if let Some(op) = cfg.timeouts().etcd_api_call {
        t.operation = op.0;
    }
    t
}

fn client(ctx: &dyn JoinContext, cfg: &InitConfig) -> anyhow::Result<EtcdClient> {
    Ok(EtcdClient::from_cluster(
        &ctx.admin_client()?,
        ctx.root(),
        cfg.cert_dir(),
        timeouts(cfg),
    )?)
}

fn check_etcd(ctx: &dyn JoinContext) -> anyhow::Result<()> {
    let cfg = ctx.init_cfg()?;
    if ctx.dry_run() {
        ctx.events()
            .info("[check-etcd] Would check that the etcd cluster is healthy");
        return Ok(());
    }
    ctx.events()
        .info("[check-etcd] Checking that the etcd cluster is healthy");
    client(ctx, cfg)?
        .check_health()
        .context("etcd cluster is not healthy")?;
    Ok(())
}

fn etcd_join(ctx: &dyn JoinContext) -> anyhow::Result<()> {
    let cfg = ctx.init_cfg()?;
    let events = ctx.events();
    let local = cfg
        .local_etcd()
        .context("no local etcd is configured (etcd.local)")?;
    let name = cfg.node_name().to_string();
    let peer = peer_url(cfg.advertise_address());
    let view = InitView::of(ctx)?;
    if ctx.dry_run() {
        events.info(format!(
            "[dryrun] Would add etcd member {name} at {peer} as a learner, write its static Pod manifest with the existing members, then promote it"
        ));
        events.info(format!(
            "[etcd] Would ensure that {:?} directory is present",
            local.data_dir
        ));
        let pod = etcd_pod(cfg, &[])?;
        return write_static_pod(&view, ETCD, &pod);
    }
    let mut client = client(ctx, cfg)?;
    let learner = client
        .add_learner(&name, &peer)
        .context("error adding this node as an etcd learner")?;
    events.info("[etcd] Announced new etcd member joining to the existing etcd cluster");
    ctx.root()
        .create_dir_all(&local.data_dir, 0o700)
        .with_context(|| {
            format!(
                "failed to create the etcd data directory {:?}",
                local.data_dir
            )
        })?;
    events.info(format!("[etcd] Creating static Pod manifest for {ETCD:?}"));
    let pod = etcd_pod(cfg, &learner.initial_cluster)
        .context("error creating the etcd static pod manifest")?;
    write_static_pod(&view, ETCD, &pod)?;
    events.info(format!(
        "[etcd] Waiting for the new etcd member to join the cluster. This can take up to {:?}",
        AVAILABLE_INTERVAL * AVAILABLE_RETRIES
    ));
    client
        .promote(&learner)
        .context("error promoting the new etcd member")?;
    client
        .wait_available(AVAILABLE_RETRIES, AVAILABLE_INTERVAL)
        .context("the etcd cluster is not available after the new member joined")?;
    Ok(())
}
