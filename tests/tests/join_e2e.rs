//! Joining nodes end to end, across network namespaces: the first control plane is a real
//! `kubeadm-rs init` with the test control plane serving the control-plane endpoint, every
//! node runs the kubelet double (`test-kubelet`: TLS bootstrap, Node, static pods with the
//! real etcd), and kubectl, etcdctl and openssl judge the outcome from inside the nodes'
//! namespaces. Nothing is sent from the host namespace to a node address.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{openssl, tool};
use kubeadm_rs_tests::lab_cluster::{Binaries, LabCluster, ok, wait_for};
use kubeadm_rs_tests::netns::LabNode;
use serde_json::Value;

/// Generous bounds: several of these tests run at once on two cores.
const SETTLE: Duration = Duration::from_secs(60);

fn bins() -> Binaries {
    tool("ip");
    tool("etcd");
    tool("etcdctl");
    tool("kubectl");
    Binaries {
        kubeadm: env!("CARGO_BIN_EXE_kubeadm-rs-cli").into(),
        kubelet: env!("CARGO_BIN_EXE_test-kubelet").into(),
        control_plane: env!("CARGO_BIN_EXE_test-control-plane").into(),
    }
}

/// `etcdctl <args>` from inside `node`'s namespace against `endpoint`, with the first control
/// plane's healthcheck client certificate.
fn etcdctl(c: &LabCluster, node: &LabNode, endpoint: &str, args: &[&str]) -> std::process::Output {
    let pki = c.cp().file("/etc/kubernetes/pki/etcd");
    c.lab
        .exec(node, "etcdctl")
        .arg(format!("--endpoints={endpoint}"))
        .args(["--dial-timeout=2s", "--command-timeout=5s"])
        .arg(format!("--cacert={}", pki.join("ca.crt").display()))
        .arg(format!(
            "--cert={}",
            pki.join("healthcheck-client.crt").display()
        ))
        .arg(format!(
            "--key={}",
            pki.join("healthcheck-client.key").display()
        ))
        .args(args)
        .output()
        .expect("etcdctl runs")
}

/// `bootstrap-kubelet.conf` as kubeadm's kubelet-start writes it: the discovered cluster and
/// the bootstrap token as the `tls-bootstrap-token-user`.
fn bootstrap_kubeconfig(server: &str, ca_pem: &[u8], token: &str) -> String {
    format!(
        "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: tls-bootstrap-token-user
  name: tls-bootstrap-token-user@kubernetes
current-context: tls-bootstrap-token-user@kubernetes
kind: Config
users:
- name: tls-bootstrap-token-user
  user:
    token: {token}
",
        ca = STANDARD.encode(ca_pem)
    )
}

const WORKER_KUBELET_CONFIG: &str = "apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
healthzBindAddress: 127.0.0.1
healthzPort: 10248
staticPodPath: /etc/kubernetes/manifests
";

