//! The test control plane driven by real clients: kubectl with the kubeconfigs kubeadm-rs
//! writes, bootstrap-token and anonymous clients, openssl checking what its controllers
//! signed, and the `test-control-plane` binary with its doubles inside a network namespace.

use crate::common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{openssl, run_err, run_ok, stderr, stdout, tool};
use kubeadm_rs_tests::control_plane::client::KubeClient;
use kubeadm_rs_tests::control_plane::{ControlPlane, JWS_KEY_PREFIX, Options, Running};

/// The node the kubeconfigs name, and its advertise address (which exists only inside the
/// network namespace of the binary's test).
const NODE_NAME: &str = "node-a";
const NODE_ADDRESS: &str = "10.0.0.5";

/// A node root with kubeadm-rs's certificates and kubeconfigs for `127.0.0.1:<port>`, and a
/// control plane serving them on that port.
struct Cluster {
    node: tempfile::TempDir,
    cache: tempfile::TempDir,
    cp: Running,
}

/// kubeadm-rs's `init phase certs` and `init phase kubeconfig` into the node root `root`, for
/// node `node-a` advertising 10.0.0.5, with `cluster` appended to the ClusterConfiguration.
fn kubeadm_phases(root: &Path, cluster: &str) {
    let config = root.join("kubeadm.yaml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: {NODE_ADDRESS}\nnodeRegistration:\n  name: {NODE_NAME}\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n{cluster}"
        ),
    )
    .expect("config written");
    for phase in ["certs", "kubeconfig"] {
        run_ok(
            common::kubeadm()
                .args(["init", "phase", phase, "all", "--rootfs"])
                .arg(root)
                .arg("--config")
                .arg(&config),
        );
    }
}

impl Cluster {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = listener.local_addr().expect("bound").port();
        let node = tempfile::tempdir().expect("temp dir");
        // ECDSA keys keep set-up fast; the network-namespace test uses the RSA default.
        kubeadm_phases(
            node.path(),
            &format!(
                "controlPlaneEndpoint: 127.0.0.1:{port}\nencryptionAlgorithm: ECDSA-P256\napiServer:\n  certSANs: [127.0.0.1]\n"
            ),
        );
        let cp = ControlPlane::start_on(
            &node.path().join("etc/kubernetes/pki"),
            listener,
            Options::default(),
        )
        .expect("the control plane starts");
        let cluster = Cluster {
            node,
            cache: tempfile::tempdir().expect("cache dir"),
            cp,
        };
        // As kubeadm does: the super-admin (system:masters) binds admin.conf's group.
        run_ok(&mut cluster.kubectl(
            &cluster.file("/etc/kubernetes/super-admin.conf"),
            &[
                "create",
                "clusterrolebinding",
                "kubeadm:cluster-admins",
                "--clusterrole=cluster-admin",
                "--group=kubeadm:cluster-admins",
            ],
        ));
        cluster
    }

    fn file(&self, node_path: &str) -> PathBuf {
        self.node.path().join(node_path.trim_start_matches('/'))
    }

    fn admin(&self) -> PathBuf {
        self.file("/etc/kubernetes/admin.conf")
    }

    fn ca(&self) -> PathBuf {
        self.file("/etc/kubernetes/pki/ca.crt")
    }

    /// `kubectl --kubeconfig <file> <args>`, never touching `~/.kube`, with a bounded request time.
    fn kubectl(&self, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut cmd = tool("kubectl");
        cmd.arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(self.cache.path())
            .arg("--request-timeout=10s")
            .args(args)
            .env("HOME", self.cache.path())
            .env_remove("KUBECONFIG");
        cmd
    }

    /// A kubeconfig for this cluster with the given `user:` entry.
    fn kubeconfig_for(&self, name: &str, user: &str) -> PathBuf {
        let path = self.cache.path().join(format!("{name}.conf"));
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\nusers:\n- name: u\n  user: {user}\n",
            self.cp.url(),
            self.ca().display()
        );
        std::fs::write(&path, text).expect("kubeconfig written");
        path
    }

    /// An anonymous GET with curl (kubectl asks for a password when a kubeconfig has no
    /// credentials): the HTTP status and the JSON body.
    fn anonymous_get(&self, path: &str) -> (u16, serde_json::Value) {
        let out = run_ok(
            tool("curl")
                .args([
                    "-sS",
                    "--max-time",
                    "10",
                    "-w",
                    "\n%{http_code}",
                    "--cacert",
                ])
                .arg(self.ca())
                .arg(format!("{}{path}", self.cp.url())),
        );
        let text = stdout(&out);
        let (body, code) = text.trim_end().rsplit_once('\n').expect("body and status");
        (
            code.parse().expect("an HTTP status"),
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")),
        )
    }

    /// `kubectl create -f -` (as admin) with a YAML document.
    fn create(&self, kubeconfig: &Path, yaml: &str) -> std::process::Output {
        let mut child = self
            .kubectl(kubeconfig, &["create", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(yaml.as_bytes())
            .expect("manifest written");
        child.wait_with_output().expect("kubectl finishes")
    }

    fn create_ok(&self, kubeconfig: &Path, yaml: &str) {
        let out = self.create(kubeconfig, yaml);
        assert!(
            out.status.success(),
            "kubectl create failed:\n{}\n{}",
            stderr(&out),
            yaml
        );
    }

    fn json(&self, kubeconfig: &Path, args: &[&str]) -> serde_json::Value {
        let out = run_ok(&mut self.kubectl(kubeconfig, &[args, &["-o", "json"]].concat()));
        serde_json::from_str(&stdout(&out)).expect("kubectl prints JSON")
    }
}

const TOKEN_ID: &str = "abcdef";
const TOKEN_SECRET: &str = "0123456789abcdef";

/// A bootstrap token Secret as kubeadm writes it (`expiration` in RFC 3339).
fn token_secret(id: &str, secret: &str, expiration: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Secret
metadata:
  name: bootstrap-token-{id}
  namespace: kube-system
type: bootstrap.kubernetes.io/token
stringData:
  token-id: "{id}"
  token-secret: "{secret}"
  expiration: "{expiration}"
  usage-bootstrap-authentication: "true"
  usage-bootstrap-signing: "true"
  auth-extra-groups: system:bootstrappers:kubeadm:default-node-token
"#
    )
}

