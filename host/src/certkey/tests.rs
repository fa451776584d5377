use std::path::Path;

use super::*;
use crate::config::v1beta4::ExternalEtcd;
use crate::events::Events;

const KEY: &str = "2c3a0e4f6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677ab";

fn key() -> CertificateKey {
    KEY.parse().unwrap()
}

#[test]
fn keys_are_64_hex_characters() {
    assert_eq!(key().expose(), KEY);
    let upper: CertificateKey = KEY.to_uppercase().parse().unwrap();
    assert_eq!(
        upper,
        key(),
        "hex digits in either case, as Go's hex decoder"
    );
    let generated = CertificateKey::generate().unwrap().expose();
    assert_eq!(generated.len(), 64);
    assert!(generated.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(generated, CertificateKey::generate().unwrap().expose());
}

#[test]
fn malformed_keys_say_what_is_wrong_without_repeating_the_key() {
    for (case, input, problem) in [
        ("empty", String::new(), "it has 0 characters"),
        ("one short", KEY[..63].to_string(), "it has 63 characters"),
        ("one long", format!("{KEY}0"), "it has 65 characters"),
        (
            "a 16-byte key",
            KEY[..32].to_string(),
            "it has 32 characters",
        ),
        (
            "not hex",
            format!("{}g", &KEY[..63]),
            "character 64 is not a hexadecimal digit",
        ),
        (
            "space",
            format!(" {}", &KEY[1..]),
            "character 1 is not a hexadecimal digit",
        ),
    ] {
        let err = input.parse::<CertificateKey>().unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "invalid certificate key: {problem}; expected 64 hexadecimal characters (a 32-byte AES key)"
            ),
            "{case}"
        );
        assert!(!err.contains(&KEY[1..40]), "{case} leaks the key: {err}");
    }
    assert_eq!(format!("{:?}", key()), "CertificateKey(<redacted>)");
}

#[test]
fn encryption_round_trips_in_kubeadms_layout() {
    let plain = b"-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n";
    let sealed = key().encrypt(plain).unwrap();
    assert_eq!(
        sealed.len(),
        12 + plain.len() + 16,
        "nonce, ciphertext, tag"
    );
    assert_ne!(&sealed[12..12 + plain.len()], plain.as_slice());
    assert_eq!(key().decrypt(&sealed).unwrap(), plain);
    assert_ne!(
        key().encrypt(plain).unwrap(),
        sealed,
        "a fresh nonce each time"
    );
    assert_eq!(key().decrypt(&key().encrypt(b"").unwrap()).unwrap(), b"");
}

#[test]
fn tampered_data_and_wrong_keys_fail() {
    let sealed = key().encrypt(b"ca key").unwrap();
    for i in [0, 5, 12, sealed.len() - 1] {
        let mut tampered = sealed.clone();
        tampered[i] ^= 1;
        assert!(
            matches!(key().decrypt(&tampered), Err(CertKeyError::Decrypt)),
            "byte {i}"
        );
    }
    let other = CertificateKey::generate().unwrap();
    assert!(matches!(other.decrypt(&sealed), Err(CertKeyError::Decrypt)));
    assert!(matches!(
        key().decrypt(&sealed[..11]),
        Err(CertKeyError::TooShort { len: 11 })
    ));
    assert!(matches!(
        key().decrypt(&sealed[..20]),
        Err(CertKeyError::Decrypt)
    ));
}

/// A vector made independently (Python's `cryptography`, AES-256-GCM, the nonce 07×12, no
/// additional data) in the layout kubeadm's `EncryptBytes` writes: nonce ‖ ciphertext ‖ tag.
#[test]
fn data_sealed_elsewhere_in_kubeadms_layout_opens() {
    let data = hex::decode("070707070707070707070707f8954f083a83fc3489357ea26907cc34d3fe74337505")
        .unwrap();
    assert_eq!(key().decrypt(&data).unwrap(), b"sa.key");
}

