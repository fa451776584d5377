//! `kubeadm-rs join` from the command line: help and phase list pinned, bad flags and configs
//! refused with one line and nothing written, a dry run against the test control plane that
//! writes nothing on the node, and a worker join on loopback where the test plays the kubelet's
//! part (it writes kubelet.conf once bootstrap-kubelet.conf appears).

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{kubeadm, run_err, run_ok, stderr, stdout};
use kubeadm_rs_tests::NODE_NAME;
use kubeadm_rs_tests::cluster_fixture::{JoinCommand, Kubectl, Node};
use kubeadm_rs_tests::control_plane::Running;

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![(r"\b\d+(\.\d+)?(µs|ms|s)\b", "[DURATION]")]
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ filters => filters() }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn join_help_lists_kubeadms_phases_and_flags() {
    snapshot!(
        "join_help",
        stdout(&run_ok(kubeadm().args(["join", "--help"])))
    );
    snapshot!(
        "join_phase_help",
        stdout(&run_ok(kubeadm().args(["join", "phase", "--help"])))
    );
    snapshot!(
        "join_phase_kubelet_start_help",
        stdout(&run_ok(kubeadm().args([
            "join",
            "phase",
            "kubelet-start",
            "--help"
        ])))
    );
}

fn entries(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walk(dir) {
        out.push(e.strip_prefix(dir).unwrap().display().to_string());
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            out.push(p.clone());
            if p.is_dir() {
                out.extend(walk(&p));
            }
        }
    }
    out
}

#[test]
fn bad_flags_and_configs_are_one_line_exit_1_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let config = dir.path().join("join.yaml");
    let token = "abcdef.0123456789abcdef";
    // (arguments, config file text, what the error line must contain)
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["--token", token],
            None,
            "discovery.bootstrapToken.apiServerEndpoint",
        ),
        (
            &[
                "10.0.0.1:6443",
                "--token",
                "not-a-token",
                "--discovery-token-unsafe-skip-ca-verification",
            ],
            None,
            "discovery.bootstrapToken.token: the value is not a valid bootstrap token",
        ),
        (&["10.0.0.1:6443", "--token", token], None, "caCertHashes"),
        (
            &[
                "10.0.0.1:6443",
                "--token",
                token,
                "--discovery-token-ca-cert-hash",
                "sha256:abc",
            ],
            None,
            "sha256:abc",
        ),
        (
            &[
                "10.0.0.1:6443",
                "--token",
                token,
                "--discovery-token-unsafe-skip-ca-verification",
                "--skip-phases",
                "kubelet-stop",
            ],
            None,
            "invalid phase name: kubelet-stop",
        ),
        (
            &["--config", "CONFIG", "--token", token],
            Some("apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"),
            "can not mix '--config' with arguments [token]",
        ),
        (
            &["--config", "CONFIG"],
            Some(
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    apiServerEndpoint: 10.0.0.1:6443\n    unsafeSkipCAVerification: true\n  tlsBootstrapTokn: x\n",
            ),
            "tlsBootstrapTokn",
        ),
        (
            &["--config", "CONFIG"],
            Some("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"),
            "no JoinConfiguration found",
        ),
    ];
    for (args, text, expected) in cases {
        if let Some(text) = text {
            std::fs::write(&config, text).unwrap();
        }
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if *a == "CONFIG" {
                    config.display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let out = run_err(kubeadm().arg("join").args(&args).arg("--rootfs").arg(&root));
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        let line = err
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{args:?}: no error line in {err}"));
        assert!(line.contains(expected), "{args:?}: {line}");
        assert!(
            !err.contains("0123456789abcdef"),
            "the token secret is never printed: {err}"
        );
        assert_eq!(
            entries(&root),
            Vec::<String>::new(),
            "{args:?} wrote something"
        );
    }
}

/// A cluster after `kubeadm-rs init` on the test control plane, and the join command it printed.
struct Cluster {
    node: Node,
    _cp: Running,
    join: JoinCommand,
    k: Kubectl,
}

impl Cluster {
    fn start() -> Cluster {
        Self::start_with(&[])
    }