fn write(path: &Path, text: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_kubelet_double_bootstraps_registers_its_node_and_runs_etcd_from_the_init_manifest() {
    let c = LabCluster::init(bins(), &["cp1", "w1"], "");
    let cp = c.cp();
    let admin = c.admin();
    let endpoint = format!("https://{}:2379", cp.address);

    // cp1: the real etcd from init's manifest, and a mirror pod per static pod.
    let health = wait_for("etcd on cp1 healthy", SETTLE, || {
        let out = etcdctl(&c, cp, &endpoint, &["endpoint", "health"]);
        out.status
            .success()
            .then_some(out)
            .ok_or_else(|| c.lab.log("kubelet-cp1"))
    });
    assert!(
        String::from_utf8_lossy(&health.stderr).contains(&format!("{endpoint} is healthy")),
        "{health:?}"
    );
    let etcd_pod = wait_for("the etcd mirror pod", SETTLE, || {
        c.kubectl_json(cp, &admin, &["get", "pod", "-n", "kube-system", "etcd-cp1"])
    });
    assert_eq!(
        etcd_pod["metadata"]["annotations"]["kubeadm.kubernetes.io/etcd.advertise-client-urls"],
        endpoint.as_str()
    );
    assert_eq!(etcd_pod["metadata"]["labels"]["component"], "etcd");
    assert_eq!(etcd_pod["metadata"]["labels"]["tier"], "control-plane");
    assert_eq!(etcd_pod["spec"]["nodeName"], "cp1");
    assert_eq!(etcd_pod["status"]["phase"], "Running");
    for pod in [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
    ] {
        c.kubectl_json(
            cp,
            &admin,
            &["get", "pod", "-n", "kube-system", &format!("{pod}-cp1")],
        )
        .unwrap_or_else(|e| panic!("mirror pod {pod}-cp1: {e}"));
    }

    // w1: a TLS bootstrap with the token init printed, from files the test writes as
    // kubeadm's kubelet-start would.
    let w = c.node("w1");
    let ca = std::fs::read(cp.file("/etc/kubernetes/pki/ca.crt")).unwrap();
    write(&w.file("/etc/kubernetes/pki/ca.crt"), &ca);
    write(
        &w.file("/etc/kubernetes/bootstrap-kubelet.conf"),
        bootstrap_kubeconfig(&format!("https://{}:6443", cp.address), &ca, &c.join.token)
            .as_bytes(),
    );
    write(
        &w.file("/var/lib/kubelet/config.yaml"),
        WORKER_KUBELET_CONFIG.as_bytes(),
    );
    c.start_kubelet(w, &[]);
    let node = wait_for("w1 registered with its own certificate", SETTLE, || {
        if !w.file("/etc/kubernetes/kubelet.conf").exists() {
            return Err(c.lab.log("kubelet-w1"));
        }
        let as_node = c.kubeconfig_on_root(w, "/etc/kubernetes/kubelet.conf");
        c.kubectl_json(w, &as_node, &["get", "node", "w1"])
    });
    let ready = node["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(ready["status"], "True", "{node}");

    // kubelet.conf names the rotating certificate file, as the kubelet writes it.
    let kubelet_conf = std::fs::read_to_string(w.file("/etc/kubernetes/kubelet.conf")).unwrap();
    assert!(
        kubelet_conf
            .contains("client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem")
            && kubelet_conf.contains("client-key: /var/lib/kubelet/pki/kubelet-client-current.pem"),
        "{kubelet_conf}"
    );
    let pem = w.file("/var/lib/kubelet/pki/kubelet-client-current.pem");
    assert_eq!(
        std::fs::metadata(&pem).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let pem = pem.display().to_string();
    let subject = openssl(&[
        "x509", "-in", &pem, "-noout", "-subject", "-nameopt", "RFC2253",
    ]);
    assert_eq!(subject.trim(), "subject=CN=system:node:w1,O=system:nodes");
    let ca_file = w.file("/etc/kubernetes/pki/ca.crt").display().to_string();
    let verified = openssl(&["verify", "-purpose", "sslclient", "-CAfile", &ca_file, &pem]);
    assert_eq!(verified.trim(), format!("{pem}: OK"));
    let key_matches = openssl(&["pkey", "-in", &pem, "-pubout"])
        == openssl(&["x509", "-in", &pem, "-noout", "-pubkey"]);
    assert!(key_matches, "the file holds the certificate's own key");

    // The node identity is a node's, not more.
    let as_node = c.kubeconfig_on_root(w, "/etc/kubernetes/kubelet.conf");
    let bindings = c
        .kubectl(w, &as_node, &["get", "clusterrolebindings"])
        .output()
        .unwrap();
    assert!(!bindings.status.success());
    assert!(
        String::from_utf8_lossy(&bindings.stderr).contains("User \"system:node:w1\" cannot list"),
        "{}",
        String::from_utf8_lossy(&bindings.stderr)
    );
    let nodes = c.kubectl_json(cp, &admin, &["get", "nodes"]).unwrap();
    let names: Vec<&str> = nodes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["cp1", "w1"]);
    let healthz = ok(
        "the kubelet's healthz on w1",
        c.lab
            .exec(w, "curl")
            .args(["-sS", "--max-time", "5", "http://127.0.0.1:10248/healthz"])
            .output()
            .unwrap(),
    );
    assert_eq!(String::from_utf8_lossy(&healthz.stdout), "ok");

    // SIGTERM stops the double and the etcd it runs.
    assert!(c.lab.stop("kubelet-cp1"), "{}", c.lab.log("kubelet-cp1"));
    assert_eq!(
        c.lab.pids(cp),
        vec![c.control_plane_pid as i32],
        "only the test control plane is left in cp1's namespace"
    );
}
