//! A whole cluster on this machine (`scripts/local-cluster.sh`, the `local-cluster` binary):
//! control-plane nodes `cp1`…`cpN` and workers `w1`…`wM`, each in its own network namespace
//! `<prefix>-<name>` with its own node root and kubelet double, on a bridge in a namespace of
//! its own. The test control plane serves the control-plane endpoint on cp1; `init` runs on
//! cp1, the other control planes join one after another (etcd takes one learner at a time)
//! while the workers all join at once, every join through token discovery with the CA pin.
//!
//! The cluster is a persistent lab: its state directory describes namespaces, roots and pids,
//! so `status` and `down` work from another process. kubectl and etcdctl run inside cp1's
//! namespace; nothing is sent from the host namespace to a node address.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab_cluster::{Binaries, LabCluster, succeeded};
use crate::netns::{Lab, LabNode};

/// How long `up` waits, after the joins, for every Node to be Ready and every etcd member
/// started.
pub const SETTLE: Duration = Duration::from_secs(60);

/// The columns of the nodes table (the test control plane serves no server-side table, so
/// kubectl's default one would show only names and ages).
const NODE_COLUMNS: &str = "custom-columns=NAME:.metadata.name,\
READY:.status.conditions[?(@.type==\"Ready\")].status,\
KUBELET:.status.nodeInfo.kubeletVersion";

/// What to build.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Names the namespaces (`<prefix>-cp1`, …, `<prefix>-br`).
    pub prefix: String,
    pub state_dir: PathBuf,
    pub control_planes: usize,
    pub workers: usize,
    pub bins: Binaries,
}

/// The state directory a prefix uses unless told otherwise.
pub fn default_state_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir()
        .join("kubeadm-rs-local-cluster")
        .join(prefix)
}

/// A prefix names namespaces and files: letters, digits and '-', at most 20.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let fine = !prefix.is_empty()
        && prefix.len() <= 20
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !prefix.starts_with('-');
    if fine {
        Ok(())
    } else {
        Err(format!(
            "--prefix {prefix:?}: expected 1 to 20 letters, digits or '-' (not first)"
        ))
    }
}

/// Where the time of `up` went.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Namespaces, bridge and addresses.
    pub network: Duration,
    /// cp1: certificates, the test control plane, the kubelet double and `kubeadm-rs init`.
    pub init: Duration,
    /// Each control-plane join, in order.
    pub control_plane_joins: Vec<(String, Duration)>,
    /// The workers' joins, all at once: wall time, and each join's own time.
    pub workers_wall: Duration,
    pub worker_joins: Vec<Duration>,
    /// From the last join to every Node Ready and every etcd member started.
    pub settle: Duration,
    pub total: Duration,
}

impl Timings {
    /// One line per step, for `up`'s report.
    pub fn lines(&self) -> Vec<String> {
        let s = |d: Duration| format!("{:.2} s", d.as_secs_f64());
        let mut lines = vec![
            format!("network namespaces and bridge: {}", s(self.network)),
            format!("init (cp1, with the test control plane): {}", s(self.init)),
        ];
        for (name, d) in &self.control_plane_joins {
            lines.push(format!("control-plane join {name}: {}", s(*d)));
        }
        if !self.worker_joins.is_empty() {
            let mut each = self.worker_joins.clone();
            each.sort();
            lines.push(format!(
                "{} worker joins at once: {} wall (each: median {}, max {})",
                each.len(),
                s(self.workers_wall),
                s(each[each.len() / 2]),
                s(*each.last().expect("a worker join"))
            ));
        }
        lines.push(format!(
            "until all Ready and etcd started: {}",
            s(self.settle)
        ));
        lines
    }
}

/// What `status` shows: kubectl's and etcdctl's own tables and the counts of the summary.
#[derive(Clone, Debug)]
pub struct Status {
    pub nodes_table: String,
    pub members_table: String,
    /// `kubectl get nodes -o json` and `etcdctl member list -w json`.
    pub nodes: Value,
    pub members: Value,
    pub ready: usize,
    pub total: usize,
    /// Voting members that run (a started member has a name and client URLs).
    pub started_members: usize,
}

impl Status {
    pub fn summary(&self, elapsed: Duration) -> String {
        format!(
            "nodes: {}/{} ready, etcd members: {} started, elapsed: {:.1} s",
            self.ready,
            self.total,
            self.started_members,
            elapsed.as_secs_f64()
        )
    }

