//! The phase as the runner runs it: the files it writes, and what it asks of systemd.

use std::sync::Arc;

use super::*;
use crate::config::{InitConfig, default_cluster_configuration, default_init_configuration};
use crate::events::{Event, Events, Recorder};
use crate::node::NodeRoot;
use crate::phases::init::{InitData, InitOptions};
use crate::system::ServiceState;
use crate::system::fake::FakeSystem;
use crate::workflow::{Selection, Workflow};

fn cfg() -> InitConfig {
    let mut init = default_init_configuration();
    init.local_api_endpoint.advertise_address = "192.0.2.10".into();
    init.node_registration.name = "node-1".into();
    InitConfig {
        init,
        cluster: default_cluster_configuration(),
        kubelet: None,
        kube_proxy: None,
        plugins: None,
    }
}

/// A systemd host with a kubelet unit, on which `systemctl` succeeds for `commands`.
fn systemd_host(commands: &[&str]) -> FakeSystem {
    let mut system = FakeSystem {
        hostname: "node-1".into(),
        systemd: true,
        ..FakeSystem::default()
    };
    system.services.insert(
        "kubelet".into(),
        ServiceState {
            exists: true,
            enabled: true,
            active: false,
        },
    );
    for command in commands {
        system
            .commands
            .insert(command.to_string(), Ok(String::new()));
    }
    system
}

struct Outcome {
    dir: tempfile::TempDir,
    infos: Vec<String>,
    warnings: Vec<String>,
}

impl Outcome {
    fn file(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(path.trim_start_matches('/'))).ok()
    }
}

fn run(cfg: InitConfig, system: FakeSystem, dry_run: bool) -> Outcome {
    let options = InitOptions {
        dry_run,
        ..InitOptions::default()
    };
    run_with(cfg, system, options)
}

fn run_with(cfg: InitConfig, system: FakeSystem, options: InitOptions) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let events = Events::new(recorder.clone());
    let root = NodeRoot::open(dir.path(), events.clone()).unwrap();
    let mut data = InitData::new(cfg, root, options, Box::new(system));
    let workflow = Workflow::new(vec![kubelet_start_phase()]);
    let plan = workflow.plan(&Selection::default()).unwrap();
    workflow
        .execute(&plan, &mut data as &mut dyn InitContext, &events)
        .unwrap();
    let (mut infos, mut warnings) = (Vec::new(), Vec::new());
    for event in recorder.take() {
        match event {
            Event::Info { message } => infos.push(message),
            Event::Warning { message } => warnings.push(message),
            _ => {}
        }
    }
    Outcome {
        dir,
        infos,
        warnings,
    }
}

const ALL_SYSTEMCTL: [&str; 3] = [
    "systemctl stop kubelet",
    "systemctl daemon-reload",
    "systemctl restart kubelet",
];

#[test]
fn writes_the_kubelet_files_and_restarts_the_kubelet_through_systemd() {
    let out = run(cfg(), systemd_host(&ALL_SYSTEMCTL), false);
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(
        out.infos
            .contains(&"[kubelet-start] Starting the kubelet".to_string()),
        "{:?}",
        out.infos
    );
    assert_eq!(
        out.file("/var/lib/kubelet/kubeadm-flags.env").unwrap(),
        "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n"
    );
    assert_eq!(
        out.file("/var/lib/kubelet/instance-config.yaml").unwrap(),
        "containerRuntimeEndpoint: \"unix:///var/run/containerd/containerd.sock\"\n"
    );
    let config = out.file("/var/lib/kubelet/config.yaml").unwrap();
    assert!(
        config.starts_with("apiVersion: kubelet.config.k8s.io/v1beta1\n"),
        "{config}"
    );
    assert!(
        config.contains("containerRuntimeEndpoint: unix:///var/run/containerd/containerd.sock\n"),
        "{config}"
    );
    assert!(!config.contains("resolvConf"), "{config}");
    let mode = |p: &str| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(out.dir.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("var/lib/kubelet"), 0o700);
    assert_eq!(mode("var/lib/kubelet/config.yaml"), 0o644);
    assert_eq!(mode("var/lib/kubelet/kubeadm-flags.env"), 0o644);
}

