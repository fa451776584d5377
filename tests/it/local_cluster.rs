//! A whole cluster on this machine (`scripts/local-cluster.sh`, `tests/src/local_cluster.rs`):
//! 3 control planes on a real 3-member etcd and 20 workers come up, shrink and regrow; joins
//! survive an unreachable endpoint, a dead etcd member and a killed join; the script brings a
//! small cluster up and takes it down without a trace. kubectl, etcdctl and openssl judge, from
//! inside the nodes' namespaces. Every cluster has its own prefix and is taken down by a guard,
//! also when a test fails.

use crate::common::{openssl, stderr, stdout, tool};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kubeadm_rs_tests::lab_cluster::{Binaries, wait_for};
use kubeadm_rs_tests::local_cluster::{LocalCluster, Plan, SETTLE};
use kubeadm_rs_tests::netns::{LabNode, namespaces};
use rustix::process::Signal;

fn bins() -> Binaries {
    for t in ["ip", "etcd", "etcdctl", "kubectl", "openssl"] {
        tool(t);
    }
    Binaries {
        kubeadm: env!("CARGO_BIN_EXE_kubeadm-rs-cli").into(),
        kubelet: env!("CARGO_BIN_EXE_test-kubelet").into(),
        control_plane: env!("CARGO_BIN_EXE_test-control-plane").into(),
    }
}

/// A prefix no other test (or test process) uses.
fn prefix(tag: &str) -> String {
    format!("lc{}{tag}", std::process::id())
}

/// A cluster that is taken down (`down`) when the test ends, however it ends.
struct Running {
    cluster: Option<LocalCluster>,
    _dir: tempfile::TempDir,
}

impl Running {
    fn plan(tag: &str, control_planes: usize, workers: usize) -> (Plan, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a state directory");
        let plan = Plan {
            prefix: prefix(tag),
            state_dir: dir.path().join("state"),
            control_planes,
            workers,
            bins: bins(),
        };
        (plan, dir)
    }

    /// `up`: every node joined.
    fn up(tag: &str, control_planes: usize, workers: usize) -> Running {
        let (plan, dir) = Running::plan(tag, control_planes, workers);
        Running::guard(dir, &plan, LocalCluster::up(&plan).map(|(c, _)| c))
    }

    /// cp1 initialised, nobody joined.
    fn init(tag: &str, control_planes: usize, workers: usize) -> Running {
        let (plan, dir) = Running::plan(tag, control_planes, workers);
        Running::guard(dir, &plan, LocalCluster::init(&plan).map(|(c, _)| c))
    }

    fn guard(dir: tempfile::TempDir, plan: &Plan, made: Result<LocalCluster, String>) -> Running {
        match made {
            Ok(cluster) => Running {
                cluster: Some(cluster),
                _dir: dir,
            },
            Err(e) => {
                // What was built before the failure is taken down too.
                if let Ok(cluster) = LocalCluster::open(&plan.state_dir, plan.bins.clone()) {
                    let _ = cluster.down();
                }
                panic!("{e}")
            }
        }
    }
}

impl std::ops::Deref for Running {
    type Target = LocalCluster;
    fn deref(&self) -> &LocalCluster {
        self.cluster.as_ref().expect("the cluster is up")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(cluster) = self.cluster.take()
            && let Err(e) = cluster.down()
        {
            eprintln!("down: {e}");
        }
    }
}

fn names(prefix: &str, count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("{prefix}{i}")).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// kubelet.conf works with kubectl inside the node's namespace, as `system:node:<name>` and
/// nothing more.
fn assert_node_identity(cluster: &LocalCluster, node: &LabNode) {
    let c = &cluster.c;
    let as_node = c.kubeconfig_on_root(node, "/etc/kubernetes/kubelet.conf");
    let seen = c
        .kubectl_json(node, &as_node, &["get", "node", &node.name])
        .unwrap_or_else(|e| panic!("kubectl with {}'s kubelet.conf: {e}", node.name));
    assert_eq!(seen["metadata"]["name"], node.name.as_str());
    let denied = c
        .kubectl(node, &as_node, &["get", "clusterrolebindings"])
        .output()
        .unwrap();
    assert!(
        stderr(&denied).contains(&format!("User \"system:node:{}\" cannot list", node.name)),
        "{}'s kubelet.conf authenticates as its node: {}",
        node.name,
        stderr(&denied)
    );
}

