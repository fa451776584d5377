//! `control-plane-prepare` (control-plane joins only): the shared certificates downloaded from
//! `kubeadm-certs`, this node's own leaf certificates under the shared CAs, the admin,
//! controller-manager and scheduler kubeconfigs, and the control-plane static Pods.

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Secret;

use super::JoinContext;
use super::init_view::InitView;
use crate::certkey::{CertificateKey, SECRET_NAME, decrypt_certs, files_to_upload};
use crate::kubeconfig::{KubeconfigFile, KubeconfigWriter};
use crate::manifests::ControlPlaneComponent;
use crate::objects::KUBE_SYSTEM;
use crate::phases::init::control_plane::run_component;
use crate::pki::certlist::{ALL_CERTS, CertSpec};
use crate::pki::{Pki, SERVICE_ACCOUNT_KEY};
use crate::workflow::{Flag, Phase};

/// The kubeconfig files a new control plane writes (the kubelet gets its own by TLS bootstrap).
const KUBECONFIGS: [KubeconfigFile; 3] = [
    KubeconfigFile::Admin,
    KubeconfigFile::ControllerManager,
    KubeconfigFile::Scheduler,
];

const DISCOVERY_FLAGS: [Flag; 7] = [
    Flag::ApiServerEndpoint,
    Flag::DiscoveryFile,
    Flag::DiscoveryToken,
    Flag::DiscoveryTokenCaCertHash,
    Flag::DiscoveryTokenUnsafeSkipCaVerification,
    Flag::TlsBootstrapToken,
    Flag::Token,
];

fn flags(own: &[Flag]) -> Vec<Flag> {
    let mut flags = vec![Flag::Config, Flag::ControlPlane, Flag::DryRun];
    flags.extend_from_slice(own);
    flags.extend_from_slice(&DISCOVERY_FLAGS);
    flags
}

