//! The PKI that `init phase certs` writes, checked with the real openssl CLI: chains under
//! `-x509_strict` with the right purpose, kubeadm's subjects, SANs and key usages, validity,
//! key formats and file modes, and the CA pin as the documented openssl pipeline computes it.

use crate::common;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::Stdio;

use common::{openssl, run_err, run_ok, stderr, stdout, tool};
use kubeadm_rs::config::{InitConfig, InitOverrides};
use kubeadm_rs::events::Events;
use kubeadm_rs::pki::{CaPin, Certificate};
use kubeadm_rs_tests::{init_config, run_phases};

/// A node root with a configuration, on which `init` phases run.
struct Pki {
    dir: tempfile::TempDir,
    pki: PathBuf,
    cfg: InitConfig,
}

impl Pki {
    /// `init phase <filter>` with `encryptionAlgorithm: <algorithm>` into a fresh root.
    fn generate(algorithm: &str, filter: &str) -> Self {
        let text = format!(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: {algorithm}\n\
             apiServer:\n  certSANs: [api.example.com, 10.0.0.100]\n"
        );
        let cfg = init_config(Some(&text), &InitOverrides::default());
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = dir.path().join("etc/kubernetes/pki");
        let node = Pki { dir, pki, cfg };
        node.run(filter);
        node
    }

    /// Runs `init phase <filter>` on this root.
    fn run(&self, filter: &str) {
        run_phases(
            self.dir.path(),
            &self.cfg,
            Some(filter),
            &[],
            Events::discard(),
        )
        .expect("phases run");
    }

    fn file(&self, name: &str) -> String {
        self.pki.join(name).display().to_string()
    }

    fn crt(&self, base: &str) -> String {
        self.file(&format!("{base}.crt"))
    }

    fn key(&self, base: &str) -> String {
        self.file(&format!("{base}.key"))
    }
}

/// kubeadm's table: base name, signer, subject (RFC 2253), purposes, extended key usage text.
const TABLE: [(&str, &str, &str, &[&str], &str); 10] = [
    ("ca", "ca", "CN=kubernetes", &[], ""),
    (
        "apiserver",
        "ca",
        "CN=kube-apiserver",
        &["sslserver"],
        "TLS Web Server Authentication",
    ),
    (
        "apiserver-kubelet-client",
        "ca",
        "CN=kube-apiserver-kubelet-client,O=kubeadm:cluster-admins",
        &["sslclient"],
        "TLS Web Client Authentication",
    ),
    (
        "front-proxy-ca",
        "front-proxy-ca",
        "CN=front-proxy-ca",
        &[],
        "",
    ),
    (
        "front-proxy-client",
        "front-proxy-ca",
        "CN=front-proxy-client",
        &["sslclient"],
        "TLS Web Client Authentication",
    ),
    ("etcd/ca", "etcd/ca", "CN=etcd-ca", &[], ""),
    (
        "etcd/server",
        "etcd/ca",
        "CN=node-a",
        &["sslserver", "sslclient"],
        "TLS Web Server Authentication, TLS Web Client Authentication",
    ),
    (
        "etcd/peer",
        "etcd/ca",
        "CN=node-a",
        &["sslserver", "sslclient"],
        "TLS Web Server Authentication, TLS Web Client Authentication",
    ),
    (
        "etcd/healthcheck-client",
        "etcd/ca",
        "CN=kube-etcd-healthcheck-client",
        &["sslclient"],
        "TLS Web Client Authentication",
    ),
    (
        "apiserver-etcd-client",
        "etcd/ca",
        "CN=kube-apiserver-etcd-client",
        &["sslclient"],
        "TLS Web Client Authentication",
    ),
];

fn issuer_subject(signer: &str) -> &'static str {
    match signer {
        "ca" => "CN=kubernetes",
        "front-proxy-ca" => "CN=front-proxy-ca",
        _ => "CN=etcd-ca",
    }
}

