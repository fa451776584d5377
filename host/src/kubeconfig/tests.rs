//! The kubeconfig files of `init` on a temporary node root.

use std::sync::Arc;

use super::*;
use crate::config::{InitConfig, InitOverrides};
use crate::events::{Event, Events, Recorder};
use crate::node::NodeRoot;
use crate::pki::certlist::CA;
use crate::pki::{Certificate, KeyPool, Pki, PrivateKey};
use crate::test_support::{init_config, init_config_with_algorithm};

struct Node {
    _dir: tempfile::TempDir,
    root: NodeRoot,
    events: Arc<Recorder>,
    pool: KeyPool,
}

impl Node {
    /// A node whose cluster CA exists.
    fn with_ca(cfg: &InitConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(Recorder::default());
        let root = NodeRoot::open(dir.path(), Events::new(events.clone())).unwrap();
        let node = Node {
            _dir: dir,
            root,
            events,
            pool: KeyPool::new(),
        };
        Pki::new(&node.root, cfg, &node.pool)
            .ensure_ca(&CA)
            .unwrap();
        node
    }

    fn writer<'a>(&'a self, cfg: &'a InitConfig) -> KubeconfigWriter<'a> {
        KubeconfigWriter::new(&self.root, cfg, &self.pool, "/etc/kubernetes")
    }

    fn ensure_all(&self, cfg: &InitConfig) -> Result<(), KubeconfigError> {
        let writer = self.writer(cfg);
        KubeconfigFile::ALL
            .iter()
            .try_for_each(|f| writer.ensure(*f))
    }

    fn read(&self, file: KubeconfigFile) -> Kubeconfig {
        read_kubeconfig(&self.root, format!("/etc/kubernetes/{}", file.file_name()))
            .unwrap()
            .expect("kubeconfig exists")
    }

    fn ca_pem(&self) -> Vec<u8> {
        self.root
            .read("/etc/kubernetes/pki/ca.crt")
            .unwrap()
            .unwrap()
    }
}

#[test]
fn each_file_has_kubeadms_user_groups_and_server() {
    let cfg = init_config(InitOverrides {
        control_plane_endpoint: Some("lb.example.com".into()),
        ..Default::default()
    });
    let node = Node::with_ca(&cfg);
    node.ensure_all(&cfg).unwrap();
    let ca = Certificate::from_pem_bundle(&node.ca_pem())
        .unwrap()
        .remove(0);
    let cases: [(KubeconfigFile, &str, &[&str], &str); 5] = [
        (
            KubeconfigFile::Admin,
            "kubernetes-admin",
            &["kubeadm:cluster-admins"],
            "https://lb.example.com:6443",
        ),
        (
            KubeconfigFile::SuperAdmin,
            "kubernetes-super-admin",
            &["system:masters"],
            "https://lb.example.com:6443",
        ),
        (
            KubeconfigFile::Kubelet,
            "system:node:node-a",
            &["system:nodes"],
            "https://192.168.1.10:6443",
        ),
        (
            KubeconfigFile::ControllerManager,
            "system:kube-controller-manager",
            &[],
            "https://192.168.1.10:6443",
        ),
        (
            KubeconfigFile::Scheduler,
            "system:kube-scheduler",
            &[],
            "https://192.168.1.10:6443",
        ),
    ];
    for (file, user, groups, server) in cases {
        let name = file.file_name();
        assert_eq!(
            node.root.mode(format!("/etc/kubernetes/{name}")).unwrap(),
            Some(0o600),
            "{name}"
        );
        let config = node.read(file);
        assert_eq!(
            config.current_context,
            format!("{user}@kubernetes"),
            "{name}"
        );
        let cluster = config.current_cluster().expect("current cluster");
        assert_eq!(cluster.server, server, "{name}");
        assert_eq!(
            cluster.certificate_authority_data.as_deref(),
            Some(node.ca_pem().as_slice()),
            "{name}"
        );
        let creds = config.current_user().expect("current user");
        let cert = Certificate::from_pem_bundle(creds.client_certificate_data.as_ref().unwrap())
            .unwrap()
            .remove(0);
        let key = PrivateKey::from_pem(creds.client_key_data.as_ref().unwrap()).unwrap();
        assert_eq!(cert.common_name().as_deref(), Some(user), "{name}");
        assert_eq!(cert.organizations(), groups, "{name}");
        assert!(cert.is_signed_by(&ca), "{name}");
        assert_eq!(cert.public_key_raw(), key.public_key_raw(), "{name}");
    }
}

#[test]
fn the_kubelet_uses_the_control_plane_endpoint_without_local_mode() {
    let cfg = init_config(InitOverrides {
        control_plane_endpoint: Some("10.0.0.100:443".into()),
        feature_gates: Some("ControlPlaneKubeletLocalMode=false".into()),
        ..Default::default()
    });
    assert_eq!(
        KubeconfigFile::Kubelet.spec(&cfg).server,
        "https://10.0.0.100:443"
    );
}

#[test]
fn a_second_run_keeps_the_files() {
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let node = Node::with_ca(&cfg);
    node.ensure_all(&cfg).unwrap();
    let before = node.root.read("/etc/kubernetes/admin.conf").unwrap();
    node.events.take();
    node.ensure_all(&cfg).unwrap();
    assert_eq!(
        node.root.read("/etc/kubernetes/admin.conf").unwrap(),
        before
    );
    let kept = node
        .events
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::FileWritten { reused: true, .. }))
        .count();
    assert_eq!(kept, 5);
}