fn control_plane_only(ctx: &(dyn JoinContext + 'static)) -> anyhow::Result<bool> {
    Ok(ctx.control_plane())
}

pub fn control_plane_prepare_phase() -> Phase<dyn JoinContext> {
    let all = flags(&[
        Flag::CertificateKey,
        Flag::ApiserverAdvertiseAddress,
        Flag::ApiserverBindPort,
        Flag::NodeName,
        Flag::Patches,
    ]);
    Phase::new(
        "control-plane-prepare",
        "Prepare the machine for serving a control plane",
    )
    .long("Prepare the machine for serving a control plane.")
    .with_all()
    .flags(&all)
    .run_if(control_plane_only)
    .child(
        Phase::new(
            "download-certs",
            "Download certificates shared among control-plane nodes from the kubeadm-certs Secret",
        )
        .flags(&flags(&[Flag::CertificateKey]))
        .run_if(control_plane_only)
        .run(|ctx| download_certs(ctx)),
    )
    .child(
        Phase::new(
            "certs",
            "Generate the certificates for the new control plane components",
        )
        .flags(&flags(&[Flag::ApiserverAdvertiseAddress, Flag::NodeName]))
        .run_if(control_plane_only)
        .run(|ctx| certs(ctx)),
    )
    .child(
        Phase::new(
            "kubeconfig",
            "Generate the kubeconfig for the new control plane components",
        )
        .flags(&flags(&[Flag::CertificateKey]))
        .run_if(control_plane_only)
        .run(|ctx| kubeconfigs(ctx)),
    )
    .child(
        Phase::new(
            "control-plane",
            "Generate the manifests for the new control plane components",
        )
        .flags(&flags(&[
            Flag::ApiserverAdvertiseAddress,
            Flag::ApiserverBindPort,
            Flag::Patches,
        ]))
        .run_if(control_plane_only)
        .run(|ctx| static_pods(ctx)),
    )
}

/// kubeadm's `download-certs`: without a certificate key the certificates are expected on
/// disk already; with one, every file of the Secret is decrypted (any failure stops all) and
/// written, keys 0600.
fn download_certs(ctx: &dyn JoinContext) -> anyhow::Result<()> {
    let cfg = ctx.init_cfg()?;
    let events = ctx.events();
    if cfg.init.certificate_key.is_empty() {
        events.info("[download-certs] Skipping certs download: no certificate key was given");
        return Ok(());
    }
    let key: CertificateKey = cfg
        .init
        .certificate_key
        .parse()
        .context("controlPlane.certificateKey (--certificate-key)")?;
    events.info(format!(
        "[download-certs] Downloading the certificates in Secret {SECRET_NAME:?} in the {KUBE_SYSTEM:?} Namespace"
    ));
    let secret: Secret = ctx
        .bootstrap_client()?
        .get(KUBE_SYSTEM, SECRET_NAME)
        .with_context(|| format!("reading Secret {KUBE_SYSTEM}/{SECRET_NAME}"))?
        .with_context(|| {
            format!(
                "Secret {KUBE_SYSTEM}/{SECRET_NAME} was not found: it is deleted two hours after upload; \
                 upload the certificates again with `kubeadm-rs init phase upload-certs --upload-certs` on a control-plane node"
            )
        })?;
    let files = decrypt_certs(&secret, &key)
        .context("error downloading the secret: the certificate key does not open kubeadm-certs")?;
    events.info(format!(
        "[download-certs] Saving the certificates to the folder: {:?}",
        cfg.cert_dir()
    ));
    for file in files_to_upload(&cfg.cluster) {
        let Some(content) = files.get(&file.secret_key).filter(|c| !c.is_empty()) else {
            continue;
        };
        let mode = if file.secret_key.ends_with(".key") {
            0o600
        } else {
            0o644
        };
        ctx.root()
            .write(&file.path, content, mode)
            .with_context(|| format!("writing {}", file.path.display()))?;
    }
    Ok(())
}

/// This node's certificates: the shared CAs must be there (downloaded or copied), never made
/// anew; the leaves are generated with this node's names and addresses, keys in parallel.
fn certs(ctx: &dyn JoinContext) -> anyhow::Result<()> {
    let cfg = ctx.init_cfg()?;
    ctx.events().info(format!(
        "[certs] Using certificateDir folder {:?}",
        cfg.cert_dir()
    ));
    let pki = Pki::new(ctx.root(), cfg, ctx.key_pool());
    let specs: Vec<&CertSpec> = ALL_CERTS
        .iter()
        .copied()
        .filter(|s| !s.is_etcd() || !cfg.is_external_etcd())
        .collect();
    let missing_shared = |path: std::path::PathBuf| -> anyhow::Result<()> {
        if ctx.root().exists(&path)? {
            Ok(())
        } else {
            anyhow::bail!(
                "{} is missing: a joining control plane uses the cluster's shared certificates; \
                 pass --certificate-key to download them, or copy them from a control-plane node",
                path.display()
            )
        }
    };
    for spec in specs.iter().filter(|s| s.ca.is_none()) {
        missing_shared(pki.cert_path(spec))?;
        missing_shared(pki.key_path(spec))?;
    }
    let leaves: Vec<&CertSpec> = specs.iter().copied().filter(|s| s.ca.is_some()).collect();
    let pending = pki.pending_keys(&leaves, false)?;
    ctx.key_pool()
        .prepare(&pending, cfg.encryption_algorithm())?;
    for spec in leaves {
        pki.ensure_cert(spec)?;
    }
    missing_shared(std::path::Path::new(cfg.cert_dir()).join(SERVICE_ACCOUNT_KEY))?;
    Ok(())
}

fn kubeconfigs(ctx: &dyn JoinContext) -> anyhow::Result<()> {
    let cfg = ctx.init_cfg()?;
    ctx.events()
        .info("[kubeconfig] Generating kubeconfig files");
    let writer = KubeconfigWriter::new(ctx.root(), cfg, ctx.key_pool(), ctx.kubeconfig_dir());
    let pending = writer.pending_keys(&KUBECONFIGS)?;
    ctx.key_pool()
        .prepare(&pending, cfg.encryption_algorithm())?;
    for file in KUBECONFIGS {
        writer.ensure(file)?;
    }
    Ok(())
}

fn static_pods(ctx: &dyn JoinContext) -> anyhow::Result<()> {
    let view = InitView::of(ctx)?;
    ctx.events().info(format!(
        "[control-plane] Using manifest folder {:?}",
        ctx.manifests_dir()
    ));
    for component in ControlPlaneComponent::ALL {
        run_component(&view, component)?;
    }
    Ok(())
}