/// Every certificate of the node verifies with openssl against the cluster's CAs (cp1's), and
/// the kubelet's client certificate names the node.
fn assert_certificates(cluster: &LocalCluster, node: &LabNode) {
    let cluster_pki = cluster.c.cp().file("/etc/kubernetes/pki");
    let pki = node.file("/etc/kubernetes/pki");
    assert_eq!(
        std::fs::read(pki.join("ca.crt")).unwrap(),
        std::fs::read(cluster_pki.join("ca.crt")).unwrap(),
        "{} trusts the cluster's CA",
        node.name
    );
    let held = tempfile::tempdir().unwrap();
    let kubelet = kubelet_client_certificate(node, held.path());
    let mut by_ca: Vec<(PathBuf, Vec<PathBuf>)> =
        vec![(cluster_pki.join("ca.crt"), vec![kubelet.clone()])];
    if node.name.starts_with("cp") {
        by_ca[0]
            .1
            .extend(["apiserver.crt", "apiserver-kubelet-client.crt"].map(|c| pki.join(c)));
        by_ca.push((
            cluster_pki.join("etcd/ca.crt"),
            [
                "etcd/server.crt",
                "etcd/peer.crt",
                "etcd/healthcheck-client.crt",
                "apiserver-etcd-client.crt",
            ]
            .map(|c| pki.join(c))
            .to_vec(),
        ));
        by_ca.push((
            cluster_pki.join("front-proxy-ca.crt"),
            vec![pki.join("front-proxy-client.crt")],
        ));
    }
    for (ca, certs) in &by_ca {
        let mut args = vec![
            "verify".to_string(),
            "-CAfile".into(),
            ca.display().to_string(),
        ];
        args.extend(certs.iter().map(|c| c.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let verified = openssl(&args);
        let expected: Vec<String> = certs
            .iter()
            .map(|c| format!("{}: OK", c.display()))
            .collect();
        assert_eq!(
            verified.lines().collect::<Vec<_>>(),
            expected,
            "{}",
            node.name
        );
    }
    let subject = openssl(&[
        "x509",
        "-in",
        kubelet.to_str().unwrap(),
        "-noout",
        "-subject",
        "-nameopt",
        "RFC2253",
    ]);
    assert_eq!(
        subject.trim(),
        format!("subject=CN=system:node:{},O=system:nodes", node.name)
    );
}

/// The client certificate the node's kubelet.conf names: a joined node's points at the file the
/// TLS bootstrap wrote; the init node's has it embedded (kubeadm's kubelet-finalize only points
/// it at `kubelet-client-current.pem` once the kubelet has rotated one), copied into `held`.
fn kubelet_client_certificate(node: &LabNode, held: &Path) -> PathBuf {
    let conf = std::fs::read_to_string(node.file("/etc/kubernetes/kubelet.conf")).unwrap();
    let value = |key: &str| {
        conf.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|v| v.trim().to_string())
    };
    if let Some(path) = value("client-certificate:") {
        return node.file(&path);
    }
    let data = value("client-certificate-data:")
        .unwrap_or_else(|| panic!("{}'s kubelet.conf names no client certificate", node.name));
    let pem = STANDARD.decode(data).unwrap();
    let path = held.join("kubelet-client.crt");
    std::fs::write(&path, pem).unwrap();
    path
}

/// Runs `check` on every node at once (kubectl and openssl are processes; two cores wait on
/// them better in parallel).
fn each_node(cluster: &LocalCluster, nodes: &[String], check: fn(&LocalCluster, &LabNode)) {
    std::thread::scope(|scope| {
        for name in nodes {
            let node = cluster.c.node(name);
            scope.spawn(move || check(cluster, node));
        }
    });
}

#[test]
fn three_control_planes_and_twenty_workers_come_up_shrink_and_regrow() {
    let cluster = Running::up("a", 3, 20);
    let control_planes = names("cp", 3);
    let workers = names("w", 20);
    let all: Vec<String> = control_planes.iter().chain(&workers).cloned().collect();

    let status = cluster.status().unwrap();
    assert_eq!(status.node_names(), sorted(all.clone()));
    assert_eq!(
        (status.ready, status.total),
        (23, 23),
        "{}",
        status.nodes_table
    );
    assert_eq!(
        status.member_names(),
        control_planes,
        "{}",
        status.members_table
    );
    let members = status.members["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "no learner or unstarted member left");
    assert!(
        members
            .iter()
            .all(|m| !m["isLearner"].as_bool().unwrap_or(false)),
        "{}",
        status.members
    );
    each_node(&cluster, &all, assert_node_identity);
    each_node(&cluster, &all, assert_certificates);

    // Shrink: one control plane and five workers reset; their Nodes deleted as kubeadm's
    // documentation has the operator do (reset leaves the Node object).
    let gone: Vec<String> = std::iter::once("cp3".to_string())
        .chain(names("w", 20).into_iter().skip(15))
        .collect();
    std::thread::scope(|scope| {
        for name in &gone {
            let cluster = &cluster;
            scope.spawn(move || cluster.reset(name).unwrap_or_else(|e| panic!("{e}")));
        }
    });
    for name in &gone {
        cluster.delete_node(name).unwrap();
        let node = cluster.c.node(name);
        for left in ["/etc/kubernetes/kubelet.conf", "/etc/kubernetes/pki/ca.crt"] {
            assert!(!node.file(left).exists(), "reset removed {left} on {name}");
        }
    }
    let kept: Vec<String> = all.iter().filter(|n| !gone.contains(n)).cloned().collect();
    let shrunk = cluster.wait_for(17, 2, SETTLE).unwrap();
    assert_eq!(shrunk.node_names(), sorted(kept));
    assert_eq!(shrunk.member_names(), ["cp1", "cp2"]);

    // Regrow: the same nodes join again, the control plane while the workers join at once.
    std::thread::scope(|scope| {
        let cp = scope.spawn(|| cluster.join("cp3"));
        cluster.join_all(&gone[1..]).unwrap();
        cp.join().unwrap().unwrap();
    });
    let regrown = cluster.wait_for(23, 3, SETTLE).unwrap();
    assert_eq!(regrown.node_names(), sorted(all));
    assert_eq!(regrown.member_names(), control_planes);
    each_node(&cluster, &gone, assert_node_identity);
    each_node(&cluster, &gone, assert_certificates);
}

#[test]
fn workers_join_when_the_endpoint_comes_back_within_the_discovery_timeout() {
    let cluster = Running::init("b", 1, 3);
    let workers = names("w", 3);
    let cp1 = cluster.c.cp();
    cluster.c.lab.set_link(cp1, false).unwrap();
    let outage = Duration::from_secs(3);
    let joined = std::thread::scope(|scope| {
        let joins = scope.spawn(|| cluster.join_all(&workers));
        std::thread::sleep(outage);
        cluster.c.lab.set_link(cp1, true).unwrap();
        joins.join().unwrap()
    });
    let each =
        joined.unwrap_or_else(|e| panic!("the joins retried until the endpoint came back: {e}"));
    // They were started before the outage began and could only finish after it.
    assert!(
        each.iter()
            .all(|d| *d >= outage - Duration::from_millis(500)),
        "{each:?}"
    );
    let status = cluster.wait_for(4, 1, SETTLE).unwrap();
    assert_eq!(status.node_names(), ["cp1", "w1", "w2", "w3"]);
}

/// The pid of the etcd the node's kubelet double runs.
fn etcd_pid(cluster: &LocalCluster, node: &LabNode) -> i32 {
    wait_for("etcd running", SETTLE, || {
        cluster
            .c
            .lab
            .pids(node)
            .into_iter()
            .find(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "etcd")
            })
            .ok_or_else(|| format!("no etcd in {}", node.netns))
    })
}

