//! Joining nodes end to end, across network namespaces: the first control plane is a real
//! `kubeadm-rs init` with the test control plane serving the control-plane endpoint, every
//! node runs the kubelet double (`test-kubelet`: TLS bootstrap, Node, static pods with the
//! real etcd), and kubectl, etcdctl and openssl judge the outcome from inside the nodes'
//! namespaces. Nothing is sent from the host namespace to a node address.

use crate::common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{openssl, tool};
use kubeadm_rs_tests::lab_cluster::{Binaries, LabCluster, init_config, ok, wait_for};
use kubeadm_rs_tests::netns::LabNode;
use serde_json::Value;

/// Generous bounds: several of these tests run at once on two cores.
const SETTLE: Duration = Duration::from_secs(60);
/// Where a Node keeps its CRI socket when the NodeLocalCRISocket feature gate is off.
const CRI_SOCKET_ANNOTATION: &str = "kubeadm.alpha.kubernetes.io/cri-socket";

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

    // A manifest taken away stops its double and its mirror pod goes.
    let scheduler = cp.file("/etc/kubernetes/manifests/kube-scheduler.yaml");
    std::fs::rename(&scheduler, cp.root().join("kube-scheduler.yaml")).unwrap();
    wait_for("the scheduler's mirror pod deleted", SETTLE, || {
        match c.kubectl_json(
            cp,
            &admin,
            &["get", "pod", "-n", "kube-system", "kube-scheduler-cp1"],
        ) {
            Err(e) if e.contains("NotFound") || e.contains("not found") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let livez = c
        .lab
        .exec(cp, "curl")
        .args(["-sSk", "--max-time", "5", "https://127.0.0.1:10259/livez"])
        .output()
        .unwrap();
    assert!(!livez.status.success(), "the scheduler double is closed");

    // SIGTERM stops the double and the etcd it runs.
    assert!(c.lab.stop("kubelet-cp1"), "{}", c.lab.log("kubelet-cp1"));
    assert_eq!(
        c.lab.pids(cp),
        vec![c.control_plane_pid as i32],
        "only the test control plane is left in cp1's namespace"
    );
}

/// `kubeadm-rs join <endpoint> --rootfs <root> --node-name <name>` inside the node's namespace.
fn join(c: &LabCluster, node: &LabNode) -> Command {
    let mut cmd = c.kubeadm(node);
    cmd.arg("join")
        .arg(&c.join.endpoint)
        .arg("--rootfs")
        .arg(node.root())
        .args(["--node-name", &node.name]);
    cmd
}

/// The discovery flags of the printed join command.
fn printed_token(c: &LabCluster) -> Vec<String> {
    let mut flags = vec!["--token".to_string(), c.join.token.clone()];
    for hash in &c.join.ca_hashes {
        flags.extend(["--discovery-token-ca-cert-hash".to_string(), hash.clone()]);
    }
    flags
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a joined node must show: the Node seen by the admin, kubelet.conf working as
/// `system:node:<name>`, no bootstrap-kubelet.conf, and the cluster's CA.
fn assert_joined(c: &LabCluster, node: &LabNode) {
    let admin = c.admin();
    let seen = wait_for("the Node, seen by the admin", SETTLE, || {
        c.kubectl_json(c.cp(), &admin, &["get", "node", &node.name])
    });
    assert_eq!(seen["metadata"]["name"], node.name.as_str());
    let as_node = c.kubeconfig_on_root(node, "/etc/kubernetes/kubelet.conf");
    let bindings = c
        .kubectl(node, &as_node, &["get", "clusterrolebindings"])
        .output()
        .unwrap();
    assert!(
        text(&bindings.stderr).contains(&format!("User \"system:node:{}\" cannot list", node.name)),
        "kubelet.conf authenticates as the node: {}",
        text(&bindings.stderr)
    );
    c.kubectl_json(node, &as_node, &["get", "node", &node.name])
        .unwrap_or_else(|e| panic!("kubelet.conf on {}: {e}", node.name));
    assert!(
        !node.file("/etc/kubernetes/bootstrap-kubelet.conf").exists(),
        "bootstrap-kubelet.conf is removed after the TLS bootstrap"
    );
    assert_eq!(
        std::fs::read(node.file("/etc/kubernetes/pki/ca.crt")).unwrap(),
        std::fs::read(c.cp().file("/etc/kubernetes/pki/ca.crt")).unwrap(),
        "the node trusts the cluster's CA"
    );
}

#[test]
fn a_worker_joins_with_the_printed_token_and_ca_pin() {
    let c = LabCluster::init(bins(), &["cp1", "w1"], "");
    let w = c.node("w1");
    c.start_kubelet(w, &[]);
    let out = ok(
        "kubeadm-rs join",
        join(&c, w)
            .args(printed_token(&c))
            .arg("--ignore-preflight-errors=all")
            .output()
            .unwrap(),
    );
    assert!(
        text(&out.stdout).contains("This node has joined the cluster"),
        "{}",
        text(&out.stdout)
    );
    assert_joined(&c, w);
    let flags = std::fs::read_to_string(w.file("/var/lib/kubelet/kubeadm-flags.env")).unwrap();
    assert!(flags.starts_with("KUBELET_KUBEADM_ARGS="), "{flags}");

    // The kubelet's /healthz (its config's address, in w1's namespace) answered before the
    // TLS bootstrap was waited for, as kubeadm's kubelet-start does.
    let err = text(&out.stderr);
    let at = |line: &str| {
        err.find(line)
            .unwrap_or_else(|| panic!("{line:?} missing from:\n{err}"))
    };
    let waiting = at(
        "[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to ",
    );
    let healthy = at("[kubelet-check] The kubelet is healthy after ");
    let bootstrap = at("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap");
    assert!(waiting < healthy && healthy < bootstrap, "{err}");
    // NodeLocalCRISocket is on by default: the socket is in the instance config, not on the Node.
    let node = c
        .kubectl_json(c.cp(), &c.admin(), &["get", "node", "w1"])
        .unwrap();
    assert!(
        node["metadata"]["annotations"][CRI_SOCKET_ANNOTATION].is_null(),
        "{node}"
    );
    assert!(w.file("/var/lib/kubelet/instance-config.yaml").is_file());
}

#[test]
fn without_node_local_cri_socket_init_and_join_annotate_their_nodes_with_the_cri_socket() {
    let c = LabCluster::init_with(bins(), &["cp1", "w1"], |cp| {
        let config = init_config(cp, "");
        let gates = "featureGates:\n  ControlPlaneKubeletLocalMode: false\n";
        assert!(config.contains(gates), "{config}");
        config.replace(gates, &format!("{gates}  NodeLocalCRISocket: false\n"))
    });
    let w = c.node("w1");
    c.start_kubelet(w, &[]);
    let socket = "unix:///run/crio/crio.sock";
    ok(
        "kubeadm-rs join",
        join(&c, w)
            .args(printed_token(&c))
            .args(["--cri-socket", socket])
            .arg("--ignore-preflight-errors=all")
            .output()
            .unwrap(),
    );
    assert_joined(&c, w);
    // Each Node carries the socket its kubelet was started with (kubeadm-flags.env, where the
    // socket goes without the gate).
    for node in [c.cp(), w] {
        let flags =
            std::fs::read_to_string(node.file("/var/lib/kubelet/kubeadm-flags.env")).unwrap();
        let endpoint = flags
            .split(['"', ' '])
            .find_map(|a| a.strip_prefix("--container-runtime-endpoint="))
            .unwrap_or_else(|| panic!("no --container-runtime-endpoint in {flags}"));
        let seen = c
            .kubectl_json(c.cp(), &c.admin(), &["get", "node", &node.name])
            .unwrap();
        assert_eq!(
            seen["metadata"]["annotations"][CRI_SOCKET_ANNOTATION], endpoint,
            "{}: {seen}",
            node.name
        );
        assert!(!node.file("/var/lib/kubelet/instance-config.yaml").exists());
    }
    assert!(
        std::fs::read_to_string(w.file("/var/lib/kubelet/kubeadm-flags.env"))
            .unwrap()
            .contains(&format!("--container-runtime-endpoint={socket}")),
        "the joined node's socket is the one given"
    );
}

#[test]
fn file_discovery_and_unsafe_skip_of_ca_verification_join_across_namespaces() {
    let c = LabCluster::init(bins(), &["cp1", "w1", "w2"], "");
    let (w1, w2) = (c.node("w1"), c.node("w2"));
    // The discovery file is cluster-info's kubeconfig, as an operator would copy it.
    let info = c
        .kubectl_json(
            c.cp(),
            &c.admin(),
            &["get", "configmap", "cluster-info", "-n", "kube-public"],
        )
        .unwrap();
    let discovery = w1.root().join("discovery.conf");
    write(
        &discovery,
        info["data"]["kubeconfig"].as_str().unwrap().as_bytes(),
    );
    c.start_kubelet(w1, &[]);
    ok(
        "join with --discovery-file",
        c.kubeadm(w1)
            .arg("join")
            .arg("--rootfs")
            .arg(w1.root())
            .args(["--node-name", "w1"])
            .arg("--discovery-file")
            .arg(&discovery)
            .args(["--tls-bootstrap-token", &c.join.token])
            .arg("--ignore-preflight-errors=all")
            .output()
            .unwrap(),
    );
    assert_joined(&c, w1);

    c.start_kubelet(w2, &[]);
    let out = ok(
        "join with --discovery-token-unsafe-skip-ca-verification",
        join(&c, w2)
            .args(["--token", &c.join.token])
            .arg("--discovery-token-unsafe-skip-ca-verification")
            .arg("--ignore-preflight-errors=all")
            .output()
            .unwrap(),
    );
    let warned = text(&out.stderr);
    assert!(
        warned.contains("--discovery-token-unsafe-skip-ca-verification")
            && warned.contains("not pinned"),
        "{warned}"
    );
    assert_joined(&c, w2);
}

/// `openssl x509 -ext subjectAltName` of a certificate.
fn sans(cert: &Path) -> String {
    openssl(&[
        "x509",
        "-in",
        cert.to_str().unwrap(),
        "-noout",
        "-ext",
        "subjectAltName",
    ])
}

fn verify(ca: &Path, cert: &Path) {
    let out = openssl(&[
        "verify",
        "-CAfile",
        ca.to_str().unwrap(),
        cert.to_str().unwrap(),
    ]);
    assert_eq!(out.trim(), format!("{}: OK", cert.display()));
}

#[test]
fn two_control_planes_join_with_the_certificate_key_and_etcd_has_three_voting_members() {
    let c = LabCluster::init(bins(), &["cp1", "cp2", "cp3"], "");
    let key = c
        .join
        .certificate_key
        .clone()
        .expect("init --upload-certs printed a certificate key");
    for name in ["cp2", "cp3"] {
        let node = c.node(name);
        c.start_kubelet(node, &[]);
        ok(
            &format!("join --control-plane on {name}"),
            join(&c, node)
                .args(printed_token(&c))
                .args(["--control-plane", "--certificate-key", &key])
                .arg(format!("--apiserver-advertise-address={}", node.address))
                .arg("--ignore-preflight-errors=all")
                .output()
                .unwrap(),
        );
        assert_joined(&c, node);
    }

    let endpoint = format!("https://{}:2379", c.cp().address);
    let out = ok(
        "etcdctl member list",
        etcdctl(&c, c.cp(), &endpoint, &["member", "list", "-w", "json"]),
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut members: Vec<(String, bool, usize)> = list["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or("").to_string(),
                m["isLearner"].as_bool().unwrap_or(false),
                m["clientURLs"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    members.sort();
    assert_eq!(
        members,
        [
            ("cp1".to_string(), false, 1),
            ("cp2".to_string(), false, 1),
            ("cp3".to_string(), false, 1)
        ],
        "three started voting members: {list}"
    );

    let cp1_pki = c.cp().file("/etc/kubernetes/pki");
    for name in ["cp2", "cp3"] {
        let node = c.node(name);
        let pki = node.file("/etc/kubernetes/pki");
        for ca in ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt", "sa.pub"] {
            assert_eq!(
                std::fs::read(pki.join(ca)).unwrap(),
                std::fs::read(cp1_pki.join(ca)).unwrap(),
                "{name} shares {ca}"
            );
        }
        verify(&pki.join("ca.crt"), &pki.join("apiserver.crt"));
        verify(&pki.join("etcd/ca.crt"), &pki.join("etcd/server.crt"));
        verify(&pki.join("etcd/ca.crt"), &pki.join("etcd/peer.crt"));
        let own_ip = format!("IP Address:{}", node.address);
        for cert in ["apiserver.crt", "etcd/server.crt", "etcd/peer.crt"] {
            let names = sans(&pki.join(cert));
            assert!(
                names.contains(&own_ip) && names.contains(&format!("DNS:{name}")),
                "{name}'s {cert} carries its own SANs: {names}"
            );
            // The apiserver certificate also names the control-plane endpoint (cp1's address).
            assert!(
                cert == "apiserver.crt"
                    || !names.contains(&format!("IP Address:{}", c.cp().address)),
                "{name}'s {cert} is its own, not cp1's: {names}"
            );
        }
    }
}

#[test]
fn joining_twice_stops_at_preflight_with_kubeadms_messages() {
    let c = LabCluster::init(bins(), &["cp1", "w1"], "");
    let w = c.node("w1");
    c.start_kubelet(w, &[]);
    ok(
        "the first join",
        join(&c, w)
            .args(printed_token(&c))
            .arg("--ignore-preflight-errors=all")
            .output()
            .unwrap(),
    );
    let kubelet_conf = std::fs::read(w.file("/etc/kubernetes/kubelet.conf")).unwrap();
    let again = join(&c, w).args(printed_token(&c)).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    let said = text(&again.stderr) + &text(&again.stdout);
    for check in [
        "[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists",
        "[ERROR FileAvailable--etc-kubernetes-pki-ca.crt]: /etc/kubernetes/pki/ca.crt already exists",
    ] {
        assert!(said.contains(check), "{check} in:\n{said}");
    }
    assert!(!said.contains("[kubelet-start]"), "{said}");
    assert_eq!(
        std::fs::read(w.file("/etc/kubernetes/kubelet.conf")).unwrap(),
        kubelet_conf
    );
}

#[test]
fn a_join_that_failed_at_discovery_converges_when_run_again() {
    let c = LabCluster::init(bins(), &["cp1", "w1"], "");
    let w = c.node("w1");
    c.start_kubelet(w, &[]);
    // A token the cluster does not know yet: cluster-info carries no signature for it.
    let token = "latery.0123456789abcdef";
    let config = w.root().join("join.yaml");
    write(
        &config,
        format!(
            "apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: {endpoint}
    token: {token}
    caCertHashes: [{hash}]
nodeRegistration:
  name: w1
timeouts:
  discovery: 3s
",
            endpoint = c.join.endpoint,
            hash = c.join.ca_hashes[0],
        )
        .as_bytes(),
    );
    let run = || {
        c.kubeadm(w)
            .arg("join")
            .arg("--rootfs")
            .arg(w.root())
            .arg("--config")
            .arg(&config)
            .arg("--ignore-preflight-errors=all")
            .output()
            .unwrap()
    };
    let failed = run();
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    assert!(
        !w.file("/etc/kubernetes/bootstrap-kubelet.conf").exists(),
        "nothing of the TLS bootstrap is written before discovery succeeds"
    );
    ok(
        "token create on cp1",
        c.kubeadm(c.cp())
            .args(["token", "create", token, "--kubeconfig"])
            .arg(c.admin())
            .output()
            .unwrap(),
    );
    ok("the join run again", run());
    assert_joined(&c, w);
}

#[test]
fn a_wrong_certificate_key_fails_with_one_clear_line_and_writes_no_certificates() {
    let c = LabCluster::init(bins(), &["cp1", "cp2"], "");
    let cp2 = c.node("cp2");
    let wrong = "0".repeat(64);
    let out = join(&c, cp2)
        .args(printed_token(&c))
        .args(["--control-plane", "--certificate-key", &wrong])
        .arg(format!("--apiserver-advertise-address={}", cp2.address))
        .arg("--ignore-preflight-errors=all")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = text(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    assert!(
        last.to_lowercase().contains("certificate key"),
        "the error names the certificate key: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for key in ["ca.key", "sa.key", "front-proxy-ca.key", "etcd/ca.key"] {
        assert!(
            !cp2.file(&format!("/etc/kubernetes/pki/{key}")).exists(),
            "{key} is not written by a failed download"
        );
    }
}

#[test]
fn a_dry_run_join_writes_nothing_on_the_node() {
    let c = LabCluster::init(bins(), &["cp1", "w1"], "");
    let w = c.node("w1");
    let before = common::tree(w.root());
    let out = join(&c, w)
        .args(printed_token(&c))
        .args(["--dry-run", "--ignore-preflight-errors=all"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(common::tree(w.root()), before);
    let nodes = c
        .kubectl_json(c.cp(), &c.admin(), &["get", "nodes"])
        .unwrap();
    assert_eq!(
        nodes["items"].as_array().unwrap().len(),
        1,
        "no Node for w1"
    );
}
