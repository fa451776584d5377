//! Re-running is safe: a second `init` reuses everything, and a run killed part-way completes
//! when run again, keeping what the first run made.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use common::{kubeadm, run_ok, stderr, tree};

/// The node-local phases (the cluster phases re-run against an API server in cluster_init.rs).
const ARGS: [&str; 9] = [
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

fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(root)
        .into_iter()
        .filter(|p| root.join(p).is_file())
        .map(|p| {
            let bytes = std::fs::read(root.join(&p)).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn a_second_init_is_a_no_op_that_reuses_everything() {
    let root = tempfile::tempdir().unwrap();
    run_ok(kubeadm().args(ARGS).arg("--rootfs").arg(root.path()));
    let first = snapshot(root.path());
    assert!(first.contains_key("etc/kubernetes/pki/ca.key"));
    assert!(first.contains_key("etc/kubernetes/manifests/kube-apiserver.yaml"));

    let out = run_ok(kubeadm().args(ARGS).arg("--rootfs").arg(root.path()));
    assert_eq!(snapshot(root.path()), first, "the second run changed files");
    let log = stderr(&out);
    assert!(
        !log.contains("\twrote "),
        "the second run wrote files:\n{log}"
    );
    assert!(log.contains("\tkept /etc/kubernetes/pki/ca.crt"), "{log}");
}

#[test]
fn a_run_killed_after_certs_completes_when_run_again() {
    let root = tempfile::tempdir().unwrap();
    let mut child = kubeadm()
        .args(ARGS)
        .args(["--output", "json"])
        .arg("--rootfs")
        .arg(root.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = BufReader::new(child.stdout.take().unwrap());
    for line in reader.lines() {
        let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if event["event"] == "phase_finished" && event["path"] == "certs" {
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    let ca = std::fs::read(root.path().join("etc/kubernetes/pki/ca.crt")).unwrap();
    let leftovers: Vec<String> = tree(root.path())
        .into_iter()
        .filter(|p| p.contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "a killed run left temporary files: {leftovers:?}"
    );

    run_ok(kubeadm().args(ARGS).arg("--rootfs").arg(root.path()));
    assert_eq!(
        std::fs::read(root.path().join("etc/kubernetes/pki/ca.crt")).unwrap(),
        ca,
        "the CA was replaced"
    );
    for file in [
        "etc/kubernetes/admin.conf",
        "etc/kubernetes/manifests/etcd.yaml",
        "var/lib/kubelet/config.yaml",
    ] {
        assert!(
            root.path().join(file).is_file(),
            "{file} is missing after the re-run"
        );
    }
}
