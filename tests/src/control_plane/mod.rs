//! A test control plane: an HTTPS server that serves the Kubernetes REST API for the kinds
//! kubeadm touches, authenticates and authorises as kube-apiserver does, and runs the
//! controllers kubeadm relies on. It lives only in the tests (no kube-apiserver can be
//! installed on the test machines).
//!
//! ```no_run
//! # use kubeadm_rs_tests::control_plane::{ControlPlane, Options};
//! # let pki_dir = std::path::Path::new("/tmp/node/etc/kubernetes/pki");
//! let cp = ControlPlane::start(pki_dir, "127.0.0.1:0".parse().unwrap(), Options::default()).unwrap();
//! println!("{}", cp.url()); // https://127.0.0.1:<port>
//! cp.sync_controllers().unwrap(); // one pass of every controller, now
//! ```

// Controller errors are logged to stderr, as kube-controller-manager's are; it retries.
#![allow(clippy::print_stderr)]

mod auth;
pub mod client;
mod controllers;
mod discovery;
pub mod doubles;
mod meta;
mod policy;
mod proto;
mod rbac;
mod request;
mod resources;
mod rest;
mod selector;
mod server;
mod status;
mod store;
mod table;
mod tls;
mod token;
mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;

pub use auth::UserInfo;
pub use controllers::{
    APISERVER_CLIENT_SIGNER, CLUSTER_INFO, JWS_KEY_PREFIX, KUBELET_CLIENT_SIGNER, detached_jws,
};
pub use discovery::GIT_VERSION;
pub use policy::DEFAULT_NAMESPACES;
pub use store::StoreError;

use controllers::Controllers;
use server::Shared;
use tls::ClusterPki;

/// Why the control plane could not start.
#[derive(Debug, thiserror::Error)]
pub enum ControlPlaneError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Pem { path: PathBuf, reason: String },
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("tokio runtime: {0}")]
    Runtime(std::io::Error),
    #[error("seeding the default objects: {0}")]
    Seed(StoreError),
}

/// How the control plane runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// How often the controllers run in the background.
    pub controller_interval: Duration,
    /// One stderr line per request: method, path, user, status.
    pub log_requests: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            controller_interval: Duration::from_millis(100),
            log_requests: false,
        }
    }
}

/// Starts test control planes.
pub struct ControlPlane;

impl ControlPlane {
    /// Serves on `listen` (port 0 picks a free port) with the PKI in `pki_dir`
    /// (`ca.crt`, `ca.key`, `apiserver.crt`, `apiserver.key`).
    pub fn start(
        pki_dir: &Path,
        listen: SocketAddr,
        options: Options,
    ) -> Result<Running, ControlPlaneError> {
        let listener =
            std::net::TcpListener::bind(listen).map_err(|source| ControlPlaneError::Listen {
                addr: listen.to_string(),
                source,
            })?;
        Self::start_on(pki_dir, listener, options)
    }

    /// Serves on a listener bound beforehand (so a test can write the port into kubeconfigs
    /// before the server starts).
    pub fn start_on(
        pki_dir: &Path,
        listener: std::net::TcpListener,
        options: Options,
    ) -> Result<Running, ControlPlaneError> {
        let addr = listener
            .local_addr()
            .map_err(|source| ControlPlaneError::Listen {
                addr: "the given listener".into(),
                source,
            })?;
        let listen_error = |source| ControlPlaneError::Listen {
            addr: addr.to_string(),
            source,
        };
        listener.set_nonblocking(true).map_err(listen_error)?;
        let pki = ClusterPki::load(pki_dir)?;
        let acceptor = TlsAcceptor::from(Arc::new(pki.server_config()?));
        let controllers = Arc::new(Controllers::new(&pki)?);
        let shared = Arc::new(Shared {
            store: store::Store::new(),
            server_address: addr.to_string(),
            log_requests: options.log_requests,
        });
        policy::seed(&shared.store).map_err(ControlPlaneError::Seed)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("test-control-plane")
            .build()
            .map_err(ControlPlaneError::Runtime)?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(listen_error)?
        };
        runtime.spawn(server::serve(listener, acceptor, shared.clone()));
        let running = Running {
            addr,
            shared,
            controllers,
            pass: Arc::new(Mutex::new(())),
            ca_cert_pem: pki.ca_cert_pem.clone(),
            runtime: Some(runtime),
        };
        running.spawn_controller_loop(options.controller_interval);
        Ok(running)
    }
}

/// A running control plane; dropping it stops the server, its controllers and doubles.
pub struct Running {
    addr: SocketAddr,
    shared: Arc<Shared>,
    controllers: Arc<Controllers>,
    /// Serialises controller passes, so a synchronous pass sees the background one finished.
    pass: Arc<Mutex<()>>,
    ca_cert_pem: String,
    runtime: Option<Runtime>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://<addr>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The cluster CA certificate, PEM (to trust the server).
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    /// The runtime serving requests; doubles and clients can run on it.
    pub fn runtime(&self) -> &Runtime {
        self.runtime.as_ref().expect("the runtime lives until drop")
    }

    /// Runs every controller once, now, after any pass in progress.
    pub fn sync_controllers(&self) -> Result<(), StoreError> {
        run_pass(&self.pass, &self.controllers, &self.shared.store)
    }

    /// An object as stored, straight from the store (for assertions).
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let resource = resources::by_kind(api_version, kind)?;
        self.shared.store.get(resource, namespace, name)
    }

    fn spawn_controller_loop(&self, interval: Duration) {
        let pass = self.pass.clone();
        let controllers = self.controllers.clone();
        let shared = self.shared.clone();
        self.runtime().spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            loop {
                ticker.tick().await;
                if let Err(e) = run_pass(&pass, &controllers, &shared.store) {
                    eprintln!("test-control-plane: controllers: {e}");
                }
            }
        });
    }
}

fn run_pass(
    pass: &Mutex<()>,
    controllers: &Controllers,
    store: &store::Store,
) -> Result<(), StoreError> {
    let _one_at_a_time = pass.lock().unwrap_or_else(|e| e.into_inner());
    controllers.sync(store, OffsetDateTime::now_utc())
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
