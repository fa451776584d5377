//! A loopback cluster for the tests and the benchmark of `init`'s cluster phases and of
//! `kubeadm-rs token`: a node root holding kubeadm-rs's PKI and kubeconfigs for
//! `127.0.0.1:<port>`, the kubeadm config that makes `wait-control-plane` poll loopback
//! doubles, the test control plane serving that PKI with the Node registered, kubectl
//! against it, and API servers that fail the way broken ones do.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kubeadm_rs::config::InitOverrides;
use kubeadm_rs::events::Events;
use kubeadm_rs::node::NodeRoot;
use kubeadm_rs::phases::init::{InitContext, InitData, InitOptions, init_workflow};
use kubeadm_rs::system::LiveSystem;
use kubeadm_rs::workflow::{PhaseFailed, Selection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;

use crate::control_plane::{ControlPlane, Options, Running, doubles};
use crate::{NODE_ADDRESS, NODE_NAME, init_config, run_phases};

/// Loopback ports for the API server and for what `wait-control-plane` polls.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub api: u16,
    pub controller_manager: u16,
    pub scheduler: u16,
    pub kubelet_healthz: u16,
}

/// A free loopback port, found by binding port 0.
fn free_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("a free loopback port")
}

fn port_of(listener: &TcpListener) -> u16 {
    listener.local_addr().expect("a bound listener").port()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The kubeadm configuration of a loopback node: the API server advertised and served on
/// `127.0.0.1:<api>`, the controller manager, scheduler and kubelet health on their ports,
/// ECDSA keys (fast), and a bounded `timeouts.kubernetesAPICall`.
#[derive(Clone, Debug)]
pub struct LoopbackConfig {
    pub ports: Ports,
    /// `timeouts.kubernetesAPICall`, a Go duration.
    pub api_call_timeout: String,
    /// Appended to the InitConfiguration document (top-level YAML lines).
    pub init_extra: String,
    /// Appended to the ClusterConfiguration document (top-level YAML lines).
    pub cluster_extra: String,
}

impl LoopbackConfig {
    pub fn new(ports: Ports) -> Self {
        LoopbackConfig {
            ports,
            api_call_timeout: "10s".into(),
            init_extra: String::new(),
            cluster_extra: String::new(),
        }
    }

    /// The config file's text: InitConfiguration, ClusterConfiguration, KubeletConfiguration.
    pub fn yaml(&self) -> String {
        let Ports {
            api,
            controller_manager,
            scheduler,
            kubelet_healthz,
        } = self.ports;
        let timeout = &self.api_call_timeout;
        // The advertise address must not be loopback (validation); the manifests' flags are
        // what wait-control-plane reads, so they point at loopback.
        format!(
            r#"apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {NODE_ADDRESS}
nodeRegistration:
  name: {NODE_NAME}
timeouts:
  kubernetesAPICall: {timeout}
  controlPlaneComponentHealthCheck: 30s
  kubeletHealthCheck: 30s
{init_extra}---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: 127.0.0.1:{api}
encryptionAlgorithm: ECDSA-P256
apiServer:
  certSANs: [127.0.0.1]
  extraArgs:
  - name: advertise-address
    value: 127.0.0.1
  - name: secure-port
    value: "{api}"
controllerManager:
  extraArgs:
  - name: bind-address
    value: 127.0.0.1
  - name: secure-port
    value: "{controller_manager}"
scheduler:
  extraArgs:
  - name: bind-address
    value: 127.0.0.1
  - name: secure-port
    value: "{scheduler}"
{cluster_extra}---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
healthzBindAddress: 127.0.0.1
healthzPort: {kubelet_healthz}
"#,
            init_extra = self.init_extra,
            cluster_extra = self.cluster_extra,
        )
    }
}

/// A node root with kubeadm-rs's certificates and kubeconfigs (the node-local phases a
/// cluster test starts from), and its config file.
pub struct Node {
    dir: tempfile::TempDir,
    pub config: LoopbackConfig,
    /// The API port, held bound until an API server (real or faulty) takes it.
    api_listener: Option<TcpListener>,
}

impl Node {
    /// Free ports, the default loopback config, and `certs` + `kubeconfig` into a new root.
    pub fn prepare() -> Node {
        Self::prepare_with(|_| {})
    }

    /// As [`Node::prepare`], with the config adjusted by `adjust` before anything is written.
    pub fn prepare_with(adjust: impl FnOnce(&mut LoopbackConfig)) -> Node {
        let api_listener = free_listener();
        // The other ports are only reserved while picking, so each is distinct.
        let others: Vec<TcpListener> = (0..3).map(|_| free_listener()).collect();
        let ports = Ports {
            api: port_of(&api_listener),
            controller_manager: port_of(&others[0]),
            scheduler: port_of(&others[1]),
            kubelet_healthz: port_of(&others[2]),
        };
        drop(others);
        let mut config = LoopbackConfig::new(ports);
        adjust(&mut config);
        let node = Node {
            dir: tempfile::tempdir().expect("a temporary node root"),
            config,
            api_listener: Some(api_listener),
        };
        std::fs::write(node.config_path(), node.config.yaml()).expect("config written");
        let cfg = init_config(Some(&node.config.yaml()), &InitOverrides::default());
        for phase in ["certs", "kubeconfig"] {
            run_phases(node.path(), &cfg, Some(phase), &[], Events::discard())
                .unwrap_or_else(|e| panic!("init phase {phase}: {e}"));
        }
        node
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A node path (`/etc/kubernetes/admin.conf`) inside the root.
    pub fn file(&self, node_path: &str) -> PathBuf {
        self.path().join(node_path.trim_start_matches('/'))
    }

    /// The kubeadm config file, outside the root's `/etc`.
    pub fn config_path(&self) -> PathBuf {
        self.path().join("kubeadm-config.yaml")
    }

    pub fn admin(&self) -> PathBuf {
        self.file("/etc/kubernetes/admin.conf")
    }

    pub fn super_admin(&self) -> PathBuf {
        self.file("/etc/kubernetes/super-admin.conf")
    }

    pub fn kubelet_conf(&self) -> PathBuf {
        self.file("/etc/kubernetes/kubelet.conf")
    }

    pub fn pki(&self) -> PathBuf {
        self.file("/etc/kubernetes/pki")
    }

    pub fn ca(&self) -> PathBuf {
        self.pki().join("ca.crt")
    }

    /// `https://127.0.0.1:<api>`, the server every kubeconfig names.
    pub fn api_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.config.ports.api)
    }

    /// The API port's listener: the one held since [`Node::prepare`], or the port bound again
    /// (after a faulty server let it go).
    fn take_api_listener(&mut self) -> TcpListener {
        self.api_listener.take().unwrap_or_else(|| {
            TcpListener::bind(loopback(self.config.ports.api)).expect("the API port is free again")
        })
    }

    /// The test control plane on the API port with this node's PKI, the health doubles
    /// `wait-control-plane` polls, and this node's Node registered with kubelet.conf.
    pub fn start_control_plane(&mut self) -> Running {
        let listener = self.take_api_listener();
        let cp = ControlPlane::start_on(&self.pki(), listener, Options::default())
            .expect("the control plane starts");
        let Ports {
            controller_manager,
            scheduler,
            kubelet_healthz,
            ..
        } = self.config.ports;
        doubles::spawn_kubelet_healthz(cp.runtime(), loopback(kubelet_healthz))
            .expect("kubelet healthz double");
        doubles::spawn_component_health(
            cp.runtime(),
            loopback(controller_manager),
            "kube-controller-manager",
        )
        .expect("controller manager double");
        doubles::spawn_component_health(cp.runtime(), loopback(scheduler), "kube-scheduler")
            .expect("scheduler double");
        cp.runtime()
            .block_on(doubles::register_node(
                &self.on_loopback(&self.kubelet_conf()),
                NODE_NAME,
            ))
            .expect("the kubelet double registers its Node");
        cp
    }

    /// A copy of a kubeconfig whose server is the loopback API. kubelet.conf names the
    /// advertise address (ControlPlaneKubeletLocalMode), which is the node's own address on a
    /// real node but must not be dialled from the host namespace here.
    pub fn on_loopback(&self, kubeconfig: &Path) -> PathBuf {
        let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig readable");
        let rewritten: String = text
            .lines()
            .map(|line| match line.trim_start().strip_prefix("server: ") {
                Some(_) => {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    format!("{indent}server: {}\n", self.api_url())
                }
                None => format!("{line}\n"),
            })
            .collect();
        let name = kubeconfig
            .file_name()
            .expect("a kubeconfig file name")
            .to_string_lossy();
        let path = self.path().join(format!("loopback-{name}"));
        std::fs::write(&path, rewritten).expect("loopback kubeconfig written");
        path
    }

    /// A broken API server on the API port (see [`Fault`]).
    pub fn serve_fault(&mut self, fault: Fault) -> FaultyApi {
        let listener = self.take_api_listener();
        FaultyApi::start(fault, listener, &self.pki())
    }
}