#[test]
fn a_control_plane_join_fails_in_one_line_while_a_member_is_down_and_converges_after_reset() {
    let cluster = Running::init("c", 3, 0);
    cluster.join("cp2").unwrap();
    cluster.wait_for(2, 2, SETTLE).unwrap();

    // cp2's etcd killed, and its kubelet double held so it does not start it again yet.
    let cp2 = cluster.c.node("cp2");
    assert!(cluster.c.lab.signal("kubelet-cp2", Signal::STOP));
    let etcd = etcd_pid(&cluster, cp2);
    rustix::process::kill_process(rustix::process::Pid::from_raw(etcd).unwrap(), Signal::KILL)
        .unwrap();

    // The join as printed, with kubeadm's etcdAPICall bound shortened from 2 min.
    let cp3 = cluster.c.node("cp3");
    let join = &cluster.c.join;
    let config = cp3.root().join("join.yaml");
    std::fs::write(
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
  name: cp3
controlPlane:
  localAPIEndpoint:
    advertiseAddress: {address}
  certificateKey: {key}
timeouts:
  etcdAPICall: 5s
",
            endpoint = join.endpoint,
            token = join.token,
            hash = join.ca_hashes[0],
            address = cp3.address,
            key = join.certificate_key.as_deref().unwrap(),
        ),
    )
    .unwrap();
    cluster.start_kubelet(cp3);
    let failed = cluster
        .c
        .kubeadm(cp3)
        .args(["join", "--rootfs"])
        .arg(cp3.root())
        .arg("--config")
        .arg(&config)
        .arg("--ignore-preflight-errors=all")
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    let said = stderr(&failed);
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one error line:\n{said}");
    assert!(
        errors[0].contains("etcd") && errors[0].contains(&format!("{}:2379", cp2.address)),
        "the error names etcd and the member that does not answer: {said}"
    );
    assert!(!said.contains("panicked"), "{said}");

    // etcd back (the kubelet double restarts it); then, as kubeadm asks after a failed join,
    // reset and join again.
    assert!(cluster.c.lab.signal("kubelet-cp2", Signal::CONT));
    cluster.wait_for(2, 2, SETTLE).unwrap();
    cluster.reset("cp3").unwrap();
    cluster.join("cp3").unwrap();
    let status = cluster.wait_for(3, 3, SETTLE).unwrap();
    assert_eq!(status.member_names(), ["cp1", "cp2", "cp3"]);
}

