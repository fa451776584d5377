//! A lab of nodes for multi-node tests: each node is a network namespace with its own node
//! root, all joined by veth pairs to a bridge in a namespace of its own. Addresses exist only
//! inside those namespaces (the bridge is their only link, so nothing leaves them), names are
//! unique per lab so tests run in parallel, and dropping the lab stops every process it started
//! (by pid) and deletes the namespaces.
//!
//! A persistent lab ([`Lab::create_persistent`]) outlives the process that made it: its
//! namespaces, node roots, logs and pids are described in a state directory, another process
//! takes it over with [`Lab::open`], and only [`Lab::destroy`] removes it.
//!
//! Never dial a node address from the host namespace: every command that talks to one runs
//! through [`Lab::exec`] (`ip netns exec NS ...`).

// Clean-up runs in Drop, with no caller to hand a failure to: it is logged to stderr.
#![allow(clippy::print_stderr)]

use std::fs::File;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::os::unix::fs::DirBuilderExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Every lab's nodes are on this /24 (each lab is its own isolated network).
const SUBNET: [u8; 3] = [10, 200, 0];
/// The default gateway's host number: an address nobody holds.
const GATEWAY_HOST: u8 = 1;
/// The first node's host number; the others follow.
const FIRST_HOST: u8 = 11;
/// Per-namespace files `ip netns exec` mounts over `/etc`.
const NETNS_ETC: &str = "/etc/netns";
/// How long a process has to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);
/// A persistent lab's description inside its state directory.
const STATE_FILE: &str = "lab.json";

static LABS: AtomicUsize = AtomicUsize::new(0);

/// One node of a lab.
pub struct LabNode {
    /// The node name (also its Kubernetes Node name).
    pub name: String,
    pub netns: String,
    pub address: Ipv4Addr,
    root: PathBuf,
    /// The port of this node's veth pair on the bridge (in the bridge's namespace).
    port: String,
}

impl LabNode {
    /// The node root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A node path (`/etc/kubernetes/kubelet.conf`) under the root.
    pub fn file(&self, node_path: &str) -> PathBuf {
        self.root().join(node_path.trim_start_matches('/'))
    }
}

/// A process the lab started and stops. `child` is absent when another process started it
/// (a persistent lab taken over with [`Lab::open`]); the start time then tells the process
/// from a later one that reuses its pid.
struct Started {
    label: String,
    pid: u32,
    start_time: u64,
    child: Option<Child>,
}

impl Started {
    fn running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => start_time(self.pid).is_some_and(|t| t == self.start_time),
        }
    }

    /// The child's exit status once it has exited (`None` while it runs, or when the lab did
    /// not start it).
    fn exited_ok(&mut self) -> Option<bool> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
            .map(|s| s.success())
    }
}

/// Where a lab's node roots and logs live, and who removes them.
enum Keep {
    /// Removed with the lab when it is dropped.
    Temporary { _dirs: Vec<tempfile::TempDir> },
    /// Described in `<state_dir>/lab.json`; removed only by [`Lab::destroy`].
    Persistent { state_dir: PathBuf },
}

/// Network namespaces for a set of nodes, a bridge between them, and the processes started in
/// them.
pub struct Lab {
    bridge: String,
    nodes: Vec<LabNode>,
    started: Mutex<Vec<Started>>,
    logs: PathBuf,
    keep: Keep,
    /// Set once the namespaces are gone, so dropping does not clean up twice.
    destroyed: bool,
}

/// Runs `ip <args>`; its stderr when it fails.
fn try_ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: could not start: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs `ip [-n NS] -batch -` with one command per line: one process for many commands.
fn ip_batch(netns: Option<&str>, lines: &[String]) -> Result<(), String> {
    let mut cmd = Command::new("ip");
    if let Some(ns) = netns {
        cmd.args(["-n", ns]);
    }
    let mut child = cmd
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("ip -batch could not start: {e}"))?;
    let script = lines.join("\n") + "\n";
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(script.as_bytes())
        .map_err(|e| format!("ip -batch: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("ip -batch: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}-batch: {}",
            netns.map(|ns| format!("-n {ns} ")).unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The names of the network namespaces that exist (`ip netns list`).
pub fn namespaces() -> Vec<String> {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

/// When the process `pid` started (`/proc/<pid>/stat` field 22), if it runs (a zombie does
/// not).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields follow its last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

fn make_private_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))
}

