//! `kubeadm-rs token` against the test control plane after a full `init`: the join command
//! it prints carries a token that really bootstraps (a CSR approved and signed, Secrets
//! refused), `list` shows what was asked for, `delete` and expiry remove the Secret and its
//! cluster-info signature, bad input changes nothing, and concurrent creates all land.
//! Checked with kubectl, openssl, and a bootstrap-token HTTPS client.

use crate::common;

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{run_err, run_ok, stderr, stdout, tool};
use kubeadm_rs_tests::cluster_fixture::{JoinCommand, Kubectl, Node, verify_bootstrap_jws};
use kubeadm_rs_tests::control_plane::client::{KubeClient, Reply};
use kubeadm_rs_tests::control_plane::{JWS_KEY_PREFIX, Running};
use serde_json::{Value, json};

/// A cluster after `kubeadm-rs init`, as `token` finds it on a control-plane node.
struct Cluster {
    node: Node,
    cp: Running,
    k: Kubectl,
}

impl Cluster {
    fn start() -> Cluster {
        let mut node = Node::prepare();
        let cp = node.start_control_plane();
        run_ok(
            common::kubeadm()
                .arg("init")
                .arg("--rootfs")
                .arg(node.path())
                .arg("--config")
                .arg(node.config_path())
                .arg("--ignore-preflight-errors=all"),
        );
        Cluster {
            node,
            cp,
            k: Kubectl::new(),
        }
    }

    /// `kubeadm-rs token <args> --kubeconfig <root>/etc/kubernetes/admin.conf`.
    fn token(&self, args: &[&str]) -> Command {
        let mut cmd = common::kubeadm();
        cmd.arg("token")
            .args(args)
            .arg("--kubeconfig")
            .arg(self.node.admin());
        cmd
    }

    /// The bootstrap-token Secrets in kube-system, by name.
    fn token_secrets(&self) -> BTreeSet<String> {
        let list = self
            .k
            .json(
                &self.node.admin(),
                &[
                    "get",
                    "secrets",
                    "-n",
                    "kube-system",
                    "--field-selector",
                    "type=bootstrap.kubernetes.io/token",
                ],
            )
            .expect("token Secrets list");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn secret(&self, name: &str) -> Result<Value, String> {
        self.k.json(
            &self.node.admin(),
            &["get", "secret", name, "-n", "kube-system"],
        )
    }

    fn cluster_info(&self) -> Value {
        self.k
            .json(
                &self.node.admin(),
                &["get", "configmap", "cluster-info", "-n", "kube-public"],
            )
            .expect("cluster-info")
    }

    /// A client that authenticates with a bootstrap token.
    fn token_client(&self, token: &str) -> KubeClient {
        let ca = std::fs::read(self.node.ca()).unwrap();
        KubeClient::new(&self.node.api_url(), &ca, None, Some(token.to_string()))
            .expect("a token client")
    }

    fn call(
        &self,
        request: impl std::future::Future<Output = Result<Reply, impl std::fmt::Debug>>,
    ) -> Reply {
        self.cp
            .runtime()
            .block_on(request)
            .expect("the API answers")
    }
}

fn data(secret: &Value, key: &str) -> Option<String> {
    secret["data"][key]
        .as_str()
        .map(|b64| String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap())
}

/// `sha256:` + the SHA-256 of the CA's DER SubjectPublicKeyInfo, by the openssl pipeline.
fn openssl_ca_hash(ca: &std::path::Path) -> String {
    let script = format!(
        "openssl x509 -pubkey -noout -in '{}' | openssl pkey -pubin -outform der | openssl dgst -sha256 -r",
        ca.display()
    );
    let out = run_ok(tool("bash").args(["-o", "pipefail", "-c", &script]));
    format!("sha256:{}", stdout(&out).split_whitespace().next().unwrap())
}

/// A PEM CSR for a node client certificate (`CN=system:node:<node>`, `O=system:nodes`),
/// made with openssl as a kubelet's TLS bootstrap would.
fn node_csr(dir: &std::path::Path, node: &str) -> String {
    let key = dir.join(format!("{node}.key"));
    let out = run_ok(tool("openssl").args([
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-subj",
        &format!("/O=system:nodes/CN=system:node:{node}"),
    ]));
    stdout(&out)
}

#[test]
fn a_printed_join_command_carries_a_token_that_bootstraps_a_node_and_nothing_more() {
    let c = Cluster::start();
    let out = run_ok(&mut c.token(&["create", "--print-join-command"]));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "one line: {text:?}");
    let join = JoinCommand::parse(text.trim()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        join.endpoint,
        format!("127.0.0.1:{}", c.node.config.ports.api)
    );
    assert_eq!(join.ca_hashes, vec![openssl_ca_hash(&c.node.ca())]);
    assert!(
        !join.control_plane && join.certificate_key.is_none(),
        "{join:?}"
    );

