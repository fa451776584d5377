//! A small Kubernetes REST client built from a kubeconfig (server, CA, client certificate or
//! token), for the kubelet double and for tests that need a request kubectl cannot make.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Every request gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("kubeconfig {path}: {reason}")]
    Kubeconfig { path: PathBuf, reason: String },
    #[error("{server}: {reason}")]
    Request { server: String, reason: String },
}

/// Where and how to reach an API server.
pub struct KubeClient {
    /// `host:port`.
    authority: String,
    server_name: ServerName<'static>,
    tls: TlsConnector,
    token: Option<String>,
}

/// An answer: HTTP status and body (JSON, or the text as a JSON string).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

fn at<'a>(doc: &'a Value, pointer: &str) -> Option<&'a str> {
    doc.pointer(pointer).and_then(Value::as_str)
}

/// The entry named `name` of a kubeconfig list (`clusters`, `users`, `contexts`).
fn named<'a>(doc: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    doc.get(list)?
        .as_array()?
        .iter()
        .find(|e| at(e, "/name") == Some(name))
}

impl KubeClient {
    /// The current context's cluster and user of a kubeconfig file.
    pub fn from_kubeconfig(path: &Path) -> Result<Self, ClientError> {
        Self::from_kubeconfig_in(path, None)
    }

    /// As [`KubeClient::from_kubeconfig`] for a kubeconfig on a node root: the files it names
    /// (`/var/lib/kubelet/pki/...`) are node paths, read under `root`.
    pub fn from_kubeconfig_in(path: &Path, root: Option<&Path>) -> Result<Self, ClientError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClientError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: String| ClientError::Kubeconfig {
            path: path.to_path_buf(),
            reason,
        };
        let doc: Value =
            serde_saphyr::from_str(&text).map_err(|e| bad(format!("not YAML: {e}")))?;
        let context_name =
            at(&doc, "/current-context").ok_or_else(|| bad("no current-context".into()))?;
        let context = named(&doc, "contexts", context_name)
            .ok_or_else(|| bad(format!("context {context_name:?} is not defined")))?;
        let cluster_name = at(context, "/context/cluster").unwrap_or("");
        let user_name = at(context, "/context/user").unwrap_or("");
        let cluster = named(&doc, "clusters", cluster_name)
            .ok_or_else(|| bad(format!("cluster {cluster_name:?} is not defined")))?;
        let user = named(&doc, "users", user_name)
            .ok_or_else(|| bad(format!("user {user_name:?} is not defined")))?;
        let server = at(cluster, "/cluster/server")
            .ok_or_else(|| bad("the cluster has no server".into()))?;
        let data = |entry: &Value, key: &str| -> Result<Option<Vec<u8>>, ClientError> {
            match at(entry, &format!("/{key}-data")) {
                Some(b64) => STANDARD
                    .decode(b64.trim())
                    .map(Some)
                    .map_err(|e| bad(format!("{key}-data is not base64: {e}"))),
                None => match at(entry, &format!("/{key}")) {
                    Some(file) => {
                        let file = match root {
                            Some(root) => root.join(file.trim_start_matches('/')),
                            None => PathBuf::from(file),
                        };
                        std::fs::read(&file)
                            .map(Some)
                            .map_err(|source| ClientError::Read { path: file, source })
                    }
                    None => Ok(None),
                },
            }
        };
        let ca = data(&cluster["cluster"], "certificate-authority")?
            .ok_or_else(|| bad("the cluster has no certificate-authority".into()))?;
        let cert = data(&user["user"], "client-certificate")?;
        let key = data(&user["user"], "client-key")?;
        let identity = cert.zip(key);
        let token = at(user, "/user/token").map(String::from);
        Self::new(server, &ca, identity, token).map_err(bad)
    }

    /// A client for `server` (`https://host:port`) trusting `ca_pem`, with a client certificate
    /// and key (PEM) and/or a bearer token.
    pub fn new(
        server: &str,
        ca_pem: &[u8],
        identity: Option<(Vec<u8>, Vec<u8>)>,
        token: Option<String>,
    ) -> Result<Self, String> {
        let authority = server
            .strip_prefix("https://")
            .ok_or_else(|| format!("server {server:?} is not an https:// URL"))?
            .trim_end_matches('/')
            .to_string();
        let host = match authority.rsplit_once(':') {
            Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']'),
            None => authority.as_str(),
        };
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("server host {host:?}: {e}"))?;
        let authority = if authority.contains(':') {
            authority
        } else {
            format!("{authority}:443")
        };
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            let cert = cert.map_err(|e| format!("certificate authority: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("certificate authority: {e}"))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => {
                let chain = CertificateDer::pem_slice_iter(&cert)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("client certificate: {e}"))?;
                let key =
                    PrivateKeyDer::from_pem_slice(&key).map_err(|e| format!("client key: {e}"))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("client certificate and key: {e}"))?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(KubeClient {
            authority,
            server_name,
            tls: TlsConnector::from(Arc::new(config)),
            token,
        })
    }

    /// One request on a fresh connection; JSON bodies are sent as `content_type`.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<&Value>,
    ) -> Result<Reply, ClientError> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.send(method, path, content_type, body))
            .await
            .unwrap_or_else(|_| {
                Err(self.error(format!(
                    "{method} {path}: no answer within {REQUEST_TIMEOUT:?}"
                )))
            })
    }

    pub async fn get(&self, path: &str) -> Result<Reply, ClientError> {
        self.request("GET", path, "application/json", None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Reply, ClientError> {
        self.request("POST", path, "application/json", Some(body))
            .await
    }

    fn error(&self, reason: String) -> ClientError {
        ClientError::Request {
            server: self.authority.clone(),
            reason,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<&Value>,
    ) -> Result<Reply, ClientError> {
        let tcp = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| self.error(format!("connect: {e}")))?;
        let tls = self
            .tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| self.error(format!("TLS: {e}")))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| self.error(format!("HTTP: {e}")))?;
        tokio::spawn(conn);
        let bytes = body
            .map(|b| serde_json::to_vec(b).expect("JSON serializes"))
            .unwrap_or_default();
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::ACCEPT, "application/json");
        if body.is_some() {
            req = req.header(hyper::header::CONTENT_TYPE, content_type);
        }
        if let Some(token) = &self.token {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = req
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| self.error(format!("building {method} {path}: {e}")))?;
        let response = sender
            .send_request(req)
            .await
            .map_err(|e| self.error(format!("{method} {path}: {e}")))?;
        let status = response.status().as_u16();
        let collected = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| self.error(format!("{method} {path}: reading the answer: {e}")))?
            .to_bytes();
        let body = serde_json::from_slice(&collected)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&collected).into_owned()));
        Ok(Reply { status, body })
    }
}