    /// The names of the Nodes, sorted.
    pub fn node_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.nodes["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["metadata"]["name"].as_str().map(String::from))
            .collect();
        names.sort();
        names
    }

    /// The started voting members' names, sorted.
    pub fn member_names(&self) -> Vec<String> {
        let mut names: Vec<String> = started_members(&self.members)
            .filter_map(|m| m["name"].as_str().map(String::from))
            .collect();
        names.sort();
        names
    }

    /// The report `up` and `status` end with.
    pub fn report(&self, elapsed: Duration) -> String {
        format!(
            "{}\n{}\n{}",
            self.nodes_table.trim_end(),
            self.members_table.trim_end(),
            self.summary(elapsed)
        )
    }
}

fn started_members(members: &Value) -> impl Iterator<Item = &Value> {
    members["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            !m["isLearner"].as_bool().unwrap_or(false)
                && m["name"].as_str().is_some_and(|n| !n.is_empty())
                && m["clientURLs"].as_array().is_some_and(|u| !u.is_empty())
        })
}

fn ready(node: &Value) -> bool {
    node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A local cluster, made by [`LocalCluster::up`] or taken over with [`LocalCluster::open`].
pub struct LocalCluster {
    pub c: LabCluster,
}

impl LocalCluster {
    /// The namespaces of `plan` with cp1 initialised and no node joined yet (for tests that
    /// join with faults); its timings so far.
    pub fn init(plan: &Plan) -> Result<(LocalCluster, Timings), String> {
        check_prefix(&plan.prefix)?;
        if plan.control_planes == 0 {
            return Err("--control-planes 0: expected at least 1 (cp1 runs init)".into());
        }
        let start = Instant::now();
        let names: Vec<String> = (1..=plan.control_planes)
            .map(|i| format!("cp{i}"))
            .chain((1..=plan.workers).map(|i| format!("w{i}")))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let lab = Lab::create_persistent(&plan.prefix, &plan.state_dir, &names)?;
        let network = start.elapsed();
        let c = LabCluster::init_on(lab, plan.bins.clone(), "")?;
        let timings = Timings {
            network,
            init: start.elapsed() - network,
            ..Timings::default()
        };
        Ok((LocalCluster { c }, timings))
    }

    /// Builds the cluster of `plan`: [`LocalCluster::init`], then the control planes join one
    /// after another while the workers all join at once. On failure, what is built stays for
    /// inspection and [`LocalCluster::down`] (through [`LocalCluster::open`]) removes it.
    pub fn up(plan: &Plan) -> Result<(LocalCluster, Timings), String> {
        let start = Instant::now();
        let (cluster, mut timings) = LocalCluster::init(plan)?;
        let workers: Vec<String> = cluster.workers().map(|n| n.name.clone()).collect();
        let control_planes: Vec<String> = cluster
            .control_planes()
            .skip(1)
            .map(|n| n.name.clone())
            .collect();
        // Workers need only the API server: they join while the control planes take turns.
        let (cp_result, workers_result) = std::thread::scope(|scope| {
            let batch = scope.spawn(|| {
                let step = Instant::now();
                cluster
                    .join_all(&workers)
                    .map(|each| (step.elapsed(), each))
            });
            let mut cp_joins = vec![];
            let cp_result = control_planes.iter().try_for_each(|name| {
                cp_joins.push((name.clone(), cluster.join(name)?));
                Ok::<_, String>(())
            });
            (
                cp_result.map(|()| cp_joins),
                batch.join().expect("the worker batch"),
            )
        });
        timings.control_plane_joins = cp_result?;
        (timings.workers_wall, timings.worker_joins) = workers_result?;
        let step = Instant::now();
        cluster.wait_for(
            plan.control_planes + plan.workers,
            plan.control_planes,
            SETTLE,
        )?;
        timings.settle = step.elapsed();
        timings.total = start.elapsed();
        Ok((cluster, timings))
    }

    /// The cluster whose state `state_dir` holds.
    pub fn open(state_dir: &Path, bins: Binaries) -> Result<LocalCluster, String> {
        Ok(LocalCluster {
            c: LabCluster::open(Lab::open(state_dir)?, bins)?,
        })
    }

    pub fn control_planes(&self) -> impl Iterator<Item = &LabNode> {
        self.c
            .lab
            .nodes()
            .iter()
            .filter(|n| n.name.starts_with("cp"))
    }

    pub fn workers(&self) -> impl Iterator<Item = &LabNode> {
        self.c
            .lab
            .nodes()
            .iter()
            .filter(|n| n.name.starts_with('w'))
    }

    fn node(&self, name: &str) -> Result<&LabNode, String> {
        self.c
            .lab
            .find(name)
            .ok_or_else(|| format!("no node {name:?} in this cluster"))
    }

    /// The join command `init` printed, for `node` (the control-plane one for a `cp` node),
    /// run inside its namespace on its root.
    pub fn join_command(&self, node: &LabNode) -> Command {
        let join = &self.c.join;
        let mut cmd = self.c.kubeadm(node);
        cmd.arg("join")
            .arg(&join.endpoint)
            .arg("--rootfs")
            .arg(node.root())
            .args(["--node-name", &node.name, "--token", &join.token]);
        for hash in &join.ca_hashes {
            cmd.args(["--discovery-token-ca-cert-hash", hash]);
        }
        if node.name.starts_with("cp") {
            cmd.arg("--control-plane")
                .arg("--certificate-key")
                .arg(join.certificate_key.as_deref().unwrap_or_default())
                .arg(format!("--apiserver-advertise-address={}", node.address));
        }
        // The host's own checks (swap, the kubelet unit, ...) say nothing of a lab node.
        cmd.arg("--ignore-preflight-errors=all");
        cmd
    }

    /// Starts the node's kubelet double unless it runs.
    pub fn start_kubelet(&self, node: &LabNode) {
        if !self.c.lab.running(&format!("kubelet-{}", node.name)) {
            self.c.start_kubelet(node, &[]);
        }
    }

    /// Joins `name` (its kubelet double started first); how long `kubeadm-rs join` took.
    pub fn join(&self, name: &str) -> Result<Duration, String> {
        let node = self.node(name)?;
        self.start_kubelet(node);
        let start = Instant::now();
        succeeded(
            &format!("kubeadm-rs join on {name}"),
            self.join_command(node).output(),
        )?;
        Ok(start.elapsed())
    }

    /// Joins every node of `names` at once; each join's time, or every failure, one per line.
    pub fn join_all(&self, names: &[String]) -> Result<Vec<Duration>, String> {
        for name in names {
            self.start_kubelet(self.node(name)?);
        }
        let results: Vec<Result<Duration, String>> = std::thread::scope(|scope| {
            let joins: Vec<_> = names
                .iter()
                .map(|name| scope.spawn(move || self.join(name)))
                .collect();
            joins
                .into_iter()
                .map(|j| j.join().expect("a join thread"))
                .collect()
        });
        let errors: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        if errors.is_empty() {
            Ok(results.into_iter().flatten().collect())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// `kubeadm-rs reset --force` on the node, then its kubelet double stopped (reset asks for
    /// that: it cannot stop a kubelet it did not start through systemd).
    pub fn reset(&self, name: &str) -> Result<Output, String> {
        let node = self.node(name)?;
        let out = self
            .c
            .kubeadm(node)
            .args(["reset", "--force", "--rootfs"])
            .arg(node.root())
            .output();
        self.c.lab.stop(&format!("kubelet-{name}"));
        succeeded(&format!("kubeadm-rs reset on {name}"), out)
    }

    /// `kubectl delete node <name>` as the admin, as kubeadm's documentation has an operator
    /// do after a reset (reset leaves the Node object).
    pub fn delete_node(&self, name: &str) -> Result<(), String> {
        succeeded(
            &format!("kubectl delete node {name}"),
            self.kubectl(&["delete", "node", name]).output(),
        )
        .map(drop)
    }

    /// kubectl as the admin, inside cp1's namespace.
    pub fn kubectl(&self, args: &[&str]) -> Command {
        self.c.kubectl(self.c.cp(), &self.c.admin(), args)
    }

    /// etcdctl inside cp1's namespace against cp1's member, with cp1's healthcheck client.
    pub fn etcdctl(&self, args: &[&str]) -> Command {
        let cp = self.c.cp();
        let pki = cp.file("/etc/kubernetes/pki/etcd");
        let mut cmd = self.c.lab.exec(cp, "etcdctl");
        cmd.arg(format!("--endpoints=https://{}:2379", cp.address))
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
            .env("ETCDCTL_API", "3");
        cmd
    }

    /// The Nodes and etcd members as kubectl and etcdctl show them.
    pub fn status(&self) -> Result<Status, String> {
        let (nodes, members) = std::thread::scope(|scope| {
            let nodes = scope.spawn(|| {
                let json = succeeded(
                    "kubectl get nodes -o json",
                    self.kubectl(&["get", "nodes", "-o", "json"]).output(),
                )?;
                let table = succeeded(
                    "kubectl get nodes",
                    self.kubectl(&["get", "nodes", "-o", NODE_COLUMNS]).output(),
                )?;
                Ok::<_, String>((json, table))
            });
            let members = scope.spawn(|| {
                let json = succeeded(
                    "etcdctl member list -w json",
                    self.etcdctl(&["member", "list", "-w", "json"]).output(),
                )?;
                let table = succeeded(
                    "etcdctl member list",
                    self.etcdctl(&["member", "list", "-w", "table"]).output(),
                )?;
                Ok::<_, String>((json, table))
            });
            (
                nodes.join().expect("kubectl thread"),
                members.join().expect("etcdctl thread"),
            )
        });
        let (nodes_json, nodes_table) = nodes?;
        let (members_json, members_table) = members?;
        let nodes: Value = serde_json::from_slice(&nodes_json.stdout)
            .map_err(|e| format!("kubectl get nodes printed no JSON: {e}"))?;
        let members: Value = serde_json::from_slice(&members_json.stdout)
            .map_err(|e| format!("etcdctl member list printed no JSON: {e}"))?;
        let items = nodes["items"].as_array().cloned().unwrap_or_default();
        Ok(Status {
            nodes_table: text(&nodes_table.stdout),
            members_table: text(&members_table.stdout),
            ready: items.iter().filter(|n| ready(n)).count(),
            total: items.len(),
            started_members: started_members(&members).count(),
            nodes,
            members,
        })
    }

    /// Waits until `nodes` Nodes are all Ready and `members` etcd members started (counts
    /// only, polled; kubectl and etcdctl each take a fraction of a second).
    pub fn wait_for(
        &self,
        nodes: usize,
        members: usize,
        timeout: Duration,
    ) -> Result<Status, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.status();
            let done = matches!(&seen, Ok(s) if s.ready == nodes && s.total == nodes && s.started_members == members);
            if done {
                return seen;
            }
            if Instant::now() >= deadline {
                let seen = match seen {
                    Ok(s) => s.summary(timeout),
                    Err(e) => e,
                };
                return Err(format!(
                    "not {nodes} Ready Nodes and {members} started etcd members within {timeout:?}: {seen}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resets every node (the workers all at once, the control planes one after another from
    /// the last, so etcd keeps its quorum while members leave), then stops every process the
    /// cluster started and deletes its namespaces and state directory. Reset failures are
    /// returned as warnings: the cluster is removed either way.
    pub fn down(self) -> Result<Vec<String>, String> {
        let workers: Vec<String> = self.workers().map(|n| n.name.clone()).collect();
        let control_planes: Vec<String> = self.control_planes().map(|n| n.name.clone()).collect();
        let this = &self;
        let mut warnings = std::thread::scope(|scope| {
            let resets: Vec<_> = workers
                .iter()
                .map(|name| scope.spawn(move || this.reset_if_set_up(name)))
                .collect();
            let mut warnings: Vec<String> = control_planes
                .iter()
                .rev()
                .filter_map(|name| this.reset_if_set_up(name).err())
                .collect();
            warnings.extend(
                resets
                    .into_iter()
                    .filter_map(|r| r.join().expect("a reset thread").err()),
            );
            warnings
        });
        warnings.sort();
        self.c.lab.destroy()?;
        Ok(warnings)
    }

    /// Resets a node that has something to reset (a node that never joined has an empty root).
    fn reset_if_set_up(&self, name: &str) -> Result<(), String> {
        let node = self.node(name)?;
        if node.file("/etc/kubernetes").exists() || node.file("/var/lib/kubelet").exists() {
            self.reset(name).map(drop)
        } else {
            Ok(())
        }
    }
}
