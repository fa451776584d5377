//! The `etcd` phase: the local etcd member's static Pod and data directory.

use anyhow::Context as _;

use super::InitContext;
use super::control_plane::{GROUP_PHASE_LONG, write_static_pod};
use crate::manifests::{ETCD, etcd_pod};
use crate::workflow::{Flag, Phase};

pub fn etcd_phase() -> Phase<dyn InitContext> {
    Phase::new("etcd", "Generate static Pod manifest file for local etcd")
        .long(GROUP_PHASE_LONG)
        .child(
            Phase::new(
                "local",
                "Generate the static Pod manifest file for a local, single-node local etcd instance",
            )
            .flags(&[Flag::CertDir, Flag::Config, Flag::ImageRepository, Flag::Patches, Flag::DryRun])
            .run_if(uses_local_etcd)
            .run(|ctx| run_local(ctx)),
        )
}

fn uses_local_etcd(ctx: &(dyn InitContext + 'static)) -> anyhow::Result<bool> {
    Ok(!ctx.cfg().is_external_etcd())
}

fn run_local(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    let local = cfg
        .local_etcd()
        .context("no local etcd is configured (etcd.local)")?;
    let data_dir = &local.data_dir;
    if ctx.dry_run() {
        ctx.events().info(format!(
            "[etcd] Would ensure that {data_dir:?} directory is present"
        ));
    } else {
        ctx.root()
            .create_dir_all(data_dir, 0o700)
            .with_context(|| format!("failed to create the etcd data directory {data_dir:?}"))?;
    }
    ctx.events().info(format!(
        "[etcd] Creating static Pod manifest for local etcd in {:?}",
        ctx.manifests_dir()
    ));
    let pod = etcd_pod(cfg, &[]).context("error creating local etcd static pod manifest file")?;
    write_static_pod(ctx, ETCD, &pod)
}
