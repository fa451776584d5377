use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::config::reset::{ResetOverrides, resolve_reset};
use crate::events::{Event, Recorder, RemovedKind};
use crate::system::fake::FakeSystem;
use crate::workflow::Selection;

/// Answers the confirmation as told, and counts the questions.
struct Answer(Option<bool>);

impl Prompt for Answer {
    fn confirm(&self, _question: &str) -> Result<(), ConfirmError> {
        match self.0 {
            None => Err(ConfirmError::NoTerminal),
            Some(true) => Ok(()),
            Some(false) => Err(ConfirmError::Declined),
        }
    }
}

/// The files a control-plane init leaves, and an etcd manifest for `data_dir`.
fn initialised(dir: &Path) {
    let files = [
        "etc/kubernetes/admin.conf",
        "etc/kubernetes/super-admin.conf",
        "etc/kubernetes/kubelet.conf",
        "etc/kubernetes/controller-manager.conf",
        "etc/kubernetes/scheduler.conf",
        "etc/kubernetes/manifests/kube-apiserver.yaml",
        "etc/kubernetes/pki/ca.key",
        "etc/kubernetes/pki/etcd/ca.crt",
        "etc/kubernetes/tmp/kubeadm-backup/x",
        "var/lib/kubelet/config.yaml",
        "var/lib/etcd/member/snap/db",
        "etc/cni/net.d/10-flannel.conflist",
    ];
    for f in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }
    std::fs::write(
        dir.join("etc/kubernetes/manifests/etcd.yaml"),
        ETCD_MANIFEST,
    )
    .unwrap();
}

const ETCD_MANIFEST: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - name: etcd
    command:
    - etcd
    - --advertise-client-urls=https://10.0.0.5:2379
    - --initial-advertise-peer-urls=https://10.0.0.5:2380
    - --initial-cluster=cp-1=https://10.0.0.4:2380,node-a=https://10.0.0.5:2380
  volumes:
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
";

