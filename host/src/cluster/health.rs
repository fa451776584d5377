//! Health probes as `wait-control-plane` makes them: a plain GET of the kubelet's `/healthz`,
//! and GETs of the control-plane components' health endpoints over TLS without verifying the
//! serving certificate (the components serve self-signed ones), as kubeadm does.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Polls health endpoints from a small runtime of its own.
pub struct Prober {
    runtime: tokio::runtime::Runtime,
    tls: tokio_rustls::TlsConnector,
}

/// The answer to one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// HTTP 200.
    Healthy,
    /// Any other answer, or none: why, in one line.
    Unhealthy(String),
}

impl Prober {
    pub fn new() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyServer(provider)))
            .with_no_client_auth();
        Ok(Prober {
            runtime,
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// One GET of `url` (`http://` or `https://`), bounded by `timeout`.
    pub fn probe(&self, url: &str, timeout: Duration) -> Probe {
        let answer = self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, self.get(url)).await });
        match answer {
            Ok(Ok(200)) => Probe::Healthy,
            Ok(Ok(code)) => Probe::Unhealthy(format!("HTTP {code}")),
            Ok(Err(e)) => Probe::Unhealthy(e),
            Err(_) => Probe::Unhealthy(format!("no answer within {timeout:?}")),
        }
    }

    async fn get(&self, url: &str) -> Result<u16, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let host = uri.host().ok_or_else(|| format!("{url}: no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(format!("{url}: expected an http or https URL")),
        };
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| e.to_string())?;
        if tls {
            let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
            let stream = self
                .tls
                .connect(name, stream)
                .await
                .map_err(|e| e.to_string())?;
            request(stream, &uri).await
        } else {
            request(stream, &uri).await
        }
    }
}

async fn request<S>(stream: S, uri: &hyper::Uri) -> Result<u16, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    let request = hyper::Request::get(uri.path())
        .header(hyper::header::HOST, authority)
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    // Drain the body so the connection closes cleanly.
    let _ = response.into_body().collect().await;
    Ok(status)
}

/// Accepts any server certificate, but still checks the handshake signatures (also used by
/// join discovery's first, unauthenticated read of cluster-info).
#[derive(Debug)]
pub(crate) struct AnyServer(pub(crate) Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
