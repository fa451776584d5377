//! `remove-etcd-member`: on a control-plane node with local etcd, this node's member leaves
//! the cluster through the etcd v3 API (with the node's own etcd client credentials), then the
//! member's data directory is emptied. As kubeadm: the last member is kept, and an etcd that
//! cannot be reached is a warning, not a failure.

use std::path::Path;
use std::time::Duration;

use super::{EtcdManifest, ResetContext};
use crate::cluster::Cluster;
use crate::config::constants::MANIFESTS_DIR;
use crate::etcd::{EtcdClient, EtcdCredentials, EtcdError, Timeouts, endpoints_from_cluster};
use crate::manifests::{ETCD, manifest_path};
use crate::workflow::{Flag, Phase};

/// What happened to this node's member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberRemoval {
    /// Removed; the members left, by name.
    Removed { id: u64, left: Vec<String> },
    /// The only member of its cluster: kept, as removing it would leave no cluster.
    LastMember,
    /// No member has this node's peer URL (an earlier reset removed it).
    NotAMember,
}

pub fn remove_etcd_member_phase() -> Phase<dyn ResetContext> {
    Phase::new("remove-etcd-member", "Remove a local etcd member.")
        .long("Remove a local etcd member for a control plane node.")
        .flags(&[Flag::Config, Flag::Kubeconfig, Flag::DryRun])
        .run(|ctx| run(ctx))
}

fn run(ctx: &dyn ResetContext) -> anyhow::Result<()> {
    let events = ctx.events().clone();
    let path = manifest_path(MANIFESTS_DIR, ETCD);
    let local = match ctx.root().read(&path)? {
        None => None,
        Some(bytes) => match EtcdManifest::parse(&String::from_utf8_lossy(&bytes)) {
            Ok(local) => Some(local),
            Err(e) => {
                events.warn(format!("[reset] {path}: {e}"));
                None
            }
        },
    };
    let Some(local) = local else {
        events.info("[reset] No etcd config found. Assuming external etcd");
        events.info("[reset] Please, manually reset etcd to prevent further issues");
        return Ok(());
    };
    if ctx.dry_run() {
        events.info("[reset] Would remove the etcd member on this node from the etcd cluster");
        events.info(format!(
            "[reset] Would delete contents of the etcd data directory: {}",
            local.data_dir
        ));
        ctx.root().clean_dir(&local.data_dir, true)?;
        return Ok(());
    }
    match remove_member(ctx, &local) {
        Ok(MemberRemoval::Removed { id, left }) => events.info(format!(
            "[reset] Removed etcd member {id:x} ({}) from the cluster; members left: {}",
            local.peer_url,
            left.join(", ")
        )),
        Ok(MemberRemoval::LastMember) => events.info(format!(
            "[reset] This is the only remaining etcd member in the etcd cluster ({}): it is not removed",
            local.peer_url
        )),
        Ok(MemberRemoval::NotAMember) => events.info(format!(
            "[reset] No etcd member has this node's peer URL {}: nothing to remove",
            local.peer_url
        )),
        Err(e) => events.warn(format!(
            "[reset] Failed to remove etcd member: {e}, please manually remove this etcd member using etcdctl"
        )),
    }
    // As kubeadm: the data directory is emptied whatever happened to the member, so a stale
    // member cannot stop the next init or join.
    match ctx.root().clean_dir(&local.data_dir, false) {
        Ok(_) => events.info(format!(
            "[reset] Deleted contents of the etcd data directory: {}",
            local.data_dir
        )),
        Err(e) => events.warn(format!(
            "[reset] Failed to delete contents of the etcd directory: {:?}, error: {e}",
            local.data_dir
        )),
    }
    Ok(())
}

/// This node's member leaves the cluster, unless it is the last one.
fn remove_member(ctx: &dyn ResetContext, local: &EtcdManifest) -> Result<MemberRemoval, EtcdError> {
    let cfg = ctx.reset_cfg();
    let timeouts = Timeouts {
        operation: cfg.etcd_api_call(),
        ..Timeouts::default()
    };
    let credentials = EtcdCredentials::healthcheck_client(ctx.root(), cfg.cert_dir())?;
    let endpoints = match ctx.kubeconfig() {
        Some(kubeconfig) => cluster_endpoints(ctx, kubeconfig, timeouts.operation)?,
        None => local.endpoints.clone(),
    };
    let mut client = EtcdClient::new(endpoints, credentials, timeouts)?;
    client.sync()?;
    let members = client.members()?;
    let Some(own) = members.iter().find(|m| m.peer_url() == local.peer_url) else {
        return Ok(MemberRemoval::NotAMember);
    };
    if members.len() == 1 {
        return Ok(MemberRemoval::LastMember);
    }
    let id = own.id;
    let left = client.remove_member(id)?;
    Ok(MemberRemoval::Removed {
        id,
        left: left.into_iter().map(|m| m.name).collect(),
    })
}

/// kubeadm's way: the client URLs the etcd mirror Pods announce, read with `--kubeconfig` (a
/// node path).
fn cluster_endpoints(
    ctx: &dyn ResetContext,
    kubeconfig: &str,
    budget: Duration,
) -> Result<Vec<String>, EtcdError> {
    let host_path =
        ctx.root()
            .resolve(Path::new(kubeconfig))
            .map_err(|e| EtcdError::NoEndpoints {
                reason: e.to_string(),
            })?;
    let cluster = Cluster::connect(&host_path, budget)?;
    endpoints_from_cluster(&cluster, budget)
}