fn rfc3339_in(seconds: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
    t.replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// The RBAC kubeadm's bootstrap-token phase creates for node bootstrap.
const BOOTSTRAP_RBAC: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kubeadm:kubelet-bootstrap
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:node-bootstrapper
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: system:bootstrappers:kubeadm:default-node-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kubeadm:node-autoapprove-bootstrap
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:certificates.k8s.io:certificatesigningrequests:nodeclient
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: system:bootstrappers:kubeadm:default-node-token
"#;

const CLUSTER_INFO_RBAC: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: kubeadm:bootstrap-signer-clusterinfo
  namespace: kube-public
rules:
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [cluster-info]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: kubeadm:bootstrap-signer-clusterinfo
  namespace: kube-public
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: kubeadm:bootstrap-signer-clusterinfo
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: system:anonymous
"#;

/// `kube-public/cluster-info` with a kubeconfig payload, as kubeadm's bootstrap-token phase writes it.
fn cluster_info(payload: &str) -> String {
    let indented: String = payload.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-info\n  namespace: kube-public\ndata:\n  kubeconfig: |\n{indented}"
    )
}

#[test]
fn kubectl_gets_creates_and_deletes_with_the_admin_kubeconfig() {
    let c = Cluster::start();
    let admin = c.admin();
    let version = c.json(&admin, &["version"]);
    assert_eq!(
        version["serverVersion"]["gitVersion"],
        kubeadm_rs::config::constants::KUBERNETES_VERSION
    );
    let namespaces = stdout(&run_ok(
        &mut c.kubectl(&admin, &["get", "namespaces", "-o", "name"]),
    ));
    for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        assert!(
            namespaces.contains(&format!("namespace/{ns}\n")),
            "{namespaces}"
        );
    }
    let created = run_ok(&mut c.kubectl(
        &admin,
        &[
            "create",
            "configmap",
            "demo",
            "-n",
            "kube-system",
            "--from-literal=greeting=hello",
        ],
    ));
    assert_eq!(stdout(&created).trim(), "configmap/demo created");
    let table = stdout(&run_ok(
        &mut c.kubectl(&admin, &["get", "configmaps", "-n", "kube-system"]),
    ));
    assert!(table.lines().any(|l| l.starts_with("demo ")), "{table}");
    let yaml = stdout(&run_ok(&mut c.kubectl(
        &admin,
        &[
            "get",
            "configmap",
            "demo",
            "-n",
            "kube-system",
            "-o",
            "yaml",
        ],
    )));
    assert!(yaml.contains("greeting: hello"), "{yaml}");
    assert!(
        yaml.contains("resourceVersion:") && yaml.contains("uid:"),
        "{yaml}"
    );
    let again = run_err(&mut c.kubectl(
        &admin,
        &[
            "create",
            "configmap",
            "demo",
            "-n",
            "kube-system",
            "--from-literal=greeting=again",
        ],
    ));
    assert!(
        stderr(&again).contains("configmaps \"demo\" already exists"),
        "{}",
        stderr(&again)
    );
    let deleted = run_ok(&mut c.kubectl(
        &admin,
        &["delete", "configmap", "demo", "-n", "kube-system"],
    ));
    assert_eq!(stdout(&deleted).trim(), "configmap \"demo\" deleted");
    let gone = run_err(&mut c.kubectl(&admin, &["get", "configmap", "demo", "-n", "kube-system"]));
    assert!(
        stderr(&gone).contains("Error from server (NotFound): configmaps \"demo\" not found"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn kubectl_labels_select_and_replace_conflicts_are_409() {
    let c = Cluster::start();
    let admin = c.admin();
    for (name, tier) in [("a", "web"), ("b", "db")] {
        run_ok(&mut c.kubectl(&admin, &["create", "configmap", name, "--from-literal=k=v"]));
        run_ok(&mut c.kubectl(
            &admin,
            &["label", "configmap", name, &format!("tier={tier}")],
        ));
    }
    let web = stdout(&run_ok(&mut c.kubectl(
        &admin,
        &["get", "configmaps", "-l", "tier=web", "-o", "name"],
    )));
    assert_eq!(web, "configmap/a\n");
    let not_web = stdout(&run_ok(&mut c.kubectl(
        &admin,
        &["get", "configmaps", "-l", "tier!=web", "-o", "name"],
    )));
    assert_eq!(not_web, "configmap/b\n");

    let original = stdout(&run_ok(
        &mut c.kubectl(&admin, &["get", "configmap", "a", "-o", "json"]),
    ));
    let file = c.cache.path().join("a.json");
    std::fs::write(&file, original.replace("\"k\": \"v\"", "\"k\": \"first\"")).unwrap();
    run_ok(&mut c.kubectl(&admin, &["replace", "-f", file.to_str().unwrap()]));
    std::fs::write(&file, original.replace("\"k\": \"v\"", "\"k\": \"stale\"")).unwrap();
    let stale = run_err(&mut c.kubectl(&admin, &["replace", "-f", file.to_str().unwrap()]));
    assert!(
        stderr(&stale).contains("Error from server (Conflict)")
            && stderr(&stale).contains("the object has been modified"),
        "{}",
        stderr(&stale)
    );
    let now = c.json(&admin, &["get", "configmap", "a"]);
    assert_eq!(now["data"]["k"], "first");
}

#[test]
fn kubectl_applies_server_side_patches_selects_secrets_by_type_and_deletes_namespaces() {
    let c = Cluster::start();
    let admin = c.admin();
    let manifest = c.cache.path().join("cm.yaml");
    let write = |value: &str| {
        std::fs::write(
            &manifest,
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: kube-system\ndata:\n  a: \"{value}\"\n"),
        )
        .unwrap()
    };
    let apply = || {
        let out = run_ok(&mut c.kubectl(
            &admin,
            &["apply", "--server-side", "-f", manifest.to_str().unwrap()],
        ));
        stdout(&out)
    };
    write("1");
    assert_eq!(apply(), "configmap/applied serverside-applied\n");
    write("2");
    apply();
    run_ok(&mut c.kubectl(
        &admin,
        &[
            "patch",
            "configmap",
            "applied",
            "-n",
            "kube-system",
            "-p",
            r#"{"data":{"b":"3"}}"#,
        ],
    ));
    run_ok(&mut c.kubectl(
        &admin,
        &[
            "patch",
            "configmap",
            "applied",
            "-n",
            "kube-system",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/data/a"}]"#,
        ],
    ));
    let cm = c.json(
        &admin,
        &["get", "configmap", "applied", "-n", "kube-system"],
    );
    assert_eq!(cm["data"], serde_json::json!({"b": "3"}));

    c.create_ok(
        &admin,
        &token_secret(TOKEN_ID, TOKEN_SECRET, &rfc3339_in(3600)),
    );
    run_ok(&mut c.kubectl(
        &admin,
        &[
            "create",
            "secret",
            "generic",
            "plain",
            "-n",
            "kube-system",
            "--from-literal=x=y",
        ],
    ));
    let tokens = run_ok(&mut c.kubectl(
        &admin,
        &[
            "get",
            "secrets",
            "-n",
            "kube-system",
            "--field-selector",
            "type=bootstrap.kubernetes.io/token",
            "-o",
            "name",
        ],
    ));
    assert_eq!(stdout(&tokens), "secret/bootstrap-token-abcdef\n");

    run_ok(&mut c.kubectl(&admin, &["create", "namespace", "doomed"]));
    run_ok(&mut c.kubectl(&admin, &["create", "serviceaccount", "sa", "-n", "doomed"]));
    run_ok(&mut c.kubectl(&admin, &["delete", "namespace", "doomed"]));
    let left = run_ok(&mut c.kubectl(&admin, &["get", "serviceaccounts", "-n", "doomed"]));
    assert_eq!(
        stderr(&left).trim(),
        "No resources found in doomed namespace."
    );
    let nodes = run_ok(&mut c.kubectl(&admin, &["get", "nodes"]));
    assert_eq!(
        stderr(&nodes).trim(),
        "No resources found",
        "nodes are cluster-scoped"
    );
}

#[test]
fn anonymous_reads_cluster_info_through_its_rolebinding_but_not_secrets() {
    let c = Cluster::start();
    let admin = c.admin();
    c.create_ok(&admin, &cluster_info("apiVersion: v1\nkind: Config\n"));
    let path = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
    let (code, body) = c.anonymous_get(path);
    assert_eq!(code, 403, "without the RoleBinding: {body}");
    c.create_ok(&admin, CLUSTER_INFO_RBAC);
    let (code, body) = c.anonymous_get(path);
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["metadata"]["name"], "cluster-info");

    c.create_ok(
        &admin,
        &token_secret(TOKEN_ID, TOKEN_SECRET, &rfc3339_in(3600)),
    );
    let (code, body) =
        c.anonymous_get("/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef");
    assert_eq!(code, 403);
    assert_eq!(body["reason"], "Forbidden");
    assert_eq!(
        body["message"],
        "secrets \"bootstrap-token-abcdef\" is forbidden: User \"system:anonymous\" cannot get resource \"secrets\" in API group \"\" in the namespace \"kube-system\""
    );
}

