//! Join discovery (`kubeadm_rs::discovery`) against the test control plane after a real
//! `kubeadm-rs init`, and against impostors: a logging HTTPS server on loopback with a CA of
//! its own, which proves that a client that has not yet authenticated the server sends it
//! nothing but anonymous reads of cluster-info (no Authorization header, no CSR).
//! The bootstrap kubeconfigs discovery builds are used with kubectl; pins are computed with
//! openssl.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{run_ok, stdout, tool};
use kubeadm_rs::config::GoDuration;
use kubeadm_rs::config::JoinConfiguration;
use kubeadm_rs::config::v1beta4::{BootstrapTokenDiscovery, Discovery, FileDiscovery, Timeouts};
use kubeadm_rs::discovery::{
    Discovered, DiscoveryError, DiscoveryOptions, MAX_RESPONSE_BYTES, Method, discover,
};
use kubeadm_rs::events::{Event, Events, Recorder};
use kubeadm_rs_tests::cluster_fixture::{JoinCommand, Kubectl, Node};
use kubeadm_rs_tests::control_plane::{JWS_KEY_PREFIX, Running, detached_jws};
use kubeadm_rs_tests::discovery_server::{LoggingServer, first_der};
use serde_json::{Value, json};

const CLUSTER_INFO_PATH: &str = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
/// A token an impostor knows (it was leaked); no cluster needs to have it.
const LEAKED_TOKEN: &str = "leak01.0123456789abcdef";

/// A cluster after `kubeadm-rs init`, and the join command init printed.
struct Cluster {
    node: Node,
    cp: Running,
    join: JoinCommand,
    k: Kubectl,
}

impl Cluster {
    fn start() -> Cluster {
        let mut node = Node::prepare();
        let cp = node.start_control_plane();
        let out = run_ok(
            common::kubeadm()
                .arg("init")
                .arg("--rootfs")
                .arg(node.path())
                .arg("--config")
                .arg(node.config_path())
                .arg("--ignore-preflight-errors=all"),
        );
        let join = JoinCommand::all_in(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .find(|j| !j.control_plane)
            .expect("init prints a worker join command");
        Cluster {
            node,
            cp,
            join,
            k: Kubectl::new(),
        }
    }

    fn token(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = common::kubeadm();
        cmd.arg("token")
            .args(args)
            .arg("--kubeconfig")
            .arg(self.node.admin());
        cmd
    }

    fn cluster_info(&self) -> Value {
        self.k
            .json(
                &self.node.admin(),
                &["get", "configmap", "cluster-info", "-n", "kube-public"],
            )
            .expect("cluster-info")
    }

    fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.node.ca()).expect("ca.crt")
    }

    /// Token discovery of this cluster with `token` and `pins`, a 2 s timeout.
    fn token_config(&self, token: &str, pins: &[String], unsafe_skip: bool) -> JoinConfiguration {
        token_config(&self.join.endpoint, token, pins, unsafe_skip, "2s")
    }
}

fn token_config(
    endpoint: &str,
    token: &str,
    pins: &[String],
    unsafe_skip: bool,
    timeout: &str,
) -> JoinConfiguration {
    join_config(
        Discovery {
            bootstrap_token: Some(BootstrapTokenDiscovery {
                token: token.into(),
                api_server_endpoint: endpoint.into(),
                ca_cert_hashes: pins.to_vec(),
                unsafe_skip_ca_verification: unsafe_skip,
            }),
            file: None,
            tls_bootstrap_token: token.into(),
        },
        timeout,
    )
}

fn file_config(location: &str, tls_bootstrap_token: &str) -> JoinConfiguration {
    join_config(
        Discovery {
            bootstrap_token: None,
            file: Some(FileDiscovery {
                kube_config_path: location.into(),
            }),
            tls_bootstrap_token: tls_bootstrap_token.into(),
        },
        "2s",
    )
}

fn join_config(discovery: Discovery, timeout: &str) -> JoinConfiguration {
    JoinConfiguration {
        discovery,
        timeouts: Some(Timeouts {
            discovery: Some(timeout.parse::<GoDuration>().expect("a Go duration")),
            ..Timeouts::default()
        }),
        ..JoinConfiguration::default()
    }
}

/// Retries every 100 ms instead of kubeadm's 5 s.
fn fast() -> DiscoveryOptions {
    DiscoveryOptions {
        retry_interval: Duration::from_millis(100),
        ..DiscoveryOptions::default()
    }
}

