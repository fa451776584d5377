//! The JSON schema of each event kind, pinned: these names are what `--output json` readers
//! depend on (the README documents them).

use std::time::Duration;

use serde_json::{Value, json};

use super::*;

fn as_json(event: Event) -> Value {
    serde_json::to_value(event).unwrap()
}

#[test]
fn every_event_kind_has_a_snake_case_tag_and_fields() {
    let cases = [
        (
            Event::PhaseFinished {
                path: "certs/ca".into(),
                duration: Duration::from_micros(1500),
                ok: true,
            },
            json!({"event": "phase_finished", "path": "certs/ca", "duration_ms": 1.5, "ok": true}),
        ),
        (
            Event::Finding {
                check: "net-sysctls/ip-forward".into(),
                severity: Severity::Warning,
                message: "net.ipv4.ip_forward is 0, want 1".into(),
                remedy: Some("sysctl -w net.ipv4.ip_forward=1".into()),
                ignored: true,
            },
            json!({"event": "finding", "check": "net-sysctls/ip-forward", "severity": "warning",
                   "message": "net.ipv4.ip_forward is 0, want 1",
                   "remedy": "sysctl -w net.ipv4.ip_forward=1", "ignored": true}),
        ),
        (
            Event::FileWritten {
                path: "/etc/kubernetes/pki/ca.key".into(),
                mode: 0o600,
                bytes: 1675,
                reused: false,
            },
            json!({"event": "file_written", "path": "/etc/kubernetes/pki/ca.key", "mode": 384,
                   "bytes": 1675, "reused": false}),
        ),
        (
            Event::FileRemoved {
                path: "/etc/kubernetes/pki".into(),
                kind: RemovedKind::Directory,
                dry_run: true,
            },
            json!({"event": "file_removed", "path": "/etc/kubernetes/pki", "kind": "directory",
                   "dry_run": true}),
        ),
        (
            Event::Object {
                action: ObjectAction::Apply,
                api_version: "apps/v1".into(),
                kind: "DaemonSet".into(),
                resource: "daemonsets".into(),
                namespace: Some("kube-flannel".into()),
                name: "kube-flannel-ds".into(),
                dry_run: false,
                body: None,
            },
            json!({"event": "object", "action": "apply", "api_version": "apps/v1",
                   "kind": "DaemonSet", "resource": "daemonsets", "namespace": "kube-flannel",
                   "name": "kube-flannel-ds", "dry_run": false}),
        ),
        (
            Event::Object {
                action: ObjectAction::Create,
                api_version: "rbac.authorization.k8s.io/v1".into(),
                kind: "ClusterRole".into(),
                resource: "clusterroles".into(),
                namespace: None,
                name: "kubeadm:get-nodes".into(),
                dry_run: true,
                body: Some(json!({"kind": "ClusterRole"})),
            },
            json!({"event": "object", "action": "create",
                   "api_version": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "resource": "clusterroles", "namespace": null, "name": "kubeadm:get-nodes",
                   "dry_run": true, "body": {"kind": "ClusterRole"}}),
        ),
        (
            Event::PluginLog {
                plugin: "flannel".into(),
                level: LogLevel::Info,
                message: "rendered".into(),
                fields: vec![
                    ("subnet".into(), "10.244.0.0/16".into()),
                    ("a".into(), "1".into()),
                ],
            },
            json!({"event": "plugin_log", "plugin": "flannel", "level": "info",
                   "message": "rendered", "fields": {"subnet": "10.244.0.0/16", "a": "1"}}),
        ),
        (
            Event::Output {
                text: "kubeadm-rs join …".into(),
            },
            json!({"event": "output", "text": "kubeadm-rs join …"}),
        ),
    ];
    for (event, expected) in cases {
        assert_eq!(as_json(event), expected);
    }
}

#[test]
fn plugin_log_fields_keep_the_order_the_plugin_gave() {
    let event = Event::PluginLog {
        plugin: "p".into(),
        level: LogLevel::Warn,
        message: "m".into(),
        fields: vec![("z".into(), "1".into()), ("a".into(), "2".into())],
    };
    let line = serde_json::to_string(&event).unwrap();
    assert!(line.ends_with(r#""fields":{"z":"1","a":"2"}}"#), "{line}");
}
