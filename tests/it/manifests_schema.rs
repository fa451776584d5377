//! The static Pod manifests and the kubelet configuration that `init phase etcd`,
//! `init phase control-plane` and kubelet-start's library write, checked against the
//! Kubernetes 1.34 JSON schemas in strict mode (PyPI `kubernetes-validate`, offline),
//! for a default cluster, one with v1beta4 extras, one with external etcd and an IPv6 one.

use crate::common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use common::{run_err, run_ok, stdout};
use kubeadm_rs::config::{InitConfig, InitOverrides};
use kubeadm_rs::events::Events;
use kubeadm_rs::manifests::kubelet::instance_config;
use kubeadm_rs::manifests::{defaulted_kubelet_configuration, render_kubelet_config};
use kubeadm_rs_tests::{init_config, run_phases, schema_validator};

/// A node root on which the manifest phases ran for one configuration.
struct Node {
    dir: tempfile::TempDir,
    cfg: InitConfig,
}

impl Node {
    fn init(config: &str) -> Self {
        let cfg = init_config(Some(config), &InitOverrides::default());
        let node = Node {
            dir: tempfile::tempdir().expect("temp dir"),
            cfg,
        };
        for phase in ["etcd", "control-plane"] {
            node.run(phase);
        }
        node.write_kubelet_config();
        node
    }

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