fn recorded() -> (Arc<Recorder>, Events) {
    let recorder = Arc::new(Recorder::default());
    (recorder.clone(), Events::new(recorder))
}

fn warnings(recorder: &Recorder) -> Vec<String> {
    recorder
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Warning { message } => Some(message),
            _ => None,
        })
        .collect()
}

/// `sha256:` + the SHA-256 of a PEM certificate's DER SubjectPublicKeyInfo, by openssl.
fn openssl_pin(pem: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.crt");
    std::fs::write(&path, pem).unwrap();
    let script = format!(
        "openssl x509 -pubkey -noout -in '{}' | openssl pkey -pubin -outform der | openssl dgst -sha256 -r",
        path.display()
    );
    let out = run_ok(tool("bash").args(["-o", "pipefail", "-c", &script]));
    format!("sha256:{}", stdout(&out).split_whitespace().next().unwrap())
}

/// Writes the TLS-bootstrap kubeconfig and reads `kubeadm-config` with it through kubectl,
/// as join's phases read it with bootstrap-kubelet.conf.
fn kubectl_reads_kubeadm_config(c: &Cluster, discovered: &Discovered, tls_token: &str) {
    let kubeconfig = discovered
        .tls_bootstrap_kubeconfig(tls_token)
        .unwrap_or_else(|e| panic!("{e}"));
    let path = c.node.path().join("bootstrap-kubelet.conf");
    std::fs::write(&path, kubeconfig.to_yaml()).unwrap();
    let cm =
        c.k.json(
            &path,
            &["get", "configmap", "kubeadm-config", "-n", "kube-system"],
        )
        .unwrap_or_else(|e| panic!("kubectl with the bootstrap kubeconfig: {e}"));
    assert!(cm["data"]["ClusterConfiguration"].is_string(), "{cm}");
}

/// A kubeconfig with one cluster (and optionally one user) as kubectl writes one.
fn kubeconfig_text(server: &str, ca: CaIn<'_>, user: Option<&str>) -> String {
    let ca_line = match ca {
        CaIn::Data(pem) => format!("certificate-authority-data: {}", b64(pem)),
        CaIn::File(path) => format!("certificate-authority: {path}"),
    };
    let (context_user, users) = match user {
        Some(lines) => (
            "joiner",
            format!("users:\n- name: joiner\n  user:\n{lines}"),
        ),
        None => ("", "users: null\n".to_string()),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster:\n    server: {server}\n    {ca_line}\ncontexts:\n- name: ctx\n  context:\n    cluster: c1\n    user: \"{context_user}\"\ncurrent-context: ctx\n{users}"
    )
}

