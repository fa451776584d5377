//! The phase as the runner runs it: findings as events, one error naming every failed check.

use std::sync::Arc;

use super::*;
use crate::config::{InitConfig, default_cluster_configuration, default_init_configuration};
use crate::events::{Event, Events, Recorder, Severity};
use crate::node::NodeRoot;
use crate::phases::init::{InitData, InitOptions};
use crate::system::fake::FakeSystem;
use crate::workflow::{Selection, Workflow};

fn cfg(ignore: &[&str]) -> InitConfig {
    let mut init = default_init_configuration();
    init.local_api_endpoint.advertise_address = "192.0.2.10".into();
    init.node_registration.name = "node-1".into();
    init.node_registration.ignore_preflight_errors = ignore.iter().map(|s| s.to_string()).collect();
    InitConfig {
        init,
        cluster: default_cluster_configuration(),
        kubelet: None,
        kube_proxy: None,
        plugins: None,
    }
}

/// Runs only the preflight phase; returns the error (if any) and the findings reported.
fn run(
    cfg: InitConfig,
    system: FakeSystem,
    dry_run: bool,
) -> (Option<String>, Vec<(String, Severity, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let events = Events::new(recorder.clone());
    let root = NodeRoot::open(dir.path(), events.clone()).unwrap();
    let options = InitOptions {
        dry_run,
        ..InitOptions::default()
    };
    let mut data = InitData::new(cfg, root, options, Box::new(system));
    let workflow = Workflow::new(vec![preflight_phase()]);
    let plan = workflow.plan(&Selection::default()).unwrap();
    let result = workflow.execute(&plan, &mut data as &mut dyn InitContext, &events);
    let findings = recorder
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Finding {
                check,
                severity,
                message,
                ..
            } => Some((check, severity, message)),
            _ => None,
        })
        .collect();
    (result.err().map(|e| e.to_string()), findings)
}

#[test]
fn a_ready_node_passes_and_is_told_that_images_are_not_pulled() {
    let (err, findings) = run(cfg(&[]), FakeSystem::kubeadm_ready(), false);
    assert_eq!(err, None);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        (findings[0].0.as_str(), findings[0].1),
        ("ImagePull", Severity::Info)
    );
}

#[test]
fn dry_run_lists_the_images_it_would_pull() {
    let (err, findings) = run(cfg(&[]), FakeSystem::kubeadm_ready(), true);
    assert_eq!(err, None);
    let want: Vec<(String, Severity, String)> = cfg(&[])
        .images()
        .into_iter()
        .map(|image| {
            (
                "ImagePull".to_string(),
                Severity::Info,
                format!("would pull {image}"),
            )
        })
        .collect();
    assert_eq!(findings, want);
}

#[test]
fn the_phase_fails_once_with_every_error_and_pulls_nothing() {
    let mut system = FakeSystem::kubeadm_ready();
    system.euid = 1000;
    system.busy_ports.extend([6443, 2379]);
    system
        .files
        .insert("/proc/sys/net/ipv4/ip_forward".into(), b"0\n".to_vec());
    let (err, findings) = run(cfg(&[]), system, true);

    assert_eq!(
        err.as_deref(),
        Some(
            "phase preflight: 4 preflight checks failed: [ERROR IsPrivilegedUser]: user is not running as root, \
             [ERROR Port-6443]: Port 6443 is in use, [ERROR FileContent--proc-sys-net-ipv4-ip_forward]: \
             /proc/sys/net/ipv4/ip_forward contents are not set to 1, [ERROR Port-2379]: Port 2379 is in use; if you \
             know what you are doing, make them non-fatal with \
             --ignore-preflight-errors=IsPrivilegedUser,Port-6443,FileContent--proc-sys-net-ipv4-ip_forward,Port-2379"
        )
    );
    let checks: Vec<&str> = findings.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        checks,
        [
            "IsPrivilegedUser",
            "Port-6443",
            "FileContent--proc-sys-net-ipv4-ip_forward",
            "Port-2379"
        ]
    );
}

#[test]
fn errors_ignored_in_the_configuration_do_not_stop_the_phase() {
    let mut system = FakeSystem::kubeadm_ready();
    system.busy_ports.insert(6443);
    system.cpus = 1;
    let (err, findings) = run(cfg(&["Port-6443", "NUMCPU"]), system.clone(), false);
    assert_eq!(err, None);
    let demoted: Vec<(&str, Severity)> = findings
        .iter()
        .filter(|f| f.0 != "ImagePull")
        .map(|f| (f.0.as_str(), f.1))
        .collect();
    assert_eq!(
        demoted,
        [
            ("NumCPU", Severity::Warning),
            ("Port-6443", Severity::Warning)
        ]
    );

    let (err, _) = run(cfg(&["all"]), system, false);
    assert_eq!(err, None);
}
