//! The `certs` phase: the cluster PKI under `certificatesDir`, one sub-phase per certificate
//! in kubeadm's order, plus the service account key pair.

use super::InitContext;
use super::control_plane::GROUP_PHASE_LONG;
use crate::pki::Pki;
use crate::pki::certlist::{ALL_CERTS, API_SERVER, CertSpec};
use crate::workflow::{Flag, Phase};

/// Flags every `certs` sub-phase takes.
const FLAGS: [Flag; 4] = [
    Flag::CertDir,
    Flag::Config,
    Flag::KubernetesVersion,
    Flag::DryRun,
];
/// Flags that shape the API server certificate (so also `all`).
const API_SERVER_FLAGS: [Flag; 5] = [
    Flag::ApiserverAdvertiseAddress,
    Flag::ControlPlaneEndpoint,
    Flag::ApiserverCertExtraSans,
    Flag::ServiceCidr,
    Flag::ServiceDnsDomain,
];

pub fn certs_phase() -> Phase<dyn InitContext> {
    Phase::new("certs", "Certificate generation")
        .long(GROUP_PHASE_LONG)
        .with_all()
        .flags(&[&FLAGS[..], &API_SERVER_FLAGS[..]].concat())
        .run(|ctx| prepare_keys(ctx))
        .children(ALL_CERTS.iter().map(|spec| cert_phase(spec)))
        .child(service_account_phase())
}

fn cert_phase(spec: &'static CertSpec) -> Phase<dyn InitContext> {
    let mut flags = FLAGS.to_vec();
    if *spec == API_SERVER {
        flags.extend(API_SERVER_FLAGS);
    }
    let long = format!(
        "Generate the {}, and save them into {base}.crt and {base}.key files.\n\n\
         If both files already exist, kubeadm-rs skips the generation step and existing files will be used.",
        spec.long_name,
        base = spec.base_name
    );
    let mut phase =
        Phase::<dyn InitContext>::new(spec.name, format!("Generate the {}", spec.long_name))
            .long(long)
            .flags(&flags)
            .run(move |ctx| {
                let pki = Pki::new(ctx.root(), ctx.cfg(), ctx.key_pool());
                match spec.ca {
                    None => pki.ensure_ca(spec)?,
                    Some(_) => pki.ensure_cert(spec)?,
                }
                Ok(())
            });
    if let Some(ca) = spec.ca {
        phase = phase.depends_on(format!("certs/{}", ca.name));
    }
    if spec.is_etcd() {
        phase = phase.run_if(|ctx| Ok(!ctx.cfg().is_external_etcd()));
    }
    phase
}

fn service_account_phase() -> Phase<dyn InitContext> {
    Phase::<dyn InitContext>::new(
        "sa",
        "Generate a private key for signing service account tokens along with its public key",
    )
    .long(
        "Generate the private key for signing service account tokens along with its public key, and save them into \
         sa.key and sa.pub files.\n\n\
         If both files already exist, kubeadm-rs skips the generation step and existing files will be used.",
    )
    .flags(&FLAGS)
    .run(|ctx| {
        Pki::new(ctx.root(), ctx.cfg(), ctx.key_pool()).ensure_service_account_key()?;
        Ok(())
    })
}