enum CaIn<'a> {
    Data(&'a [u8]),
    File(&'a str),
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// cluster-info's `kubeconfig` as kubeadm writes it: one cluster named "", no user.
fn cluster_info_kubeconfig(server: &str, ca_pem: &[u8]) -> String {
    format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: {server}\n  name: \"\"\ncontexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {{}}\nusers: null\n",
        b64(ca_pem)
    )
}

/// An impostor's cluster-info: its own server and CA, signed with a token it knows.
fn impostor_cluster_info(server: &LoggingServer, token: &str) -> Value {
    let kubeconfig = cluster_info_kubeconfig(&server.url(""), server.ca_pem().as_bytes());
    let (id, secret) = token.split_once('.').unwrap();
    json!({
        "kubeconfig": kubeconfig,
        format!("{JWS_KEY_PREFIX}{id}"): detached_jws(&kubeconfig, id, secret),
    })
}

fn expect_err(result: Result<Discovered, DiscoveryError>) -> DiscoveryError {
    match result {
        Ok(found) => panic!("discovery unexpectedly succeeded: {found:?}"),
        Err(e) => {
            let line = e.to_string();
            assert!(!line.contains('\n'), "one line: {line}");
            assert!(
                !line.contains("0123456789abcdef"),
                "no token secret: {line}"
            );
            e
        }
    }
}

#[test]
fn token_discovery_with_the_printed_pin_finds_the_cluster_and_its_kubeconfig_works() {
    let c = Cluster::start();
    assert_eq!(c.join.ca_hashes, vec![openssl_pin(&c.ca_pem())]);
    let (recorder, events) = recorded();
    let found = discover(
        &c.token_config(&c.join.token, &c.join.ca_hashes, false),
        &fast(),
        &events,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        found.method,
        Method::Token {
            endpoint: c.join.endpoint.clone(),
            pinned: true
        }
    );
    assert_eq!(found.server, c.node.api_url());
    assert_eq!(found.ca_pem.as_deref(), Some(&c.ca_pem()[..]));
    assert_eq!(found.ca_der(), vec![first_der(&c.ca_pem())]);
    assert!(warnings(&recorder).is_empty());

    // discovery.For: cluster "kubernetes", user tls-bootstrap-token-user with the token.
    let kubeconfig = found.tls_bootstrap_kubeconfig(&c.join.token).unwrap();
    let path = c.node.path().join("view.conf");
    std::fs::write(&path, kubeconfig.to_yaml()).unwrap();
    let view =
        c.k.json(&path, &["config", "view", "--raw"])
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        view["current-context"],
        "tls-bootstrap-token-user@kubernetes"
    );
    assert_eq!(view["clusters"][0]["name"], "kubernetes");
    assert_eq!(
        view["clusters"][0]["cluster"]["server"],
        c.node.api_url().as_str()
    );
    assert_eq!(view["users"][0]["name"], "tls-bootstrap-token-user");
    assert_eq!(view["users"][0]["user"]["token"], c.join.token.as_str());
    kubectl_reads_kubeadm_config(&c, &found, &c.join.token);

    // Several pins, one of them the cluster's, in upper case.
    let other = "sha256:181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
    let upper = c.join.ca_hashes[0].to_uppercase();
    discover(
        &c.token_config(&c.join.token, &[other.into(), upper], false),
        &fast(),
        &Events::discard(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn unsafe_skip_trusts_the_signature_alone_and_warns_what_it_gives_up() {
    let c = Cluster::start();
    let (recorder, events) = recorded();
    let found = discover(&c.token_config(&c.join.token, &[], true), &fast(), &events)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.ca_pem.as_deref(), Some(&c.ca_pem()[..]));
    assert_eq!(
        found.method,
        Method::Token {
            endpoint: c.join.endpoint.clone(),
            pinned: false
        }
    );
    let warned = warnings(&recorder);
    assert_eq!(warned.len(), 1, "{warned:?}");
    for says in [
        "not pinned",
        "impersonate",
        "--discovery-token-ca-cert-hash",
    ] {
        assert!(warned[0].contains(says), "{says}: {}", warned[0]);
    }
    assert!(!warned[0].contains(c.join.token_secret()), "{}", warned[0]);
    kubectl_reads_kubeadm_config(&c, &found, &c.join.token);

    // Without the flag and without a pin, nothing is trusted (and nothing is sent).
    let err = expect_err(discover(
        &c.token_config(&c.join.token, &[], false),
        &fast(),
        &Events::discard(),
    ));
    assert!(matches!(err, DiscoveryError::NoPins), "{err}");
}

#[test]
fn file_discovery_embeds_the_files_ca_and_credentials_and_checks_cluster_info() {
    let c = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(c.node.ca(), dir.path().join("ca.crt")).unwrap();

    // A CA named by a relative path, no credentials: the TLS-bootstrap token is the user.
    let plain = dir.path().join("discovery.conf");
    std::fs::write(
        &plain,
        kubeconfig_text(&c.node.api_url(), CaIn::File("ca.crt"), None),
    )
    .unwrap();
    let location = format!("file://{}", plain.display());
    let (recorder, events) = recorded();
    let found = discover(&file_config(&location, &c.join.token), &fast(), &events)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        found.method,
        Method::File {
            path: plain.display().to_string()
        }
    );
    assert_eq!(found.server, c.node.api_url());
    assert_eq!(found.ca_pem.as_deref(), Some(&c.ca_pem()[..]));
    assert!(!found.has_credentials());
    assert!(warnings(&recorder).is_empty());
    kubectl_reads_kubeadm_config(&c, &found, &c.join.token);
    let err = found.tls_bootstrap_kubeconfig("").unwrap_err();
    assert!(matches!(err, DiscoveryError::NoCredentials), "{err}");

    // admin.conf carries a client certificate: used as it is, with no TLS-bootstrap token.
    let found = discover(
        &file_config(&c.node.admin().display().to_string(), ""),
        &fast(),
        &Events::discard(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(found.has_credentials());
    let kubeconfig = found.tls_bootstrap_kubeconfig("").unwrap();
    assert!(kubeconfig.current_user().unwrap().client_key_data.is_some());
    kubectl_reads_kubeadm_config(&c, &found, "");

    // A file whose CA is not the cluster's: the server is not trusted, and nothing is retried.
    let impostor = LoggingServer::start();
    let wrong = dir.path().join("wrong-ca.conf");
    std::fs::write(
        &wrong,
        kubeconfig_text(
            &c.node.api_url(),
            CaIn::Data(impostor.ca_pem().as_bytes()),
            None,
        ),
    )
    .unwrap();
    let err = expect_err(discover(
        &file_config(&wrong.display().to_string(), &c.join.token),
        &fast(),
        &Events::discard(),
    ));
    assert!(matches!(err, DiscoveryError::Untrusted { .. }), "{err}");
}

#[test]
fn file_discovery_trusts_a_forbidden_cluster_info_and_warns_when_its_server_differs() {
    let server = LoggingServer::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("discovery.conf");
    std::fs::write(
        &path,
        kubeconfig_text(
            &server.url(""),
            CaIn::Data(server.ca_pem().as_bytes()),
            Some("    token: leak01.0123456789abcdef\n"),
        ),
    )
    .unwrap();
    let cfg = file_config(&path.display().to_string(), "");

    // Forbidden: the file is trusted as it is, with a warning.
    server.serve(CLUSTER_INFO_PATH, 403, r#"{"kind":"Status","code":403}"#);
    let (recorder, events) = recorded();
    let found = discover(&cfg, &fast(), &events).unwrap_or_else(|e| panic!("{e}"));
    assert!(found.has_credentials());
    let warned = warnings(&recorder);
    assert!(warned.iter().any(|w| w.contains("Forbidden")), "{warned:?}");
    // The file's credentials went to the server its CA authenticates.
    let sent = server.requests();
    assert_eq!(
        sent.last().unwrap().header("authorization"),
        Some("Bearer leak01.0123456789abcdef")
    );

    // cluster-info names another server: a warning, and the file's server is kept.
    server.serve_cluster_info(&json!({
        "kubeconfig": cluster_info_kubeconfig("https://127.0.0.2:6443", server.ca_pem().as_bytes()),
    }));
    let found = discover(&cfg, &fast(), &events).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.server, server.url(""));
    let warned = warnings(&recorder);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("https://127.0.0.2:6443") && w.contains("different")),
        "{warned:?}"
    );
}

#[test]
fn https_discovery_fetches_the_file_with_the_system_roots_plus_the_ones_given() {
    let c = Cluster::start();
    let web = LoggingServer::start();
    web.serve(
        "/discovery.conf",
        200,
        kubeconfig_text(&c.node.api_url(), CaIn::Data(&c.ca_pem()), None),
    );
    let url = web.url("/discovery.conf");
    let trusting_web = DiscoveryOptions {
        extra_trust_roots: vec![web.ca_der().to_vec()],
        ..fast()
    };
    let found = discover(
        &file_config(&url, &c.join.token),
        &trusting_web,
        &Events::discard(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.method, Method::Url { url: url.clone() });
    assert_eq!(found.ca_pem.as_deref(), Some(&c.ca_pem()[..]));
    kubectl_reads_kubeadm_config(&c, &found, &c.join.token);

    // The web server's CA is not among the system's roots: without it, no trust.
    let err = expect_err(discover(
        &file_config(&url, &c.join.token),
        &fast(),
        &Events::discard(),
    ));
    assert!(
        matches!(&err, DiscoveryError::Url { url: u, reason } if *u == url && reason.contains("certificate")),
        "{err}"
    );
    // A document from the network may not name files on this host.
    web.serve(
        "/names-a-file.conf",
        200,
        kubeconfig_text(
            &c.node.api_url(),
            CaIn::File(&c.node.ca().display().to_string()),
            None,
        ),
    );
    let err = expect_err(discover(
        &file_config(&web.url("/names-a-file.conf"), &c.join.token),
        &trusting_web,
        &Events::discard(),
    ));
    assert!(
        err.to_string()
            .contains("must embed its data (certificate-authority-data)"),
        "{err}"
    );
    // A missing file is an HTTP error, named.
    let err = expect_err(discover(
        &file_config(&web.url("/nothing.conf"), &c.join.token),
        &trusting_web,
        &Events::discard(),
    ));
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}

#[test]
fn an_impostor_with_its_own_ca_fails_the_pin_check_and_is_told_nothing() {
    let impostor = LoggingServer::start();
    impostor.serve_cluster_info(&impostor_cluster_info(&impostor, LEAKED_TOKEN));
    let cluster_pin = "sha256:181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
    let err = expect_err(discover(
        &token_config(
            &impostor.endpoint(),
            LEAKED_TOKEN,
            &[cluster_pin.into()],
            false,
            "2s",
        ),
        &fast(),
        &Events::discard(),
    ));
    assert!(matches!(err, DiscoveryError::PinMismatch { .. }), "{err}");
    let line = err.to_string();
    let actual = openssl_pin(impostor.ca_pem().as_bytes());
    assert!(line.contains(&actual), "the actual pin {actual}: {line}");
    assert!(line.contains(cluster_pin), "{line}");
    assert_eq!(impostor.assert_only_anonymous_cluster_info_reads(), 1);
}

#[test]
fn cluster_info_altered_or_replayed_by_an_impostor_is_refused() {
    let c = Cluster::start();
    let real = c.cluster_info()["data"].clone();
    let pins = c.join.ca_hashes.clone();

    // The real signature over a kubeconfig changed to point at the impostor.
    let altered_server = LoggingServer::start();
    let mut altered = real.clone();
    altered["kubeconfig"] = json!(
        real["kubeconfig"]
            .as_str()
            .unwrap()
            .replace(&c.node.api_url(), &altered_server.url(""))
    );
    assert_ne!(altered["kubeconfig"], real["kubeconfig"]);
    altered_server.serve_cluster_info(&altered);
    let err = expect_err(discover(
        &token_config(
            &altered_server.endpoint(),
            &c.join.token,
            &pins,
            false,
            "2s",
        ),
        &fast(),
        &Events::discard(),
    ));
    assert!(matches!(err, DiscoveryError::BadSignature { .. }), "{err}");
    assert!(err.to_string().contains("does not match"), "{err}");
    assert_eq!(altered_server.assert_only_anonymous_cluster_info_reads(), 1);

    // The real cluster-info, replayed: signature and pin pass, but the impostor cannot prove
    // it holds a key the cluster CA vouches for.
    let replay = LoggingServer::start();
    replay.serve_cluster_info(&real);
    let err = expect_err(discover(
        &token_config(&replay.endpoint(), &c.join.token, &pins, false, "2s"),
        &fast(),
        &Events::discard(),
    ));
    assert!(matches!(err, DiscoveryError::Untrusted { .. }), "{err}");
    // The verified second read never got past the handshake.
    assert_eq!(replay.assert_only_anonymous_cluster_info_reads(), 1);
}

#[test]
fn deleted_expired_and_non_signing_tokens_find_no_signature() {
    let c = Cluster::start();
    run_ok(&mut c.token(&["create", "del001.0123456789abcdef"]));
    run_ok(&mut c.token(&["delete", "del001"]));
    run_ok(&mut c.token(&["create", "exp001.0123456789abcdef", "--ttl", "1s"]));
    run_ok(&mut c.token(&[
        "create",
        "sig001.0123456789abcdef",
        "--usages",
        "authentication",
    ]));
    std::thread::sleep(Duration::from_millis(2100));
    c.cp.sync_controllers().expect("controllers run");
    let real = c.cluster_info()["data"].clone();

    for id in ["del001", "exp001", "sig001"] {
        assert!(
            real.get(format!("{JWS_KEY_PREFIX}{id}")).is_none(),
            "{id}: {real}"
        );
        let token = format!("{id}.0123456789abcdef");
        // Against the cluster itself ...
        let err = expect_err(discover(
            &c.token_config(&token, &c.join.ca_hashes, false),
            &fast(),
            &Events::discard(),
        ));
        assert!(
            matches!(&err, DiscoveryError::NoSignature { token_id, .. } if token_id == id),
            "{id}: {err}"
        );
        let line = err.to_string();
        assert!(
            line.contains("invalid for this cluster or it has expired"),
            "{line}"
        );
        assert!(line.contains("kubeadm token create"), "{line}");

        // ... and against a server logging what the client sent while it waited.
        let mirror = LoggingServer::start();
        mirror.serve_cluster_info(&real);
        let err = expect_err(discover(
            &token_config(&mirror.endpoint(), &token, &c.join.ca_hashes, false, "1s"),
            &fast(),
            &Events::discard(),
        ));
        assert!(
            matches!(err, DiscoveryError::NoSignature { .. }),
            "{id}: {err}"
        );
        assert!(
            mirror.assert_only_anonymous_cluster_info_reads() > 1,
            "{id}: read again until the timeout"
        );
    }
}

#[test]
fn a_malformed_pin_is_refused_before_any_request() {
    let server = LoggingServer::start();
    server.serve_cluster_info(&impostor_cluster_info(&server, LEAKED_TOKEN));
    for bad in [
        "sha256:abc",
        "md5:181ea3313e3542f5c1791eec3e9b5644",
        "181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1",
    ] {
        let err = expect_err(discover(
            &token_config(&server.endpoint(), LEAKED_TOKEN, &[bad.into()], false, "2s"),
            &fast(),
            &Events::discard(),
        ));
        assert!(
            matches!(&err, DiscoveryError::BadPin { input } if input == bad),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains("sha256:<64 hex digits>"), "{err}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn an_unreachable_endpoint_fails_after_the_timeout_naming_it() {
    let pin = "sha256:181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
    // Refused: nothing listens on the port any more.
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_endpoint = refused.local_addr().unwrap().to_string();
    drop(refused);
    // Silent: the connection is accepted (by the kernel) but no TLS handshake ever comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_endpoint = silent.local_addr().unwrap().to_string();

    for (endpoint, cause) in [
        (&refused_endpoint, "refused"),
        (&silent_endpoint, "no answer"),
    ] {
        let started = Instant::now();
        let err = expect_err(discover(
            &token_config(endpoint, LEAKED_TOKEN, &[pin.into()], false, "1s"),
            &fast(),
            &Events::discard(),
        ));
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{endpoint}: gave up early"
        );
        assert!(
            matches!(&err, DiscoveryError::Unreachable { endpoint: e, timeout, .. }
                if e == endpoint && *timeout == Duration::from_secs(1)),
            "{endpoint}: {err}"
        );
        assert!(err.to_string().contains(cause), "{cause}: {err}");
    }
    drop(silent);
}

#[test]
fn an_answer_over_the_size_limit_is_refused_and_one_under_it_is_read() {
    let server = LoggingServer::start();
    let cluster_pin = "sha256:181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
    let cfg = token_config(
        &server.endpoint(),
        LEAKED_TOKEN,
        &[cluster_pin.into()],
        false,
        "2s",
    );

    // Just under the limit: read and parsed (and then refused for its CA).
    let mut data = impostor_cluster_info(&server, LEAKED_TOKEN);
    data["padding"] = json!("x".repeat(MAX_RESPONSE_BYTES - 8 * 1024));
    server.serve_cluster_info(&data);
    let err = expect_err(discover(&cfg, &fast(), &Events::discard()));
    assert!(matches!(err, DiscoveryError::PinMismatch { .. }), "{err}");

    // Over it: refused without being buffered whole.
    data["padding"] = json!("x".repeat(MAX_RESPONSE_BYTES + 1));
    server.serve_cluster_info(&data);
    let err = expect_err(discover(&cfg, &fast(), &Events::discard()));
    assert!(
        err.to_string()
            .contains(&format!("larger than {MAX_RESPONSE_BYTES} bytes")),
        "{err}"
    );
    server.assert_only_anonymous_cluster_info_reads();
}

#[test]
fn a_cluster_info_that_changes_between_the_two_reads_is_refused() {
    // A server whose CA is pinned, so both reads reach it; the second answer differs.
    let server = LoggingServer::start();
    let pinned = vec![openssl_pin(server.ca_pem().as_bytes())];
    let first = impostor_cluster_info(&server, LEAKED_TOKEN);
    let mut second = first.clone();
    second["kubeconfig"] = json!(format!(
        "{}# changed\n",
        first["kubeconfig"].as_str().unwrap()
    ));
    let (id, secret) = LEAKED_TOKEN.split_once('.').unwrap();
    second[format!("{JWS_KEY_PREFIX}{id}")] = json!(detached_jws(
        second["kubeconfig"].as_str().unwrap(),
        id,
        secret
    ));
    let cfg = token_config(&server.endpoint(), LEAKED_TOKEN, &pinned, false, "2s");

    server.serve_cluster_info_in_turn(&[first.clone(), second]);
    let err = expect_err(discover(&cfg, &fast(), &Events::discard()));
    assert!(matches!(err, DiscoveryError::Changed { .. }), "{err}");
    assert!(
        err.to_string().contains("different from the first"),
        "{err}"
    );
    assert_eq!(server.assert_only_anonymous_cluster_info_reads(), 2);

    // The same server answering the same both times is trusted: its CA is the pinned one.
    server.serve_cluster_info(&first);
    let found = discover(&cfg, &fast(), &Events::discard()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.server, server.url(""));
    assert_eq!(found.ca_der(), vec![server.ca_der().to_vec()]);
    assert_eq!(server.assert_only_anonymous_cluster_info_reads(), 4);
}