/// A node client CSR made with openssl (ECDSA P-256), as a kubelet would send it.
fn openssl_csr(dir: &Path, subject: &str) -> (PathBuf, String) {
    let key = dir.join("node.key");
    let csr = dir.join("node.csr");
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-subj",
        subject,
        "-out",
        csr.to_str().unwrap(),
    ]);
    let pem = std::fs::read(&csr).unwrap();
    use base64::Engine as _;
    (key, base64::engine::general_purpose::STANDARD.encode(pem))
}

fn csr_object(name: &str, request: &str) -> String {
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\nspec:\n  request: {request}\n  signerName: kubernetes.io/kube-apiserver-client-kubelet\n  usages: [digital signature, client auth]\n"
    )
}

#[test]
fn a_bootstrap_token_client_gets_its_node_csr_approved_and_signed_but_cannot_read_secrets() {
    let c = Cluster::start();
    let admin = c.admin();
    c.create_ok(
        &admin,
        &token_secret(TOKEN_ID, TOKEN_SECRET, &rfc3339_in(3600)),
    );
    c.create_ok(&admin, BOOTSTRAP_RBAC);
    let bootstrap = c.kubeconfig_for(
        "bootstrap",
        &format!("{{token: {TOKEN_ID}.{TOKEN_SECRET}}}"),
    );

    let (_, node_request) = openssl_csr(c.cache.path(), "/O=system:nodes/CN=system:node:node-b");
    c.create_ok(&bootstrap, &csr_object("node-csr-b", &node_request));
    let (_, other_request) = openssl_csr(c.cache.path(), "/O=system:masters/CN=intruder");
    c.create_ok(&bootstrap, &csr_object("not-a-node", &other_request));
    c.cp.sync_controllers().expect("controllers run");

    let csr = c.json(&bootstrap, &["get", "csr", "node-csr-b"]);
    assert_eq!(csr["spec"]["username"], "system:bootstrap:abcdef");
    let condition = &csr["status"]["conditions"][0];
    assert_eq!(
        (condition["type"].as_str(), condition["reason"].as_str()),
        (Some("Approved"), Some("AutoApproved"))
    );
    let issued = c.cache.path().join("node.crt");
    use base64::Engine as _;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(
            csr["status"]["certificate"]
                .as_str()
                .expect("a certificate was issued"),
        )
        .unwrap();
    std::fs::write(&issued, pem).unwrap();
    let verified = openssl(&[
        "verify",
        "-CAfile",
        c.ca().to_str().unwrap(),
        issued.to_str().unwrap(),
    ]);
    assert!(verified.trim().ends_with(": OK"), "{verified}");
    let text = openssl(&[
        "x509",
        "-in",
        issued.to_str().unwrap(),
        "-noout",
        "-subject",
        "-ext",
        "extendedKeyUsage",
        "-nameopt",
        "RFC2253",
    ]);
    assert!(
        text.contains("subject=CN=system:node:node-b,O=system:nodes"),
        "{text}"
    );
    assert!(text.contains("TLS Web Client Authentication"), "{text}");

    let other = c.json(&admin, &["get", "csr", "not-a-node"]);
    assert!(
        other["status"].get("conditions").is_none(),
        "not a node client CSR: left pending: {other}"
    );
    assert!(other["status"].get("certificate").is_none());

    let secrets = run_err(&mut c.kubectl(&bootstrap, &["get", "secrets", "-n", "kube-system"]));
    assert!(
        stderr(&secrets).contains("Error from server (Forbidden): secrets is forbidden: User \"system:bootstrap:abcdef\" cannot list resource \"secrets\""),
        "{}",
        stderr(&secrets)
    );
}

