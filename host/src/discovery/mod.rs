//! Join discovery: how a joining node finds the cluster and comes to trust its API server
//! before it sends anything secret (kubeadm's `discovery` package).
//!
//! ```text
//! discover(&JoinConfiguration, &DiscoveryOptions, &Events) -> Result<Discovered, DiscoveryError>
//! Discovered::tls_bootstrap_kubeconfig(tls_bootstrap_token) -> Result<Kubeconfig, DiscoveryError>
//! ```
//!
//! * **Token** (`discovery.bootstrapToken`): an anonymous GET of `kube-public/cluster-info`
//!   over TLS that trusts no one yet; its `kubeconfig` must carry the `jws-kubeconfig-<id>`
//!   signature (HS256 keyed with the token secret, [`jws`]); a CA in it must match one of the
//!   pins (`sha256:<hex>` of the SubjectPublicKeyInfo), unless `unsafeSkipCAVerification`;
//!   then the same GET over TLS verified with that CA must return the same kubeconfig. Reads
//!   are retried every [`DiscoveryOptions::retry_interval`] until `timeouts.discovery` (one
//!   deadline for the whole discovery); a certificate the client refuses is final.
//! * **File** (`discovery.file.kubeConfigPath`): a kubeconfig on this host, or at an `https://`
//!   URL fetched with the system's trust roots; a CA file it names is embedded, as are its
//!   credentials; then cluster-info is read with it as kubeadm does (Forbidden: trust the file;
//!   read: warn if the server differs, take the CA only when the file had none).
//!
//! Before the server is authenticated, the only request is that anonymous GET: no
//! `Authorization` header, no client certificate. [`Discovered::tls_bootstrap_kubeconfig`] is
//! kubeadm's `discovery.For`: the kubeconfig that becomes `bootstrap-kubelet.conf` and the
//! client `join` reads `kubeadm-config`, `kubelet-config` and `kubeadm-certs` with.
//! Everything is synchronous at the boundary; requests run on a small runtime of their own.

mod error;
mod fetch;
mod file;
pub mod jws;
mod token;

use std::time::{Duration, Instant};

pub use error::DiscoveryError;
pub use fetch::MAX_RESPONSE_BYTES;

use crate::config::JoinConfiguration;
use crate::config::constants::DEFAULT_CLUSTER_NAME;
use crate::events::Events;
use crate::kubeconfig::{
    Cluster, Context, Kubeconfig, NamedCluster, NamedContext, NamedUser, User,
};
use crate::pki::{CaPin, Certificate};
use crate::token::BootstrapToken;

/// kubeadm's `DiscoveryRetryInterval`.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(5);
/// kubeadm's default `timeouts.discovery`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// The user of the TLS-bootstrap kubeconfig built from a token (kubeadm's `TokenUser`).
pub const TLS_BOOTSTRAP_USER: &str = "tls-bootstrap-token-user";
/// Where cluster-info is read from, relative to the API server.
const CLUSTER_INFO_PATH: &str = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
/// The longest one request may take (within what is left of the discovery timeout).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How discovery runs, beyond the configuration.
#[derive(Clone, Debug)]
pub struct DiscoveryOptions {
    /// The pause between reads of cluster-info (kubeadm: 5 s).
    pub retry_interval: Duration,
    /// Trust roots added to the system's for an `https://` discovery file (DER certificates),
    /// for a private CA serving the file.
    pub extra_trust_roots: Vec<Vec<u8>>,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            retry_interval: DEFAULT_RETRY_INTERVAL,
            extra_trust_roots: Vec::new(),
        }
    }
}

/// How the cluster was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Token discovery against `host:port`; `pinned` is false with unsafeSkipCAVerification.
    Token { endpoint: String, pinned: bool },
    /// A kubeconfig file on this host.
    File { path: String },
    /// A kubeconfig fetched over HTTPS.
    Url { url: String },
}

/// The cluster discovery found and authenticated.
#[derive(Clone, Debug)]
pub struct Discovered {
    pub method: Method,
    /// The API server's URL (`https://host:port`).
    pub server: String,
    /// The cluster CA bundle (PEM); `None` only for a discovery file without one, whose server
    /// is then trusted through the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Credentials the discovery file carried, with their user name.
    credentials: Option<NamedUser>,
}

impl Discovered {
    /// The cluster CA certificates (DER), in bundle order.
    pub fn ca_der(&self) -> Vec<Vec<u8>> {
        self.ca_pem
            .as_deref()
            .and_then(|pem| Certificate::from_pem_bundle(pem).ok())
            .unwrap_or_default()
            .iter()
            .map(|c| c.der().to_vec())
            .collect()
    }

    /// The pins of the cluster CA certificates.
    pub fn ca_pins(&self) -> Vec<CaPin> {
        self.ca_pem
            .as_deref()
            .and_then(|pem| crate::pki::ca_pins(pem).ok())
            .unwrap_or_default()
    }

