//! The etcd half of `join --control-plane`, on Debian's real etcd 3.4: node 1 starts etcd from
//! the manifest `init` writes; nodes 2 and 3 (their certificates signed by node 1's etcd CA)
//! are added as learners with `kubeadm_rs::etcd`, start etcd from the join manifest built
//! from what the add returned, and are promoted. `etcdctl` is the independent judge.
//!
//! Each node has a network namespace of its own, joined to the others by veth pairs on a
//! bridge in a hub namespace; every process that dials a node address (etcd, etcdctl, and the
//! `etcd-member` test binary driving the library) runs inside a node namespace via
//! `ip netns exec`. Nothing leaves the namespaces.
//!
//! Where etcd runs comes from the etcd mirror Pods; that reader is checked against the test
//! control plane on loopback.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::etcd_lab::{EtcdLab, PKI, node_config};
use common::{stderr, stdout, tool};
use kubeadm_rs::cluster::Cluster;
use kubeadm_rs::config::InitConfig;
use kubeadm_rs::etcd::{EtcdError, endpoints_from_cluster};
use kubeadm_rs::events::Events;
use kubeadm_rs::manifests::{
    ControlPlaneComponent, ETCD, EtcdMember, NodeEnvironment, control_plane_pod, etcd_pod,
    render_static_pod,
};
use kubeadm_rs_tests::cluster_fixture;
use kubeadm_rs_tests::run_phases;
use serde_json::Value;

/// The `etcd-member` test binary (the library's etcd client) in node `node`'s namespace.
fn member_step(lab: &EtcdLab, node: usize, root: &Path, endpoint: &str) -> Command {
    let mut cmd = lab.exec(node, env!("CARGO_BIN_EXE_etcd-member"));
    cmd.arg("--rootfs").arg(root).args(["--endpoint", endpoint]);
    cmd
}

/// The first node: its PKI (with the cluster's CAs) and the init etcd.yaml.
fn init_first_node(root: &Path, cfg: &InitConfig) {
    for phase in ["certs", "etcd/local"] {
        run_phases(root, cfg, Some(phase), &[], Events::discard())
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A joining node: the shared CAs copied from the first node (what `download-certs` brings),
/// then its own certificates signed by them.
fn prepare_joining_node(root: &Path, first: &Path, cfg: &InitConfig) {
    let shared = [
        "ca.crt",
        "ca.key",
        "sa.key",
        "sa.pub",
        "front-proxy-ca.crt",
        "front-proxy-ca.key",
        "etcd/ca.crt",
        "etcd/ca.key",
    ];
    for file in shared {
        let to = root.join(&PKI[1..]).join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(first.join(&PKI[1..]).join(file), &to).unwrap();
    }
    run_phases(root, cfg, Some("certs"), &[], Events::discard()).unwrap_or_else(|e| panic!("{e}"));
}

/// The join etcd.yaml for `cfg` with the members the learner add returned.
fn write_join_manifest(root: &Path, cfg: &InitConfig, members: &[EtcdMember]) -> Vec<String> {
    let pod = etcd_pod(cfg, members).expect("the join etcd Pod");
    let yaml = render_static_pod(ETCD, &pod, None, &Events::discard()).unwrap();
    let dir = root.join("etc/kubernetes/manifests");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("etcd.yaml"), yaml).unwrap();
    pod.spec.unwrap().containers[0].command.clone().unwrap()
}

/// The container command of a static Pod manifest, with node paths mapped under `root`.
fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
    serde_json::from_str(&stdout(out)).expect("JSON on stdout")
}

fn initial_cluster(added: &Value) -> Vec<EtcdMember> {
    added["initialCluster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| EtcdMember {
            name: m["name"].as_str().unwrap().into(),
            peer_url: m["peerURL"].as_str().unwrap().into(),
        })
        .collect()
}

