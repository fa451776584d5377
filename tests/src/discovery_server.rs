//! An HTTPS server on loopback for the join-discovery tests: it plays an impostor API server
//! (or a web server holding a discovery file) with a CA of its own, answers the paths it is
//! told to, and logs every request it receives, so a test can prove what a client sent.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
}

impl LoggedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

const CLUSTER_INFO_PATH: &str = "/api/v1/namespaces/kube-public/configmaps/cluster-info";

/// Answers by path, in turn; the last one is repeated.
type Routes = Arc<Mutex<HashMap<String, Vec<(u16, Vec<u8>)>>>>;

/// A logging HTTPS server on `127.0.0.1:<free port>`; dropping it stops it.
pub struct LoggingServer {
    runtime: Option<Runtime>,
    addr: SocketAddr,
    ca_pem: String,
    ca_der: Vec<u8>,
    routes: Routes,
    log: Arc<Mutex<Vec<LoggedRequest>>>,
}

impl LoggingServer {
    /// Serves with a serving certificate for 127.0.0.1 issued by a new CA of its own.
    pub fn start() -> LoggingServer {
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "impostor-ca");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("a CA certificate");
        let leaf_key = KeyPair::generate().expect("a serving key");
        let mut leaf_params = CertificateParams::new(Vec::<String>::new()).expect("leaf params");
        leaf_params.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca)
            .expect("a serving certificate");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca.der().clone()],
                PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .expect("the serving certificate and key match");
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("discovery-server")
            .build()
            .expect("a runtime for the logging server");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("a bound listener");
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).expect("a tokio listener")
        };
        let routes: Routes = Arc::default();
        let log: Arc<Mutex<Vec<LoggedRequest>>> = Arc::default();
        let (serve_routes, serve_log) = (routes.clone(), log.clone());
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let (routes, log) = (serve_routes.clone(), serve_log.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let answer = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let path = req.uri().path().to_string();
                        log.lock().unwrap().push(LoggedRequest {
                            method: req.method().to_string(),
                            path: path.clone(),
                            headers: req
                                .headers()
                                .iter()
                                .map(|(n, v)| {
                                    (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into())
                                })
                                .collect(),
                        });
                        let (status, body) = next_answer(&routes, &path);
                        async move {
                            hyper::Response::builder()
                                .status(status)
                                .header(hyper::header::CONTENT_TYPE, "application/json")
                                .body(Full::new(Bytes::from(body)))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), answer)
                        .await;
                });
            }
        });
        LoggingServer {
            runtime: Some(runtime),
            addr,
            ca_pem: ca.pem(),
            ca_der: ca.der().to_vec(),
            routes,
            log,
        }
    }

    /// Answers GETs of `path` with `status` and `body` from now on.
    pub fn serve(&self, path: &str, status: u16, body: impl Into<Vec<u8>>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), vec![(status, body.into())]);
    }

    /// Answers the cluster-info GET with a ConfigMap holding `data`.
    pub fn serve_cluster_info(&self, data: &serde_json::Value) {
        self.serve_cluster_info_in_turn(std::slice::from_ref(data));
    }

    /// Answers successive cluster-info GETs with ConfigMaps holding each of `data` in turn,
    /// then the last one again and again.
    pub fn serve_cluster_info_in_turn(&self, data: &[serde_json::Value]) {
        let answers = data
            .iter()
            .map(|d| {
                let configmap = serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "cluster-info", "namespace": "kube-public"},
                    "data": d,
                });
                (200, configmap.to_string().into_bytes())
            })
            .collect();
        self.routes
            .lock()
            .unwrap()
            .insert(CLUSTER_INFO_PATH.to_string(), answers);
    }

    /// `127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// The server's own CA (PEM), which no cluster pins.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().unwrap().clone()
    }

    /// Panics unless every request was a GET of cluster-info without an `Authorization`
    /// header; returns how many there were.
    pub fn assert_only_anonymous_cluster_info_reads(&self) -> usize {
        let requests = self.requests();
        for r in &requests {
            assert!(
                r.header("authorization").is_none(),
                "the client sent credentials to an unauthenticated server: {r:?}"
            );
            assert!(
                r.method == "GET" && r.path == CLUSTER_INFO_PATH,
                "the client asked for more than cluster-info (a CSR?): {r:?}"
            );
        }
        requests.len()
    }
}

impl Drop for LoggingServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// The answer for `path`: the next of its answers (the last one stays), or a 404 Status.
fn next_answer(routes: &Routes, path: &str) -> (u16, Vec<u8>) {
    let mut routes = routes.lock().unwrap();
    match routes.get_mut(path) {
        Some(answers) if answers.len() > 1 => answers.remove(0),
        Some(answers) if !answers.is_empty() => answers[0].clone(),
        _ => (404, br#"{"kind":"Status","code":404}"#.to_vec()),
    }
}

/// The DER of the first certificate in a PEM bundle.
pub fn first_der(pem: &[u8]) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject as _;
    CertificateDer::pem_slice_iter(pem)
        .next()
        .expect("a certificate")
        .expect("PEM")
        .to_vec()
}