#[test]
fn a_worker_join_killed_midway_joins_when_run_again() {
    let cluster = Running::init("d", 1, 2);

    // Killed in discovery (the endpoint unreachable): nothing was written, a plain re-run joins.
    let (cp1, w1) = (cluster.c.cp(), cluster.c.node("w1"));
    cluster.c.lab.set_link(cp1, false).unwrap();
    cluster.start_kubelet(w1);
    let mut join = cluster
        .join_command(w1)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    join.kill().unwrap();
    let status = join.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    assert!(!w1.file("/etc/kubernetes/bootstrap-kubelet.conf").exists());
    cluster.c.lab.set_link(cp1, true).unwrap();
    cluster.join("w1").unwrap();

    // Killed while it waits for the kubelet's TLS bootstrap (the kubelet double held):
    // bootstrap-kubelet.conf is written and the kubelet may register the Node once it goes on,
    // so, as kubeadm asks after a failed join, reset, delete the Node, and join again.
    let w2 = cluster.c.node("w2");
    cluster.start_kubelet(w2);
    assert!(cluster.c.lab.signal("kubelet-w2", Signal::STOP));
    let mut join = cluster
        .join_command(w2)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let bootstrap = w2.file("/etc/kubernetes/bootstrap-kubelet.conf");
    wait_for("bootstrap-kubelet.conf written", SETTLE, || {
        bootstrap
            .exists()
            .then_some(())
            .ok_or_else(|| "not yet".to_string())
    });
    join.kill().unwrap();
    let status = join.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    assert!(cluster.c.lab.signal("kubelet-w2", Signal::CONT));
    cluster.reset("w2").unwrap();
    let _ = cluster
        .kubectl(&["delete", "node", "w2", "--ignore-not-found"])
        .output()
        .unwrap();
    cluster.join("w2").unwrap();
    let status = cluster.wait_for(3, 1, SETTLE).unwrap();
    assert_eq!(status.node_names(), ["cp1", "w1", "w2"]);
    for name in ["w1", "w2"] {
        assert_node_identity(&cluster, cluster.c.node(name));
    }
}

/// `scripts/local-cluster.sh` with the debug binaries of this build.
fn script(prefix: &str, state_dir: &Path, args: &[&str]) -> Command {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_local-cluster"))
        .parent()
        .unwrap();
    let mut cmd =
        Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/local-cluster.sh"));
    cmd.env("KRS_BIN_DIR", bin_dir)
        .env("KRS_KUBEADM", env!("CARGO_BIN_EXE_kubeadm-rs-cli"))
        .args(["--prefix", prefix, "--state-dir"])
        .arg(state_dir)
        .args(args);
    cmd
}

