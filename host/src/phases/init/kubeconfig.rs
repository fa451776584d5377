//! The `kubeconfig` phase: the kubeconfig files of the admin and of the control-plane components,
//! each with a client certificate signed by the cluster CA.

use super::InitContext;
use super::control_plane::GROUP_PHASE_LONG;
use crate::kubeconfig::{KubeconfigFile, KubeconfigWriter};
use crate::workflow::{Flag, Phase};

/// Flags every `kubeconfig` sub-phase takes; `all` and `kubelet` also take `--node-name`.
const FLAGS: [Flag; 8] = [
    Flag::Config,
    Flag::CertDir,
    Flag::KubeconfigDir,
    Flag::ApiserverAdvertiseAddress,
    Flag::ApiserverBindPort,
    Flag::ControlPlaneEndpoint,
    Flag::KubernetesVersion,
    Flag::DryRun,
];

fn flags(with_node_name: bool) -> Vec<Flag> {
    let mut flags = FLAGS.to_vec();
    if with_node_name {
        flags.push(Flag::NodeName);
    }
    flags
}

pub fn kubeconfig_phase() -> Phase<dyn InitContext> {
    Phase::new(
        "kubeconfig",
        "Generate all kubeconfig files necessary to establish the control plane and the admin kubeconfig file",
    )
    .long(GROUP_PHASE_LONG)
    .with_all()
    .flags(&flags(true))
    .run(|ctx| prepare_keys(ctx))
    .children(KubeconfigFile::ALL.map(file_phase))
}

/// kubeadm's name and help for each file's sub-phase.
fn help(file: KubeconfigFile) -> (&'static str, &'static str, String) {
    let name = file.file_name();
    match file {
        KubeconfigFile::Admin => (
            "admin",
            "Generate a kubeconfig file for the admin to use and for kubeadm itself",
            format!(
                "Generate the kubeconfig file for the admin and for kubeadm itself, and save it to {name} file."
            ),
        ),
        KubeconfigFile::SuperAdmin => (
            "super-admin",
            "Generate a kubeconfig file for the super-admin",
            format!("Generate a kubeconfig file for the super-admin, and save it to {name} file."),
        ),
        KubeconfigFile::Kubelet => (
            "kubelet",
            "Generate a kubeconfig file for the kubelet to use *only* for cluster bootstrapping purposes",
            format!(
                "Generate the kubeconfig file for the kubelet to use and save it to {name} file.\n\n\
                 Please note that this should *only* be used for cluster bootstrapping purposes. After your control \
                 plane is up, you should request all kubelet credentials from the CSR API."
            ),
        ),
        KubeconfigFile::ControllerManager => (
            "controller-manager",
            "Generate a kubeconfig file for the controller manager to use",
            format!(
                "Generate the kubeconfig file for the controller manager to use and save it to {name} file"
            ),
        ),
        KubeconfigFile::Scheduler => (
            "scheduler",
            "Generate a kubeconfig file for the scheduler to use",
            format!(
                "Generate the kubeconfig file for the scheduler to use and save it to {name} file."
            ),
        ),
    }
}

fn file_phase(file: KubeconfigFile) -> Phase<dyn InitContext> {
    let (name, short, long) = help(file);
    Phase::<dyn InitContext>::new(name, short)
        .long(long)
        .flags(&flags(file == KubeconfigFile::Kubelet))
        .run(move |ctx| {
            KubeconfigWriter::new(ctx.root(), ctx.cfg(), ctx.key_pool(), ctx.kubeconfig_dir())
                .ensure(file)?;
            Ok(())
        })
}

/// Generates, in parallel, the client keys of every file the sub-phases are about to create.
fn prepare_keys(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    ctx.events().info(format!(
        "[kubeconfig] Using kubeconfig folder {:?}",
        ctx.kubeconfig_dir()
    ));
    let selected: Vec<KubeconfigFile> = KubeconfigFile::ALL
        .into_iter()
        .filter(|f| ctx.plan().runs(&format!("kubeconfig/{}", help(*f).0)))
        .collect();
    let writer = KubeconfigWriter::new(ctx.root(), cfg, ctx.key_pool(), ctx.kubeconfig_dir());
    let pending = writer.pending_keys(&selected)?;
    ctx.key_pool()
        .prepare(&pending, cfg.encryption_algorithm())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Events;
    use crate::phases::init::{InitContext, init_workflow};
    use crate::test_support::{init_config_with_algorithm, init_data};
    use crate::workflow::Selection;

    #[test]
    fn sub_phases_follow_kubeadms_order_help_and_flags() {
        let phase = kubeconfig_phase();
        let names: Vec<&str> = phase.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "admin",
                "super-admin",
                "kubelet",
                "controller-manager",
                "scheduler"
            ]
        );
        assert!(phase.run_all_siblings);
        assert_eq!(
            phase.children[1].short,
            "Generate a kubeconfig file for the super-admin"
        );
        assert!(phase.children[2].flags.contains(&Flag::NodeName));
        assert!(!phase.children[0].flags.contains(&Flag::NodeName));
        assert!(
            phase.flags.contains(&Flag::NodeName) && phase.flags.contains(&Flag::KubeconfigDir)
        );
    }

    #[test]
    fn files_go_to_the_kubeconfig_dir() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = init_data(
            init_config_with_algorithm("ECDSA-P256"),
            dir.path(),
            "/srv/kube",
            Events::discard(),
        );
        let workflow = init_workflow();
        for path in ["certs/ca", "kubeconfig"] {
            let plan = workflow
                .plan(&Selection {
                    filter: Some(path.into()),
                    skip: vec![],
                })
                .unwrap();
            let ctx: &mut dyn InitContext = &mut data;
            workflow.execute(&plan, ctx, &Events::discard()).unwrap();
        }
        for file in KubeconfigFile::ALL {
            assert!(
                dir.path().join("srv/kube").join(file.file_name()).is_file(),
                "{}",
                file.file_name()
            );
        }
        assert!(!dir.path().join("etc/kubernetes/admin.conf").exists());
    }
}