#[test]
fn a_file_trusting_another_ca_is_refused() {
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let node = Node::with_ca(&cfg);
    node.writer(&cfg).ensure(KubeconfigFile::Admin).unwrap();
    let other = Node::with_ca(&cfg);
    node.root
        .write("/etc/kubernetes/pki/ca.crt", &other.ca_pem(), 0o644)
        .unwrap();
    let err = node
        .writer(&cfg)
        .ensure(KubeconfigFile::Admin)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "a kubeconfig file \"/etc/kubernetes/admin.conf\" exists already but has got the wrong CA cert"
    );
}

#[test]
fn a_file_pointing_elsewhere_is_refused() {
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let node = Node::with_ca(&cfg);
    node.writer(&cfg).ensure(KubeconfigFile::Scheduler).unwrap();
    let moved = init_config(InitOverrides {
        advertise_address: Some("192.168.1.20".into()),
        ..Default::default()
    });
    let err = node
        .writer(&moved)
        .ensure(KubeconfigFile::Scheduler)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "a kubeconfig file \"/etc/kubernetes/scheduler.conf\" exists already but has an unexpected API Server URL: \
         expected: https://192.168.1.20:6443, got: https://192.168.1.10:6443"
    );
}

#[test]
fn a_file_that_is_not_a_kubeconfig_is_refused() {
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let node = Node::with_ca(&cfg);
    node.root
        .write("/etc/kubernetes/kubelet.conf", b"clusters: 7\n", 0o600)
        .unwrap();
    let err = node
        .writer(&cfg)
        .ensure(KubeconfigFile::Kubelet)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("kubeconfig file /etc/kubernetes/kubelet.conf is not valid: "),
        "{err}"
    );

    for text in [
        "just some text\n",
        "key: value\n",
        "",
        "- a\n- b\n",
        "{{{\n",
    ] {
        let err = Kubeconfig::parse(text).unwrap_err();
        assert!(err.starts_with("it is not a kubeconfig"), "{text:?}: {err}");
        assert!(!err.contains("current-context \"\""), "{err}");
    }
}

#[test]
fn external_ca_mode_uses_the_files_provided_and_creates_none() {
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let node = Node::with_ca(&cfg);
    node.writer(&cfg).ensure(KubeconfigFile::Admin).unwrap();
    std::fs::remove_file(node.root.resolve("/etc/kubernetes/pki/ca.key").unwrap()).unwrap();
    node.events.take();
    node.writer(&cfg).ensure(KubeconfigFile::Admin).unwrap();
    let said = node.events.take().iter().any(|e| {
        matches!(e, Event::Info { message } if message == "[kubeconfig] External CA mode: Using user provided admin.conf")
    });
    assert!(said);
    let err = node
        .writer(&cfg)
        .ensure(KubeconfigFile::Kubelet)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("external CA mode (/etc/kubernetes/pki/ca.key is absent): /etc/kubernetes/kubelet.conf must be provided"),
        "{err}"
    );
    assert_eq!(
        node.writer(&cfg)
            .pending_keys(&KubeconfigFile::ALL)
            .unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn without_a_ca_the_error_says_which_phase_makes_it() {
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let dir = tempfile::tempdir().unwrap();
    let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
    let pool = KeyPool::new();
    let err = KubeconfigWriter::new(&root, &cfg, &pool, "/etc/kubernetes")
        .ensure(KubeconfigFile::Admin)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "/etc/kubernetes/pki/ca.crt does not exist; run `kubeadm-rs init phase certs ca` first"
    );
}

#[test]
fn pending_keys_are_the_files_still_missing() {
    let cfg = init_config_with_algorithm("ECDSA-P256");
    let node = Node::with_ca(&cfg);
    node.writer(&cfg).ensure(KubeconfigFile::Admin).unwrap();
    let pending = node
        .writer(&cfg)
        .pending_keys(&KubeconfigFile::ALL)
        .unwrap();
    assert_eq!(
        pending,
        [
            "/etc/kubernetes/super-admin.conf",
            "/etc/kubernetes/kubelet.conf",
            "/etc/kubernetes/controller-manager.conf",
            "/etc/kubernetes/scheduler.conf",
        ]
    );
}

#[test]
fn a_cluster_info_kubeconfig_with_null_lists_parses() {
    let text = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Y2E=\n    server: https://10.0.0.5:6443\n  name: \"\"\ncontexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n";
    let kubeconfig = crate::kubeconfig::Kubeconfig::parse(text).unwrap();
    assert_eq!(
        kubeconfig.clusters[0].cluster.server,
        "https://10.0.0.5:6443"
    );
    assert_eq!(
        kubeconfig.clusters[0]
            .cluster
            .certificate_authority_data
            .as_deref(),
        Some(&b"ca"[..])
    );
    assert!(kubeconfig.contexts.is_empty() && kubeconfig.users.is_empty());
}

#[test]
fn a_user_with_certificate_files_round_trips() {
    let text = "apiVersion: v1\nclusters: []\ncontexts: []\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers:\n- name: system:node:node-a\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n";
    let kubeconfig = crate::kubeconfig::Kubeconfig::parse(text).unwrap();
    let user = &kubeconfig.users[0].user;
    assert_eq!(
        user.client_certificate.as_deref(),
        Some("/var/lib/kubelet/pki/kubelet-client-current.pem")
    );
    assert!(kubeconfig.to_yaml().contains(
        "    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
    ));
}
