//! `init` prepared without clap: the configuration resolved, the certificate key generated when
//! `--upload-certs` needs one, plugins loaded, the run plan made and the node root chosen —
//! all before any phase runs, so bad input fails with nothing written.

use super::{InitContext, InitData, InitOptions, init_workflow_with};
use crate::certkey::CertificateKey;
use crate::config::{HostFacts, InitOverrides, resolve_init};
use crate::events::Events;
use crate::node::NodeRoot;
use crate::phases::common::{
    CommandContext, PluginOptions, PrepareError, RunSetup, plan_run, read_config,
};
use crate::system::System;
use crate::workflow::{PhaseFailed, Plan, Selection, Workflow};

/// What the operator asked `init` (or `init phase <path>`) to do.
#[derive(Clone, Debug, Default)]
pub struct InitRequest {
    /// `--config`.
    pub config: Option<String>,
    /// The config-bound flags that were given.
    pub overrides: InitOverrides,
    /// `init phase <path>`: run only this subtree.
    pub phase: Option<String>,
    /// `--rootfs`.
    pub rootfs: Option<String>,
    /// Settings outside the config API; `dry_run` and `prepared_root` are derived here.
    pub options: InitOptions,
    /// Where plugins come from (`--plugin-dir`, `--allow-unsigned-plugins`).
    pub plugins: PluginOptions,
}

/// A ready run: the phase tree (with its plugins), the plan and the context the phases see.
pub struct PreparedInit {
    pub workflow: Workflow<dyn InitContext>,
    pub plan: Plan,
    pub data: InitData,
}

/// Resolves the configuration and everything the phases need; writes nothing on the node.
pub fn prepare_init(
    request: InitRequest,
    facts: &dyn HostFacts,
    system: Box<dyn System>,
    events: &Events,
) -> Result<PreparedInit, PrepareError> {
    let docs = read_config(request.config.as_deref())?;
    let (mut cfg, warnings) = resolve_init(docs.as_ref(), &request.overrides, facts)?;
    for w in warnings {
        events.warn(w);
    }
    // As kubeadm: uploading certificates without a key generates one (printed at the end).
    if request.options.upload_certs && cfg.init.certificate_key.is_empty() {
        cfg.init.certificate_key = CertificateKey::generate()?.expose();
    }
    // resolve_init put a non-empty --skip-phases over the config's skipPhases.
    let selection = Selection {
        filter: request.phase.clone(),
        skip: cfg.init.skip_phases.clone(),
    };
    let dry_run = cfg.init.dry_run;
    let (workflow, plan, root) = plan_run(
        init_workflow_with,
        RunSetup {
            selection: &selection,
            plugins: cfg.plugins.as_ref(),
            plugin_parents: &["preflight", "addon"],
            plugin_options: &request.plugins,
            dry_run,
            rootfs: request.rootfs.as_deref(),
            dry_run_prefix: "kubeadm-init-dryrun",
        },
        events,
    )?;
    let options = InitOptions {
        dry_run,
        prepared_root: request.rootfs.is_some(),
        ..request.options
    };
    let data = InitData::new(cfg, root, options, system).with_plan(plan.clone());
    Ok(PreparedInit {
        workflow,
        plan,
        data,
    })
}

impl PreparedInit {
    /// Runs the planned phases; returns the node root (kept on disk in dry-run).
    pub fn run(mut self, events: &Events) -> Result<NodeRoot, PhaseFailed> {
        let ctx: &mut dyn InitContext = &mut self.data;
        self.workflow.execute(&self.plan, ctx, events)?;
        let dry_run = self.data.dry_run();
        let mut root = self.data.into_root();
        if dry_run {
            root.keep();
            events.info(format!(
                "[dryrun] Wrote certificates, kubeconfig files and control plane manifests to the {:?} directory",
                root.host_path().display().to_string()
            ));
        }
        Ok(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::fake::FakeSystem;
    use crate::test_support::FakeHost;

    fn request(dir: &std::path::Path, phase: Option<&str>, skip: &[&str]) -> InitRequest {
        let config = dir.join("kubeadm.yaml");
        std::fs::write(
            &config,
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n",
        )
        .unwrap();
        InitRequest {
            config: Some(config.display().to_string()),
            overrides: InitOverrides {
                skip_phases: skip.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
            phase: phase.map(String::from),
            rootfs: Some(dir.join("root").display().to_string()),
            ..Default::default()
        }
    }

    fn prepare(req: InitRequest) -> Result<PreparedInit, PrepareError> {
        prepare_init(
            req,
            &FakeHost::default(),
            Box::new(FakeSystem::kubeadm_ready()),
            &Events::discard(),
        )
    }

    /// Runs the prepared plan and returns the keys generated ahead that no phase used.
    fn unused_keys(mut prepared: PreparedInit) -> Vec<String> {
        let ctx: &mut dyn InitContext = &mut prepared.data;
        prepared
            .workflow
            .execute(&prepared.plan, ctx, &Events::discard())
            .unwrap();
        prepared.data.key_pool().pooled()
    }

    #[test]
    fn phases_ask_the_plan_so_skipped_files_get_no_key() {
        // (phase, --skip-phases, the files that must not exist afterwards)
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "certs",
                &["certs/apiserver", "certs/sa"],
                &["apiserver.key", "sa.key"],
            ),
            ("certs", &["certs/etcd-peer"], &["etcd/peer.key"]),
            ("certs", &[], &[]),
        ];
        for (phase, skip, absent) in cases {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("root")).unwrap();
            let prepared = prepare(request(dir.path(), Some(phase), skip)).unwrap();
            assert!(prepared.data.plan().runs("certs/ca"));
            for s in *skip {
                assert!(!prepared.data.plan().runs(s), "{s}");
            }
            assert_eq!(unused_keys(prepared), Vec::<String>::new(), "{skip:?}");
            let pki = dir.path().join("root/etc/kubernetes/pki");
            assert!(pki.join("ca.key").is_file());
            for file in *absent {
                assert!(!pki.join(file).exists(), "{file}");
            }
        }
    }

    #[test]
    fn bad_selections_fail_before_anything_is_written() {
        for (phase, skip, expected) in [
            (
                Some("certs/nope"),
                &[][..],
                "invalid phase name: certs/nope",
            ),
            (
                None,
                &["kubelet-stop"][..],
                "invalid phase name: kubelet-stop",
            ),
            (
                Some("certs"),
                &["certs/ca"][..],
                "phase certs/apiserver needs phase certs/ca, which is skipped",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("root")).unwrap();
            let err = match prepare(request(dir.path(), phase, skip)) {
                Ok(_) => panic!("{phase:?} {skip:?} was accepted"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(expected), "{err}");
            assert_eq!(
                std::fs::read_dir(dir.path().join("root")).unwrap().count(),
                0
            );
        }
    }
}