/// Every path below `dir` with its content (files) or `None` (directories, links).
fn tree(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let name = p.strip_prefix(base).unwrap().display().to_string();
            if p.is_dir() && !p.is_symlink() {
                out.push((name, None));
                walk(base, &p, out);
            } else {
                out.push((name, std::fs::read(&p).ok()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

struct Run {
    events: Vec<Event>,
    result: Result<(), String>,
}

fn reset(dir: &Path, flags: ResetOverrides, answer: Option<bool>, system: FakeSystem) -> Run {
    let (cfg, _) = resolve_reset(None, &flags).unwrap();
    let rec = Arc::new(Recorder::default());
    let events = Events::new(rec.clone());
    let root = if cfg.dry_run {
        NodeRoot::open_read_only(dir, events.clone()).unwrap()
    } else {
        NodeRoot::open(dir, events.clone()).unwrap()
    };
    let workflow = reset_workflow();
    let plan = workflow
        .plan(&Selection {
            filter: None,
            skip: cfg.skip_phases.clone(),
        })
        .unwrap();
    let mut data = ResetData::new(cfg, root, Box::new(system), Box::new(Answer(answer)))
        .prepared_root(true)
        .with_plan(plan.clone());
    let ctx: &mut dyn ResetContext = &mut data;
    let result = workflow
        .execute(&plan, ctx, &events)
        .map_err(|e| e.to_string());
    drop(data);
    Run {
        events: rec.take(),
        result,
    }
}

fn messages(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::Info { message } | Event::Warning { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn removed(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::FileRemoved { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}

/// Skips the etcd phase: its member removal would dial the manifest's node address.
fn offline(flags: ResetOverrides) -> ResetOverrides {
    ResetOverrides {
        skip_phases: vec!["remove-etcd-member".into()],
        ..flags
    }
}

fn forced() -> ResetOverrides {
    offline(ResetOverrides {
        force: true,
        ..Default::default()
    })
}

#[test]
fn cleanup_removes_what_kubeadm_removes_and_leaves_cni_configuration() {
    let dir = tempfile::tempdir().unwrap();
    initialised(dir.path());
    let run = reset(dir.path(), forced(), None, FakeSystem::kubeadm_ready());
    run.result.clone().unwrap();
    for gone in [
        "etc/kubernetes/admin.conf",
        "etc/kubernetes/super-admin.conf",
        "etc/kubernetes/kubelet.conf",
        "etc/kubernetes/manifests/etcd.yaml",
        "etc/kubernetes/pki/ca.key",
        "etc/kubernetes/pki/etcd",
        "var/lib/kubelet/config.yaml",
    ] {
        assert!(!dir.path().join(gone).exists(), "{gone} is still there");
    }
    for kept in [
        "etc/kubernetes/manifests",
        "etc/kubernetes/pki",
        "var/lib/kubelet",
        "etc/kubernetes/tmp/kubeadm-backup/x",
        "etc/cni/net.d/10-flannel.conflist",
    ] {
        assert!(dir.path().join(kept).exists(), "{kept} was removed");
    }
    let log = messages(&run).join("\n");
    assert!(log.contains("[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]"), "{log}");
    // A prepared root's kubelet is not this host's to stop.
    assert!(
        log.contains("The kubelet service could not be stopped by kubeadm"),
        "{log}"
    );
}

#[test]
fn cleanup_tmp_dir_and_a_non_default_cert_dir_are_cleaned_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    initialised(dir.path());
    std::fs::create_dir_all(dir.path().join("srv/pki")).unwrap();
    std::fs::write(dir.path().join("srv/pki/ca.crt"), "x").unwrap();
    let run = reset(
        dir.path(),
        ResetOverrides {
            cleanup_tmp_dir: true,
            cert_dir: Some("/srv/pki".into()),
            ..forced()
        },
        None,
        FakeSystem::kubeadm_ready(),
    );
    run.result.clone().unwrap();
    assert!(
        !dir.path()
            .join("etc/kubernetes/tmp/kubeadm-backup")
            .exists()
    );
    assert!(!dir.path().join("srv/pki/ca.crt").exists());
    assert!(dir.path().join("etc/kubernetes/pki/ca.key").exists());
    let log = messages(&run).join("\n");
    assert!(
        log.contains("WARNING: Cleaning a non-default certificates directory: \"/srv/pki\""),
        "{log}"
    );
}

#[test]
fn dry_run_removes_nothing_and_lists_each_path_it_would_remove() {
    let dir = tempfile::tempdir().unwrap();
    initialised(dir.path());
    let before = tree(dir.path());
    // Dry-run needs no confirmation, and lists the etcd data too (nothing is dialled).
    let run = reset(
        dir.path(),
        ResetOverrides {
            dry_run: true,
            ..Default::default()
        },
        None,
        FakeSystem::kubeadm_ready(),
    );
    run.result.clone().unwrap();
    assert_eq!(tree(dir.path()), before);
    let listed = removed(&run);
    for path in [
        "/etc/kubernetes/admin.conf",
        "/etc/kubernetes/manifests/etcd.yaml",
        "/var/lib/etcd/member/snap/db",
        "/var/lib/kubelet/config.yaml",
    ] {
        assert!(listed.iter().any(|p| p == path), "{path} not in {listed:?}");
    }
    assert!(
        run.events
            .iter()
            .all(|e| !matches!(e, Event::FileRemoved { dry_run: false, .. }))
    );
    let log = messages(&run).join("\n");
    assert!(
        log.contains("[reset] Would remove the etcd member on this node from the etcd cluster"),
        "{log}"
    );
}

#[test]
fn without_force_reset_asks_and_goes_ahead_only_on_yes() {
    for (answer, expected) in [
        (
            None,
            Some("standard input is not a terminal; run with --force"),
        ),
        (Some(false), Some("the user didn't answer (Y|y)")),
        (Some(true), None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        initialised(dir.path());
        let run = reset(
            dir.path(),
            offline(ResetOverrides::default()),
            answer,
            FakeSystem::kubeadm_ready(),
        );
        match expected {
            Some(text) => {
                let err = run.result.clone().unwrap_err();
                assert!(
                    err.starts_with("phase preflight: ") && err.contains(text),
                    "{err}"
                );
                assert!(removed(&run).is_empty());
                assert!(dir.path().join("etc/kubernetes/admin.conf").exists());
            }
            None => {
                run.result.clone().unwrap();
                assert!(!dir.path().join("etc/kubernetes/admin.conf").exists());
            }
        }
    }
}

#[test]
fn preflight_needs_root_unless_ignored() {
    let dir = tempfile::tempdir().unwrap();
    initialised(dir.path());
    let user = FakeSystem {
        euid: 1000,
        ..FakeSystem::kubeadm_ready()
    };
    let run = reset(dir.path(), forced(), None, user.clone());
    let err = run.result.clone().unwrap_err();
    assert!(
        err.contains("[ERROR IsPrivilegedUser]: user is not running as root"),
        "{err}"
    );
    assert!(dir.path().join("etc/kubernetes/admin.conf").exists());
    let run = reset(
        dir.path(),
        ResetOverrides {
            ignore_preflight_errors: vec!["isprivilegeduser".into()],
            ..forced()
        },
        None,
        user,
    );
    run.result.clone().unwrap();
}

#[test]
fn the_kubelet_is_stopped_through_systemd_on_a_live_node() {
    let dir = tempfile::tempdir().unwrap();
    let mut system = FakeSystem::kubeadm_ready();
    system
        .commands
        .insert("systemctl stop kubelet".into(), Ok(String::new()));
    let flags = forced();
    let (cfg, _) = resolve_reset(None, &flags).unwrap();
    let rec = Arc::new(Recorder::default());
    let events = Events::new(rec.clone());
    let root = NodeRoot::open(dir.path(), events.clone()).unwrap();
    let mut data = ResetData::new(cfg, root, Box::new(system), Box::new(Answer(None)));
    let workflow = reset_workflow();
    let plan = workflow
        .plan(&Selection {
            filter: Some("cleanup-node".into()),
            skip: vec![],
        })
        .unwrap();
    let ctx: &mut dyn ResetContext = &mut data;
    workflow.execute(&plan, ctx, &events).unwrap();
    let log: Vec<String> = rec
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Info { message } | Event::Warning { message } => Some(message),
            _ => None,
        })
        .collect();
    assert!(
        log.contains(&"[reset] Stopping the kubelet service".to_string()),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.contains("could not be stopped")),
        "{log:?}"
    );
}

#[test]
fn a_node_without_an_etcd_manifest_is_assumed_to_use_external_etcd() {
    let dir = tempfile::tempdir().unwrap();
    let run = reset(
        dir.path(),
        ResetOverrides {
            force: true,
            ..Default::default()
        },
        None,
        FakeSystem::kubeadm_ready(),
    );
    run.result.clone().unwrap();
    let log = messages(&run).join("\n");
    assert!(
        log.contains("[reset] No etcd config found. Assuming external etcd"),
        "{log}"
    );
}

#[test]
fn the_etcd_manifest_names_the_member_its_data_and_every_known_endpoint() {
    let local = EtcdManifest::parse(ETCD_MANIFEST).unwrap();
    assert_eq!(local.data_dir, "/var/lib/etcd");
    assert_eq!(local.peer_url, "https://10.0.0.5:2380");
    assert_eq!(
        local.endpoints,
        ["https://10.0.0.5:2379", "https://10.0.0.4:2379"]
    );
    let err = EtcdManifest::parse(&ETCD_MANIFEST.replace("etcd-data", "data")).unwrap_err();
    assert_eq!(err.to_string(), "has no etcd-data hostPath volume");
}

#[test]
fn removal_events_name_the_kind_of_entry() {
    let dir = tempfile::tempdir().unwrap();
    initialised(dir.path());
    let run = reset(dir.path(), forced(), None, FakeSystem::kubeadm_ready());
    assert!(run.events.iter().any(|e| matches!(e,
        Event::FileRemoved { path, kind: RemovedKind::Directory, dry_run: false } if path == "/etc/kubernetes/pki/etcd")));
}