    /// config.yaml as kubelet-start writes it (its systemd handling is not the subject here).
    fn write_kubelet_config(&self) {
        let kubelet = defaulted_kubelet_configuration(&self.cfg);
        let instance = instance_config(&self.cfg.init.node_registration.cri_socket);
        let yaml = render_kubelet_config(kubelet.config, None, Some(&instance), &Events::discard())
            .expect("kubelet config renders");
        let path = self.path("/var/lib/kubelet/config.yaml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, yaml).unwrap();
    }

    fn path(&self, node_path: &str) -> PathBuf {
        self.dir.path().join(node_path.trim_start_matches('/'))
    }

    fn manifests(&self) -> Vec<PathBuf> {
        let dir = self.path("/etc/kubernetes/manifests");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("manifest dir")
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    fn names(&self) -> Vec<String> {
        self.manifests()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    /// Runs the strict schema check over every manifest and config.yaml.
    fn check(&self) -> String {
        let out = run_ok(
            schema_validator()
                .args(self.manifests())
                .arg(self.path("/var/lib/kubelet/config.yaml")),
        );
        stdout(&out)
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

const BASE: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
                    localAPIEndpoint:\n  advertiseAddress: 10.0.0.5\nnodeRegistration:\n  name: node-a\n---\n";

#[test]
fn default_cluster_manifests_pass_the_strict_schema() {
    let node = Node::init(&format!(
        "{BASE}apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
    ));
    assert_eq!(
        node.names(),
        [
            "etcd.yaml",
            "kube-apiserver.yaml",
            "kube-controller-manager.yaml",
            "kube-scheduler.yaml"
        ]
    );
    for file in node.manifests() {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&node.path("/var/lib/etcd")), 0o700);
    let report = node.check();
    assert!(
        report.ends_with("4 passed, 0 failed, 1 skipped\n"),
        "{report}"
    );
    assert!(
        report.contains("SKIP") && report.contains("KubeletConfiguration"),
        "{report}"
    );
}

#[test]
fn manifests_with_v1beta4_extra_args_volumes_and_envs_pass_the_strict_schema() {
    let node = Node::init(&format!(
        "{BASE}apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
         networking:\n  podSubnet: 10.244.0.0/16\n\
         apiServer:\n  extraArgs:\n  - name: audit-log-path\n    value: /var/log/kubernetes/audit.log\n  \
         - name: v\n    value: \"2\"\n  - name: v\n    value: \"4\"\n  \
         extraVolumes:\n  - name: audit\n    hostPath: /var/log/kubernetes\n    mountPath: /var/log/kubernetes\n    \
         pathType: DirectoryOrCreate\n  extraEnvs:\n  - name: GOMAXPROCS\n    value: \"2\"\n\
         controllerManager:\n  extraArgs:\n  - name: bind-address\n    value: 0.0.0.0\n  \
         extraEnvs:\n  - name: POD_IP\n    valueFrom:\n      fieldRef:\n        fieldPath: status.podIP\n\
         scheduler:\n  extraVolumes:\n  - name: policy\n    hostPath: /etc/kubernetes/scheduler-policy.yaml\n    \
         mountPath: /etc/kubernetes/scheduler-policy.yaml\n    readOnly: true\n    pathType: File\n\
         etcd:\n  local:\n    extraArgs:\n    - name: quota-backend-bytes\n      value: \"8589934592\"\n    \
         extraEnvs:\n    - name: ETCD_UNSUPPORTED_ARCH\n      value: arm64\n"
    ));
    let api = std::fs::read_to_string(node.path("/etc/kubernetes/manifests/kube-apiserver.yaml"))
        .unwrap();
    for expected in [
        "--v=2",
        "--v=4",
        "--audit-log-path=/var/log/kubernetes/audit.log",
        "name: GOMAXPROCS",
        "name: audit",
    ] {
        assert!(api.contains(expected), "{expected} missing from:\n{api}");
    }
    let kcm = std::fs::read_to_string(
        node.path("/etc/kubernetes/manifests/kube-controller-manager.yaml"),
    )
    .unwrap();
    assert!(
        kcm.contains("fieldPath: status.podIP") && kcm.contains("--cluster-cidr=10.244.0.0/16"),
        "{kcm}"
    );
    let report = node.check();
    assert!(
        report.ends_with("4 passed, 0 failed, 1 skipped\n"),
        "{report}"
    );
}

#[test]
fn external_etcd_gets_no_etcd_manifest_and_the_rest_pass_the_strict_schema() {
    let node = Node::init(&format!(
        "{BASE}apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
         etcd:\n  external:\n    endpoints: [https://10.0.0.20:2379]\n    caFile: /etc/etcd/ca.crt\n    \
         certFile: /etc/etcd/client.crt\n    keyFile: /etc/etcd/client.key\n"
    ));
    assert_eq!(
        node.names(),
        [
            "kube-apiserver.yaml",
            "kube-controller-manager.yaml",
            "kube-scheduler.yaml"
        ]
    );
    assert!(!node.path("/var/lib/etcd").exists());
    let api = std::fs::read_to_string(node.path("/etc/kubernetes/manifests/kube-apiserver.yaml"))
        .unwrap();
    assert!(
        api.contains("--etcd-servers=https://10.0.0.20:2379") && api.contains("name: etcd-certs-0"),
        "{api}"
    );
    let report = node.check();
    assert!(
        report.ends_with("3 passed, 0 failed, 1 skipped\n"),
        "{report}"
    );
}

#[test]
fn ipv6_manifests_pass_the_strict_schema() {
    let config = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
                  localAPIEndpoint:\n  advertiseAddress: fd00::5\nnodeRegistration:\n  name: node-a\n---\n\
                  apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
                  networking:\n  serviceSubnet: fd00:10:96::/112\n  podSubnet: fd00:10:244::/56\n";
    let node = Node::init(config);
    let etcd = std::fs::read_to_string(node.path("/etc/kubernetes/manifests/etcd.yaml")).unwrap();
    assert!(
        etcd.contains("--listen-client-urls=https://[::1]:2379,https://[fd00::5]:2379"),
        "{etcd}"
    );
    let report = node.check();
    assert!(
        report.ends_with("4 passed, 0 failed, 1 skipped\n"),
        "{report}"
    );
}

/// The check is not vacuous: a manifest with a misspelt field fails it.
#[test]
fn the_strict_schema_check_rejects_a_misspelt_field() {
    let node = Node::init(&format!(
        "{BASE}apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
    ));
    let path = node.path("/etc/kubernetes/manifests/kube-scheduler.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replace("path: /livez", "pathh: /livez");
    assert_ne!(broken, text, "the scheduler's liveness probe is on /livez");
    std::fs::write(&path, broken).unwrap();
    let out = run_err(schema_validator().arg(&path));
    let report = stdout(&out);
    assert!(
        report.contains("Additional properties are not allowed ('pathh' was unexpected)"),
        "{report}"
    );
    assert!(
        report.ends_with("0 passed, 1 failed, 0 skipped\n"),
        "{report}"
    );
}