#[test]
fn a_failed_restart_is_a_warning_that_says_what_to_do() {
    let out = run(
        cfg(),
        systemd_host(&["systemctl stop kubelet", "systemctl daemon-reload"]),
        false,
    );
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0]
            .starts_with("[kubelet-start] unable to start the kubelet service: [systemctl: "),
        "{}",
        out.warnings[0]
    );
    assert!(out.warnings[0].ends_with("please ensure kubelet is reloaded and running manually"));
}

#[test]
fn a_host_without_a_kubelet_unit_is_warned_about_and_nothing_is_restarted() {
    let mut system = systemd_host(&["systemctl stop kubelet"]);
    system.services.clear();
    let out = run(cfg(), system, false);
    assert_eq!(
        out.warnings,
        [
            "[kubelet-start] Couldn't detect a kubelet service, can't make sure the kubelet is running properly."
        ]
    );
}

#[test]
fn without_systemd_the_files_are_written_and_the_user_is_told_to_start_the_kubelet() {
    let system = FakeSystem {
        hostname: "node-1".into(),
        ..FakeSystem::default()
    };
    let out = run(cfg(), system, false);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].contains("systemctl daemon-reload && systemctl restart kubelet"));
    assert!(out.file("/var/lib/kubelet/config.yaml").is_some());
}

#[test]
fn a_prepared_root_leaves_the_hosts_kubelet_alone() {
    // No systemctl command would succeed here: any call would show up as a warning.
    let options = InitOptions {
        prepared_root: true,
        ..InitOptions::default()
    };
    let out = run_with(cfg(), systemd_host(&[]), options);
    assert!(
        !out.warnings.iter().any(|w| w.contains("unable to")),
        "{:?}",
        out.warnings
    );
    assert!(
        out.infos.iter().any(|i| i.contains("--rootfs")),
        "{:?}",
        out.infos
    );
    assert!(out.file("/var/lib/kubelet/config.yaml").is_some());
}

#[test]
fn dry_run_leaves_systemd_alone() {
    // No systemctl command would succeed here: any call would show up as a warning.
    let out = run(cfg(), systemd_host(&[]), true);
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(
        out.infos
            .contains(&"[kubelet-start] Would stop the kubelet".to_string())
    );
    assert!(
        out.infos
            .contains(&"[kubelet-start] Would start the kubelet".to_string())
    );
    assert!(out.file("/var/lib/kubelet/config.yaml").is_some());
}

#[test]
fn systemd_resolved_sets_the_resolver_file() {
    let mut system = systemd_host(&ALL_SYSTEMCTL);
    system.services.insert(
        "systemd-resolved".into(),
        ServiceState {
            exists: true,
            enabled: true,
            active: true,
        },
    );
    let out = run(cfg(), system, false);
    let config = out.file("/var/lib/kubelet/config.yaml").unwrap();
    assert!(
        config.contains("resolvConf: /run/systemd/resolve/resolv.conf\n"),
        "{config}"
    );
}

#[test]
fn without_node_local_cri_socket_the_socket_is_a_kubelet_flag() {
    let mut cfg = cfg();
    cfg.cluster
        .feature_gates
        .insert("NodeLocalCRISocket".into(), false);
    cfg.init.node_registration.name = "other-name".into();
    let out = run(cfg, systemd_host(&ALL_SYSTEMCTL), false);
    assert_eq!(
        out.file("/var/lib/kubelet/kubeadm-flags.env").unwrap(),
        "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock \
         --hostname-override=other-name --pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n"
    );
    assert!(out.file("/var/lib/kubelet/instance-config.yaml").is_none());
    let config = out.file("/var/lib/kubelet/config.yaml").unwrap();
    assert!(
        config.contains("containerRuntimeEndpoint: \"\"\n"),
        "{config}"
    );
    assert!(out.infos.contains(
        &"[kubelet-start] Skipping writing instance kubelet configuration file as the NodeLocalCRISocket feature gate is disabled"
            .to_string()
    ));
}