    // The Secret as kubeadm writes it for `token create`'s defaults.
    let secret = c
        .secret(&format!("bootstrap-token-{}", join.token_id()))
        .expect("the token's Secret");
    assert_eq!(data(&secret, "token-id").as_deref(), Some(join.token_id()));
    assert_eq!(
        data(&secret, "token-secret").as_deref(),
        Some(join.token_secret())
    );
    assert_eq!(
        data(&secret, "usage-bootstrap-authentication").as_deref(),
        Some("true")
    );
    assert_eq!(
        data(&secret, "usage-bootstrap-signing").as_deref(),
        Some("true")
    );
    assert_eq!(
        data(&secret, "auth-extra-groups").as_deref(),
        Some("system:bootstrappers:kubeadm:default-node-token")
    );
    let expires = time::OffsetDateTime::parse(
        &data(&secret, "expiration").expect("an expiration"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::hours(23) && left <= time::Duration::hours(24),
        "24h TTL, {left} left"
    );

    // The token signs cluster-info (bootstrapsigner) ...
    c.cp.sync_controllers().expect("controllers run");
    let info = c.cluster_info();
    let jws = info["data"][format!("{JWS_KEY_PREFIX}{}", join.token_id())]
        .as_str()
        .expect("a signature for the new token");
    verify_bootstrap_jws(
        jws,
        info["data"]["kubeconfig"].as_str().unwrap(),
        &join.token,
    )
    .expect("the signature verifies with the printed token");

    // ... and authenticates: a kubelet's TLS bootstrap gets its CSR approved and signed.
    let client = c.token_client(&join.token);
    let scratch = tempfile::tempdir().unwrap();
    let csr_pem = node_csr(scratch.path(), "node-b");
    let csr = json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": "node-csr-b"},
        "spec": {
            "request": STANDARD.encode(&csr_pem),
            "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
            "usages": ["digital signature", "client auth"],
        },
    });
    let created = c.call(client.post(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        &csr,
    ));
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["spec"]["username"],
        format!("system:bootstrap:{}", join.token_id())
    );
    c.cp.sync_controllers().expect("controllers run");
    let signed =
        c.call(client.get("/apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr-b"));
    assert_eq!(signed.status, 200, "{}", signed.body);
    let conditions = signed.body["status"]["conditions"]
        .as_array()
        .expect("conditions");
    assert!(
        conditions
            .iter()
            .any(|c| c["type"] == "Approved" && c["status"] == "True"),
        "{conditions:?}"
    );
    let cert = STANDARD
        .decode(
            signed.body["status"]["certificate"]
                .as_str()
                .expect("a certificate"),
        )
        .unwrap();
    let cert_file = scratch.path().join("node-b.crt");
    std::fs::write(&cert_file, &cert).unwrap();
    let verified = run_ok(tool("openssl").args([
        "verify",
        "-CAfile",
        c.node.ca().to_str().unwrap(),
        cert_file.to_str().unwrap(),
    ]));
    assert!(
        stdout(&verified).ends_with(": OK\n"),
        "{}",
        stdout(&verified)
    );
    let subject = run_ok(tool("openssl").args([
        "x509",
        "-in",
        cert_file.to_str().unwrap(),
        "-noout",
        "-subject",
        "-nameopt",
        "RFC2253",
    ]));
    assert_eq!(
        stdout(&subject).trim(),
        "subject=CN=system:node:node-b,O=system:nodes"
    );

    // It reads no Secrets.
    for path in [
        "/api/v1/namespaces/kube-system/secrets".to_string(),
        format!(
            "/api/v1/namespaces/kube-system/secrets/bootstrap-token-{}",
            join.token_id()
        ),
    ] {
        let refused = c.call(client.get(&path));
        assert_eq!(refused.status, 403, "GET {path}: {}", refused.body);
    }
    // A made-up secret for the same ID does not authenticate.
    let forged = c.token_client(&format!("{}.{}", join.token_id(), "0000000000000000"));
    assert_eq!(c.call(forged.get("/api")).status, 401);
}

#[test]
fn a_control_plane_join_command_carries_the_given_certificate_key() {
    let c = Cluster::start();
    let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let out = run_ok(&mut c.token(&["create", "--print-join-command", "--certificate-key", key]));
    let join = JoinCommand::parse(stdout(&out).trim()).unwrap_or_else(|e| panic!("{e}"));
    assert!(join.control_plane, "{join:?}");
    assert_eq!(join.certificate_key.as_deref(), Some(key));
    c.secret(&format!("bootstrap-token-{}", join.token_id()))
        .expect("the token's Secret");
}