fn cluster(external: Option<ExternalEtcd>) -> ClusterConfiguration {
    let mut c = crate::config::default_cluster_configuration();
    c.certificates_dir = "/etc/kubernetes/pki".into();
    if let Some(e) = external {
        c.etcd.local = None;
        c.etcd.external = Some(e);
    }
    c
}

fn keys(files: &[CertFile]) -> Vec<(&str, &Path)> {
    files
        .iter()
        .map(|f| (f.secret_key.as_str(), f.path.as_path()))
        .collect()
}

#[test]
fn local_etcd_uploads_the_cluster_front_proxy_and_etcd_cas_and_the_service_account_keys() {
    let p = Path::new;
    assert_eq!(
        keys(&files_to_upload(&cluster(None))),
        [
            ("ca.crt", p("/etc/kubernetes/pki/ca.crt")),
            ("ca.key", p("/etc/kubernetes/pki/ca.key")),
            (
                "front-proxy-ca.crt",
                p("/etc/kubernetes/pki/front-proxy-ca.crt")
            ),
            (
                "front-proxy-ca.key",
                p("/etc/kubernetes/pki/front-proxy-ca.key")
            ),
            ("sa.pub", p("/etc/kubernetes/pki/sa.pub")),
            ("sa.key", p("/etc/kubernetes/pki/sa.key")),
            ("etcd-ca.crt", p("/etc/kubernetes/pki/etcd/ca.crt")),
            ("etcd-ca.key", p("/etc/kubernetes/pki/etcd/ca.key")),
        ]
    );
}

#[test]
fn external_etcd_uploads_the_files_the_config_names_instead_of_the_etcd_ca() {
    let files = files_to_upload(&cluster(Some(ExternalEtcd {
        endpoints: vec!["https://10.0.0.5:2379".into()],
        ca_file: "/etc/etcd/ca.pem".into(),
        cert_file: "/etc/etcd/client.pem".into(),
        key_file: String::new(),
    })));
    let p = Path::new;
    assert_eq!(
        keys(&files)[6..],
        [
            ("external-etcd-ca.crt", p("/etc/etcd/ca.pem")),
            ("external-etcd.crt", p("/etc/etcd/client.pem")),
            ("external-etcd.key", p("")),
        ]
    );
}

fn node_with(files: &[(&str, &str)]) -> (tempfile::TempDir, NodeRoot) {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let host = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(host, contents).unwrap();
    }
    let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
    (dir, root)
}