/// The rows of `etcdctl member list -w table`: ID, status, name, peer URL, client URL, learner.
fn member_table(out: &Output) -> Vec<Vec<String>> {
    assert!(out.status.success(), "{}", stderr(out));
    stdout(out)
        .lines()
        .filter(|l| l.starts_with('|') && !l.contains(" ID "))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

struct Node {
    root: tempfile::TempDir,
    cfg: InitConfig,
}

impl Node {
    fn new(lab: &EtcdLab, i: usize) -> Node {
        Node {
            root: tempfile::tempdir().unwrap(),
            cfg: node_config(&format!("cp-{i}"), &lab.address(i)),
        }
    }

    fn path(&self) -> PathBuf {
        self.root.path().to_path_buf()
    }
}

#[test]
fn two_control_plane_nodes_join_etcd_as_learners_and_become_voting_members() {
    tool("etcd");
    tool("etcdctl");
    let mut lab = EtcdLab::create("join", "10.201.0", 3);
    let nodes: Vec<Node> = (1..=3).map(|i| Node::new(&lab, i)).collect();
    let first = nodes[0].path();
    init_first_node(&first, &nodes[0].cfg);
    lab.start_etcd(1, &first);
    lab.wait_healthy(1, &first);

    for i in 2..=3 {
        let node = &nodes[i - 1];
        let root = node.path();
        prepare_joining_node(&root, &first, &node.cfg);
        // The joining node reaches etcd where the etcd Pod annotation says: node 1.
        let endpoint = lab.client_url(1);
        json(
            &member_step(&lab, i, &root, &endpoint)
                .arg("health")
                .output()
                .unwrap(),
        );

        let added = json(
            &member_step(&lab, i, &root, &endpoint)
                .args(["add-learner", "--name", &format!("cp-{i}")])
                .args(["--peer-url", &lab.peer_url(i)])
                .output()
                .unwrap(),
        );
        let expected: Vec<EtcdMember> = (1..=i)
            .map(|n| EtcdMember {
                name: format!("cp-{n}"),
                peer_url: lab.peer_url(n),
            })
            .collect();
        // In etcd's order (by member ID), which etcd does not mind.
        let members = initial_cluster(&added);
        let mut sorted = members.clone();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(sorted, expected);
        assert_eq!(added["clientURL"], lab.client_url(i));

        let command = write_join_manifest(&root, &node.cfg, &members);
        let flag = |f: &str| command.iter().any(|a| a == f);
        let cluster: Vec<String> = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url))
            .collect();
        assert!(
            flag(&format!("--initial-cluster={}", cluster.join(","))),
            "{command:?}"
        );
        assert!(flag("--initial-cluster-state=existing"), "{command:?}");
        // etcd 3.4 flags; 3.4 would refuse the 3.6 spellings and not start at all.
        assert!(
            flag("--experimental-initial-corrupt-check=true"),
            "{command:?}"
        );
        assert!(
            flag("--experimental-watch-progress-notify-interval=5s"),
            "{command:?}"
        );
        assert!(
            !command.iter().any(|a| a.starts_with("--feature-gates")),
            "{command:?}"
        );

        lab.start_etcd(i, &root);
        let id = added["id"].as_str().unwrap();
        let promoted = json(
            &member_step(&lab, i, &root, &endpoint)
                .args(["promote", "--id", id, "--client-url", &lab.client_url(i)])
                .output()
                .unwrap(),
        );
        assert!(
            promoted["endpoints"]
                .as_array()
                .unwrap()
                .contains(&Value::from(lab.client_url(i))),
            "{promoted}"
        );
    }

    let table = member_table(&lab.etcdctl(
        1,
        &first,
        &lab.client_url(1),
        &["member", "list", "-w", "table"],
    ));
    let mut rows: Vec<(String, String, String, String)> = table
        .iter()
        .map(|r| (r[2].clone(), r[1].clone(), r[3].clone(), r[5].clone()))
        .collect();
    rows.sort();
    let expected: Vec<(String, String, String, String)> = (1..=3)
        .map(|n| {
            let started = "started".to_string();
            (
                format!("cp-{n}"),
                started,
                lab.peer_url(n),
                "false".to_string(),
            )
        })
        .collect();
    assert_eq!(rows, expected, "{table:?}");

    // Reset's step: removing node 3's member; its etcd then stops by itself.
    let members = json(
        &member_step(&lab, 1, &first, &lab.client_url(1))
            .arg("members")
            .output()
            .unwrap(),
    );
    let third = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "cp-3")
        .expect("cp-3 is a member");
    let id = format!("{:x}", third["id"].as_u64().unwrap());
    let left = json(
        &member_step(&lab, 1, &first, &lab.client_url(1))
            .args(["remove", "--id", &id])
            .output()
            .unwrap(),
    );
    let mut names: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["cp-1", "cp-2"]);
    let table = member_table(&lab.etcdctl(
        1,
        &first,
        &lab.client_url(1),
        &["member", "list", "-w", "table"],
    ));
    assert_eq!(table.len(), 2, "{table:?}");
    assert!(
        lab.etcd_exits_within(3, Duration::from_secs(30)),
        "the removed member's etcd kept running"
    );
}