/// How a broken API server fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing listens: connections are refused.
    Refused,
    /// HTTPS with the cluster's serving certificate, answering every request with a 500 Status.
    ServerError,
    /// Accepts connections and never says a word (not even the TLS handshake).
    Silent,
}

/// A broken API server; dropping it closes its port.
pub struct FaultyApi {
    runtime: Option<Runtime>,
    hits: Arc<AtomicUsize>,
}

const INTERNAL_ERROR: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: the test server fails every request","reason":"InternalError","code":500}"#;

impl FaultyApi {
    fn start(fault: Fault, listener: TcpListener, pki: &Path) -> FaultyApi {
        let hits = Arc::new(AtomicUsize::new(0));
        if fault == Fault::Refused {
            drop(listener);
            return FaultyApi {
                runtime: None,
                hits,
            };
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("faulty-api")
            .build()
            .expect("a runtime for the faulty API");
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).expect("a tokio listener")
        };
        let counter = hits.clone();
        if fault == Fault::Silent {
            runtime.spawn(async move {
                // Held, never read or written, until the runtime shuts down.
                let mut held = Vec::new();
                while let Ok((stream, _)) = listener.accept().await {
                    counter.fetch_add(1, Ordering::SeqCst);
                    held.push(stream);
                }
            });
        } else {
            let acceptor = serving_tls(pki);
            runtime.spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    let counter = counter.clone();
                    tokio::spawn(async move {
                        let Ok(tls) = acceptor.accept(stream).await else {
                            return;
                        };
                        let answer = service_fn(move |_req| {
                            counter.fetch_add(1, Ordering::SeqCst);
                            async {
                                hyper::Response::builder()
                                    .status(500)
                                    .header(hyper::header::CONTENT_TYPE, "application/json")
                                    .body(Full::new(Bytes::from_static(INTERNAL_ERROR.as_bytes())))
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tls), answer)
                            .await;
                    });
                }
            });
        }
        FaultyApi {
            runtime: Some(runtime),
            hits,
        }
    }

    /// Connections accepted ([`Fault::Silent`]) or requests answered ([`Fault::ServerError`]).
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FaultyApi {
    fn drop(&mut self) {
        // Waits for the listener to be dropped, so the port can be bound again at once.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// kube-apiserver's TLS: `apiserver.crt`/`apiserver.key`, which clients of admin.conf trust.
fn serving_tls(pki: &Path) -> TlsAcceptor {
    let chain = CertificateDer::pem_file_iter(pki.join("apiserver.crt"))
        .expect("apiserver.crt readable")
        .collect::<Result<Vec<_>, _>>()
        .expect("apiserver.crt is PEM");
    let key = PrivateKeyDer::from_pem_file(pki.join("apiserver.key")).expect("apiserver.key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("the serving certificate and key match");
    TlsAcceptor::from(Arc::new(config))
}

/// kubectl that never touches `~/.kube`, with a bounded request time.
pub struct Kubectl {
    cache: tempfile::TempDir,
}

impl Default for Kubectl {
    fn default() -> Self {
        Self::new()
    }
}

impl Kubectl {
    pub fn new() -> Self {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join("kubectl").is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "kubectl is not installed: run scripts/test.sh, which installs every tool the tests use"
        );
        Kubectl {
            cache: tempfile::tempdir().expect("a kubectl cache dir"),
        }
    }

    /// `kubectl --kubeconfig <file> <args>`.
    pub fn cmd(&self, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(self.cache.path())
            .arg("--request-timeout=10s")
            .args(args)
            .env("HOME", self.cache.path())
            .env_remove("KUBECONFIG")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy");
        cmd
    }

    /// `kubectl ... -o json`, parsed; `Err` carries kubectl's stderr.
    pub fn json(&self, kubeconfig: &Path, args: &[&str]) -> Result<Value, String> {
        let out = self
            .cmd(kubeconfig, &[args, &["-o", "json"]].concat())
            .output()
            .expect("kubectl runs");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("kubectl printed no JSON: {e}"))
    }

    /// A directory for scratch files (kubeconfigs the test writes).
    pub fn scratch(&self) -> &Path {
        self.cache.path()
    }
}

impl Node {
    /// The `init` phases `selection` picks, into this root through the library, as
    /// `init --rootfs` runs them (the host's kubelet is left alone).
    pub fn run_init(
        &self,
        selection: &Selection,
        options: InitOptions,
        events: Events,
    ) -> Result<(), PhaseFailed> {
        let cfg = init_config(Some(&self.config.yaml()), &InitOverrides::default());
        let root = NodeRoot::open(self.path(), events.clone()).expect("node root opens");
        let options = InitOptions {
            prepared_root: true,
            ..options
        };
        let mut data = InitData::new(cfg, root, options, Box::new(LiveSystem));
        let workflow = init_workflow();
        let plan = workflow.plan(selection).expect("the selection is valid");
        let ctx: &mut dyn InitContext = &mut data;
        workflow.execute(&plan, ctx, &events)
    }
}

/// A `kubeadm-rs join` command as `init` and `token create --print-join-command` print it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinCommand {
    /// `host:port` of the API server.
    pub endpoint: String,
    pub token: String,
    /// `sha256:<hex>` pins.
    pub ca_hashes: Vec<String>,
    pub control_plane: bool,
    pub certificate_key: Option<String>,
}

