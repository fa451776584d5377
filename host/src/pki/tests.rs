//! The certificates directory end to end: what a fresh run writes, and how existing files are
//! kept or refused.

use std::path::Path;
use std::sync::Arc;

use ::time::OffsetDateTime;
use x509_parser::prelude::*;

use super::certlist::*;
use super::*;
use crate::config::{GoDuration, InitConfig, InitOverrides};
use crate::events::{Event, Events, Recorder};
use crate::node::NodeRoot;
use crate::test_support::{init_config, init_config_with_algorithm};

struct Node {
    dir: tempfile::TempDir,
    root: NodeRoot,
    events: Arc<Recorder>,
    pool: KeyPool,
}

impl Node {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(Recorder::default());
        let root = NodeRoot::open(dir.path(), Events::new(events.clone())).unwrap();
        Node {
            dir,
            root,
            events,
            pool: KeyPool::new(),
        }
    }

    fn pki<'a>(&'a self, cfg: &'a InitConfig) -> Pki<'a> {
        Pki::new(&self.root, cfg, &self.pool)
    }

    /// Everything the `certs` phase creates with local etcd.
    fn ensure_all(&self, cfg: &InitConfig) -> Result<(), PkiError> {
        let pki = self.pki(cfg);
        for spec in ALL_CERTS {
            if spec.is_ca() {
                pki.ensure_ca(spec)?;
            } else {
                pki.ensure_cert(spec)?;
            }
        }
        pki.ensure_service_account_key()
    }

    fn host(&self, node_path: &str) -> std::path::PathBuf {
        self.dir.path().join(node_path.trim_start_matches('/'))
    }

    fn read(&self, node_path: &str) -> Vec<u8> {
        std::fs::read(self.host(node_path)).unwrap()
    }

    fn cert(&self, node_path: &str) -> Certificate {
        Certificate::from_pem_bundle(&self.read(node_path))
            .unwrap()
            .remove(0)
    }

    fn copy_from(&self, other: &Node, node_path: &str) {
        std::fs::write(self.host(node_path), other.read(node_path)).unwrap();
    }
}

fn with_x509<T>(cert: &Certificate, f: impl FnOnce(&X509Certificate<'_>) -> T) -> T {
    let (_, x) = X509Certificate::from_der(cert.der()).unwrap();
    f(&x)
}

const PKI: &str = "/etc/kubernetes/pki";

fn path(base: &str, ext: &str) -> String {
    format!("{PKI}/{base}.{ext}")
}

#[test]
fn a_fresh_run_writes_kubeadms_files_with_their_modes() {
    let node = Node::new();
    let cfg = init_config_with_algorithm("ECDSA-P256");
    node.ensure_all(&cfg).unwrap();
    let mut expected = Vec::new();
    for spec in ALL_CERTS {
        expected.push((path(spec.base_name, "crt"), 0o644));
        expected.push((path(spec.base_name, "key"), 0o600));
    }
    expected.push((format!("{PKI}/sa.key"), 0o600));
    expected.push((format!("{PKI}/sa.pub"), 0o600));
    for (file, mode) in expected {
        assert_eq!(node.root.mode(&file).unwrap(), Some(mode), "{file}");
    }
    let written = node
        .events
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::FileWritten { reused: false, .. }))
        .count();
    assert_eq!(written, 22, "10 certificates, 10 keys, sa.key, sa.pub");
}

#[test]
fn certificates_chain_and_match_their_keys() {
    let node = Node::new();
    let cfg = init_config(InitOverrides::default());
    node.ensure_all(&cfg).unwrap();
    for spec in ALL_CERTS {
        let cert = node.cert(&path(spec.base_name, "crt"));
        let key = PrivateKey::from_pem(&node.read(&path(spec.base_name, "key"))).unwrap();
        assert_eq!(cert.public_key_raw(), key.public_key_raw(), "{}", spec.name);
        assert_eq!(cert.is_ca(), spec.is_ca(), "{}", spec.name);
        let signer = node.cert(&path(spec.ca.unwrap_or(spec).base_name, "crt"));
        assert!(
            cert.is_signed_by(&signer),
            "{} is signed by its CA",
            spec.name
        );
        let (config, _) = spec.config(&cfg);
        assert_eq!(
            cert.common_name().as_deref(),
            Some(config.common_name.as_str()),
            "{}",
            spec.name
        );
        assert_eq!(cert.organizations(), config.organization, "{}", spec.name);
    }
}