/// The lines after each extension heading of `openssl x509 -ext`, keyed by heading.
fn extensions(cert: &str) -> Vec<(String, String)> {
    let text = openssl(&[
        "x509",
        "-in",
        cert,
        "-noout",
        "-ext",
        "subjectAltName,keyUsage,extendedKeyUsage,basicConstraints",
    ]);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with("X509v3") {
            out.push((line.trim().to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            if !last.1.is_empty() {
                last.1.push('\n');
            }
            last.1.push_str(line.trim());
        }
    }
    out
}

fn extension(cert: &str, heading: &str) -> Option<String> {
    extensions(cert)
        .into_iter()
        .find(|(h, _)| h.starts_with(heading))
        .map(|(h, v)| format!("{h}|{v}"))
}

fn check_chains_subjects_and_usages(pki: &Pki, rsa: bool) {
    for (base, signer, subject, purposes, eku) in TABLE {
        let cert = pki.crt(base);
        let ca = pki.crt(signer);
        let names = openssl(&[
            "x509", "-in", &cert, "-noout", "-subject", "-issuer", "-nameopt", "RFC2253",
        ]);
        assert_eq!(
            names,
            format!("subject={subject}\nissuer={}\n", issuer_subject(signer)),
            "{base}"
        );

        let strict = openssl(&["verify", "-x509_strict", "-CAfile", &ca, &cert]);
        assert_eq!(strict, format!("{cert}: OK\n"), "{base}");
        for purpose in purposes {
            let out = openssl(&[
                "verify",
                "-x509_strict",
                "-purpose",
                purpose,
                "-CAfile",
                &ca,
                &cert,
            ]);
            assert_eq!(out, format!("{cert}: OK\n"), "{base} for {purpose}");
        }
        if !purposes.is_empty() && !purposes.contains(&"sslserver") {
            // A client certificate must not pass as a server certificate.
            run_err(tool("openssl").args([
                "verify",
                "-x509_strict",
                "-purpose",
                "sslserver",
                "-CAfile",
                &ca,
                &cert,
            ]));
        }

        let is_ca = signer == base;
        let bc = extension(&cert, "X509v3 Basic Constraints").expect("basic constraints");
        assert_eq!(
            bc,
            format!(
                "X509v3 Basic Constraints: critical|CA:{}",
                if is_ca { "TRUE" } else { "FALSE" }
            ),
            "{base}"
        );
        let ku = extension(&cert, "X509v3 Key Usage").expect("key usage");
        let want_ku = match (is_ca, rsa) {
            (true, _) => "Digital Signature, Key Encipherment, Certificate Sign",
            (false, true) => "Digital Signature, Key Encipherment",
            (false, false) => "Digital Signature",
        };
        assert_eq!(
            ku,
            format!("X509v3 Key Usage: critical|{want_ku}"),
            "{base}"
        );
        match extension(&cert, "X509v3 Extended Key Usage") {
            Some(found) => assert_eq!(found, format!("X509v3 Extended Key Usage:|{eku}"), "{base}"),
            None => assert!(eku.is_empty(), "{base} lacks its extended key usage"),
        }
    }
}

fn check_sans(pki: &Pki) {
    let cases = [
        ("ca", "DNS:kubernetes"),
        (
            "apiserver",
            "DNS:api.example.com, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, \
             DNS:kubernetes.default.svc.cluster.local, DNS:node-a, IP Address:10.96.0.1, IP Address:10.0.0.5, \
             IP Address:10.0.0.100",
        ),
        (
            "etcd/server",
            "DNS:localhost, DNS:node-a, IP Address:10.0.0.5, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
        ),
        (
            "etcd/peer",
            "DNS:localhost, DNS:node-a, IP Address:10.0.0.5, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
        ),
    ];
    for (base, sans) in cases {
        let found = extension(&pki.crt(base), "X509v3 Subject Alternative Name").expect("SANs");
        assert_eq!(
            found,
            format!("X509v3 Subject Alternative Name:|{sans}"),
            "{base}"
        );
    }
    for base in [
        "apiserver-kubelet-client",
        "front-proxy-client",
        "etcd/healthcheck-client",
        "apiserver-etcd-client",
    ] {
        assert_eq!(
            extension(&pki.crt(base), "X509v3 Subject Alternative Name"),
            None,
            "{base} has no SANs"
        );
    }
    // The serving certificates verify for the names clients use.
    let server = |base: &str, ca: &str, check: &[&str]| {
        let (ca, cert) = (pki.crt(ca), pki.crt(base));
        let mut args = vec!["verify", "-x509_strict", "-purpose", "sslserver"];
        args.extend_from_slice(check);
        args.extend_from_slice(&["-CAfile", &ca, &cert]);
        openssl(&args);
    };
    server(
        "apiserver",
        "ca",
        &[
            "-verify_hostname",
            "kubernetes.default.svc",
            "-verify_ip",
            "10.96.0.1",
        ],
    );
    server(
        "apiserver",
        "ca",
        &[
            "-verify_hostname",
            "api.example.com",
            "-verify_ip",
            "10.0.0.100",
        ],
    );
    server(
        "etcd/server",
        "etcd/ca",
        &["-verify_hostname", "localhost", "-verify_ip", "127.0.0.1"],
    );
    run_err(tool("openssl").args([
        "verify",
        "-verify_hostname",
        "other.example",
        "-CAfile",
        &pki.crt("ca"),
        &pki.crt("apiserver"),
    ]));
}

fn checkend(cert: &str, days: u64) -> bool {
    tool("openssl")
        .args([
            "x509",
            "-in",
            cert,
            "-noout",
            "-checkend",
            &(days * 86400).to_string(),
        ])
        .output()
        .expect("openssl runs")
        .status
        .success()
}

fn check_validity(pki: &Pki) {
    for (base, signer, ..) in TABLE {
        let cert = pki.crt(base);
        let (valid, expired) = if signer == base {
            (3649, 3651)
        } else {
            (364, 366)
        };
        assert!(
            checkend(&cert, valid),
            "{base} is valid for {valid} more days"
        );
        assert!(
            !checkend(&cert, expired),
            "{base} expires within {expired} days"
        );
    }
}

fn check_keys_and_modes(pki: &Pki, key_header: &str) {
    for (base, ..) in TABLE {
        let (cert, key) = (pki.crt(base), pki.key(base));
        let from_cert = openssl(&["x509", "-in", &cert, "-noout", "-pubkey"]);
        let from_key = openssl(&["pkey", "-in", &key, "-pubout"]);
        assert_eq!(from_cert, from_key, "{base}: key matches certificate");
        let first = std::fs::read_to_string(&key)
            .expect("key")
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert_eq!(first, format!("-----BEGIN {key_header}-----"), "{base}");
        assert_eq!(mode(&key), 0o600, "{base}.key");
        assert_eq!(mode(&cert), 0o644, "{base}.crt");
    }
    let sa_key = pki.file("sa.key");
    let sa_pub = pki.file("sa.pub");
    assert_eq!(
        std::fs::read_to_string(&sa_pub)
            .expect("sa.pub")
            .lines()
            .next(),
        Some("-----BEGIN PUBLIC KEY-----")
    );
    assert_eq!(
        openssl(&["pkey", "-in", &sa_key, "-pubout"]),
        openssl(&["pkey", "-pubin", "-in", &sa_pub])
    );
    assert_eq!(mode(&sa_key), 0o600);
    assert_eq!(mode(&sa_pub), 0o600);
}

fn mode(path: &str) -> u32 {
    std::fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o7777
}

/// `openssl <args>` with `input` on stdin.
fn openssl_stdin(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = tool("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("stdin written");
    let out = child.wait_with_output().expect("openssl finishes");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// real-tools.md: `openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | openssl dgst -sha256 -r`.
fn check_ca_pin(pki: &Pki) {
    for ca in ["ca", "front-proxy-ca", "etcd/ca"] {
        let path = pki.crt(ca);
        let public = openssl(&["x509", "-pubkey", "-noout", "-in", &path]);
        let der = openssl_stdin(&["pkey", "-pubin", "-outform", "der"], public.as_bytes());
        let digest =
            String::from_utf8(openssl_stdin(&["dgst", "-sha256", "-r"], &der)).expect("hex");
        let expected = format!(
            "sha256:{}",
            digest.split_whitespace().next().expect("digest")
        );
        let cert = Certificate::from_pem_bundle(&std::fs::read(&path).expect("ca"))
            .expect("parses")
            .remove(0);
        assert_eq!(CaPin::of(&cert).to_string(), expected, "{ca}");
    }
}

fn check_all(algorithm: &str, key_header: &str, rsa: bool) -> Pki {
    let pki = Pki::generate(algorithm, "certs");
    check_chains_subjects_and_usages(&pki, rsa);
    check_sans(&pki);
    check_validity(&pki);
    check_keys_and_modes(&pki, key_header);
    check_ca_pin(&pki);
    pki
}

#[test]
fn rsa_2048_pki_passes_openssl() {
    let pki = check_all("RSA-2048", "RSA PRIVATE KEY", true);
    for (base, ..) in TABLE {
        let check =
            run_ok(tool("openssl").args(["rsa", "-in", &pki.key(base), "-check", "-noout"]));
        assert_eq!(stdout(&check), "RSA key ok\n", "{base}");
    }
}

#[test]
fn ecdsa_p256_pki_passes_openssl() {
    let pki = check_all("ECDSA-P256", "EC PRIVATE KEY", false);
    for (base, ..) in TABLE {
        let check = run_ok(tool("openssl").args(["ec", "-in", &pki.key(base), "-check", "-noout"]));
        assert!(
            stderr(&check).lines().any(|l| l == "EC Key valid."),
            "{base}: {}",
            stderr(&check)
        );
        let text = openssl(&["pkey", "-in", &pki.key(base), "-noout", "-text"]);
        assert!(
            text.contains("ASN1 OID: prime256v1"),
            "{base}: the curve is named in the key"
        );
    }
}

/// The other algorithms: a CA and a serving certificate each, with the key size or curve openssl reads.
#[test]
fn other_algorithms_make_keys_openssl_reads() {
    let cases = [
        (
            "RSA-3072",
            "RSA PRIVATE KEY",
            "Private-Key: (3072 bit",
            "Signature Algorithm: sha256WithRSAEncryption",
        ),
        (
            "RSA-4096",
            "RSA PRIVATE KEY",
            "Private-Key: (4096 bit",
            "Signature Algorithm: sha256WithRSAEncryption",
        ),
        (
            "ECDSA-P384",
            "EC PRIVATE KEY",
            "NIST CURVE: P-384",
            "Signature Algorithm: ecdsa-with-SHA384",
        ),
    ];
    for (algorithm, header, key_text, signature) in cases {
        let pki = Pki::generate(algorithm, "certs/ca");
        let ca_key = pki.key("ca");
        assert!(
            std::fs::read_to_string(&ca_key)
                .expect("key")
                .starts_with(&format!("-----BEGIN {header}-----")),
            "{algorithm}"
        );
        let text = openssl(&["pkey", "-in", &ca_key, "-noout", "-text"]);
        assert!(text.contains(key_text), "{algorithm}: {text}");

        pki.run("certs/apiserver");
        let cert = pki.crt("apiserver");
        openssl(&[
            "verify",
            "-x509_strict",
            "-purpose",
            "sslserver",
            "-CAfile",
            &pki.crt("ca"),
            &cert,
        ]);
        let text = openssl(&["x509", "-in", &cert, "-noout", "-text"]);
        assert!(text.contains(signature), "{algorithm}: {text}");
        assert_eq!(
            openssl(&["x509", "-in", &cert, "-noout", "-pubkey"]),
            openssl(&["pkey", "-in", &pki.key("apiserver"), "-pubout"]),
            "{algorithm}"
        );
    }
}