/// Generates, in parallel, the keys of every file the sub-phases this run executes are about to
/// create.
fn prepare_keys(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    ctx.events().info(format!(
        "[certs] Using certificateDir folder {:?}",
        cfg.cert_dir()
    ));
    let skipped = |name: &str| !ctx.plan().runs(&format!("certs/{name}"));
    let specs: Vec<&CertSpec> = ALL_CERTS
        .iter()
        .copied()
        .filter(|s| !s.is_etcd() || !cfg.is_external_etcd())
        .filter(|s| !skipped(s.name))
        .collect();
    let pki = Pki::new(ctx.root(), cfg, ctx.key_pool());
    let pending = pki.pending_keys(&specs, !skipped("sa"))?;
    ctx.key_pool()
        .prepare(&pending, cfg.encryption_algorithm())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::InitOverrides;
    use crate::events::{Event, Events, Recorder};
    use crate::phases::init::{InitContext, init_workflow};
    use crate::test_support::{init_config, init_config_from_yaml, init_data};
    use crate::workflow::Selection;

    fn run(
        cfg: crate::config::InitConfig,
        selection: Selection,
    ) -> (tempfile::TempDir, Vec<Event>, Result<(), String>) {
        let dir = tempfile::tempdir().unwrap();
        let recorder = Arc::new(Recorder::default());
        let events = Events::new(recorder.clone());
        let mut data = init_data(cfg, dir.path(), "/etc/kubernetes", events.clone());
        let workflow = init_workflow();
        let result = workflow
            .plan(&selection)
            .map_err(|e| e.to_string())
            .and_then(|plan| {
                let ctx: &mut dyn InitContext = &mut data;
                workflow
                    .execute(&plan, ctx, &events)
                    .map_err(|e| e.to_string())
            });
        (dir, recorder.take(), result)
    }

    fn only(path: &str) -> Selection {
        Selection {
            filter: Some(path.into()),
            skip: vec![],
        }
    }

    #[test]
    fn sub_phases_follow_kubeadms_order_help_and_flags() {
        let phase = certs_phase();
        let names: Vec<&str> = phase.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ca",
                "apiserver",
                "apiserver-kubelet-client",
                "front-proxy-ca",
                "front-proxy-client",
                "etcd-ca",
                "etcd-server",
                "etcd-peer",
                "etcd-healthcheck-client",
                "apiserver-etcd-client",
                "sa"
            ]
        );
        assert!(phase.run_all_siblings);
        let child = |name: &str| phase.children.iter().find(|c| c.name == name).unwrap();
        assert_eq!(
            child("ca").short,
            "Generate the self-signed Kubernetes CA to provision identities for other Kubernetes components"
        );
        assert_eq!(
            child("etcd-peer").short,
            "Generate the certificate for etcd nodes to communicate with each other"
        );
        assert_eq!(child("ca").flags, FLAGS);
        assert_eq!(child("apiserver").flags.len(), 9);
        assert_eq!(
            phase.flags,
            child("apiserver").flags,
            "`all` takes what apiserver takes"
        );
        assert_eq!(child("etcd-server").dependencies, ["certs/etcd-ca"]);
        assert!(child("ca").dependencies.is_empty());
        let guarded: Vec<&str> = phase
            .children
            .iter()
            .filter(|c| c.run_if.is_some())
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            guarded,
            [
                "etcd-ca",
                "etcd-server",
                "etcd-peer",
                "etcd-healthcheck-client",
                "apiserver-etcd-client"
            ]
        );
    }

    #[test]
    fn the_certs_phase_writes_the_whole_pki() {
        let (dir, _, result) = run(init_config_with_ecdsa(), only("certs"));
        result.unwrap();
        let pki = dir.path().join("etc/kubernetes/pki");
        for file in [
            "ca.crt",
            "apiserver.key",
            "front-proxy-client.crt",
            "etcd/peer.crt",
            "apiserver-etcd-client.key",
            "sa.pub",
        ] {
            assert!(pki.join(file).is_file(), "{file}");
        }
    }

    #[test]
    fn external_etcd_skips_the_etcd_sub_phases() {
        let cfg = init_config_from_yaml(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n\
             etcd:\n  external:\n    endpoints: [https://10.0.0.7:2379]\n    caFile: /e/ca.crt\n    certFile: /e/c.crt\n    keyFile: /e/c.key\n",
        );
        let (dir, events, result) = run(cfg, only("certs"));
        result.unwrap();
        assert!(!dir.path().join("etc/kubernetes/pki/etcd").exists());
        assert!(
            !dir.path()
                .join("etc/kubernetes/pki/apiserver-etcd-client.crt")
                .exists()
        );
        let skipped: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                Event::PhaseSkipped { path, .. } => Some(path.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            skipped,
            [
                "certs/etcd-ca",
                "certs/etcd-server",
                "certs/etcd-peer",
                "certs/etcd-healthcheck-client",
                "certs/apiserver-etcd-client"
            ]
        );
    }

    #[test]
    fn a_certificate_phase_alone_needs_its_ca_on_disk() {
        let (_, _, result) = run(init_config_with_ecdsa(), only("certs/apiserver"));
        assert_eq!(
            result.unwrap_err(),
            "phase certs/apiserver: /etc/kubernetes/pki/ca.crt does not exist; run `kubeadm-rs init phase certs ca` first"
        );
    }

    #[test]
    fn skipping_a_ca_while_running_what_it_signs_is_refused_before_anything_runs() {
        let selection = Selection {
            filter: None,
            skip: vec!["certs/front-proxy-ca".into(), "preflight".into()],
        };
        let (dir, _, result) = run(init_config_with_ecdsa(), selection);
        let err = result.unwrap_err();
        assert!(
            err.contains(
                "phase certs/front-proxy-client needs phase certs/front-proxy-ca, which is skipped"
            ),
            "{err}"
        );
        assert!(!dir.path().join("etc").exists(), "nothing was written");
    }

    #[test]
    fn sub_phases_run_one_by_one_reuse_what_earlier_ones_wrote() {
        let cfg = init_config(InitOverrides::default());
        let dir = tempfile::tempdir().unwrap();
        let mut data = init_data(cfg, dir.path(), "/etc/kubernetes", Events::discard());
        let workflow = init_workflow();
        for path in ["certs/ca", "certs/apiserver", "certs/ca"] {
            let plan = workflow.plan(&only(path)).unwrap();
            let ctx: &mut dyn InitContext = &mut data;
            workflow.execute(&plan, ctx, &Events::discard()).unwrap();
        }
        assert!(
            dir.path()
                .join("etc/kubernetes/pki/apiserver.crt")
                .is_file()
        );
        assert!(
            !dir.path()
                .join("etc/kubernetes/pki/front-proxy-ca.crt")
                .exists()
        );
    }

    fn init_config_with_ecdsa() -> crate::config::InitConfig {
        crate::test_support::init_config_with_algorithm("ECDSA-P256")
    }
}
