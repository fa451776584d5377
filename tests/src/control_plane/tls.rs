//! The cluster's PKI as kubeadm-rs writes it under `certificatesDir`, and the TLS setup of
//! kube-apiserver: `apiserver.crt`/`apiserver.key` to serve, `ca.crt` to check client
//! certificates, which are optional (anonymous and token requests have none).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::ControlPlaneError;

/// The files read from the PKI directory.
pub struct ClusterPki {
    pub ca_cert_pem: String,
    /// The CA key signs approved CSRs (kube-controller-manager's `--cluster-signing-key-file`).
    pub ca_key_pem: String,
    pub ca_cert: CertificateDer<'static>,
    pub serving_chain: Vec<CertificateDer<'static>>,
    pub serving_key: PrivateKeyDer<'static>,
}

fn read(path: PathBuf) -> Result<(PathBuf, Vec<u8>), ControlPlaneError> {
    match std::fs::read(&path) {
        Ok(bytes) => Ok((path, bytes)),
        Err(source) => Err(ControlPlaneError::Read { path, source }),
    }
}

fn pem_error(path: &Path, what: &str, e: impl std::fmt::Display) -> ControlPlaneError {
    ControlPlaneError::Pem {
        path: path.to_path_buf(),
        reason: format!("expected {what}: {e}"),
    }
}

fn certificates(
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<CertificateDer<'static>>, ControlPlaneError> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, "PEM CERTIFICATE blocks", e))?;
    if certs.is_empty() {
        return Err(pem_error(path, "a PEM CERTIFICATE block", "none found"));
    }
    Ok(certs)
}

impl ClusterPki {
    /// Reads `ca.crt`, `ca.key`, `apiserver.crt` and `apiserver.key` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, ControlPlaneError> {
        let (ca_path, ca_bytes) = read(dir.join("ca.crt"))?;
        let (ca_key_path, ca_key_bytes) = read(dir.join("ca.key"))?;
        let (cert_path, cert_bytes) = read(dir.join("apiserver.crt"))?;
        let (key_path, key_bytes) = read(dir.join("apiserver.key"))?;
        let ca_cert = certificates(&ca_path, &ca_bytes)?.remove(0);
        let serving_chain = certificates(&cert_path, &cert_bytes)?;
        let serving_key = PrivateKeyDer::from_pem_slice(&key_bytes)
            .map_err(|e| pem_error(&key_path, "a PEM private key", e))?;
        PrivateKeyDer::from_pem_slice(&ca_key_bytes)
            .map_err(|e| pem_error(&ca_key_path, "a PEM private key", e))?;
        let text = |path: &Path, bytes: Vec<u8>| {
            String::from_utf8(bytes).map_err(|e| pem_error(path, "UTF-8 PEM text", e))
        };
        Ok(ClusterPki {
            ca_cert_pem: text(&ca_path, ca_bytes)?,
            ca_key_pem: text(&ca_key_path, ca_key_bytes)?,
            ca_cert,
            serving_chain,
            serving_key,
        })
    }

    /// kube-apiserver's TLS: serving certificate, client certificates verified against the
    /// cluster CA when given. Only the ring provider is used (toolchain.md G9).
    pub fn server_config(&self) -> Result<ServerConfig, ControlPlaneError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots
            .add(self.ca_cert.clone())
            .map_err(|e| ControlPlaneError::Tls(format!("ca.crt as a trust anchor: {e}")))?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(|e| ControlPlaneError::Tls(format!("client certificate verifier: {e}")))?;
        let mut config = server_builder(provider)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.serving_chain.clone(), self.serving_key.clone_key())
            .map_err(|e| ControlPlaneError::Tls(format!("apiserver.crt and apiserver.key: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

pub fn server_builder(
    provider: Arc<CryptoProvider>,
) -> Result<rustls::ConfigBuilder<ServerConfig, rustls::WantsVerifier>, ControlPlaneError> {
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ControlPlaneError::Tls(format!("protocol versions: {e}")))
}