/// base64url without padding, with openssl (an implementation independent of the server's).
fn b64url(bytes: &[u8]) -> String {
    let mut child = tool("openssl")
        .args(["base64", "-A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl starts");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_string()
}

/// HMAC-SHA256 with openssl, as real-tools.md's recipe for checking bootstrap signatures.
fn openssl_hmac_sha256(key: &str, data: &str) -> Vec<u8> {
    let mut child = tool("openssl")
        .args([
            "dgst",
            "-sha256",
            "-mac",
            "HMAC",
            "-macopt",
            &format!("key:{key}"),
            "-binary",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(data.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn cluster_info_signatures_verify_with_an_independent_hmac_and_follow_the_tokens() {
    let c = Cluster::start();
    let admin = c.admin();
    let payload = std::fs::read_to_string(admin.clone()).unwrap();
    let cluster_part: String = payload
        .lines()
        .take_while(|l| !l.starts_with("contexts:"))
        .map(|l| format!("{l}\n"))
        .collect();
    c.create_ok(&admin, &cluster_info(&cluster_part));
    c.create_ok(
        &admin,
        &token_secret(TOKEN_ID, TOKEN_SECRET, &rfc3339_in(3600)),
    );
    c.cp.sync_controllers().expect("controllers run");

    let cm = c.json(
        &admin,
        &["get", "configmap", "cluster-info", "-n", "kube-public"],
    );
    let kubeconfig = cm["data"]["kubeconfig"].as_str().unwrap();
    assert_eq!(kubeconfig, cluster_part, "the payload is stored as sent");
    let jws = cm["data"][format!("{JWS_KEY_PREFIX}{TOKEN_ID}")]
        .as_str()
        .expect("a signature for the token");
    let (header, signature) = jws.split_once("..").expect("a detached JWS");
    assert_eq!(header, b64url(br#"{"alg":"HS256","kid":"abcdef"}"#));
    let expected = b64url(&openssl_hmac_sha256(
        TOKEN_SECRET,
        &format!("{header}.{}", b64url(kubeconfig.as_bytes())),
    ));
    assert_eq!(signature, expected);

    run_ok(&mut c.kubectl(
        &admin,
        &[
            "delete",
            "secret",
            "bootstrap-token-abcdef",
            "-n",
            "kube-system",
        ],
    ));
    c.cp.sync_controllers().expect("controllers run");
    let cm = c.json(
        &admin,
        &["get", "configmap", "cluster-info", "-n", "kube-public"],
    );
    assert!(
        cm["data"]
            .get(format!("{JWS_KEY_PREFIX}{TOKEN_ID}"))
            .is_none(),
        "{cm}"
    );
    assert_eq!(cm["data"]["kubeconfig"], kubeconfig);
}

#[test]
fn an_expired_token_stops_authenticating_and_disappears() {
    let c = Cluster::start();
    let admin = c.admin();
    c.create_ok(
        &admin,
        &token_secret("expire", "0123456789abcdef", &rfc3339_in(-1)),
    );
    c.create_ok(
        &admin,
        &token_secret("living", "0123456789abcdef", &rfc3339_in(3600)),
    );
    let expired = c.kubeconfig_for("expired", "{token: expire.0123456789abcdef}");
    let refused = run_err(&mut c.kubectl(&expired, &["get", "--raw", "/version"]));
    assert!(
        stderr(&refused).contains("Unauthorized"),
        "{}",
        stderr(&refused)
    );
    let living = c.kubeconfig_for("living", "{token: living.0123456789abcdef}");
    run_ok(&mut c.kubectl(&living, &["get", "--raw", "/version"]));

    c.cp.sync_controllers().expect("controllers run");
    let gone = run_err(&mut c.kubectl(
        &admin,
        &[
            "get",
            "secret",
            "bootstrap-token-expire",
            "-n",
            "kube-system",
        ],
    ));
    assert!(stderr(&gone).contains("NotFound"), "{}", stderr(&gone));
    run_ok(&mut c.kubectl(
        &admin,
        &[
            "get",
            "secret",
            "bootstrap-token-living",
            "-n",
            "kube-system",
        ],
    ));
}

#[test]
fn a_watch_from_a_resource_version_reports_each_change_then_ends_at_its_timeout() {
    let c = Cluster::start();
    let admin = c.admin();
    // kubectl's own `get -o json` list drops the server's resourceVersion; the raw list has it.
    let raw = run_ok(&mut c.kubectl(
        &admin,
        &["get", "--raw", "/api/v1/namespaces/default/configmaps"],
    ));
    let list: serde_json::Value = serde_json::from_str(&stdout(&raw)).unwrap();
    let since = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    run_ok(&mut c.kubectl(&admin, &["create", "configmap", "w", "--from-literal=k=1"]));
    run_ok(&mut c.kubectl(&admin, &["label", "configmap", "w", "step=two"]));
    run_ok(&mut c.kubectl(&admin, &["delete", "configmap", "w"]));
    run_ok(&mut c.kubectl(
        &admin,
        &["create", "configmap", "other", "-n", "kube-system"],
    ));

    let client = KubeClient::from_kubeconfig(&admin).expect("admin.conf reads");
    let started = Instant::now();
    let reply = c
        .cp
        .runtime()
        .block_on(client.get(&format!(
            "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={since}&timeoutSeconds=1"
        )))
        .expect("the watch answers");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the watch ended at its timeout"
    );
    assert_eq!(reply.status, 200);
    let text = reply
        .body
        .as_str()
        .expect("newline-delimited events")
        .to_string();
    let events: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let want = [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
        .map(|(t, n)| (t.to_string(), n.to_string()));
    assert_eq!(events, want, "only default's changes, in order");
}

#[test]
fn the_background_controllers_run_without_being_asked() {
    let c = Cluster::start();
    let admin = c.admin();
    c.create_ok(
        &admin,
        &token_secret("expire", "0123456789abcdef", &rfc3339_in(-1)),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while c
        .cp
        .object("v1", "Secret", "kube-system", "bootstrap-token-expire")
        .is_some()
    {
        assert!(
            Instant::now() < deadline,
            "tokencleaner did not run within 5 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A network namespace that is deleted (with what runs in it) when dropped.
struct Netns {
    name: String,
    children: Vec<Child>,
}

impl Netns {
    fn new(address: &str) -> Self {
        let name = format!("kcp-{}", std::process::id());
        run_ok(tool("ip").args(["netns", "add", &name]));
        let ns = Netns {
            name,
            children: Vec::new(),
        };
        run_ok(tool("ip").args(["-n", &ns.name, "link", "set", "lo", "up"]));
        run_ok(tool("ip").args([
            "-n",
            &ns.name,
            "addr",
            "add",
            &format!("{address}/32"),
            "dev",
            "lo",
        ]));
        ns
    }

    fn exec(&self, program: &str) -> Command {
        let mut cmd = tool("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

#[test]
fn the_binary_serves_kubeadms_ports_and_doubles_inside_a_network_namespace() {
    // The kubeconfigs point at the advertise address 10.0.0.5:6443, which exists only inside
    // the namespace; nothing is sent to it from the host namespace.
    let node = tempfile::tempdir().unwrap();
    kubeadm_phases(node.path(), "");
    let k8s = node.path().join("etc/kubernetes");
    let mut ns = Netns::new(NODE_ADDRESS);
    let mut child = ns
        .exec(env!("CARGO_BIN_EXE_test-control-plane"))
        .arg("--pki-dir")
        .arg(k8s.join("pki"))
        .args([
            "--listen",
            "10.0.0.5:6443",
            "--kubelet-healthz",
            "127.0.0.1:10248",
        ])
        .args([
            "--controller-manager",
            "127.0.0.1:10257",
            "--scheduler",
            "127.0.0.1:10259",
        ])
        .arg("--kubelet-kubeconfig")
        .arg(k8s.join("kubelet.conf"))
        .args(["--node-name", NODE_NAME])
        .stdout(Stdio::piped())
        .arg("--log-requests")
        .stderr(Stdio::piped())
        .spawn()
        .expect("test-control-plane starts");
    let stdout_pipe = child.stdout.take().unwrap();
    ns.children.push(child);
    // Lines arrive through a thread, so a silent server cannot hold the test past its deadline.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout_pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.starts_with("node node-a registered"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(e) => panic!("no registration within 20 s ({e}): {seen:?}"),
        }
    }
    assert_eq!(seen[0], "serving https://10.0.0.5:6443");

    let cache = tempfile::tempdir().unwrap();
    let node_json = run_ok(
        ns.exec("kubectl")
            .arg("--kubeconfig")
            .arg(k8s.join("super-admin.conf"))
            .arg("--cache-dir")
            .arg(cache.path())
            .args([
                "--request-timeout=10s",
                "get",
                "node",
                "node-a",
                "-o",
                "json",
            ])
            .env("HOME", cache.path()),
    );
    let node_obj: serde_json::Value = serde_json::from_str(&stdout(&node_json)).unwrap();
    assert_eq!(node_obj["status"]["conditions"][0]["type"], "Ready");

    for (url, insecure) in [
        ("http://127.0.0.1:10248/healthz", false),
        ("https://127.0.0.1:10257/healthz", true),
        ("https://127.0.0.1:10259/livez", true),
        ("https://10.0.0.5:6443/livez", false),
    ] {
        let mut curl = ns.exec("curl");
        curl.args(["-sS", "--max-time", "5"]);
        if insecure {
            curl.arg("-k");
        } else if url.starts_with("https") {
            curl.arg("--cacert").arg(k8s.join("pki/ca.crt"));
        }
        let out = run_ok(curl.arg(url));
        assert_eq!(stdout(&out), "ok", "{url}");
    }

    let mut server = ns.children.pop().expect("the server runs");
    server.kill().expect("the server stops");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut log).unwrap();
    server.wait().unwrap();
    assert!(
        log.lines()
            .any(|l| l == "POST /api/v1/nodes system:node:node-a 201"),
        "the kubelet double registered with kubelet.conf's identity:\n{log}"
    );
    assert!(!log.contains("Bearer"), "no credentials in the request log");
}
