//! Node namespaces on a bridge, each able to run Debian's real etcd 3.4 from the etcd.yaml
//! a node root holds, and `etcdctl` as the independent judge. Shared by the join and reset
//! tests. Every process that dials a node address runs inside a node namespace via
//! `ip netns exec`; nothing leaves the namespaces.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kubeadm_rs::config::{InitConfig, InitOverrides};
use kubeadm_rs_tests::init_config;
use serde_json::Value;

use super::{run_ok, stderr, stdout, tool};

/// Debian's etcd is 3.4: with this tag the manifests use the flags it knows.
pub const ETCD_TAG: &str = "3.4.23-0";
pub const PKI: &str = "/etc/kubernetes/pki";

/// Node namespaces on one bridge in a hub namespace. Dropping it kills every etcd and deletes
/// the namespaces, also when the test panics.
pub struct EtcdLab {
    hub: String,
    nodes: Vec<String>,
    subnet: &'static str,
    etcds: Vec<(usize, Child)>,
}

impl EtcdLab {
    /// `count` nodes at `<subnet>.1` … `<subnet>.<count>`, `tag` keeping names unique.
    pub fn create(tag: &str, subnet: &'static str, count: usize) -> EtcdLab {
        let prefix = format!("kre{}-{tag}", std::process::id());
        let hub = format!("{prefix}-hub");
        run_ok(tool("ip").args(["netns", "add", &hub]));
        let mut lab = EtcdLab {
            hub: hub.clone(),
            nodes: Vec::new(),
            subnet,
            etcds: Vec::new(),
        };
        let ip = |args: &[&str]| run_ok(tool("ip").args(args));
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &hub, "link", "set", "br0", "up"]);
        for i in 1..=count {
            let ns = format!("{prefix}-n{i}");
            ip(&["netns", "add", &ns]);
            lab.nodes.push(ns.clone());
            let port = format!("p{i}");
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            ip(&[
                "-n", &hub, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &ns,
            ]);
            ip(&["-n", &hub, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &hub, "link", "set", &port, "up"]);
            let address = format!("{}/24", lab.address(i));
            ip(&["-n", &ns, "addr", "add", &address, "dev", "eth0"]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
        }
        lab
    }

    pub fn address(&self, node: usize) -> String {
        format!("{}.{node}", self.subnet)
    }

    pub fn client_url(&self, node: usize) -> String {
        format!("https://{}:2379", self.address(node))
    }

    pub fn peer_url(&self, node: usize) -> String {
        format!("https://{}:2380", self.address(node))
    }

    /// `program` inside node `node`'s namespace (`ip netns exec` execs it in place, so the
    /// child is the program itself).
    pub fn exec(&self, node: usize, program: &str) -> Command {
        let mut cmd = tool("ip");
        cmd.args(["netns", "exec", &self.nodes[node - 1], program]);
        cmd
    }

    /// Starts etcd in node `node`'s namespace from the container command of `root`'s
    /// etcd.yaml, its log in `root`/etcd.log.
    pub fn start_etcd(&mut self, node: usize, root: &Path) {
        let command = container_command(root);
        assert_eq!(command[0], "etcd");
        let log = std::fs::File::create(root.join("etcd.log")).unwrap();
        let child = self
            .exec(node, "etcd")
            .args(&command[1..])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd starts");
        self.etcds.push((node, child));
    }

    /// Whether node `node`'s etcd has exited (bounded wait).
    pub fn etcd_exits_within(&mut self, node: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let (_, child) = self.etcds.iter_mut().find(|(n, _)| *n == node).unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `etcdctl` in node `node`'s namespace against `endpoint`, with `root`'s healthcheck client.
    pub fn etcdctl(&self, node: usize, root: &Path, endpoint: &str, args: &[&str]) -> Output {
        let pki = root.join(&PKI[1..]).join("etcd");
        let f = |name: &str| pki.join(name).display().to_string();
        self.exec(node, "etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={endpoint}"))
            .args(["--dial-timeout=2s", "--command-timeout=5s"])
            .arg(format!("--cacert={}", f("ca.crt")))
            .arg(format!("--cert={}", f("healthcheck-client.crt")))
            .arg(format!("--key={}", f("healthcheck-client.key")))
            .args(args)
            .output()
            .expect("etcdctl starts")
    }

    /// The member names `etcdctl member list` reports through node `node`, sorted.
    pub fn member_names(&self, node: usize, root: &Path) -> Vec<String> {
        let out = self.etcdctl(
            node,
            root,
            &self.client_url(node),
            &["member", "list", "-w", "json"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let mut names: Vec<String> = list["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap_or("").to_string())
            .collect();
        names.sort();
        names
    }

    /// Polls `etcdctl endpoint health` on node `node` until it succeeds (bounded); an etcd that
    /// exited fails at once with its log.
    pub fn wait_healthy(&mut self, node: usize, root: &Path) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.etcdctl(node, root, &self.client_url(node), &["endpoint", "health"]);
            if out.status.success() {
                return;
            }
            let log = || std::fs::read_to_string(root.join("etcd.log")).unwrap_or_default();
            if let Some((_, child)) = self.etcds.iter_mut().find(|(n, _)| *n == node)
                && let Some(status) = child.try_wait().unwrap()
            {
                panic!("etcd on node {node} exited with {status}:\n{}", log());
            }
            assert!(
                Instant::now() < deadline,
                "etcd on node {node} not healthy within 30s: {}\n{}",
                stderr(&out),
                log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for EtcdLab {
    fn drop(&mut self) {
        for (_, child) in &mut self.etcds {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self.nodes.iter().chain([&self.hub]) {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// The etcd container command of `root`'s etcd.yaml, node paths mapped under `root`.
pub fn container_command(root: &Path) -> Vec<String> {
    let manifest = root.join("etc/kubernetes/manifests/etcd.yaml");
    let text = std::fs::read_to_string(manifest).expect("etcd.yaml");
    let pod: Value = serde_saphyr::from_str(&text).expect("etcd.yaml is YAML");
    let map = |arg: &str| {
        [PKI, "/var/lib/etcd"]
            .iter()
            .fold(arg.to_string(), |arg, node_path| {
                arg.replace(node_path, &root.join(&node_path[1..]).display().to_string())
            })
    };
    pod["spec"]["containers"][0]["command"]
        .as_array()
        .expect("a container command")
        .iter()
        .map(|a| map(a.as_str().expect("string arguments")))
        .collect()
}

/// The configuration of control-plane node `name` at `address`, on etcd 3.4.
pub fn node_config(name: &str, address: &str) -> InitConfig {
    let yaml = format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
         localAPIEndpoint:\n  advertiseAddress: {address}\nnodeRegistration:\n  name: {name}\n---\n\
         apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
         encryptionAlgorithm: ECDSA-P256\n\
         etcd:\n  local:\n    imageTag: {ETCD_TAG}\n"
    );
    init_config(Some(&yaml), &InitOverrides::default())
}