#[test]
fn the_secret_carries_every_file_encrypted_and_missing_ones_empty() {
    let (_dir, root) = node_with(&[
        ("/etc/kubernetes/pki/ca.crt", "CA CERT"),
        ("/etc/kubernetes/pki/ca.key", "CA KEY"),
        ("/etc/kubernetes/pki/sa.key", "SA KEY"),
        ("/etc/kubernetes/pki/etcd/ca.crt", "ETCD CA CERT"),
    ]);
    let secret = certs_secret(
        &root,
        &cluster(None),
        &key(),
        "bootstrap-token-abcdef",
        "uid-1",
    )
    .unwrap();
    assert_eq!(secret.metadata.name.as_deref(), Some("kubeadm-certs"));
    assert_eq!(secret.metadata.namespace.as_deref(), Some("kube-system"));
    assert_eq!(secret.type_, None);
    assert_eq!(
        secret.metadata.owner_references,
        Some(vec![OwnerReference {
            api_version: "v1".into(),
            kind: "Secret".into(),
            name: "bootstrap-token-abcdef".into(),
            uid: "uid-1".into(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }])
    );
    let data = secret.data.as_ref().unwrap();
    assert_eq!(data.len(), 8);
    for (name, value) in data {
        assert!(
            !String::from_utf8_lossy(&value.0).contains("KEY")
                && !String::from_utf8_lossy(&value.0).contains("CERT"),
            "{name} is stored in the clear"
        );
    }
    for empty in [
        "front-proxy-ca.crt",
        "front-proxy-ca.key",
        "sa.pub",
        "etcd-ca.key",
    ] {
        assert!(data[empty].0.is_empty(), "{empty}");
    }
    let opened = decrypt_certs(&secret, &key()).unwrap();
    assert_eq!(opened["ca.crt"], b"CA CERT");
    assert_eq!(opened["ca.key"], b"CA KEY");
    assert_eq!(opened["sa.key"], b"SA KEY");
    assert_eq!(opened["etcd-ca.crt"], b"ETCD CA CERT");
    assert_eq!(opened["sa.pub"], b"");
}

#[test]
fn external_etcd_files_are_read_from_where_the_config_puts_them() {
    let (_dir, root) = node_with(&[
        ("/etc/etcd/ca.pem", "ETCD CA"),
        ("/etc/etcd/client.pem", "CLIENT"),
    ]);
    let cfg = cluster(Some(ExternalEtcd {
        endpoints: vec!["https://10.0.0.5:2379".into()],
        ca_file: "/etc/etcd/ca.pem".into(),
        cert_file: "/etc/etcd/client.pem".into(),
        key_file: String::new(),
    }));
    let secret = certs_secret(&root, &cfg, &key(), "bootstrap-token-abcdef", "uid-1").unwrap();
    let opened = decrypt_certs(&secret, &key()).unwrap();
    assert_eq!(opened["external-etcd-ca.crt"], b"ETCD CA");
    assert_eq!(opened["external-etcd.crt"], b"CLIENT");
    assert_eq!(opened["external-etcd.key"], b"", "unset in the config");
    assert!(!opened.contains_key("etcd-ca.crt"));
}

#[test]
fn a_secret_that_does_not_open_names_the_entry() {
    let (_dir, root) = node_with(&[("/etc/kubernetes/pki/ca.key", "CA KEY")]);
    let secret = certs_secret(&root, &cluster(None), &key(), "t", "u").unwrap();
    let wrong = CertificateKey::generate().unwrap();
    let err = decrypt_certs(&secret, &wrong).unwrap_err().to_string();
    assert_eq!(
        err,
        "error decoding secret data with provided key: ca.key: decryption failed: the certificate key is wrong or the data was changed"
    );
}

#[test]
fn the_proxy_token_lives_two_hours_and_can_neither_sign_nor_authenticate() {
    let token: BootstrapToken = "abcdef.0123456789abcdef".parse().unwrap();
    let spec = proxy_token_spec(token);
    let now: k8s_openapi::jiff::Timestamp = "2030-01-02T03:04:05Z".parse().unwrap();
    let data = spec.to_secret(now).unwrap().data.unwrap();
    let data: Vec<(&str, String)> = data
        .iter()
        .map(|(k, v)| (k.as_str(), String::from_utf8(v.0.clone()).unwrap()))
        .collect();
    assert_eq!(
        data,
        [
            (
                "description",
                "Proxy for managing TTL for the kubeadm-certs secret".to_string()
            ),
            ("expiration", "2030-01-02T05:04:05Z".to_string()),
            ("token-id", "abcdef".to_string()),
            ("token-secret", "0123456789abcdef".to_string()),
        ]
    );
}

#[test]
fn joining_nodes_may_get_the_secret_and_nothing_else() {
    let role = serde_json::to_value(certs_role()).unwrap();
    assert_eq!(
        role,
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": { "name": "kubeadm:kubeadm-certs", "namespace": "kube-system" },
            "rules": [{
                "apiGroups": [""],
                "resources": ["secrets"],
                "resourceNames": ["kubeadm-certs"],
                "verbs": ["get"],
            }],
        })
    );
    let binding = serde_json::to_value(certs_role_binding()).unwrap();
    assert_eq!(
        binding,
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": { "name": "kubeadm:kubeadm-certs", "namespace": "kube-system" },
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "kubeadm:kubeadm-certs",
            },
            "subjects": [{ "kind": "Group", "name": "system:bootstrappers:kubeadm:default-node-token" }],
        })
    );
}