/// `token list`'s table as rows of named columns. kubeadm flushes its tabwriter after each
/// token, so rows do not line up with each other; cells are parted by at least three spaces.
fn table(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let cells = |line: &str| -> Vec<String> {
        line.split("   ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect()
    };
    let mut lines = text.lines();
    let header = cells(lines.next().expect("a header"));
    assert_eq!(
        header,
        [
            "TOKEN",
            "TTL",
            "EXPIRES",
            "USAGES",
            "DESCRIPTION",
            "EXTRA GROUPS"
        ],
        "{text}"
    );
    lines
        .map(|line| {
            let row = cells(line);
            assert_eq!(row.len(), header.len(), "{line:?}");
            header.iter().cloned().zip(row).collect()
        })
        .collect()
}

#[test]
fn token_list_shows_ttl_usages_groups_and_descriptions() {
    let c = Cluster::start();
    run_ok(&mut c.token(&[
        "create",
        "ci0001.0123456789abcdef",
        "--ttl",
        "3h",
        "--usages",
        "signing,authentication",
        "--groups",
        "system:bootstrappers:ci",
        "--description",
        "for ci",
    ]));
    // Default usages and groups (a signing-only token would clash with the default group, as in kubeadm).
    run_ok(&mut c.token(&["create", "sign01.0123456789abcdef", "--ttl", "0"]));

    let listed = stdout(&run_ok(&mut c.token(&["list"])));
    let rows = table(&listed);
    let row = |token: &str| {
        rows.iter()
            .find(|r| r["TOKEN"] == token)
            .unwrap_or_else(|| panic!("{token} listed:\n{listed}"))
            .clone()
    };
    let ci = row("ci0001.0123456789abcdef");
    assert!(["2h", "3h"].contains(&ci["TTL"].as_str()), "{ci:?}");
    let expires = time::OffsetDateTime::parse(
        &ci["EXPIRES"],
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap_or_else(|e| panic!("{e}: {ci:?}"));
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(170) && left <= time::Duration::hours(3),
        "{ci:?}"
    );
    let usages: BTreeSet<&str> = ci["USAGES"].split(',').collect();
    assert_eq!(
        usages,
        BTreeSet::from(["authentication", "signing"]),
        "{ci:?}"
    );
    assert_eq!(ci["DESCRIPTION"], "for ci");
    assert_eq!(ci["EXTRA GROUPS"], "system:bootstrappers:ci");

    let forever = row("sign01.0123456789abcdef");
    assert_eq!(forever["TTL"], "<forever>", "{forever:?}");
    assert_eq!(forever["EXPIRES"], "<never>", "{forever:?}");
    let usages: BTreeSet<&str> = forever["USAGES"].split(',').collect();
    assert_eq!(
        usages,
        BTreeSet::from(["authentication", "signing"]),
        "{forever:?}"
    );
    assert_eq!(
        forever["EXTRA GROUPS"], "system:bootstrappers:kubeadm:default-node-token",
        "{forever:?}"
    );
    assert_eq!(forever["DESCRIPTION"], "<none>", "{forever:?}");
    // init's token is there too, with kubeadm's default description.
    assert!(
        rows.iter().any(|r| r["DESCRIPTION"] == "The default bootstrap token generated by 'kubeadm init'."),
        "{listed}"
    );

    // The same in JSON, one object per token.
    let json_out = stdout(&run_ok(&mut c.token(&["list", "-o", "json"])));
    let objects: Vec<Value> = serde_json::Deserializer::from_str(&json_out)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {json_out}"));
    let ci_json = objects
        .iter()
        .find(|o| o["token"] == "ci0001.0123456789abcdef")
        .unwrap_or_else(|| panic!("{json_out}"));
    assert_eq!(
        ci_json["groups"],
        json!(["system:bootstrappers:ci"]),
        "{ci_json}"
    );
    assert_eq!(ci_json["description"], "for ci");

    // kubectl's printers, applied to each token's output object.
    let tokens = stdout(&run_ok(&mut c.token(&[
        "list",
        "-o",
        r#"jsonpath={.token}{"\t"}{.groups[*]}{"\n"}"#,
    ])));
    assert!(
        tokens
            .lines()
            .any(|l| l == "ci0001.0123456789abcdef\tsystem:bootstrappers:ci"),
        "{tokens}"
    );
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("token.tmpl");
    std::fs::write(&template, "{{.token}}={{range .usages}}{{.}};{{end}}\n").unwrap();
    let arg = format!("go-template-file={}", template.display());
    let tokens = stdout(&run_ok(&mut c.token(&["list", "-o", arg.as_str()])));
    let ci = tokens
        .lines()
        .find_map(|l| l.strip_prefix("ci0001.0123456789abcdef="))
        .unwrap_or_else(|| panic!("{tokens}"));
    let mut usages: Vec<&str> = ci.split_terminator(';').collect();
    usages.sort_unstable();
    assert_eq!(usages, ["authentication", "signing"], "{tokens}");
}

#[test]
fn token_delete_removes_the_secret_and_then_its_signature() {
    let c = Cluster::start();
    let token = "del001.0123456789abcdef";
    run_ok(&mut c.token(&["create", token]));
    c.cp.sync_controllers().expect("controllers run");
    let key = format!("{JWS_KEY_PREFIX}del001");
    assert!(c.cluster_info()["data"].get(&key).is_some(), "signed first");

    let out = run_ok(&mut c.token(&["delete", "del001"]));
    assert_eq!(stdout(&out), "bootstrap token \"del001\" deleted\n");
    let gone = c.secret("bootstrap-token-del001").expect_err("deleted");
    assert!(gone.contains("NotFound"), "{gone}");
    c.cp.sync_controllers().expect("controllers run");
    assert!(
        c.cluster_info()["data"].get(&key).is_none(),
        "the signature goes with the token"
    );

    let again = run_err(&mut c.token(&["delete", token]));
    assert!(
        stderr(&again).contains("del001") && stderr(&again).contains("not found"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn an_expired_token_stops_working_and_disappears() {
    let c = Cluster::start();
    let token = "exp001.0123456789abcdef";
    run_ok(&mut c.token(&["create", token, "--ttl", "1s"]));
    std::thread::sleep(Duration::from_millis(2100));
    let client = c.token_client(token);
    assert_eq!(
        c.call(client.get("/api")).status,
        401,
        "an expired token does not authenticate"
    );
    c.cp.sync_controllers().expect("tokencleaner runs");
    assert!(!c.token_secrets().contains("bootstrap-token-exp001"));
    let listed = stdout(&run_ok(&mut c.token(&["list"])));
    assert!(!listed.contains("exp001"), "{listed}");
    assert!(
        c.cluster_info()["data"]
            .get(format!("{JWS_KEY_PREFIX}exp001"))
            .is_none()
    );
}

#[test]
fn bad_token_input_is_refused_with_a_clear_error_and_changes_nothing() {
    let c = Cluster::start();
    let before = c.token_secrets();
    // (arguments, what the one error line must say)
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["create", "abc"],
            &[
                "invalid bootstrap token \"abc\"",
                "[a-z0-9]{6}.[a-z0-9]{16}",
            ],
        ),
        (
            &["create", "abcdef.0123456789ABCDEF"],
            &["invalid bootstrap token", "[a-z0-9]"],
        ),
        (
            &["create", "--usages", "signing,foo"],
            &[
                "invalid bootstrap token usage string: foo",
                "signing,authentication",
            ],
        ),
        (&["create", "--ttl", "5x"], &["invalid token TTL \"5x\""]),
        (
            &["create", "--groups", "wrong"],
            &["bootstrap group \"wrong\" is invalid"],
        ),
        (
            &[
                "create",
                "--usages",
                "signing",
                "--groups",
                "system:bootstrappers:x",
            ],
            &["groups cannot be specified unless --usages includes \"authentication\""],
        ),
        (
            &["create", "--print-join-command", "--certificate-key", "zz"],
            &["--certificate-key", "64 hexadecimal"],
        ),
        (&["delete", "abc"], &["\"abc\" didn't match pattern"]),
    ];
    for (args, says) in cases {
        let out = run_err(&mut c.token(args));
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: one error line:\n{err}");
        for s in *says {
            assert!(
                errors[0].contains(s),
                "{args:?}: {:?} should say {s:?}",
                errors[0]
            );
        }
        assert!(
            !err.contains("0123456789ABCDEF"),
            "the secret part is never echoed: {err}"
        );
    }
    assert_eq!(c.token_secrets(), before, "no token was created or deleted");
}

#[test]
fn concurrent_token_creates_all_land() {
    let c = Cluster::start();
    let before = c.token_secrets();
    let children: Vec<_> = (0..20)
        .map(|_| {
            c.token(&["create"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("kubeadm-rs starts")
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|child| child.wait_with_output().expect("kubeadm-rs ends"))
        .collect();
    let mut tokens = BTreeSet::new();
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr(out));
        tokens.insert(stdout(out).trim().to_string());
    }
    assert_eq!(tokens.len(), 20, "20 distinct tokens");
    let after = c.token_secrets();
    for token in &tokens {
        let id = token.split('.').next().unwrap();
        assert!(
            after.contains(&format!("bootstrap-token-{id}")),
            "{token} stored"
        );
    }
    assert_eq!(after.len(), before.len() + 20);
    let listed = stdout(&run_ok(&mut c.token(&["list"])));
    for token in &tokens {
        assert!(listed.contains(token.as_str()), "{token} listed");
    }
}
