//! `kubeadm-rs reset` after a node-local `init` into a `--rootfs`: what kubeadm removes is gone,
//! nothing outside the root is touched, dry-run and `--output json` list every path, a second
//! reset is safe, bad input stops before anything is removed, and `init` works again.
//!
//! A reset that is not a dry-run may dial the etcd member its manifest names (a node address):
//! it runs inside an empty network namespace the test creates, where nothing can be reached.
//! `remove-etcd-member` against a real etcd (Debian's 3.4) runs in namespaces joined by a bridge.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::etcd_lab::{EtcdLab, node_config};
use common::{kubeadm, run_err, run_ok, stderr, stdout, tool, tree};
use kubeadm_rs::config::InitConfig;
use kubeadm_rs::events::Events;
use kubeadm_rs::manifests::{ETCD, EtcdMember, etcd_pod, render_static_pod};
use kubeadm_rs_tests::run_phases;
use serde_json::Value;

/// The node-local phases of `init` (the cluster phases need an API server).
const INIT: [&str; 9] = [
    "init",
    "--skip-phases",
    "preflight,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,addon,show-join-command",
    "--apiserver-advertise-address",
    "10.0.0.5",
    "--node-name",
    "node-1",
    "--kubernetes-version",
    "v1.34.2",
];

/// A short etcd budget, so an unreachable etcd is a warning within seconds.
const RESET_CONFIG: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\n\
                            timeouts:\n  etcdAPICall: 2s\n";

/// A network namespace with only a loopback interface: whatever is dialled from it stays there.
struct Isolated(String);

impl Isolated {
    fn new(tag: &str) -> Isolated {
        let name = format!("krs{}-{tag}", std::process::id());
        run_ok(tool("ip").args(["netns", "add", &name]));
        run_ok(tool("ip").args(["-n", &name, "link", "set", "lo", "up"]));
        Isolated(name)
    }

    /// `kubeadm-rs` inside the namespace, with the environment `kubeadm()` sets.
    fn kubeadm(&self) -> Command {
        let mut cmd = tool("ip");
        cmd.args([
            "netns",
            "exec",
            &self.0,
            env!("CARGO_BIN_EXE_kubeadm-rs-cli"),
        ])
        .env("NO_COLOR", "1");
        for proxy in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] {
            cmd.env_remove(proxy);
        }
        cmd
    }
}

