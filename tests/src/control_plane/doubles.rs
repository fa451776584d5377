//! Doubles for what `wait-control-plane` and `mark-control-plane` talk to besides the API
//! server: the kubelet's `/healthz` (plain HTTP), kube-controller-manager's and
//! kube-scheduler's health endpoints (HTTPS, self-signed, as they serve by default), and a
//! kubelet that registers its Node with its kubeconfig (kubelet.conf).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;
use tokio_rustls::TlsAcceptor;

use super::client::{ClientError, KubeClient};
use super::discovery::GIT_VERSION;
use super::tls::server_builder;

#[derive(Debug, thiserror::Error)]
pub enum DoubleError {
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("self-signed serving certificate: {0}")]
    Certificate(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("registering node {node:?}: HTTP {status}: {body}")]
    Register {
        node: String,
        status: u16,
        body: Value,
    },
}

/// The health paths the components serve; each answers `ok`.
const HEALTH_PATHS: [&str; 3] = ["/healthz", "/livez", "/readyz"];

async fn answer(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (code, text) = if HEALTH_PATHS.contains(&req.uri().path()) {
        (200, "ok")
    } else {
        (404, "404 page not found\n")
    };
    Ok(Response::builder()
        .status(code)
        .header(hyper::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .expect("a valid response"))
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(stream: S) {
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service_fn(answer))
        .await;
}

fn bind(runtime: &Handle, addr: SocketAddr) -> Result<(TcpListener, SocketAddr), DoubleError> {
    let listen = |source| DoubleError::Listen { addr, source };
    let std_listener = std::net::TcpListener::bind(addr).map_err(listen)?;
    std_listener.set_nonblocking(true).map_err(listen)?;
    let local = std_listener.local_addr().map_err(listen)?;
    let _entered = runtime.enter();
    Ok((TcpListener::from_std(std_listener).map_err(listen)?, local))
}

/// A health endpoint being served; dropping it closes the port.
pub struct Served {
    pub addr: SocketAddr,
    task: Option<AbortHandle>,
}

impl Served {
    /// Leaves the endpoint served for as long as its runtime runs.
    fn detach(mut self) -> SocketAddr {
        self.task = None;
        self.addr
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The kubelet's healthz endpoint (`http://127.0.0.1:10248/healthz` on a real node).
pub fn spawn_kubelet_healthz(
    runtime: &Runtime,
    addr: SocketAddr,
) -> Result<SocketAddr, DoubleError> {
    Ok(serve_kubelet_healthz(runtime.handle(), addr)?.detach())
}

/// [`spawn_kubelet_healthz`] until the returned [`Served`] is dropped.
pub fn serve_kubelet_healthz(runtime: &Handle, addr: SocketAddr) -> Result<Served, DoubleError> {
    let (listener, local) = bind(runtime, addr)?;
    let task = runtime.spawn(async move {
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream));
            }
        }
    });
    Ok(Served {
        addr: local,
        task: Some(task.abort_handle()),
    })
}

/// A control-plane component's secure health endpoint (kube-controller-manager `:10257/healthz`,
/// kube-scheduler `:10259/livez`) with a self-signed certificate, as those components make
/// when given none; kubeadm does not verify it.
pub fn spawn_component_health(
    runtime: &Runtime,
    addr: SocketAddr,
    name: &str,
) -> Result<SocketAddr, DoubleError> {
    Ok(serve_component_health(runtime.handle(), addr, name)?.detach())
}

/// [`spawn_component_health`] until the returned [`Served`] is dropped.
pub fn serve_component_health(
    runtime: &Handle,
    addr: SocketAddr,
    name: &str,
) -> Result<Served, DoubleError> {
    let cert = rcgen::generate_simple_self_signed(vec![
        name.to_string(),
        "localhost".into(),
        addr.ip().to_string(),
    ])
    .map_err(|e| DoubleError::Certificate(e.to_string()))?;
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = server_builder(provider)
        .map_err(|e| DoubleError::Certificate(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .map_err(|e| DoubleError::Certificate(e.to_string()))?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let (listener, local) = bind(runtime, addr)?;
    let task = runtime.spawn(async move {
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve_connection(tls).await;
                    }
                });
            }
        }
    });
    Ok(Served {
        addr: local,
        task: Some(task.abort_handle()),
    })
}

/// The Node a kubelet registers: kubeadm-independent labels, a Ready condition, its version.
pub fn node_object(name: &str) -> Value {
    let now = super::meta::now_rfc3339();
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
            },
        },
        "spec": {},
        "status": {
            "conditions": [{
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            }],
            "nodeInfo": {"kubeletVersion": GIT_VERSION, "operatingSystem": "linux", "architecture": "amd64"},
        },
    })
}

/// Registers Node `name` as the kubelet does, with the client identity of `kubeconfig`; an
/// existing Node is kept. Returns the stored Node.
pub async fn register_node(kubeconfig: &Path, name: &str) -> Result<Value, DoubleError> {
    let client = KubeClient::from_kubeconfig(kubeconfig)?;
    let created = client.post("/api/v1/nodes", &node_object(name)).await?;
    let reply = match created.status {
        201 => return Ok(created.body),
        409 => client.get(&format!("/api/v1/nodes/{name}")).await?,
        _ => created,
    };
    if reply.status == 200 {
        Ok(reply.body)
    } else {
        Err(DoubleError::Register {
            node: name.to_string(),
            status: reply.status,
            body: reply.body,
        })
    }
}