    /// Whether the discovery file carried credentials of its own.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// kubeadm's `discovery.For`: with a TLS-bootstrap token (`discovery.tlsBootstrapToken`;
    /// empty means none), the discovered cluster named `kubernetes` and user
    /// `tls-bootstrap-token-user` with that token; else the discovery file's own credentials
    /// (under its user name, with the cluster named `kubernetes`); else kubeadm's error. The
    /// result, as text ([`Kubeconfig::to_yaml`]), is `bootstrap-kubelet.conf`.
    pub fn tls_bootstrap_kubeconfig(
        &self,
        tls_bootstrap_token: &str,
    ) -> Result<Kubeconfig, DiscoveryError> {
        if !tls_bootstrap_token.is_empty() {
            let token: BootstrapToken = tls_bootstrap_token
                .parse()
                .map_err(DiscoveryError::BadTlsBootstrapToken)?;
            let user = NamedUser {
                name: TLS_BOOTSTRAP_USER.into(),
                user: User {
                    token: Some(token.expose()),
                    ..User::default()
                },
            };
            return Ok(self.kubeconfig_for(user));
        }
        match &self.credentials {
            Some(user) => Ok(self.kubeconfig_for(user.clone())),
            None => Err(DiscoveryError::NoCredentials),
        }
    }

    fn kubeconfig_for(&self, user: NamedUser) -> Kubeconfig {
        let context = format!("{}@{DEFAULT_CLUSTER_NAME}", user.name);
        Kubeconfig {
            clusters: vec![NamedCluster {
                name: DEFAULT_CLUSTER_NAME.into(),
                cluster: Cluster {
                    server: self.server.clone(),
                    certificate_authority_data: self.ca_pem.clone(),
                    certificate_authority: None,
                },
            }],
            contexts: vec![NamedContext {
                name: context.clone(),
                context: Context {
                    cluster: DEFAULT_CLUSTER_NAME.into(),
                    user: user.name.clone(),
                },
            }],
            users: vec![user],
            current_context: context,
        }
    }
}

/// Finds and authenticates the cluster `cfg.discovery` describes (a file wins over a token, as
/// in kubeadm), within `timeouts.discovery`. Warnings (an unpinned CA, a server that differs
/// from cluster-info's) go to `events`.
pub fn discover(
    cfg: &JoinConfiguration,
    options: &DiscoveryOptions,
    events: &Events,
) -> Result<Discovered, DiscoveryError> {
    let timeout = cfg
        .timeouts
        .as_ref()
        .and_then(|t| t.discovery.as_ref())
        .map_or(DEFAULT_TIMEOUT, |d| d.0);
    let fetcher = fetch::Fetcher::new().map_err(DiscoveryError::Client)?;
    let run = Run {
        fetcher,
        deadline: Instant::now() + timeout,
        timeout,
        interval: options.retry_interval,
        events,
    };
    match (&cfg.discovery.file, &cfg.discovery.bootstrap_token) {
        (Some(file), _) => file::discover(&run, &file.kube_config_path, options),
        (None, Some(token)) => token::discover(&run, token),
        (None, None) => Err(DiscoveryError::NoMethod),
    }
}

/// One discovery run: its client, its deadline and where it reports.
struct Run<'a> {
    fetcher: fetch::Fetcher,
    deadline: Instant,
    timeout: Duration,
    interval: Duration,
    events: &'a Events,
}

/// The outcome of one try that did not succeed.
enum Retry<E> {
    /// Worth trying again after the interval; `E` says why it failed this time.
    Again(E),
    /// Final.
    Stop(DiscoveryError),
}

impl Run<'_> {
    /// Runs `attempt` (given its time budget) every interval until it succeeds or stops, the
    /// last try at the deadline; then the last reason to try again.
    fn poll<T, E>(
        &self,
        mut attempt: impl FnMut(Duration) -> Result<T, Retry<E>>,
    ) -> Result<T, Retry<E>> {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            // A last try with a short budget still gets a moment to connect.
            let budget = left.min(REQUEST_TIMEOUT).max(Duration::from_millis(500));
            match attempt(budget) {
                Ok(done) => return Ok(done),
                Err(Retry::Stop(e)) => return Err(Retry::Stop(e)),
                Err(Retry::Again(why)) => {
                    let left = self.deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Retry::Again(why));
                    }
                    std::thread::sleep(self.interval.min(left));
                }
            }
        }
    }
}

/// The `data` of a ConfigMap answer.
fn configmap_data(body: &[u8]) -> Result<std::collections::BTreeMap<String, String>, String> {
    #[derive(serde::Deserialize)]
    struct ConfigMap {
        #[serde(default)]
        data: Option<std::collections::BTreeMap<String, String>>,
    }
    serde_json::from_slice::<ConfigMap>(body)
        .map(|cm| cm.data.unwrap_or_default())
        .map_err(|e| format!("the answer is not a ConfigMap: {e}"))
}

/// A short account of an HTTP error answer: the Status message when there is one.
fn status_line(status: u16, body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from));
    match message {
        Some(m) => format!("HTTP {status}: {m}"),
        None => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests;
