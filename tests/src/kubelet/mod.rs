//! The kubelet double behind `test-kubelet` (tests only): on a node root, what the real kubelet
//! does for kubeadm. It polls the root and, as files appear,
//! - TLS-bootstraps from `bootstrap-kubelet.conf` when there is no usable `kubelet.conf`
//!   ([`bootstrap`]);
//! - serves `/healthz` where `var/lib/kubelet/config.yaml` says, and registers its Node and
//!   keeps it Ready with `kubelet.conf` ([`node`]);
//! - runs the static pods in `etc/kubernetes/manifests`: etcd as the real process, the other
//!   components as health doubles, each with a mirror pod ([`static_pods`]).
//!
//! It never stops on an error: like the kubelet it logs and tries again on the next pass.

// The test kubelet logs to stderr, as the kubelet does.
#![allow(clippy::print_stderr)]

mod bootstrap;
mod files;
mod node;
mod static_pods;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use crate::control_plane::client::KubeClient;
use crate::control_plane::doubles::{Served, serve_kubelet_healthz};

pub use bootstrap::CLIENT_CERT_NODE_PATH;
pub use files::{BOOTSTRAP_KUBECONFIG, KUBELET_CONFIG, KUBELET_KUBECONFIG};

/// How the double runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The node root every node path is read and written under.
    pub root: PathBuf,
    pub node_name: String,
    /// How often the root is looked at.
    pub poll: Duration,
    /// How often the Node's Ready condition is renewed.
    pub heartbeat: Duration,
    /// Static pods (by manifest name, e.g. `kube-apiserver`) served by something else.
    pub skip_static_pods: BTreeSet<String>,
}

/// The double's state between passes.
pub struct Kubelet {
    options: Options,
    runtime: Handle,
    /// The API client from kubelet.conf, and the file's bytes it was made from.
    client: Option<(KubeClient, Vec<u8>)>,
    healthz: Option<Served>,
    node: node::NodeState,
    pods: static_pods::StaticPods,
    errors: Errors,
}

impl Kubelet {
    pub fn new(options: Options, runtime: Handle) -> Self {
        let pods = static_pods::StaticPods::new(&options);
        Kubelet {
            node: node::NodeState::new(&options.node_name),
            options,
            runtime,
            client: None,
            healthz: None,
            pods,
            errors: Errors::default(),
        }
    }

    /// Polls the root until `shutdown` completes, then stops every static pod.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            // A pass waiting on the API (a TLS bootstrap) gives way to SIGTERM; every file
            // it writes is written whole, and children it was stopping are stopped below.
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.sync() => {}
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.options.poll) => {}
            }
        }
        log("stopping: static pods first");
        self.pods.stop_all().await;
        log("stopped");
    }

    /// One pass over the root.
    pub async fn sync(&mut self) {
        let Some(config) = self
            .errors
            .step("kubelet config", files::kubelet_config(&self.options.root))
        else {
            return;
        };
        // The real kubelet exits without its config; under systemd it comes back once
        // kubelet-start has written it.
        let Some(config) = config else {
            return;
        };
        // The kubelet serves /healthz as soon as it runs, its TLS bootstrap still going on:
        // kubeadm's join waits for it before it waits for kubelet.conf.
        self.serve_healthz(config.healthz);
        self.credentials().await;
        let manifests = files::under(&self.options.root, &config.static_pod_path);
        let pods = self.pods.sync(&self.runtime, &manifests).await;
        self.errors.step("static pods", pods);
        if let Some((client, _)) = &self.client {
            let registered = self.node.sync(client, &self.options, Instant::now()).await;
            self.errors.step("node", registered);
            let mirrored = self.pods.mirror(client, &self.options.node_name).await;
            self.errors.step("mirror pods", mirrored);
        }
    }

    /// Settles the kubelet on its credentials: a usable kubelet.conf, after a TLS bootstrap
    /// when there is none and bootstrap-kubelet.conf is there (standalone otherwise).
    async fn credentials(&mut self) {
        let root = self.options.root.clone();
        let current = files::read_optional(&root.join(KUBELET_KUBECONFIG));
        let current = self.errors.step("kubelet.conf", current).flatten();
        let unchanged =
            matches!((&self.client, &current), (Some((_, seen)), Some(now)) if seen == now);
        if unchanged {
            return;
        }
        self.client = None;
        if let Some(bytes) = current {
            let kubeconfig = root.join(KUBELET_KUBECONFIG);
            match KubeClient::from_kubeconfig_in(&kubeconfig, Some(&root)) {
                Ok(client) => {
                    log(&format!("using {KUBELET_KUBECONFIG}"));
                    self.client = Some((client, bytes));
                    self.errors.clear("kubelet.conf");
                    return;
                }
                Err(e) => self.errors.report("kubelet.conf", &e.to_string()),
            }
        }
        if !root.join(BOOTSTRAP_KUBECONFIG).is_file() {
            // Standalone: static pods run, nothing is registered.
            return;
        }
        let done = bootstrap::tls_bootstrap(&root, &self.options.node_name).await;
        self.errors.step("TLS bootstrap", done);
    }

    fn serve_healthz(&mut self, addr: Option<SocketAddr>) {
        if self.healthz.as_ref().map(|s| s.addr) == addr && addr.is_some() {
            return;
        }
        self.healthz = None;
        let Some(addr) = addr else {
            return;
        };
        match serve_kubelet_healthz(&self.runtime, addr) {
            Ok(served) => {
                log(&format!("serving http://{addr}/healthz"));
                self.healthz = Some(served);
            }
            Err(e) => self.errors.report("healthz", &e.to_string()),
        }
    }
}

/// The last error of each step, so a repeating failure is logged once.
#[derive(Default)]
struct Errors(BTreeMap<String, String>);

impl Errors {
    /// The value of a step, or `None` after logging its error.
    fn step<T, E: std::fmt::Display>(&mut self, what: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => {
                self.clear(what);
                Some(value)
            }
            Err(e) => {
                self.report(what, &e.to_string());
                None
            }
        }
    }

    fn report(&mut self, what: &str, message: &str) {
        if self.0.get(what).map(String::as_str) != Some(message) {
            log(&format!("{what}: {message}"));
            self.0.insert(what.to_string(), message.to_string());
        }
    }

    fn clear(&mut self, what: &str) {
        self.0.remove(what);
    }
}

/// One progress line on stderr; never carries a token or key.
fn log(line: &str) {
    eprintln!("test-kubelet: {line}");
}