#[test]
fn validity_serials_and_extensions_follow_pkiutil() {
    let node = Node::new();
    let cfg = init_config(InitOverrides::default());
    let started = OffsetDateTime::now_utc();
    node.ensure_all(&cfg).unwrap();
    let ca = node.cert(&path("ca", "crt"));
    let backdate = started - ca.not_before();
    assert!(
        backdate >= ::time::Duration::seconds(299) && backdate <= ::time::Duration::seconds(301),
        "{backdate}"
    );
    let ca_years = (ca.not_after() - started).whole_days();
    assert!(
        (3649..=3651).contains(&ca_years),
        "CA lasts ten years, got {ca_years} days"
    );
    with_x509(&ca, |x| {
        let ku = x.key_usage().unwrap().unwrap();
        assert!(ku.critical);
        assert!(
            ku.value.digital_signature() && ku.value.key_encipherment() && ku.value.key_cert_sign()
        );
        let bc = x.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        assert!(
            x.get_extension_unique(&x509_parser::oid_registry::OID_X509_EXT_SUBJECT_KEY_IDENTIFIER)
                .unwrap()
                .is_some()
        );
        let san = x.subject_alternative_name().unwrap().unwrap();
        assert_eq!(
            format!("{:?}", san.value.general_names),
            r#"[DNSName("kubernetes")]"#
        );
    });

    let leaf = node.cert(&path("apiserver", "crt"));
    assert_eq!(
        leaf.not_before(),
        ca.not_before(),
        "leaves start when their CA does"
    );
    let leaf_days = (leaf.not_after() - started).whole_days();
    assert!(
        (364..=365).contains(&leaf_days),
        "leaves last a year, got {leaf_days} days"
    );
    with_x509(&leaf, |x| {
        let serial = x.raw_serial();
        assert!(
            serial.len() <= 8 && serial[0] & 0x80 == 0,
            "positive and below 2^63: {serial:02x?}"
        );
        let ku = x.key_usage().unwrap().unwrap();
        assert!(
            ku.critical
                && ku.value.digital_signature()
                && ku.value.key_encipherment()
                && !ku.value.key_cert_sign()
        );
        let bc = x.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && !bc.value.ca);
        let eku = x.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
        assert!(
            x.get_extension_unique(
                &x509_parser::oid_registry::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER
            )
            .unwrap()
            .is_some()
        );
    });
}

#[test]
fn ecdsa_leaves_drop_key_encipherment_and_p384_signs_with_sha384() {
    for (algorithm, sig_oid) in [
        (
            "ECDSA-P256",
            x509_parser::oid_registry::OID_SIG_ECDSA_WITH_SHA256,
        ),
        (
            "ECDSA-P384",
            x509_parser::oid_registry::OID_SIG_ECDSA_WITH_SHA384,
        ),
    ] {
        let node = Node::new();
        let cfg = init_config_with_algorithm(algorithm);
        let pki = node.pki(&cfg);
        pki.ensure_ca(&CA).unwrap();
        pki.ensure_cert(&API_SERVER_KUBELET_CLIENT).unwrap();
        let leaf = node.cert(&path("apiserver-kubelet-client", "crt"));
        with_x509(&leaf, |x| {
            let ku = x.key_usage().unwrap().unwrap().value;
            assert!(
                ku.digital_signature() && !ku.key_encipherment(),
                "{algorithm}"
            );
            assert_eq!(x.signature_algorithm.algorithm, sig_oid, "{algorithm}");
        });
    }
}

