//! A lab of nodes for multi-node tests: each node is a network namespace with its own node
//! root, all joined by veth pairs to a bridge in a namespace of its own. Addresses exist only
//! inside those namespaces (nothing routes out of them), names are unique per lab so tests
//! run in parallel, and dropping the lab stops every process it started (by pid) and deletes
//! the namespaces.
//!
//! Never dial a node address from the host namespace: every command that talks to one runs
//! through [`Lab::exec`] (`ip netns exec NS ...`).

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Every lab's nodes are on this /24 (each lab is its own isolated network).
const SUBNET: [u8; 3] = [10, 200, 0];
/// The first node's host number; the others follow.
const FIRST_HOST: u8 = 11;
/// How long a process has to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);

static LABS: AtomicUsize = AtomicUsize::new(0);

/// One node of a lab.
pub struct LabNode {
    /// The node name (also its Kubernetes Node name).
    pub name: String,
    pub netns: String,
    pub address: Ipv4Addr,
    root: tempfile::TempDir,
}

impl LabNode {
    /// The node root.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// A node path (`/etc/kubernetes/kubelet.conf`) under the root.
    pub fn file(&self, node_path: &str) -> PathBuf {
        self.root().join(node_path.trim_start_matches('/'))
    }
}

/// A process the lab started and stops.
struct Started {
    label: String,
    child: Child,
}

/// Network namespaces for a set of nodes, a bridge between them, and the processes started in
/// them.
pub struct Lab {
    bridge: String,
    nodes: Vec<LabNode>,
    started: Mutex<Vec<Started>>,
    logs: tempfile::TempDir,
}

/// Runs `ip <args>`, panicking with its stderr when it fails.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ip {args:?} could not start: {e}"));
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Lab {
    /// A lab with one node per name, addressed 10.200.0.11, .12, ... in order.
    pub fn new(node_names: &[&str]) -> Lab {
        let id = format!(
            "kl{}-{}",
            std::process::id(),
            LABS.fetch_add(1, Ordering::SeqCst)
        );
        let bridge = format!("{id}-br");
        // Made empty first, so Drop cleans up whatever part of the set-up got done.
        let mut lab = Lab {
            bridge: bridge.clone(),
            nodes: Vec::new(),
            started: Mutex::new(Vec::new()),
            logs: tempfile::tempdir().expect("a log directory"),
        };
        ip(&["netns", "add", &bridge]);
        ip(&["-n", &bridge, "link", "set", "lo", "up"]);
        ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &bridge, "link", "set", "br0", "up"]);
        for (i, name) in node_names.iter().enumerate() {
            let netns = format!("{id}-{i}");
            let host = FIRST_HOST + u8::try_from(i).expect("fewer than 200 nodes");
            let address = Ipv4Addr::new(SUBNET[0], SUBNET[1], SUBNET[2], host);
            ip(&["netns", "add", &netns]);
            lab.nodes.push(LabNode {
                name: name.to_string(),
                netns: netns.clone(),
                address,
                root: tempfile::tempdir().expect("a node root"),
            });
            let port = format!("v{i}");
            // Both ends are created inside namespaces: nothing appears in the host's.
            ip(&[
                "-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0",
                "netns", &netns,
            ]);
            ip(&["-n", &bridge, "link", "set", &port, "master", "br0", "up"]);
            ip(&["-n", &netns, "link", "set", "lo", "up"]);
            ip(&[
                "-n",
                &netns,
                "addr",
                "add",
                &format!("{address}/24"),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &netns, "link", "set", "eth0", "up"]);
        }
        lab
    }

    pub fn nodes(&self) -> &[LabNode] {
        &self.nodes
    }

    /// The node named `name`.
    pub fn node(&self, name: &str) -> &LabNode {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no node {name} in this lab"))
    }

    /// `program` inside the node's namespace (`ip netns exec` execs it, so a spawned child's
    /// pid is the program's).
    pub fn exec(&self, node: &LabNode, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &node.netns]).arg(program);
        cmd
    }

    /// Starts `cmd` (from [`Lab::exec`]) with its output in the lab's log `label`; it is
    /// stopped by [`Lab::stop`] or when the lab is dropped. Returns its pid.
    pub fn spawn(&self, label: &str, mut cmd: Command) -> u32 {
        let log = File::create(self.log_path(label)).expect("a log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{label}: {cmd:?} could not start: {e}"));
        let pid = child.id();
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Started {
                label: label.to_string(),
                child,
            });
        pid
    }

    fn log_path(&self, label: &str) -> PathBuf {
        self.logs.path().join(format!("{label}.log"))
    }

    /// What a spawned process wrote so far (for assertion messages).
    pub fn log(&self, label: &str) -> String {
        std::fs::read_to_string(self.log_path(label)).unwrap_or_default()
    }

    /// Whether the process started as `label` still runs.
    pub fn running(&self, label: &str) -> bool {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started
            .iter_mut()
            .find(|s| s.label == label)
            .is_some_and(|s| matches!(s.child.try_wait(), Ok(None)))
    }

    /// Sends SIGTERM to the process started as `label` and waits for it (SIGKILL after
    /// [`STOP_GRACE`]); returns whether it exited by itself, successfully.
    pub fn stop(&self, label: &str) -> bool {
        let found = {
            let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
            let at = started.iter().position(|s| s.label == label);
            at.map(|i| started.remove(i))
        };
        found.is_some_and(|mut s| terminate(&mut s.child))
    }

    /// The pids of every process in the node's namespace (`ip netns pids`).
    pub fn pids(&self, node: &LabNode) -> Vec<i32> {
        let out = Command::new("ip")
            .args(["netns", "pids", &node.netns])
            .output()
            .expect("ip netns pids runs");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

fn signal(pid: i32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// SIGTERM, a bounded wait, then SIGKILL; whether it exited by itself with success.
fn terminate(child: &mut Child) -> bool {
    signal(
        i32::try_from(child.id()).expect("a pid fits i32"),
        rustix::process::Signal::TERM,
    );
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

impl Drop for Lab {
    fn drop(&mut self) {
        let started = std::mem::take(&mut *self.started.lock().unwrap_or_else(|e| e.into_inner()));
        for mut s in started.into_iter().rev() {
            terminate(&mut s.child);
        }
        // Whatever a stopped process left behind (a child it did not stop) is killed by pid
        // before its namespace goes.
        for node in &self.nodes {
            for pid in self.pids(node) {
                signal(pid, rustix::process::Signal::KILL);
            }
            let _ = Command::new("ip")
                .args(["netns", "del", &node.netns])
                .status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.bridge])
            .status();
    }
}
