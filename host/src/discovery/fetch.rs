//! One HTTPS GET at a time, on hyper + rustls (ring, the process's only provider), with the
//! server trusted exactly as the caller says: not at all yet (the first, anonymous read of
//! cluster-info), by a CA from cluster-info or a kubeconfig, or by the system's roots.
//! Requests carry credentials only when the caller passes them.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;

use crate::cluster::health::AnyServer;

/// The largest answer read: a ConfigMap holds at most 1 MiB of data, so twice that is room
/// for any real cluster-info or kubeconfig and a bound on what an impostor can make us buffer.
pub const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// Whom the TLS handshake trusts.
#[derive(Clone)]
pub enum Trust {
    /// Any server certificate (the handshake signatures are still checked). Only for requests
    /// whose answer is verified some other way and that carry nothing secret.
    Unverified,
    /// Certificates chaining to these roots, for the server's name or IP.
    Roots(Arc<RootCertStore>),
}

impl Trust {
    /// Trust in the CA certificates of a PEM bundle.
    pub fn ca_bundle(ca_pem: &[u8]) -> Result<Trust, String> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            let cert = cert.map_err(|e| format!("the CA data is not PEM: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("a CA certificate is not usable: {e}"))?;
        }
        if roots.is_empty() {
            return Err("the CA data holds no certificate".into());
        }
        Ok(Trust::Roots(Arc::new(roots)))
    }

    /// The system's trust roots (the distribution's CA bundle), plus `extra` DER certificates.
    pub fn system_and(extra: &[Vec<u8>]) -> Result<Trust, String> {
        let mut roots = RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        for der in extra {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| format!("an extra trust root is not usable: {e}"))?;
        }
        if roots.is_empty() {
            return Err("no trust roots: the system's CA bundle is empty or unreadable".into());
        }
        Ok(Trust::Roots(Arc::new(roots)))
    }
}

/// What a request presents to the server.
#[derive(Clone)]
pub enum Credentials {
    Anonymous,
    Bearer(String),
    /// A client certificate chain and its key, PEM.
    ClientCertificate {
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
    },
}

/// Why one request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Worth trying again: refused, reset, timed out, a handshake cut short.
    Transport(String),
    /// The server's certificate is not trusted: trying again will not change that.
    Certificate(String),
    /// The request itself cannot be made (a bad URL or credentials).
    Request(String),
    TooLarge,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Transport(e) | FetchError::Certificate(e) | FetchError::Request(e) => {
                f.write_str(e)
            }
            FetchError::TooLarge => {
                write!(f, "the answer is larger than {MAX_RESPONSE_BYTES} bytes")
            }
        }
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Drives requests from a small runtime of its own, so callers stay synchronous.
pub struct Fetcher {
    runtime: tokio::runtime::Runtime,
}

impl Fetcher {
    pub fn new() -> Result<Fetcher, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Fetcher { runtime })
    }

    /// GET `url` (`https://` only), bounded by `timeout` from connect to the last body byte.
    pub fn get(
        &self,
        url: &str,
        trust: &Trust,
        credentials: &Credentials,
        timeout: Duration,
    ) -> Result<Answer, FetchError> {
        self.runtime.block_on(async {
            match tokio::time::timeout(timeout, get(url, trust, credentials)).await {
                Ok(answer) => answer,
                Err(_) => Err(FetchError::Transport(format!(
                    "GET {url}: no answer within {timeout:?}"
                ))),
            }
        })
    }
}

fn tls_config(
    trust: &Trust,
    credentials: &Credentials,
) -> Result<rustls::ClientConfig, FetchError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Request(e.to_string()))?;
    let builder = match trust {
        Trust::Unverified => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyServer(provider))),
        Trust::Roots(roots) => {
            let verifier = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider)
                .build()
                .map_err(|e| FetchError::Request(e.to_string()))?;
            builder.with_webpki_verifier(verifier)
        }
    };
    match credentials {
        Credentials::ClientCertificate { cert_pem, key_pem } => {
            let chain = CertificateDer::pem_slice_iter(cert_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| FetchError::Request(format!("the client certificate: {e}")))?;
            let key = PrivateKeyDer::from_pem_slice(key_pem)
                .map_err(|e| FetchError::Request(format!("the client key: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| FetchError::Request(format!("the client certificate: {e}")))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

async fn get(url: &str, trust: &Trust, credentials: &Credentials) -> Result<Answer, FetchError> {
    let bad = |reason: String| FetchError::Request(format!("{url}: {reason}"));
    let uri: hyper::Uri = url.parse().map_err(|e| bad(format!("{e}")))?;
    if uri.scheme_str() != Some("https") {
        return Err(bad("only https:// URLs are fetched".into()));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| bad("no host".into()))?
        .clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = authority.port_u16().unwrap_or(443);
    let name = ServerName::try_from(host.clone()).map_err(|e| bad(e.to_string()))?;
    let config = tls_config(trust, credentials)?;

    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| FetchError::Transport(format!("dial {authority}: {e}")))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| handshake_error(&authority, e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| FetchError::Transport(format!("{authority}: {e}")))?;
    tokio::spawn(connection);

    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = hyper::Request::get(path)
        .header(hyper::header::HOST, authority.as_str())
        .header(hyper::header::ACCEPT, "application/json, */*")
        .header(
            hyper::header::USER_AGENT,
            concat!("kubeadm-rs/", env!("CARGO_PKG_VERSION")),
        );
    if let Credentials::Bearer(token) = credentials {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Empty::<Bytes>::new())
        .map_err(|e| bad(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| FetchError::Transport(format!("GET {url}: {e}")))?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                FetchError::TooLarge
            } else {
                FetchError::Transport(format!("GET {url}: reading the answer: {e}"))
            }
        })?
        .to_bytes()
        .to_vec();
    Ok(Answer { status, body })
}

/// A certificate the client refuses is final; anything else in the handshake may pass.
fn handshake_error(authority: &hyper::http::uri::Authority, e: std::io::Error) -> FetchError {
    let certificate = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|tls| {
            matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            )
        });
    if certificate {
        FetchError::Certificate(e.to_string())
    } else {
        FetchError::Transport(format!("TLS handshake with {authority}: {e}"))
    }
}