#[test]
fn a_second_run_keeps_every_file() {
    let node = Node::new();
    let cfg = init_config(InitOverrides::default());
    node.ensure_all(&cfg).unwrap();
    let before = node.read(&path("apiserver", "crt"));
    node.events.take();
    node.ensure_all(&cfg).unwrap();
    assert_eq!(node.read(&path("apiserver", "crt")), before);
    let events = node.events.take();
    let files: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::FileWritten { .. }))
        .collect();
    assert_eq!(files.len(), 22);
    assert!(
        files
            .iter()
            .all(|e| matches!(e, Event::FileWritten { reused: true, .. })),
        "{files:?}"
    );
}

/// A run killed between writing `X.key` and `X.crt` leaves the key alone; the next run
/// signs a certificate for that key instead of refusing it, for CAs and leaves alike.
#[test]
fn a_key_left_without_its_certificate_gets_one_for_that_key() {
    for (spec, base) in [
        (&CA, "ca"),
        (&ETCD_CA, "etcd/ca"),
        (&API_SERVER, "apiserver"),
    ] {
        let node = Node::new();
        let cfg = init_config_with_algorithm("ECDSA-P256");
        node.ensure_all(&cfg).unwrap();
        let key = node.read(&path(base, "key"));
        std::fs::remove_file(node.host(&path(base, "crt"))).unwrap();
        node.events.take();

        node.ensure_all(&cfg)
            .unwrap_or_else(|e| panic!("{base}: the re-run converges: {e}"));
        assert_eq!(
            node.read(&path(base, "key")),
            key,
            "{base}: the key is kept"
        );
        let cert = node.cert(&path(base, "crt"));
        let key = PrivateKey::from_pem(&key).unwrap();
        assert_eq!(cert.public_key_raw(), key.public_key_raw(), "{base}");
        let signer = node.cert(&path(spec.ca.unwrap_or(spec).base_name, "crt"));
        assert!(cert.is_signed_by(&signer), "{base}");
        // Leaves signed before the CA certificate was re-made still chain to it.
        for leaf in ALL_CERTS
            .iter()
            .filter(|s| s.ca.is_some_and(|ca| ca.base_name == spec.base_name))
        {
            let leaf_cert = node.cert(&path(leaf.base_name, "crt"));
            assert!(leaf_cert.is_signed_by(&cert), "{}", leaf.base_name);
        }
        let written: Vec<String> = node
            .events
            .take()
            .into_iter()
            .filter_map(|e| match e {
                Event::FileWritten {
                    path,
                    reused: false,
                    ..
                } => Some(path),
                _ => None,
            })
            .collect();
        assert_eq!(
            written,
            [path(base, "crt")],
            "{base}: only the certificate is written"
        );
    }
}

/// Changes a node's files, given a second node with a PKI of its own to copy from.
type Tamper = fn(&Node, &Node);

fn refusal(setup: Tamper, spec: &CertSpec) -> String {
    let node = Node::new();
    let other = Node::new();
    let cfg = init_config_with_algorithm("ECDSA-P256");
    node.ensure_all(&cfg).unwrap();
    other.ensure_all(&cfg).unwrap();
    setup(&node, &other);
    let pki = node.pki(&cfg);
    let result = if spec.is_ca() {
        pki.ensure_ca(spec)
    } else {
        pki.ensure_cert(spec)
    };
    result
        .expect_err("the existing files are refused")
        .to_string()
}

