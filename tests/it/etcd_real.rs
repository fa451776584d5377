//! The etcd static Pod that `init phase etcd local` writes, run for real with the
//! certificates `init phase certs` wrote: the container command, with the node paths mapped
//! into a temporary root, starts Debian's etcd inside a network namespace of its own, and
//! `etcdctl` with the healthcheck-client certificate finds it healthy and can write and read
//! a key. Nothing leaves the namespace.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{run_ok, stdout, tool};
use kubeadm_rs::config::InitOverrides;
use kubeadm_rs::events::Events;
use kubeadm_rs_tests::{init_config, run_phases};

const NODE: &str = "etcd-node";
/// The node's address: it exists only on the namespace's loopback device.
const ADVERTISE: &str = "10.200.0.1";

/// A network namespace with only loopback up, holding the node's address, and the etcd
/// running in it. Dropping it
/// kills etcd and deletes the namespace, also when the test panics.
struct Netns {
    name: String,
    etcd: Option<Child>,
}

impl Netns {
    fn create() -> Self {
        let name = format!("kubeadm-rs-etcd-{}", std::process::id());
        run_ok(tool("ip").args(["netns", "add", &name]));
        let ns = Netns { name, etcd: None };
        run_ok(tool("ip").args(["-n", &ns.name, "link", "set", "lo", "up"]));
        let address = format!("{ADVERTISE}/32");
        run_ok(tool("ip").args(["-n", &ns.name, "addr", "add", &address, "dev", "lo"]));
        ns
    }

    /// A command run inside the namespace (`ip netns exec` execs it in place, so the child
    /// is the program itself).
    fn exec(&self, program: &str) -> Command {
        let mut cmd = tool("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Some(mut etcd) = self.etcd.take() {
            let _ = etcd.kill();
            let _ = etcd.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Runs `init phase certs` and `init phase etcd local` on `root`: the node's PKI from our
/// own certificate code, then etcd.yaml.
fn init_certs_and_etcd(root: &Path) {
    // Debian's etcd 3.4 knows only the flag spellings kubeadm uses before etcd 3.6.
    let config = format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
         localAPIEndpoint:\n  advertiseAddress: {ADVERTISE}\nnodeRegistration:\n  name: {NODE}\n---\n\
         apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
         etcd:\n  local:\n    imageTag: 3.5.21-0\n"
    );
    let cfg = init_config(Some(&config), &InitOverrides::default());
    for phase in ["certs", "etcd/local"] {
        run_phases(root, &cfg, Some(phase), &[], Events::discard())
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The container command of a static Pod manifest, with node paths mapped under `root`.
fn container_command(manifest: &Path, root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("etcd.yaml");
    let pod: serde_json::Value = serde_saphyr::from_str(&text).expect("etcd.yaml is YAML");
    let command = pod["spec"]["containers"][0]["command"]
        .as_array()
        .expect("a container command")
        .iter()
        .map(|a| a.as_str().expect("string arguments").to_string());
    let map = |arg: String| {
        ["/etc/kubernetes/pki", "/var/lib/etcd"]
            .iter()
            .fold(arg, |arg, node_path| {
                arg.replace(node_path, &root.join(&node_path[1..]).display().to_string())
            })
    };
    command.map(map).collect()
}

fn etcdctl(ns: &Netns, pki: &Path, args: &[&str]) -> std::process::Output {
    let f = |name: &str| pki.join(name).display().to_string();
    ns.exec("etcdctl")
        .arg(format!("--endpoints=https://{ADVERTISE}:2379"))
        .args(["--dial-timeout=1s", "--command-timeout=2s"])
        .arg(format!("--cacert={}", f("ca.crt")))
        .arg(format!("--cert={}", f("healthcheck-client.crt")))
        .arg(format!("--key={}", f("healthcheck-client.key")))
        .args(args)
        .output()
        .expect("etcdctl starts")
}

#[test]
fn etcd_started_from_the_generated_manifest_is_healthy() {
    tool("etcd");
    tool("etcdctl");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let pki: PathBuf = root.join("etc/kubernetes/pki/etcd");
    init_certs_and_etcd(root);

    let command = container_command(&root.join("etc/kubernetes/manifests/etcd.yaml"), root);
    assert_eq!(command[0], "etcd");
    assert!(
        command.contains(&"--experimental-initial-corrupt-check=true".to_string()),
        "{command:?}"
    );
    assert!(
        command.contains(&format!(
            "--data-dir={}",
            root.join("var/lib/etcd").display()
        )),
        "{command:?}"
    );

    let mut ns = Netns::create();
    let log_path = root.join("etcd.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let child = ns
        .exec(&command[0])
        .args(&command[1..])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("etcd starts");
    ns.etcd = Some(child);

    let deadline = Instant::now() + Duration::from_secs(10);
    let health = loop {
        let out = etcdctl(&ns, &pki, &["endpoint", "health"]);
        if out.status.success() || Instant::now() > deadline {
            break out;
        }
        if let Some(status) = ns.etcd.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "etcd exited with {status}:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        health.status.success(),
        "etcd did not become healthy within 10s: {}\netcd log:\n{}",
        String::from_utf8_lossy(&health.stderr),
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    let report = String::from_utf8_lossy(&health.stderr).into_owned() + &stdout(&health);
    assert!(
        report.contains(&format!("https://{ADVERTISE}:2379 is healthy")),
        "{report}"
    );

    let put = etcdctl(&ns, &pki, &["put", "/registry/kubeadm-rs", "ok"]);
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    let got = etcdctl(
        &ns,
        &pki,
        &["get", "/registry/kubeadm-rs", "--print-value-only"],
    );
    assert_eq!(stdout(&got).trim(), "ok");
}
