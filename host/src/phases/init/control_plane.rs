//! The `control-plane` phase: kube-apiserver, kube-controller-manager and kube-scheduler
//! static Pod manifests.

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;

use super::InitContext;
use crate::manifests::patches::Patches;
use crate::manifests::{
    ControlPlaneComponent, NodeEnvironment, control_plane_pod, manifest_path, render_static_pod,
};
use crate::workflow::{Flag, Phase};

/// kubeadm's long help for phases that only group others.
pub(super) const GROUP_PHASE_LONG: &str =
    "This command is not meant to be run on its own. See list of available subcommands.";

pub fn control_plane_phase() -> Phase<dyn InitContext> {
    Phase::new(
        "control-plane",
        "Generate all static Pod manifest files necessary to establish the control plane",
    )
    .long(GROUP_PHASE_LONG)
    .with_all()
    .flags(&phase_flags(None))
    .run(|ctx| announce_manifest_dir(ctx))
    .children(ControlPlaneComponent::ALL.map(component_phase))
}

fn announce_manifest_dir(ctx: &dyn InitContext) -> anyhow::Result<()> {
    ctx.events().info(format!(
        "[control-plane] Using manifest folder {:?}",
        ctx.manifests_dir()
    ));
    Ok(())
}

fn component_phase(component: ControlPlaneComponent) -> Phase<dyn InitContext> {
    let (name, short) = match component {
        ControlPlaneComponent::ApiServer => (
            "apiserver",
            "Generates the kube-apiserver static Pod manifest",
        ),
        ControlPlaneComponent::ControllerManager => (
            "controller-manager",
            "Generates the kube-controller-manager static Pod manifest",
        ),
        ControlPlaneComponent::Scheduler => (
            "scheduler",
            "Generates the kube-scheduler static Pod manifest",
        ),
    };
    Phase::new(name, short)
        .flags(&phase_flags(Some(component)))
        .run(move |ctx| run_component(ctx, component))
}

pub(crate) fn run_component(
    ctx: &dyn InitContext,
    component: ControlPlaneComponent,
) -> anyhow::Result<()> {
    let name = component.name();
    ctx.events().info(format!(
        "[control-plane] Creating static Pod manifest for {name:?}"
    ));
    let node = NodeEnvironment::detect(ctx.root(), ctx.cfg());
    let pod = control_plane_pod(component, ctx.cfg(), &node)?;
    write_static_pod(ctx, name, &pod)
}

/// kubeadm's flags for a control-plane phase (`None`: the whole group and `all`).
fn phase_flags(component: Option<ControlPlaneComponent>) -> Vec<Flag> {
    let mut flags = vec![
        Flag::Config,
        Flag::CertDir,
        Flag::KubernetesVersion,
        Flag::ImageRepository,
        Flag::Patches,
        Flag::DryRun,
    ];
    if component.is_none_or(|c| c == ControlPlaneComponent::ApiServer) {
        flags.extend([
            Flag::ApiserverAdvertiseAddress,
            Flag::ControlPlaneEndpoint,
            Flag::ApiserverBindPort,
            Flag::FeatureGates,
            Flag::ServiceCidr,
            Flag::ApiserverExtraArgs,
        ]);
    }
    if component.is_none_or(|c| c == ControlPlaneComponent::ControllerManager) {
        flags.extend([Flag::PodNetworkCidr, Flag::ControllerManagerExtraArgs]);
    }
    if component.is_none_or(|c| c == ControlPlaneComponent::Scheduler) {
        flags.push(Flag::SchedulerExtraArgs);
    }
    flags
}

/// Patches a static Pod with `--patches`, writes it (0600) to the manifest directory and,
/// in dry-run, shows it.
pub(crate) fn write_static_pod(ctx: &dyn InitContext, name: &str, pod: &Pod) -> anyhow::Result<()> {
    let patches = Patches::load_configured(ctx.cfg().patches_dir(), ctx.events())?;
    let yaml = render_static_pod(name, pod, patches.as_ref(), ctx.events())
        .with_context(|| format!("failed to create static Pod manifest file for {name:?}"))?;
    let dir = ctx.manifests_dir();
    ctx.root().create_dir_all(dir, 0o700)?;
    let path = manifest_path(dir, name);
    ctx.root()
        .write(&path, yaml.as_bytes(), 0o600)
        .with_context(|| format!("failed to write static Pod manifest file for {name:?}"))?;
    if ctx.dry_run() {
        ctx.events()
            .info(format!("[dryrun] Would write file {path:?} with content:"));
        ctx.events().output(yaml);
    }
    Ok(())
}