#[test]
fn existing_files_that_do_not_fit_are_refused_with_the_file_and_the_problem() {
    let cases: [(&str, Tamper, &CertSpec, &str); 5] = [
        (
            "key from another pair",
            |n, o| n.copy_from(o, "/etc/kubernetes/pki/apiserver.key"),
            &API_SERVER,
            "private key /etc/kubernetes/pki/apiserver.key does not match the public key in certificate /etc/kubernetes/pki/apiserver.crt",
        ),
        (
            "pair signed by another CA",
            |n, o| {
                n.copy_from(o, "/etc/kubernetes/pki/front-proxy-client.crt");
                n.copy_from(o, "/etc/kubernetes/pki/front-proxy-client.key");
            },
            &FRONT_PROXY_CLIENT,
            "certificate /etc/kubernetes/pki/front-proxy-client.crt is not signed by corresponding CA /etc/kubernetes/pki/front-proxy-ca.crt",
        ),
        (
            "certificate without its key",
            |n, _| std::fs::remove_file(n.host("/etc/kubernetes/pki/etcd/peer.key")).unwrap(),
            &ETCD_PEER,
            "/etc/kubernetes/pki/etcd/peer.crt exists but /etc/kubernetes/pki/etcd/peer.key does not",
        ),
        (
            "CA key from another CA",
            |n, o| n.copy_from(o, "/etc/kubernetes/pki/ca.key"),
            &CA,
            "private key /etc/kubernetes/pki/ca.key does not match the public key in certificate /etc/kubernetes/pki/ca.crt",
        ),
        (
            "a leaf where the CA should be",
            |n, _| {
                std::fs::copy(
                    n.host("/etc/kubernetes/pki/apiserver.crt"),
                    n.host("/etc/kubernetes/pki/ca.crt"),
                )
                .map(drop)
                .unwrap()
            },
            &CA,
            "certificate /etc/kubernetes/pki/ca.crt is not a CA",
        ),
    ];
    for (case, setup, spec, expected) in cases {
        let err = refusal(setup, spec);
        assert!(err.contains(expected), "{case}: {err}");
    }
}

#[test]
fn a_certificate_lacking_a_configured_san_is_refused() {
    let node = Node::new();
    node.ensure_all(&init_config(InitOverrides::default()))
        .unwrap();
    let cfg = init_config(InitOverrides {
        cert_extra_sans: Some(vec!["api.example.com".into()]),
        ..Default::default()
    });
    let err = node
        .pki(&cfg)
        .ensure_cert(&API_SERVER)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "certificate /etc/kubernetes/pki/apiserver.crt is invalid: it is not valid for api.example.com"
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let node = Node::new();
    let mut cfg = init_config_with_algorithm("ECDSA-P256");
    cfg.cluster.certificate_validity_period = Some(GoDuration::from_secs(0));
    let pki = node.pki(&cfg);
    pki.ensure_ca(&CA).unwrap();
    pki.ensure_cert(&API_SERVER_KUBELET_CLIENT).unwrap();
    let err = pki
        .ensure_cert(&API_SERVER_KUBELET_CLIENT)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "certificate /etc/kubernetes/pki/apiserver-kubelet-client.crt has expired (NotAfter "
        ),
        "{err}"
    );
}

#[test]
fn a_ca_without_its_key_is_external_its_leaves_must_exist_and_verify() {
    let node = Node::new();
    let cfg = init_config_with_algorithm("ECDSA-P256");
    node.ensure_all(&cfg).unwrap();
    let before = node.read(&path("apiserver", "crt"));
    std::fs::remove_file(node.host(&path("ca", "key"))).unwrap();
    node.events.take();

    let pki = node.pki(&cfg);
    pki.ensure_ca(&CA).unwrap();
    pki.ensure_cert(&API_SERVER).unwrap();
    assert_eq!(node.read(&path("apiserver", "crt")), before);
    let said_external = node.events.take().iter().any(|e| match e {
        Event::Info { message } => {
            message.starts_with("[certs] External CA mode: /etc/kubernetes/pki/ca.crt has no key")
        }
        _ => false,
    });
    assert!(said_external, "the external CA mode is announced");

    std::fs::remove_file(node.host(&path("apiserver-kubelet-client", "crt"))).unwrap();
    std::fs::remove_file(node.host(&path("apiserver-kubelet-client", "key"))).unwrap();
    let err = pki
        .ensure_cert(&API_SERVER_KUBELET_CLIENT)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "external CA mode (/etc/kubernetes/pki/ca.key is absent): /etc/kubernetes/pki/apiserver-kubelet-client.crt must be provided"
        ),
        "{err}"
    );
    assert!(
        !node.host(&path("apiserver-kubelet-client", "crt")).exists(),
        "nothing is generated"
    );
}