/// Takes the script's cluster down if the test did not.
struct ScriptDown<'a>(&'a str, &'a Path);

impl Drop for ScriptDown<'_> {
    fn drop(&mut self) {
        if self.1.exists() {
            let _ = script(self.0, self.1, &["down"]).output();
        }
    }
}

fn summary(out: &str) -> &str {
    out.lines()
        .rfind(|l| l.starts_with("nodes: "))
        .unwrap_or("")
}

#[test]
fn the_script_brings_a_cluster_up_shows_it_and_takes_it_down_without_a_trace() {
    bins();
    let prefix = prefix("s");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let _guard = ScriptDown(&prefix, &state);

    let up = script(
        &prefix,
        &state,
        &["up", "--control-planes", "2", "--workers", "2"],
    )
    .output()
    .unwrap();
    assert!(up.status.success(), "{}\n{}", stdout(&up), stderr(&up));
    let printed = stdout(&up);
    for want in [
        "NAME",
        "READY",
        "KUBELET",
        "cp1",
        "cp2",
        "w1",
        "w2",             // kubectl get nodes
        "| IS LEARNER |", // etcdctl member list -w table
        "control-plane join cp2:",
        "2 worker joins at once:",
    ] {
        assert!(printed.contains(want), "{want:?} in:\n{printed}");
    }
    let line = summary(&printed);
    assert!(
        line.starts_with("nodes: 4/4 ready, etcd members: 2 started, elapsed: ")
            && line.ends_with(" s"),
        "{printed}"
    );

    let ours: Vec<String> = ["cp1", "cp2", "w1", "w2", "br"]
        .iter()
        .map(|n| format!("{prefix}-{n}"))
        .collect();
    let listed = namespaces();
    assert!(ours.iter().all(|ns| listed.contains(ns)), "{listed:?}");
    let lab: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("lab.json")).unwrap()).unwrap();
    let pids: Vec<u64> = lab["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        pids.len(),
        5,
        "the test control plane and four kubelet doubles: {lab}"
    );
    let mut every_pid: Vec<i32> = vec![];
    for ns in &ours {
        let out = Command::new("ip")
            .args(["netns", "pids", ns])
            .output()
            .unwrap();
        every_pid.extend(
            stdout(&out)
                .split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok()),
        );
    }
    assert!(
        every_pid.len() >= 7,
        "etcd runs on both control planes too: {every_pid:?}"
    );

    let status = script(&prefix, &state, &["status"]).output().unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(
        summary(&stdout(&status)).starts_with("nodes: 4/4 ready, etcd members: 2 started"),
        "{}",
        stdout(&status)
    );
    let again = script(&prefix, &state, &["up", "--workers", "1"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).starts_with("error: ") && stderr(&again).contains("lab.json exists"),
        "{}",
        stderr(&again)
    );

    let started = Instant::now();
    let down = script(&prefix, &state, &["down"]).output().unwrap();
    assert!(
        down.status.success(),
        "{}\n{}",
        stdout(&down),
        stderr(&down)
    );
    eprintln!("down took {:?}", started.elapsed());
    let listed = namespaces();
    assert!(
        !listed
            .iter()
            .any(|ns| ns.starts_with(&format!("{prefix}-"))),
        "{listed:?}"
    );
    for pid in every_pid {
        // Gone, or a zombie: `up` has exited, so its processes' exit status is pid 1's to
        // collect, and this machine's pid 1 does so in its own time.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
        let exited = stat.as_ref().map_or(true, |s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        });
        assert!(exited, "pid {pid} is stopped: {stat:?}");
    }
    assert!(
        !state.exists(),
        "the state directory with the node roots is removed"
    );
    for ns in &ours {
        assert!(
            !Path::new("/etc/netns").join(ns).exists(),
            "/etc/netns/{ns} is removed"
        );
    }

    let bad = script("no spaces", &state, &["status"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        stderr(&bad).trim(),
        "error: --prefix \"no spaces\": expected 1 to 20 letters, digits or '-' (not first)"
    );
    let gone = script(&prefix, &state, &["status"]).output().unwrap();
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        stderr(&gone).contains("no lab with this state directory is up"),
        "{}",
        stderr(&gone)
    );
}