#[test]
fn promoting_a_learner_whose_etcd_never_started_fails_within_the_bound_and_removing_it_works() {
    tool("etcd");
    tool("etcdctl");
    let mut lab = EtcdLab::create("promote", "10.202.0", 1);
    let node = Node::new(&lab, 1);
    let root = node.path();
    init_first_node(&root, &node.cfg);
    lab.start_etcd(1, &root);
    lab.wait_healthy(1, &root);
    let endpoint = lab.client_url(1);

    // Nothing will ever serve this peer URL.
    let added = json(
        &member_step(&lab, 1, &root, &endpoint)
            .args([
                "add-learner",
                "--name",
                "cp-9",
                "--peer-url",
                "https://10.202.0.9:2380",
            ])
            .output()
            .unwrap(),
    );
    let id = added["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let out = member_step(&lab, 1, &root, &endpoint)
        .args(["--operation-timeout-ms", "3000"])
        .args([
            "promote",
            "--id",
            &id,
            "--client-url",
            "https://10.202.0.9:2379",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: etcd at {endpoint}: promoting learner {id}: no success within 3s; last error: \
             etcdserver: can only promote a learner member which is in sync with leader\n"
        )
    );
    // Bounded: the operation budget plus one request, with room for a loaded machine.
    assert!(took < Duration::from_secs(30), "{took:?}");

    let table = member_table(&lab.etcdctl(1, &root, &endpoint, &["member", "list", "-w", "table"]));
    let learner = table
        .iter()
        .find(|r| r[0] == id)
        .expect("the learner is listed");
    assert_eq!(
        (learner[1].as_str(), learner[5].as_str()),
        ("unstarted", "true")
    );

    let left = json(
        &member_step(&lab, 1, &root, &endpoint)
            .args(["remove", "--id", &id])
            .output()
            .unwrap(),
    );
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["name"], "cp-1");
    // Removing it again is a no-op (reset re-run), not an error.
    json(
        &member_step(&lab, 1, &root, &endpoint)
            .args(["remove", "--id", &id])
            .output()
            .unwrap(),
    );
    let table = member_table(&lab.etcdctl(1, &root, &endpoint, &["member", "list", "-w", "table"]));
    assert_eq!(table.len(), 1, "{table:?}");
}

#[test]
fn etcd_endpoints_are_read_from_the_etcd_mirror_pods_through_the_api() {
    let mut node = cluster_fixture::Node::prepare();
    let _control_plane = node.start_control_plane();
    let cluster = Cluster::connect(&node.super_admin(), Duration::from_secs(10)).unwrap();

    // No etcd Pod mirrored yet: the reader waits for one, within its budget.
    let started = Instant::now();
    let err = endpoints_from_cluster(&cluster, Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, EtcdError::NoEndpoints { .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_secs(1) - Duration::from_millis(600));

    let cp1 = node_config("cp-1", "10.0.0.1");
    let cp2 = node_config("cp-2", "10.0.0.2");
    // Mirror Pods are named <pod>-<node>. The kube-apiserver Pod is labelled
    // tier=control-plane too, but is no etcd.
    let mut api = control_plane_pod(
        ControlPlaneComponent::ApiServer,
        &cp1,
        &NodeEnvironment::default(),
    )
    .unwrap();
    api.metadata.name = Some("kube-apiserver-cp-1".into());
    cluster.create(&api).unwrap();
    for (cfg, name) in [(&cp2, "etcd-cp-2"), (&cp1, "etcd-cp-1")] {
        let mut etcd = etcd_pod(cfg, &[]).unwrap();
        etcd.metadata.name = Some(name.into());
        cluster.create(&etcd).unwrap();
    }
    assert_eq!(
        endpoints_from_cluster(&cluster, Duration::from_secs(5)).unwrap(),
        ["https://10.0.0.1:2379", "https://10.0.0.2:2379"]
    );
}