#[test]
fn a_leaf_needs_its_ca() {
    let node = Node::new();
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let err = node
        .pki(&cfg)
        .ensure_cert(&ETCD_SERVER)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "/etc/kubernetes/pki/etcd/ca.crt does not exist; run `kubeadm-rs init phase certs etcd-ca` first"
    );
}

#[test]
fn service_account_keys_are_kept_only_as_a_matching_pair() {
    let node = Node::new();
    let other = Node::new();
    let cfg = init_config_with_algorithm("ECDSA-P256");
    node.pki(&cfg).ensure_service_account_key().unwrap();
    other.pki(&cfg).ensure_service_account_key().unwrap();
    let key = PrivateKey::from_pem(&node.read("/etc/kubernetes/pki/sa.key")).unwrap();
    assert_eq!(
        String::from_utf8(node.read("/etc/kubernetes/pki/sa.pub")).unwrap(),
        key.public_key_pem()
    );

    std::fs::remove_file(node.host("/etc/kubernetes/pki/sa.pub")).unwrap();
    node.pki(&cfg).ensure_service_account_key().unwrap();
    assert_eq!(
        String::from_utf8(node.read("/etc/kubernetes/pki/sa.pub")).unwrap(),
        key.public_key_pem()
    );

    node.copy_from(&other, "/etc/kubernetes/pki/sa.pub");
    let err = node
        .pki(&cfg)
        .ensure_service_account_key()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "service account key /etc/kubernetes/pki/sa.key does not match public key /etc/kubernetes/pki/sa.pub"
    );
}

#[test]
fn pending_keys_are_those_of_files_still_to_create() {
    let node = Node::new();
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let pki = node.pki(&cfg);
    pki.ensure_ca(&FRONT_PROXY_CA).unwrap();
    pki.ensure_cert(&FRONT_PROXY_CLIENT).unwrap();
    pki.ensure_ca(&CA).unwrap();
    std::fs::remove_file(node.host(&path("ca", "key"))).unwrap();
    let specs: Vec<&CertSpec> = ALL_CERTS.to_vec();
    let pending = pki.pending_keys(&specs, true).unwrap();
    assert_eq!(
        pending,
        [
            "/etc/kubernetes/pki/etcd/ca.key",
            "/etc/kubernetes/pki/etcd/server.key",
            "/etc/kubernetes/pki/etcd/peer.key",
            "/etc/kubernetes/pki/etcd/healthcheck-client.key",
            "/etc/kubernetes/pki/apiserver-etcd-client.key",
            "/etc/kubernetes/pki/sa.key",
        ],
        "nothing for kept files, nor for leaves of a keyless CA"
    );
}

#[test]
fn the_ca_pin_is_the_sha256_of_the_public_key_info() {
    let node = Node::new();
    let cfg = init_config_with_algorithm("ECDSA-P256");
    node.pki(&cfg).ensure_ca(&CA).unwrap();
    node.pki(&cfg).ensure_ca(&FRONT_PROXY_CA).unwrap();
    let ca = node.cert(&path("ca", "crt"));
    let key = PrivateKey::from_pem(&node.read(&path("ca", "key"))).unwrap();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &key.public_key_info());
    let pin = CaPin::of(&ca);
    assert_eq!(
        pin.to_string(),
        format!("sha256:{}", hex::encode(digest.as_ref()))
    );
    assert!(pin.matches(&ca));

    let mut bundle = node.read(&path("ca", "crt"));
    bundle.extend(node.read(&path("front-proxy-ca", "crt")));
    let pins = ca_pins(&bundle).unwrap();
    assert_eq!(pins.len(), 2);
    assert_eq!(pins[0], pin);
    assert!(!pins[1].matches(&ca));
}

#[test]
fn paths_follow_the_cert_dir() {
    let cfg = init_config(InitOverrides {
        cert_dir: Some("/srv/pki".into()),
        ..Default::default()
    });
    let node = Node::new();
    let pki = node.pki(&cfg);
    assert_eq!(
        pki.cert_path(&ETCD_SERVER),
        Path::new("/srv/pki/etcd/server.crt")
    );
    assert_eq!(pki.key_path(&CA), Path::new("/srv/pki/ca.key"));
}