impl Lab {
    /// A lab with one node per name, addressed 10.200.0.11, .12, ... in order; removed when
    /// dropped.
    pub fn new(node_names: &[&str]) -> Lab {
        let prefix = format!(
            "kl{}-{}",
            std::process::id(),
            LABS.fetch_add(1, Ordering::SeqCst)
        );
        let logs = tempfile::tempdir().expect("a log directory");
        let mut dirs = vec![];
        let nodes: Vec<(String, String, PathBuf)> = node_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let root = tempfile::tempdir().expect("a node root");
                let path = root.path().to_path_buf();
                dirs.push(root);
                (name.to_string(), format!("{prefix}-{i}"), path)
            })
            .collect();
        let logs_path = logs.path().to_path_buf();
        dirs.push(logs);
        let keep = Keep::Temporary { _dirs: dirs };
        Lab::build(&prefix, nodes, logs_path, keep).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A lab that outlives this process: namespaces `<prefix>-<name>` and `<prefix>-br`, node
    /// roots in `<state_dir>/nodes/<name>`, logs in `<state_dir>/logs`, all described in
    /// `<state_dir>/lab.json` for [`Lab::open`]. Fails when the state directory or one of the
    /// namespaces is already there (another lab with this prefix).
    pub fn create_persistent(
        prefix: &str,
        state_dir: &Path,
        node_names: &[&str],
    ) -> Result<Lab, String> {
        if state_dir.join(STATE_FILE).exists() {
            return Err(format!(
                "{} exists: a lab with this state directory is up (take it down first)",
                state_dir.join(STATE_FILE).display()
            ));
        }
        let existing = namespaces();
        let wanted = std::iter::once(format!("{prefix}-br"))
            .chain(node_names.iter().map(|n| format!("{prefix}-{n}")));
        for ns in wanted {
            if existing.contains(&ns) {
                return Err(format!(
                    "network namespace {ns} exists: prefix {prefix:?} is in use (take that lab down or choose another prefix)"
                ));
            }
        }
        make_private_dir(state_dir)?;
        let logs = state_dir.join("logs");
        make_private_dir(&logs)?;
        let mut nodes = vec![];
        for name in node_names {
            let root = state_dir.join("nodes").join(name);
            make_private_dir(&root)?;
            nodes.push((name.to_string(), format!("{prefix}-{name}"), root));
        }
        let keep = Keep::Persistent {
            state_dir: state_dir.to_path_buf(),
        };
        let lab = Lab::build(prefix, nodes, logs, keep)?;
        lab.save()?;
        Ok(lab)
    }

    /// The persistent lab described in `state_dir`, as its creator left it.
    pub fn open(state_dir: &Path) -> Result<Lab, String> {
        let file = state_dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&file).map_err(|e| {
            format!(
                "{}: {e} (no lab with this state directory is up)",
                file.display()
            )
        })?;
        let state: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let field = |v: &Value, key: &str| -> Result<String, String> {
            v[key]
                .as_str()
                .map(String::from)
                .ok_or_else(|| format!("{}: no {key:?}", file.display()))
        };
        let mut nodes = vec![];
        for node in state["nodes"].as_array().into_iter().flatten() {
            nodes.push(LabNode {
                name: field(node, "name")?,
                netns: field(node, "netns")?,
                address: field(node, "address")?
                    .parse()
                    .map_err(|e| format!("{}: address: {e}", file.display()))?,
                root: field(node, "root")?.into(),
                port: field(node, "port")?,
            });
        }
        let started = state["processes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Started {
                label: p["label"].as_str().unwrap_or_default().to_string(),
                pid: p["pid"].as_u64().unwrap_or(0) as u32,
                start_time: p["start_time"].as_u64().unwrap_or(0),
                child: None,
            })
            .collect();
        Ok(Lab {
            bridge: field(&state, "bridge")?,
            nodes,
            started: Mutex::new(started),
            logs: state_dir.join("logs"),
            keep: Keep::Persistent {
                state_dir: state_dir.to_path_buf(),
            },
            destroyed: false,
        })
    }

    /// The namespaces, the bridge, and a veth pair and address per node, set up with a few
    /// `ip -batch` runs; whatever part got done is removed again on failure.
    fn build(
        prefix: &str,
        nodes: Vec<(String, String, PathBuf)>,
        logs: PathBuf,
        keep: Keep,
    ) -> Result<Lab, String> {
        let bridge = format!("{prefix}-br");
        let mut lab = Lab {
            bridge: bridge.clone(),
            nodes: Vec::new(),
            started: Mutex::new(Vec::new()),
            logs,
            keep,
            destroyed: false,
        };
        for (i, (name, netns, root)) in nodes.into_iter().enumerate() {
            let host = u8::try_from(i)
                .ok()
                .and_then(|i| FIRST_HOST.checked_add(i))
                .filter(|h| *h < 255)
                .ok_or("a lab holds at most 243 nodes")?;
            lab.nodes.push(LabNode {
                name,
                netns,
                address: Ipv4Addr::new(SUBNET[0], SUBNET[1], SUBNET[2], host),
                root,
                port: format!("v{i}"),
            });
        }
        if let Err(e) = lab.set_up_network() {
            lab.remove_namespaces();
            lab.destroyed = true;
            return Err(e);
        }
        lab.write_name_service()?;
        Ok(lab)
    }

    fn set_up_network(&self) -> Result<(), String> {
        let adds: Vec<String> = std::iter::once(&self.bridge)
            .chain(self.nodes.iter().map(|n| &n.netns))
            .map(|ns| format!("netns add {ns}"))
            .collect();
        ip_batch(None, &adds)?;
        let mut on_bridge = vec![
            "link set lo up".to_string(),
            "link add br0 type bridge".to_string(),
            "link set br0 up".to_string(),
        ];
        for node in &self.nodes {
            // Both ends are created inside namespaces: nothing appears in the host's.
            on_bridge.push(format!(
                "link add {} type veth peer name eth0 netns {}",
                node.port, node.netns
            ));
            on_bridge.push(format!("link set {} master br0 up", node.port));
        }
        ip_batch(Some(&self.bridge), &on_bridge)?;
        // A default route, as nodes have (kubeadm picks addresses from it); its gateway is no
        // one, and the bridge leads nowhere else.
        let gateway = Ipv4Addr::new(SUBNET[0], SUBNET[1], SUBNET[2], GATEWAY_HOST);
        std::thread::scope(|scope| {
            let runs: Vec<_> = self
                .nodes
                .iter()
                .map(|node| {
                    scope.spawn(move || {
                        ip_batch(
                            Some(&node.netns),
                            &[
                                "link set lo up".to_string(),
                                format!("addr add {}/24 dev eth0", node.address),
                                "link set eth0 up".to_string(),
                                format!("route add default via {gateway}"),
                            ],
                        )
                    })
                })
                .collect();
            runs.into_iter()
                .try_for_each(|r| r.join().expect("an ip thread"))
        })
    }

    /// `ip netns exec` mounts `/etc/netns/<ns>/{hosts,resolv.conf}` over `/etc`: every node
    /// resolves the lab's node names, and a name lookup beyond them fails at once (a resolver
    /// on the namespace's loopback, where nothing listens) instead of timing out.
    fn write_name_service(&self) -> Result<(), String> {
        let mut hosts = String::from("127.0.0.1 localhost\n::1 localhost\n");
        for node in &self.nodes {
            hosts.push_str(&format!("{} {}\n", node.address, node.name));
        }
        for node in &self.nodes {
            let etc = Path::new(NETNS_ETC).join(&node.netns);
            let written = std::fs::create_dir_all(&etc)
                .and_then(|()| std::fs::write(etc.join("hosts"), &hosts))
                .and_then(|()| {
                    std::fs::write(
                        etc.join("resolv.conf"),
                        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
                    )
                });
            written.map_err(|e| format!("{}: {e}", etc.display()))?;
        }
        Ok(())
    }

    /// A persistent lab's state directory.
    pub fn state_dir(&self) -> Option<&Path> {
        match &self.keep {
            Keep::Persistent { state_dir } => Some(state_dir),
            Keep::Temporary { .. } => None,
        }
    }

    /// The namespace holding the bridge.
    pub fn bridge_netns(&self) -> &str {
        &self.bridge
    }

    /// Writes a persistent lab's description (atomically: a reader never sees half of it).
    fn save_locked(&self, started: &[Started]) -> Result<(), String> {
        let Keep::Persistent { state_dir } = &self.keep else {
            return Ok(());
        };
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|n| {
                json!({
                    "name": n.name,
                    "netns": n.netns,
                    "address": n.address.to_string(),
                    "root": n.root.display().to_string(),
                    "port": n.port,
                })
            })
            .collect();
        let processes: Vec<Value> = started
            .iter()
            .map(|s| json!({"label": s.label, "pid": s.pid, "start_time": s.start_time}))
            .collect();
        let state = json!({"bridge": self.bridge, "nodes": nodes, "processes": processes});
        let file = state_dir.join(STATE_FILE);
        let partial = state_dir.join(format!("{STATE_FILE}.partial"));
        std::fs::write(&partial, state.to_string())
            .and_then(|()| std::fs::rename(&partial, &file))
            .map_err(|e| format!("{}: {e}", file.display()))
    }

    fn save(&self) -> Result<(), String> {
        let started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        self.save_locked(&started)
    }

    pub fn nodes(&self) -> &[LabNode] {
        &self.nodes
    }

    /// The node named `name`.
    pub fn node(&self, name: &str) -> &LabNode {
        self.find(name)
            .unwrap_or_else(|| panic!("no node {name} in this lab"))
    }

    /// The node named `name`, if the lab has one.
    pub fn find(&self, name: &str) -> Option<&LabNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// `program` inside the node's namespace (`ip netns exec` execs it, so a spawned child's
    /// pid is the program's).
    pub fn exec(&self, node: &LabNode, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &node.netns]).arg(program);
        cmd
    }

    /// Starts `cmd` (from [`Lab::exec`]) with its output appended to the lab's log `label`;
    /// it is stopped by [`Lab::stop`] or when the lab goes. Returns its pid. A persistent
    /// lab's processes get their own process group, so a Ctrl-C meant for the command that
    /// started them does not stop them.
    pub fn spawn(&self, label: &str, mut cmd: Command) -> u32 {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path(label))
            .expect("a log file");
        if self.state_dir().is_some() {
            cmd.process_group(0);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{label}: {cmd:?} could not start: {e}"));
        let pid = child.id();
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started.push(Started {
            label: label.to_string(),
            pid,
            start_time: start_time(pid).unwrap_or(0),
            child: Some(child),
        });
        if let Err(e) = self.save_locked(&started) {
            eprintln!("warning: {e}");
        }
        pid
    }

    /// Where the process started as `label` writes.
    pub fn log_path(&self, label: &str) -> PathBuf {
        self.logs.join(format!("{label}.log"))
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
            .rfind(|s| s.label == label)
            .is_some_and(Started::running)
    }

    /// The pid of the process started as `label`, while it runs.
    pub fn pid(&self, label: &str) -> Option<u32> {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started
            .iter_mut()
            .rfind(|s| s.label == label)
            .and_then(|s| s.running().then_some(s.pid))
    }

    /// The labels of every process the lab started that still runs.
    pub fn running_labels(&self) -> Vec<String> {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started
            .iter_mut()
            .filter_map(|s| s.running().then(|| s.label.clone()))
            .collect()
    }

    /// Sends SIGTERM to the process started as `label` and waits for it (SIGKILL after
    /// [`STOP_GRACE`]); returns whether it exited by itself, successfully (for a process
    /// another program started, whether it exited by itself).
    pub fn stop(&self, label: &str) -> bool {
        let found = {
            let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
            let at = started.iter().rposition(|s| s.label == label);
            let found = at.map(|i| started.remove(i));
            if let Err(e) = self.save_locked(&started) {
                eprintln!("warning: {e}");
            }
            found
        };
        found.is_some_and(|s| terminate(vec![s]))
    }

    /// Sends `signal` to the process started as `label`, if it runs (SIGKILL or SIGSTOP for
    /// fault tests).
    pub fn signal(&self, label: &str, sig: rustix::process::Signal) -> bool {
        self.pid(label).is_some_and(|pid| {
            signal(i32::try_from(pid).expect("a pid fits i32"), sig);
            true
        })
    }

    /// Takes the node's link to the bridge down (`up: false`) or up again: the node can reach
    /// no one, and no one it, as if its cable were pulled.
    pub fn set_link(&self, node: &LabNode, up: bool) -> Result<(), String> {
        let state = if up { "up" } else { "down" };
        try_ip(&["-n", &self.bridge, "link", "set", &node.port, state])
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

    /// Stops every process (by pid), deletes the namespaces and, for a persistent lab, its
    /// state directory with the node roots and logs.
    pub fn destroy(mut self) -> Result<(), String> {
        self.tear_down();
        match &self.keep {
            Keep::Persistent { state_dir } => std::fs::remove_dir_all(state_dir)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => Ok(()),
                    _ => Err(e),
                })
                .map_err(|e| format!("{}: {e}", state_dir.display())),
            Keep::Temporary { .. } => Ok(()),
        }
    }

    fn tear_down(&mut self) {
        let started = std::mem::take(&mut *self.started.lock().unwrap_or_else(|e| e.into_inner()));
        terminate(started);
        // Whatever a stopped process left behind (a child it did not stop) is killed by pid,
        // and waited for (bounded), before its namespace goes.
        let left: Vec<i32> = self.nodes.iter().flat_map(|n| self.pids(n)).collect();
        for &pid in &left {
            signal(pid, rustix::process::Signal::KILL);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline
            && left
                .iter()
                .any(|&pid| u32::try_from(pid).is_ok_and(|p| start_time(p).is_some()))
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.remove_namespaces();
        self.destroyed = true;
    }

    fn remove_namespaces(&self) {
        let existing = namespaces();
        let dels: Vec<String> = self
            .nodes
            .iter()
            .map(|n| &n.netns)
            .chain(std::iter::once(&self.bridge))
            .filter(|ns| existing.contains(ns))
            .map(|ns| format!("netns del {ns}"))
            .collect();
        if !dels.is_empty()
            && let Err(e) = ip_batch(None, &dels)
        {
            eprintln!("warning: {e}");
        }
        for node in &self.nodes {
            let _ = std::fs::remove_dir_all(Path::new(NETNS_ETC).join(&node.netns));
        }
    }
}

fn signal(pid: i32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// SIGTERM to every process at once, a bounded wait for all, then SIGKILL to those left;
/// whether every one exited by itself (with success, when the lab started it).
fn terminate(mut processes: Vec<Started>) -> bool {
    for p in &mut processes {
        if p.running() {
            signal(
                i32::try_from(p.pid).expect("a pid fits i32"),
                rustix::process::Signal::TERM,
            );
        }
    }
    let deadline = Instant::now() + STOP_GRACE;
    let mut all_ok = true;
    while !processes.is_empty() && Instant::now() < deadline {
        processes.retain_mut(|p| {
            if p.running() {
                return true;
            }
            all_ok &= p.exited_ok().unwrap_or(true);
            false
        });
        if !processes.is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    for mut p in processes {
        all_ok = false;
        signal(
            i32::try_from(p.pid).expect("a pid fits i32"),
            rustix::process::Signal::KILL,
        );
        if let Some(child) = &mut p.child {
            let _ = child.wait();
        }
    }
    all_ok
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.destroyed && matches!(self.keep, Keep::Temporary { .. }) {
            self.tear_down();
        }
    }
}