    /// `init` with `extra` flags; `join` is the control-plane command when certificates were
    /// uploaded, else the worker's.
    fn start_with(extra: &[&str]) -> Cluster {
        let mut node = Node::prepare();
        let cp = node.start_control_plane();
        let out = run_ok(
            kubeadm()
                .arg("init")
                .arg("--rootfs")
                .arg(node.path())
                .arg("--config")
                .arg(node.config_path())
                .arg("--ignore-preflight-errors=all")
                .args(extra),
        );
        let control_plane = extra.contains(&"--upload-certs");
        let join = JoinCommand::all_in(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .find(|j| j.control_plane == control_plane)
            .expect("init prints the join command");
        Cluster {
            node,
            _cp: cp,
            join,
            k: Kubectl::new(),
        }
    }

    /// A JoinConfiguration for the printed command, with short timeouts for the tests.
    fn config(&self, dir: &Path, node_name: &str) -> PathBuf {
        let pins: Vec<String> = self
            .join
            .ca_hashes
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect();
        let path = dir.join(format!("join-{node_name}.yaml"));
        std::fs::write(
            &path,
            format!(
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n\
                 nodeRegistration:\n  name: {node_name}\n  criSocket: unix:///run/containerd/containerd.sock\n\
                 discovery:\n  bootstrapToken:\n    token: {token}\n    apiServerEndpoint: {endpoint}\n    caCertHashes: [{pins}]\n\
                 timeouts:\n  discovery: 20s\n  tlsBootstrap: 30s\n  kubernetesAPICall: 10s\n",
                token = self.join.token,
                endpoint = self.join.endpoint,
                pins = pins.join(", "),
            ),
        )
        .unwrap();
        path
    }
}

fn join_with_config(config: &Path, root: &Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = kubeadm();
    cmd.arg("join")
        .arg("--config")
        .arg(config)
        .arg("--rootfs")
        .arg(root)
        .arg("--ignore-preflight-errors=all")
        .args(extra);
    cmd
}

#[test]
fn dry_run_discovers_the_cluster_and_writes_nothing_on_the_node() {
    let c = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("worker");
    std::fs::create_dir(&root).unwrap();
    let config = c.config(dir.path(), "worker-dry");
    let out = run_ok(&mut join_with_config(&config, &root, &["--dry-run"]));
    assert_eq!(
        entries(&root),
        Vec::<String>::new(),
        "dry-run wrote on the node"
    );
    let err = stderr(&out);
    for line in [
        "[preflight] Reading configuration from the \"kubeadm-config\" ConfigMap",
        "[kubelet-start] Writing kubelet configuration to file \"/var/lib/kubelet/config.yaml\"",
        "/etc/kubernetes/bootstrap-kubelet.conf (0600",
        "/etc/kubernetes/pki/ca.crt (0644",
        "[kubelet-start] Would start the kubelet",
        "[kubelet-wait] Would wait for the kubelet to be bootstrapped",
    ] {
        assert!(err.contains(line), "{line:?} missing from:\n{err}");
    }
    assert!(
        !err.contains(c.join.token_secret()),
        "the token secret is not printed"
    );
    // The dry-run directory holds what the node would get.
    let kept = err
        .lines()
        .find_map(|l| l.split("to the \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the dry-run directory is named");
    let kept = Path::new(kept);
    assert!(kept.join("etc/kubernetes/bootstrap-kubelet.conf").is_file());
    assert_eq!(
        std::fs::read(kept.join("etc/kubernetes/pki/ca.crt")).unwrap(),
        std::fs::read(c.node.ca()).unwrap()
    );
    std::fs::remove_dir_all(kept).unwrap();
}

/// Plays the kubelet: waits for bootstrap-kubelet.conf, checks the bootstrap credentials read
/// the cluster's configuration, then writes kubelet.conf (a copy of the bootstrap kubeconfig
/// stands in for the credentials the real kubelet would get from its CSR).
fn play_kubelet(root: PathBuf) -> std::thread::JoinHandle<Result<String, String>> {
    let bootstrap = root.join("etc/kubernetes/bootstrap-kubelet.conf");
    let kubelet_conf = root.join("etc/kubernetes/kubelet.conf");
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !bootstrap.is_file() {
            if Instant::now() > deadline {
                return Err("bootstrap-kubelet.conf never appeared".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The file is written atomically (renamed into place), so it is whole once it is there.
        let text = std::fs::read_to_string(&bootstrap).map_err(|e| e.to_string())?;
        std::fs::write(&kubelet_conf, &text).map_err(|e| e.to_string())?;
        Ok(text)
    })
}

#[test]
fn a_worker_joins_on_loopback_and_leaves_no_bootstrap_credentials() {
    let c = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("worker");
    std::fs::create_dir(&root).unwrap();
    let config = c.config(dir.path(), "worker-1");
    let kubelet = play_kubelet(root.clone());
    let out = join_with_config(&config, &root, &[]).output().unwrap();
    let bootstrap_text = kubelet.join().unwrap().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("This node has joined the cluster:"),
        "{}",
        stdout(&out)
    );
    // The bootstrap credentials read what the RBAC init created allows, as kubectl shows.
    let bootstrap = dir.path().join("bootstrap.conf");
    std::fs::write(&bootstrap, &bootstrap_text).unwrap();
    let cm =
        c.k.json(
            &bootstrap,
            &["get", "configmap", "kubeadm-config", "-n", "kube-system"],
        )
        .expect("the bootstrap token reads kubeadm-config");
    assert!(cm["data"]["ClusterConfiguration"].is_string());
    assert!(bootstrap_text.contains("tls-bootstrap-token-user"));

    let file = |p: &str| root.join(p.trim_start_matches('/'));
    assert!(
        !file("/etc/kubernetes/bootstrap-kubelet.conf").exists(),
        "bootstrap credentials removed"
    );
    assert_eq!(
        std::fs::read(file("/etc/kubernetes/pki/ca.crt")).unwrap(),
        std::fs::read(c.node.ca()).unwrap(),
        "the CA file is the cluster's"
    );
    let kubelet_config = std::fs::read_to_string(file("/var/lib/kubelet/config.yaml")).unwrap();
    assert!(
        kubelet_config.contains("kind: KubeletConfiguration"),
        "{kubelet_config}"
    );
    let flags = std::fs::read_to_string(file("/var/lib/kubelet/kubeadm-flags.env")).unwrap();
    assert!(flags.starts_with("KUBELET_KUBEADM_ARGS=\""), "{flags}");
    assert!(flags.contains("--hostname-override=worker-1"), "{flags}");

    // Joining again stops at preflight: the kubelet's kubeconfig is there.
    let again = run_err(
        kubeadm()
            .arg("join")
            .arg("--config")
            .arg(&config)
            .arg("--rootfs")
            .arg(&root),
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("[ERROR FileAvailable--etc-kubernetes-kubelet.conf]"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_kubelet_that_never_answers_its_healthz_fails_the_join_before_the_tls_bootstrap_wait() {
    let c = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("worker");
    std::fs::create_dir(&root).unwrap();
    // A loopback port nobody listens on, given to the kubelet by a patch: the wait reads the
    // configuration the kubelet got, not the cluster's.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let patches = dir.path().join("patches");
    std::fs::create_dir(&patches).unwrap();
    std::fs::write(
        patches.join("kubeletconfiguration+merge.yaml"),
        format!("healthzPort: {port}\n"),
    )
    .unwrap();
    let config = c.config(dir.path(), "worker-silent");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}  kubeletHealthCheck: 1s\npatches:\n  directory: {}\n",
            patches.display()
        ),
    )
    .unwrap();
    let out = run_err(&mut join_with_config(&config, &root, &[]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:{port}/healthz. This can take up to 1s"
        )),
        "{err}"
    );
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(
        line.starts_with(
            "error: phase kubelet-wait-bootstrap: the kubelet is not healthy after 1s: "
        ),
        "{line}"
    );
    assert!(
        !err.contains("Waiting for the kubelet to perform the TLS Bootstrap"),
        "{err}"
    );
    let kubelet_config = std::fs::read_to_string(root.join("var/lib/kubelet/config.yaml")).unwrap();
    assert!(
        kubelet_config.contains(&format!("healthzPort: {port}")),
        "{kubelet_config}"
    );
    assert!(
        !root.join("etc/kubernetes/bootstrap-kubelet.conf").exists(),
        "the bootstrap token leaves the disk when the join fails too"
    );
}

#[test]
fn a_name_a_ready_node_already_has_is_refused_before_the_kubelet_is_touched() {
    let c = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("worker");
    std::fs::create_dir(&root).unwrap();
    let config = c.config(dir.path(), NODE_NAME);
    let out = run_err(&mut join_with_config(&config, &root, &[]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "a Node with name \"{NODE_NAME}\" and status \"Ready\" already exists in the cluster"
        )),
        "{err}"
    );
    assert!(!root.join("var/lib/kubelet/config.yaml").exists());
}

