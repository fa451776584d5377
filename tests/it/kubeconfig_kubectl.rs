//! The kubeconfig files `init phase kubeconfig` writes, read by the real kubectl (strictly, with
//! `config view --minify`), with the embedded client certificates checked by openssl.

use crate::common;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{openssl, run_err, run_ok, stdout, tool};
use kubeadm_rs::config::InitOverrides;
use kubeadm_rs::events::Events;
use kubeadm_rs_tests::{init_config, run_phases};

/// A node root after `init phase certs` and `init phase kubeconfig`, with a control-plane endpoint.
struct Node {
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Node {
    fn init() -> Self {
        let flags = InitOverrides {
            control_plane_endpoint: Some("lb.example.com:8443".into()),
            ..Default::default()
        };
        let cfg = init_config(None, &flags);
        let dir = tempfile::tempdir().expect("temp dir");
        for phase in ["certs", "kubeconfig"] {
            run_phases(dir.path(), &cfg, Some(phase), &[], Events::discard()).expect("phase runs");
        }
        Node {
            dir,
            cache: tempfile::tempdir().expect("cache dir"),
        }
    }

    fn path(&self, node_path: &str) -> PathBuf {
        self.dir.path().join(node_path.trim_start_matches('/'))
    }

    fn kubeconfig(&self, file: &str) -> PathBuf {
        self.path(&format!("/etc/kubernetes/{file}"))
    }

    /// `kubectl <args> --kubeconfig <file>`, never touching `~/.kube`.
    fn kubectl(&self, file: &Path, args: &[&str]) -> Command {
        let mut cmd = tool("kubectl");
        cmd.args(args)
            .arg("--kubeconfig")
            .arg(file)
            .arg("--cache-dir")
            .arg(self.cache.path())
            .env("HOME", self.cache.path());
        cmd
    }
}

/// kubeadm's table: file, user (the certificate's CN), subject (RFC 2253), server.
const FILES: [(&str, &str, &str, &str); 5] = [
    (
        "admin.conf",
        "kubernetes-admin",
        "CN=kubernetes-admin,O=kubeadm:cluster-admins",
        "https://lb.example.com:8443",
    ),
    (
        "super-admin.conf",
        "kubernetes-super-admin",
        "CN=kubernetes-super-admin,O=system:masters",
        "https://lb.example.com:8443",
    ),
    (
        "kubelet.conf",
        "system:node:node-a",
        "CN=system:node:node-a,O=system:nodes",
        "https://10.0.0.5:6443",
    ),
    (
        "controller-manager.conf",
        "system:kube-controller-manager",
        "CN=system:kube-controller-manager",
        "https://10.0.0.5:6443",
    ),
    (
        "scheduler.conf",
        "system:kube-scheduler",
        "CN=system:kube-scheduler",
        "https://10.0.0.5:6443",
    ),
];

/// Decodes base64 with openssl (the data fields of a kubeconfig).
fn base64_decode(text: &str) -> Vec<u8> {
    let mut child = tool("openssl")
        .args(["base64", "-d", "-A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.trim().as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("openssl finishes");
    assert!(out.status.success(), "base64 decoding failed");
    out.stdout
}

#[test]
fn kubectl_reads_each_kubeconfig_with_kubeadms_user_cluster_and_server() {
    let node = Node::init();
    for (file, user, _, server) in FILES {
        let path = node.kubeconfig(file);
        let view = run_ok(&mut node.kubectl(&path, &["config", "view", "--minify", "-o", "json"]));
        let json: serde_json::Value =
            serde_json::from_str(&stdout(&view)).expect("kubectl prints JSON");
        let context = format!("{user}@kubernetes");
        assert_eq!(json["current-context"], context.as_str(), "{file}");
        assert_eq!(json["contexts"][0]["name"], context.as_str(), "{file}");
        assert_eq!(
            json["contexts"][0]["context"]["cluster"], "kubernetes",
            "{file}"
        );
        assert_eq!(json["contexts"][0]["context"]["user"], user, "{file}");
        assert_eq!(json["clusters"][0]["name"], "kubernetes", "{file}");
        assert_eq!(json["clusters"][0]["cluster"]["server"], server, "{file}");
        assert_eq!(json["users"][0]["name"], user, "{file}");
        assert_eq!(
            json["users"][0]["user"]["client-certificate-data"], "DATA+OMITTED",
            "{file}: the client certificate is embedded"
        );
        assert_eq!(
            json["users"][0]["user"]["client-key-data"], "DATA+OMITTED",
            "{file}"
        );

        let contexts = stdout(&run_ok(
            &mut node.kubectl(&path, &["config", "get-contexts", "--no-headers"]),
        ));
        let columns: Vec<&str> = contexts.split_whitespace().collect();
        assert_eq!(
            columns,
            ["*", context.as_str(), "kubernetes", user],
            "{file}"
        );

        let mode = std::fs::metadata(&path)
            .expect("kubeconfig")
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(mode, 0o600, "{file}");
    }
}

#[test]
fn embedded_credentials_are_signed_by_the_cluster_ca_for_kubeadms_subjects() {
    let node = Node::init();
    let ca = node.path("/etc/kubernetes/pki/ca.crt");
    let scratch = tempfile::tempdir().expect("scratch dir");
    for (file, _, subject, _) in FILES {
        let path = node.kubeconfig(file);
        let field = |jsonpath: &str| {
            let out = run_ok(&mut node.kubectl(
                &path,
                &["config", "view", "--minify", "--raw", "-o", jsonpath],
            ));
            base64_decode(&stdout(&out))
        };
        let ca_data = field("jsonpath={.clusters[0].cluster.certificate-authority-data}");
        assert_eq!(
            ca_data,
            std::fs::read(&ca).expect("ca.crt"),
            "{file}: embeds the cluster CA"
        );

        let cert = scratch.path().join(format!("{file}.crt"));
        let key = scratch.path().join(format!("{file}.key"));
        std::fs::write(
            &cert,
            field("jsonpath={.users[0].user.client-certificate-data}"),
        )
        .expect("cert written");
        std::fs::write(&key, field("jsonpath={.users[0].user.client-key-data}"))
            .expect("key written");
        let (cert, key, ca) = (
            cert.display().to_string(),
            key.display().to_string(),
            ca.display().to_string(),
        );

        let names = openssl(&[
            "x509", "-in", &cert, "-noout", "-subject", "-issuer", "-nameopt", "RFC2253",
        ]);
        assert_eq!(
            names,
            format!("subject={subject}\nissuer=CN=kubernetes\n"),
            "{file}"
        );
        let verified = openssl(&[
            "verify",
            "-x509_strict",
            "-purpose",
            "sslclient",
            "-CAfile",
            &ca,
            &cert,
        ]);
        assert_eq!(verified, format!("{cert}: OK\n"), "{file}");
        assert_eq!(
            openssl(&["x509", "-in", &cert, "-noout", "-pubkey"]),
            openssl(&["pkey", "-in", &key, "-pubout"]),
            "{file}: the embedded key matches the certificate"
        );
        let first = std::fs::read_to_string(&key)
            .expect("key")
            .lines()
            .next()
            .map(String::from);
        assert_eq!(
            first.as_deref(),
            Some("-----BEGIN RSA PRIVATE KEY-----"),
            "{file}"
        );
    }
}

/// The check is strict: a kubeconfig whose context names no cluster is rejected.
#[test]
fn kubectl_minify_rejects_a_dangling_context() {
    let node = Node::init();
    let text = std::fs::read_to_string(node.kubeconfig("admin.conf")).expect("admin.conf");
    let broken = text.replace("    cluster: kubernetes\n", "    cluster: nosuch\n");
    assert_ne!(broken, text, "the context's cluster line was found");
    let path = node.path("/broken.conf");
    std::fs::write(&path, broken).expect("written");
    let out = run_err(&mut node.kubectl(&path, &["config", "view", "--minify"]));
    assert!(
        common::stderr(&out).contains("cannot locate cluster nosuch"),
        "{}",
        common::stderr(&out)
    );
}