impl Drop for Isolated {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// A node root after a node-local init, with CNI configuration, a kubelet directory holding a
/// link to a directory outside the root, and a kubeconfig that is a link to a file outside.
struct Node {
    root: tempfile::TempDir,
    outside: tempfile::TempDir,
    config: PathBuf,
}

impl Node {
    fn initialised() -> Node {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        run_ok(kubeadm().args(INIT).arg("--rootfs").arg(root.path()));
        let r = root.path();
        std::fs::create_dir_all(r.join("etc/cni/net.d")).unwrap();
        std::fs::write(r.join("etc/cni/net.d/10-flannel.conflist"), "{}").unwrap();
        std::fs::write(outside.path().join("precious"), "keep").unwrap();
        std::fs::create_dir_all(r.join("var/lib/kubelet/pods")).unwrap();
        std::os::unix::fs::symlink(outside.path(), r.join("var/lib/kubelet/pods/escape")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("precious"),
            r.join("etc/kubernetes/bootstrap-kubelet.conf"),
        )
        .unwrap();
        std::fs::create_dir_all(r.join("var/lib/etcd/member/snap")).unwrap();
        std::fs::write(r.join("var/lib/etcd/member/snap/db"), "data").unwrap();
        let config = outside.path().join("reset.yaml");
        std::fs::write(&config, RESET_CONFIG).unwrap();
        Node {
            root,
            outside,
            config,
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn exists(&self, node_path: &str) -> bool {
        let p = self.path().join(&node_path[1..]);
        p.exists() || p.is_symlink()
    }

    /// Every file below the root and its content, for "nothing changed" checks.
    fn snapshot(&self) -> Vec<(String, Option<Vec<u8>>)> {
        tree(self.path())
            .into_iter()
            .map(|p| {
                let full = self.path().join(&p);
                let content =
                    (full.is_file() && !full.is_symlink()).then(|| std::fs::read(&full).unwrap());
                (p, content)
            })
            .collect()
    }

    fn outside_untouched(&self) {
        assert_eq!(
            std::fs::read_to_string(self.outside.path().join("precious")).unwrap(),
            "keep"
        );
        assert!(self.outside.path().join("reset.yaml").is_file());
    }
}

/// The files and directory contents kubeadm's reset removes from an initialised node.
const REMOVED: [&str; 12] = [
    "/etc/kubernetes/admin.conf",
    "/etc/kubernetes/super-admin.conf",
    "/etc/kubernetes/kubelet.conf",
    "/etc/kubernetes/bootstrap-kubelet.conf",
    "/etc/kubernetes/controller-manager.conf",
    "/etc/kubernetes/scheduler.conf",
    "/etc/kubernetes/manifests/etcd.yaml",
    "/etc/kubernetes/manifests/kube-apiserver.yaml",
    "/etc/kubernetes/pki/ca.key",
    "/etc/kubernetes/pki/etcd/ca.crt",
    "/var/lib/kubelet/config.yaml",
    "/var/lib/etcd/member/snap/db",
];

/// Directories reset empties and keeps.
const EMPTIED: [&str; 4] = [
    "/etc/kubernetes/manifests",
    "/etc/kubernetes/pki",
    "/var/lib/kubelet",
    "/var/lib/etcd",
];

fn reset(ns: &Isolated, node: &Node, extra: &[&str]) -> Output {
    ns.kubeadm()
        .args(["reset", "--force", "--config"])
        .arg(&node.config)
        .arg("--rootfs")
        .arg(node.path())
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json_events(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// The `file_removed` events: path and whether it was a dry-run.
fn removed(events: &[Value]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter(|e| e["event"] == "file_removed")
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["dry_run"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn reset_removes_what_kubeadm_removes_and_stays_inside_the_root() {
    let node = Node::initialised();
    let ns = Isolated::new("all");
    let out = reset(&ns, &node, &[]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    for path in REMOVED {
        assert!(!node.exists(path), "{path} is still there");
    }
    for dir in EMPTIED {
        let entries: Vec<_> = std::fs::read_dir(node.path().join(&dir[1..]))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .collect();
        assert!(entries.is_empty(), "{dir} is not empty: {entries:?}");
    }
    node.outside_untouched();
    assert!(node.exists("/etc/cni/net.d/10-flannel.conflist"));
    let log = stderr(&out);
    // The etcd the manifest names cannot be reached from the namespace: a warning, then on.
    assert!(
        log.contains(
            "warning: [reset] Failed to remove etcd member: etcd at https://10.0.0.5:2379"
        ),
        "{log}"
    );
    assert!(
        log.contains("please manually remove this etcd member using etcdctl"),
        "{log}"
    );
    assert!(
        log.contains("The kubelet service could not be stopped by kubeadm"),
        "{log}"
    );
    let advice = stdout(&out);
    assert!(
        advice.contains("does not perform cleanup of CNI plugin configuration")
            && advice.contains("/etc/cni/net.d is left in place")
            && advice.contains("IPVS")
            && advice.contains("$HOME/.kube/config"),
        "{advice}"
    );
}

#[test]
fn dry_run_changes_nothing_and_lists_every_path_it_would_remove() {
    let node = Node::initialised();
    let before = node.snapshot();
    // Dry-run dials nothing and asks nothing: the host namespace, no --force, no terminal.
    let out = run_ok(
        kubeadm()
            .args(["reset", "--dry-run", "--output", "json", "--rootfs"])
            .arg(node.path())
            .stdin(Stdio::null()),
    );
    assert_eq!(node.snapshot(), before, "dry-run changed the root");
    let listed = removed(&json_events(&out));
    for path in REMOVED {
        assert!(
            listed.contains(&(path.to_string(), true)),
            "{path} not listed: {listed:?}"
        );
    }
    assert!(listed.iter().all(|(_, dry)| *dry), "{listed:?}");
    node.outside_untouched();
}

#[test]
fn output_json_shows_each_removed_path_and_a_second_reset_is_safe() {
    let node = Node::initialised();
    let ns = Isolated::new("json");
    let out = reset(&ns, &node, &["--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let events = json_events(&out);
    let listed = removed(&events);
    for path in REMOVED {
        assert!(
            listed.contains(&(path.to_string(), false)),
            "{path} not reported: {listed:?}"
        );
    }
    let link = events
        .iter()
        .find(|e| e["path"] == "/var/lib/kubelet/pods/escape")
        .expect("the link is reported");
    assert_eq!(link["kind"], "symlink");

    let after = node.snapshot();
    let again = reset(&ns, &node, &["--output", "json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(removed(&json_events(&again)), vec![]);
    assert_eq!(node.snapshot(), after);
    node.outside_untouched();
}

#[test]
fn without_force_and_without_a_terminal_reset_refuses_and_removes_nothing() {
    let node = Node::initialised();
    let before = node.snapshot();
    let out = run_err(
        kubeadm()
            .args(["reset", "--rootfs"])
            .arg(node.path())
            .stdin(Stdio::null()),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert_eq!(
        last,
        "error: phase preflight: reset asks for confirmation, but standard input is not a terminal; \
         run with --force (-f) to reset without a prompt"
    );
    assert_eq!(node.snapshot(), before);
}

#[test]
fn a_bad_reset_configuration_is_one_line_naming_the_field() {
    let node = Node::initialised();
    let before = node.snapshot();
    for (case, body, field) in [
        (
            "unknown field",
            "unmountFlag: [MNT_DETACH]\n",
            "unmountFlag",
        ),
        ("wrong type", "cleanupTmpDir: [true]\n", "cleanupTmpDir"),
        (
            "bad unmount flag",
            "unmountFlags: [MNT_LAZY]\n",
            "unmountFlags[0]",
        ),
    ] {
        let config = node.outside.path().join("bad.yaml");
        std::fs::write(
            &config,
            format!("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\n{body}"),
        )
        .unwrap();
        let out = run_err(
            kubeadm()
                .args(["reset", "--force", "--config"])
                .arg(&config)
                .arg("--rootfs")
                .arg(node.path()),
        );
        assert_eq!(out.status.code(), Some(1), "{case}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{case}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(field),
            "{case}: {err}"
        );
        assert_eq!(node.snapshot(), before, "{case}");
    }
}

/// The errors of `init`'s preflight on `root`, run where nothing can be dialled.
fn preflight_errors(ns: &Isolated, root: &Path, config: &Path) -> Vec<String> {
    std::fs::write(
        config,
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
         localAPIEndpoint: {advertiseAddress: 10.0.0.5}\nnodeRegistration: {name: node-1}\n---\n\
         apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.34.2\n",
    )
    .unwrap();
    let out = ns
        .kubeadm()
        .args(["init", "phase", "preflight", "--output", "json", "--config"])
        .arg(config)
        .arg("--rootfs")
        .arg(root)
        .output()
        .unwrap();
    // Some checks of this host may fail; the preflight verdict is then exit 1, never a usage error.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let mut errors: Vec<String> = json_events(&out)
        .into_iter()
        .filter(|e| e["event"] == "finding" && e["severity"] == "error")
        .map(|e| e["check"].as_str().unwrap().to_string())
        .collect();
    errors.sort();
    errors
}

#[test]
fn after_reset_init_finds_the_node_as_fresh_and_runs_again() {
    let node = Node::initialised();
    let ns = Isolated::new("again");
    let fresh = tempfile::tempdir().unwrap();
    let config = node.outside.path().join("init.yaml");
    let on_fresh = preflight_errors(&ns, fresh.path(), &config);
    let on_initialised = preflight_errors(&ns, node.path(), &config);
    assert!(
        on_initialised
            .iter()
            .any(|c| c == "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml"),
        "{on_initialised:?}"
    );
    let ca = std::fs::read(node.path().join("etc/kubernetes/pki/ca.crt")).unwrap();

    let out = reset(&ns, &node, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Nothing reset leaves behind trips a preflight check that a fresh node passes.
    assert_eq!(preflight_errors(&ns, node.path(), &config), on_fresh);
    run_ok(kubeadm().args(INIT).arg("--rootfs").arg(node.path()));
    let new_ca = std::fs::read(node.path().join("etc/kubernetes/pki/ca.crt")).unwrap();
    assert_ne!(new_ca, ca, "init made a new cluster CA");
    assert!(node.exists("/etc/kubernetes/manifests/etcd.yaml"));
}

// ---- remove-etcd-member against a real etcd ------------------------------------------------

/// `kubeadm-rs reset --force --rootfs <root>` in node `node`'s namespace.
fn reset_in(lab: &EtcdLab, node: usize, root: &Path) -> Output {
    let out = lab
        .exec(node, env!("CARGO_BIN_EXE_kubeadm-rs-cli"))
        .env("NO_COLOR", "1")
        .args(["reset", "--force", "--rootfs"])
        .arg(root)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    out
}

fn phases(root: &Path, cfg: &InitConfig, phases: &[&str]) {
    for phase in phases {
        run_phases(root, cfg, Some(phase), &[], Events::discard())
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Node 1 of a fresh etcd cluster, running.
fn first_node(lab: &mut EtcdLab) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    phases(
        root.path(),
        &node_config("cp-1", &lab.address(1)),
        &["certs", "etcd/local"],
    );
    lab.start_etcd(1, root.path());
    lab.wait_healthy(1, root.path());
    root
}

/// Node 2 joins node 1's etcd (as `join --control-plane` does: the shared CAs, a learner,
/// the join manifest, promotion), through `etcdctl` as an independent client.
fn second_node(lab: &mut EtcdLab, first: &Path) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let cfg = node_config("cp-2", &lab.address(2));
    let pki = "etc/kubernetes/pki";
    for file in ["ca.crt", "ca.key", "etcd/ca.crt", "etcd/ca.key"] {
        let to = root.path().join(pki).join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(first.join(pki).join(file), &to).unwrap();
    }
    phases(root.path(), &cfg, &["certs"]);
    let added = lab.etcdctl(
        1,
        first,
        &lab.client_url(1),
        &[
            "member",
            "add",
            "cp-2",
            &format!("--peer-urls={}", lab.peer_url(2)),
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let members = [
        EtcdMember {
            name: "cp-1".into(),
            peer_url: lab.peer_url(1),
        },
        EtcdMember {
            name: "cp-2".into(),
            peer_url: lab.peer_url(2),
        },
    ];
    let pod = etcd_pod(&cfg, &members).unwrap();
    let yaml = render_static_pod(ETCD, &pod, None, &Events::discard()).unwrap();
    let manifests = root.path().join("etc/kubernetes/manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(manifests.join("etcd.yaml"), yaml).unwrap();
    lab.start_etcd(2, root.path());
    lab.wait_healthy(2, root.path());
    root
}

#[test]
fn remove_etcd_member_takes_this_node_out_of_a_two_member_cluster() {
    tool("etcd");
    let mut lab = EtcdLab::create("two", "10.211.0", 2);
    let first = first_node(&mut lab);
    let second = second_node(&mut lab, first.path());
    assert_eq!(lab.member_names(1, first.path()), ["cp-1", "cp-2"]);

    let out = reset_in(&lab, 2, second.path());
    let log = stderr(&out);
    assert!(
        log.contains("[reset] Removed etcd member") && log.contains("members left: cp-1"),
        "{log}"
    );
    assert!(
        log.contains("[reset] Deleted contents of the etcd data directory: /var/lib/etcd"),
        "{log}"
    );
    assert_eq!(lab.member_names(1, first.path()), ["cp-1"]);
    assert_eq!(
        std::fs::read_dir(second.path().join("var/lib/etcd"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn the_last_member_is_kept_with_a_message() {
    tool("etcd");
    let mut lab = EtcdLab::create("last", "10.212.0", 1);
    let first = first_node(&mut lab);
    // Only the etcd phase: the member must be asked about before its certificates go.
    let out = lab
        .exec(1, env!("CARGO_BIN_EXE_kubeadm-rs-cli"))
        .env("NO_COLOR", "1")
        .args(["reset", "phase", "remove-etcd-member", "--rootfs"])
        .arg(first.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "[reset] This is the only remaining etcd member in the etcd cluster ({}): it is not removed",
            lab.peer_url(1)
        )),
        "{log}"
    );
    assert_eq!(lab.member_names(1, first.path()), ["cp-1"]);
}

#[test]
fn what_is_mounted_below_the_kubelet_directory_is_unmounted_before_it_is_emptied() {
    let node = Node::initialised();
    let ns = Isolated::new("mount");
    let volume = node.path().join("var/lib/kubelet/pods/p1/volumes/secret");
    std::fs::create_dir_all(&volume).unwrap();
    std::fs::write(
        &node.config,
        format!("{RESET_CONFIG}unmountFlags: [MNT_DETACH]\n"),
    )
    .unwrap();
    // `ip netns exec` gives the shell a mount namespace of its own: the tmpfs never reaches
    // the host's, and goes away with the process whatever happens.
    let script =
        "mount -t tmpfs tmpfs \"$1\" && echo secret > \"$1/token\" && shift && exec \"$@\"";
    let out = tool("ip")
        .args(["netns", "exec", &ns.0, "sh", "-c", script, "sh"])
        .arg(&volume)
        .arg(env!("CARGO_BIN_EXE_kubeadm-rs-cli"))
        .args(["reset", "--force", "--config"])
        .arg(&node.config)
        .arg("--rootfs")
        .arg(node.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let log = stderr(&out);
    let canonical = std::fs::canonicalize(node.path()).unwrap();
    assert!(
        log.contains(&format!(
            "[reset] Unmounted {}",
            canonical
                .join("var/lib/kubelet/pods/p1/volumes/secret")
                .display()
        )),
        "{log}"
    );
    assert_eq!(
        std::fs::read_dir(node.path().join("var/lib/kubelet"))
            .unwrap()
            .count(),
        0
    );
}