#[test]
fn a_control_plane_dry_run_downloads_the_shared_certificates_and_writes_nothing_on_the_node() {
    let c = Cluster::start_with(&["--upload-certs"]);
    let key = c
        .join
        .certificate_key
        .clone()
        .expect("init printed the certificate key");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cp2");
    std::fs::create_dir(&root).unwrap();
    let config = |key: &str| {
        let path = c.config(dir.path(), "cp-2");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            format!("{text}controlPlane:\n  localAPIEndpoint:\n    advertiseAddress: 10.0.0.6\n  certificateKey: {key}\n"),
        )
        .unwrap();
        path
    };
    let out = run_ok(&mut join_with_config(&config(&key), &root, &["--dry-run"]));
    assert_eq!(
        entries(&root),
        Vec::<String>::new(),
        "dry-run wrote on the node"
    );
    let err = stderr(&out);
    for line in [
        "[download-certs] Downloading the certificates in Secret \"kubeadm-certs\"",
        "[check-etcd] Would check that the etcd cluster is healthy",
        "[dryrun] Would add etcd member cp-2 at https://10.0.0.6:2380 as a learner",
        "[mark-control-plane] Marking the node cp-2 as control-plane",
    ] {
        assert!(err.contains(line), "{line:?} missing from:\n{err}");
    }
    assert!(!err.contains(&key), "the certificate key is not printed");
    assert!(stdout(&out).contains("a new control plane instance was created"));
    let kept = err
        .lines()
        .find_map(|l| l.split("to the \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(PathBuf::from)
        .expect("the dry-run directory is named");
    let pki = kept.join("etc/kubernetes/pki");
    // The shared CA came from the Secret, byte for byte; this node's leaves are its own.
    for shared in [
        "ca.crt",
        "ca.key",
        "sa.key",
        "front-proxy-ca.key",
        "etcd/ca.key",
    ] {
        assert_eq!(
            std::fs::read(pki.join(shared)).unwrap(),
            std::fs::read(c.node.pki().join(shared)).unwrap(),
            "{shared}"
        );
    }
    let san = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(pki.join("apiserver.crt"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&san.stdout).contains("IP Address:10.0.0.6"));
    let verify = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(c.node.ca())
        .arg(pki.join("apiserver.crt"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    for file in [
        "etc/kubernetes/admin.conf",
        "etc/kubernetes/controller-manager.conf",
        "etc/kubernetes/scheduler.conf",
        "etc/kubernetes/manifests/kube-apiserver.yaml",
        "etc/kubernetes/manifests/etcd.yaml",
    ] {
        assert!(kept.join(file).is_file(), "{file}");
    }
    std::fs::remove_dir_all(&kept).unwrap();

    // A key that does not open the Secret: one line, exit 1, nothing on the node.
    let wrong = "0".repeat(64);
    let out = run_err(&mut join_with_config(
        &config(&wrong),
        &root,
        &["--dry-run"],
    ));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(
        line.starts_with("error: phase control-plane-prepare/download-certs: ")
            && line.contains("certificate key"),
        "{line}"
    );
    assert_eq!(entries(&root), Vec::<String>::new());
    if let Some(dir) = err.lines().find_map(|l| l.split("to the \"").nth(1)) {
        let _ = std::fs::remove_dir_all(dir.split('"').next().unwrap());
    }
}