fn is_lower_alnum(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl JoinCommand {
    /// Every `kubeadm-rs join` command in `text`, in order, continuation lines (`\` + newline)
    /// joined; each must parse.
    pub fn all_in(text: &str) -> Result<Vec<JoinCommand>, String> {
        text.replace("\\\n", " ")
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("kubeadm-rs join "))
            .map(JoinCommand::parse)
            .collect()
    }

    /// One command on one line; every flag and value is checked against kubeadm's formats.
    pub fn parse(line: &str) -> Result<JoinCommand, String> {
        let mut words = line.split_whitespace();
        if (words.next(), words.next()) != (Some("kubeadm-rs"), Some("join")) {
            return Err(format!("not a kubeadm-rs join command: {line:?}"));
        }
        let endpoint = words
            .next()
            .ok_or_else(|| format!("no endpoint: {line:?}"))?
            .to_string();
        let mut cmd = JoinCommand {
            endpoint,
            token: String::new(),
            ca_hashes: Vec::new(),
            control_plane: false,
            certificate_key: None,
        };
        while let Some(flag) = words.next() {
            let mut value = || {
                words
                    .next()
                    .map(String::from)
                    .ok_or_else(|| format!("{flag} has no value: {line:?}"))
            };
            match flag {
                "--token" => cmd.token = value()?,
                "--discovery-token-ca-cert-hash" => cmd.ca_hashes.push(value()?),
                "--control-plane" => cmd.control_plane = true,
                "--certificate-key" => cmd.certificate_key = Some(value()?),
                other => return Err(format!("unexpected {other:?} in {line:?}")),
            }
        }
        let well_formed_token = cmd
            .token
            .split_once('.')
            .is_some_and(|(id, secret)| is_lower_alnum(id, 6) && is_lower_alnum(secret, 16));
        if !well_formed_token {
            return Err(format!(
                "token {:?} is not [a-z0-9]{{6}}.[a-z0-9]{{16}}",
                cmd.token
            ));
        }
        if cmd.ca_hashes.is_empty() {
            return Err(format!("no --discovery-token-ca-cert-hash: {line:?}"));
        }
        for hash in &cmd.ca_hashes {
            if !hash
                .strip_prefix("sha256:")
                .is_some_and(|hex| is_lower_hex(hex, 64))
            {
                return Err(format!("CA hash {hash:?} is not sha256:<64 hex>"));
            }
        }
        if let Some(key) = &cmd.certificate_key
            && !is_lower_hex(key, 64)
        {
            return Err(format!("certificate key {key:?} is not 64 hex digits"));
        }
        Ok(cmd)
    }

    pub fn token_id(&self) -> &str {
        self.token.split_once('.').map_or("", |(id, _)| id)
    }

    pub fn token_secret(&self) -> &str {
        self.token.split_once('.').map_or("", |(_, secret)| secret)
    }
}

/// Checks a detached JWS as the bootstrap signer makes it (`header..signature`, HS256 keyed
/// with the token secret, header exactly `{"alg":"HS256","kid":"<id>"}`) over `payload`,
/// with an HMAC of our own (aws-lc-rs), not the control plane's code.
pub fn verify_bootstrap_jws(jws: &str, payload: &str, token: &str) -> Result<(), String> {
    let (id, secret) = token
        .split_once('.')
        .ok_or_else(|| "a token is id.secret".to_string())?;
    let (header, signature) = jws
        .split_once("..")
        .ok_or_else(|| format!("{jws:?} is not a detached JWS (header..signature)"))?;
    let header_json: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| format!("JWS header {header:?} is not base64url JSON"))?;
    if header_json != serde_json::json!({"alg": "HS256", "kid": id}) {
        return Err(format!("JWS header is {header_json}"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|e| format!("JWS signature is not base64url: {e}"))?;
    let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::verify(&key, signing_input.as_bytes(), &signature)
        .map_err(|_| "the JWS signature does not verify with the token secret".to_string())
}
