//! `upload-certs`: the cluster's CAs and service-account keys, encrypted with the certificate
//! key, in the `kube-system/kubeadm-certs` Secret, owned by a two-hour bootstrap token so the
//! garbage collector removes them when it expires.

use anyhow::Context as _;
use k8s_openapi::jiff::Timestamp;

use super::InitContext;
use crate::certkey::{
    CertificateKey, SECRET_NAME, certs_role, certs_role_binding, certs_secret, proxy_token_spec,
};
use crate::token::BootstrapToken;
use crate::workflow::{Flag, Phase};

pub fn upload_certs_phase() -> Phase<dyn InitContext> {
    Phase::new("upload-certs", "Upload certificates to kubeadm-certs")
        .long("Upload control plane certificates to the kubeadm-certs Secret")
        .flags(&[
            Flag::Config,
            Flag::Kubeconfig,
            Flag::CertificateKey,
            Flag::UploadCerts,
            Flag::SkipCertificateKeyPrint,
            Flag::DryRun,
        ])
        .run(|ctx| run(ctx))
}

fn run(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let events = ctx.events();
    if !ctx.upload_certs() {
        events.info("[upload-certs] Skipping phase. Please see --upload-certs");
        return Ok(());
    }
    let cfg = ctx.cfg();
    let key: CertificateKey = cfg.init.certificate_key.parse().context("certificateKey")?;
    events.info(format!(
        "[upload-certs] Storing the certificates in Secret {SECRET_NAME:?} in the \"kube-system\" Namespace"
    ));
    let cluster = ctx.cluster()?;
    let owner = cluster
        .create_or_update(
            &proxy_token_spec(BootstrapToken::generate()?).to_secret(Timestamp::now())?,
        )
        .context("creating the bootstrap token that owns the uploaded certificates")?;
    let owner_name = owner.metadata.name.clone().unwrap_or_default();
    let owner_uid = owner
        .metadata
        .uid
        .clone()
        .context("the API server returned the token Secret without a uid")?;
    let secret = certs_secret(ctx.root(), &cfg.cluster, &key, &owner_name, &owner_uid)?;
    cluster
        .create_or_update(&secret)
        .with_context(|| format!("creating Secret kube-system/{SECRET_NAME}"))?;
    cluster
        .create_or_update(&certs_role())
        .context("creating Role kube-system/kubeadm:kubeadm-certs")?;
    cluster
        .create_or_update(&certs_role_binding())
        .context("creating RoleBinding kube-system/kubeadm:kubeadm-certs")?;
    if !ctx.skip_certificate_key_print() {
        events.output(format!(
            "[upload-certs] Using certificate key:\n{}",
            key.expose()
        ));
    }
    Ok(())
}
