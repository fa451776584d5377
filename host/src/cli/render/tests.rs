//! What a person sees for each typed event, and the JSON line a program reads.

use std::sync::{Arc, Mutex};

use serde_json::json;

use super::*;
use crate::events::Events;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buf {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// (stderr, stdout) of the terminal view of `events`, without colour.
fn human(events: Vec<Event>) -> (String, String) {
    let (progress, data) = (Buf::default(), Buf::default());
    let sink = Events::new(HumanRenderer::new(progress.clone(), data.clone(), false));
    for e in events {
        sink.emit(e);
    }
    (progress.text(), data.text())
}

fn object(action: ObjectAction, namespace: Option<&str>, dry_run: bool) -> Event {
    Event::Object {
        action,
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        resource: "configmaps".into(),
        namespace: namespace.map(str::to_string),
        name: "kubeadm-config".into(),
        dry_run,
        body: dry_run.then(|| json!({"kind": "ConfigMap", "data": {"a": "b"}})),
    }
}

#[test]
fn dry_run_objects_read_as_kubeadms_dry_run() {
    let (progress, data) = human(vec![object(
        ObjectAction::Create,
        Some("kube-system"),
        true,
    )]);
    assert_eq!(
        progress,
        "[dryrun] Would perform action CREATE on resource \"configmaps\" in API group \"core/v1\"\n"
    );
    assert_eq!(
        data,
        "[dryrun] Attached object:\ndata:\n  a: b\nkind: ConfigMap\n"
    );
}

#[test]
fn dry_run_patches_and_deletes_name_their_object() {
    let mut patch = object(ObjectAction::Patch, None, true);
    if let Event::Object { body, .. } = &mut patch {
        *body = Some(json!({"metadata": {"labels": {"x": "y"}}}));
    }
    let mut delete = object(ObjectAction::Delete, Some("kube-system"), true);
    if let Event::Object { body, .. } = &mut delete {
        *body = None;
    }
    let (progress, data) = human(vec![patch, delete]);
    assert_eq!(
        progress,
        "[dryrun] Would perform action PATCH on resource \"configmaps\" in API group \"core/v1\"\n\
         [dryrun] Would perform action DELETE on resource \"configmaps\" in API group \"core/v1\"\n\
         [dryrun] Would delete configmap kube-system/kubeadm-config\n"
    );
    assert!(
        data.starts_with("[dryrun] Attached patch for kubeadm-config:\nmetadata:"),
        "{data}"
    );
}

#[test]
fn live_writes_are_listed_like_written_files() {
    let (progress, data) = human(vec![
        object(ObjectAction::Create, Some("kube-system"), false),
        object(ObjectAction::Apply, None, false),
    ]);
    assert_eq!(
        progress,
        "\tcreated configmap kube-system/kubeadm-config\n\tapplied configmap kubeadm-config\n"
    );
    assert_eq!(data, "");
}

#[test]
fn plugin_log_records_and_remedies_read_as_before() {
    let (progress, _) = human(vec![
        Event::PluginLog {
            plugin: "flannel".into(),
            level: LogLevel::Info,
            message: "rendered".into(),
            fields: vec![("objects".into(), "6".into())],
        },
        Event::PluginLog {
            plugin: "flannel".into(),
            level: LogLevel::Error,
            message: "odd".into(),
            fields: Vec::new(),
        },
        Event::Finding {
            check: "net-sysctls/ip-forward".into(),
            severity: Severity::Error,
            message: "net.ipv4.ip_forward is 0".into(),
            remedy: Some("sysctl -w net.ipv4.ip_forward=1".into()),
            ignored: false,
        },
    ]);
    assert_eq!(
        progress,
        "flannel: rendered objects=6\nwarning: flannel: odd\n\
         \t[ERROR net-sysctls/ip-forward]: net.ipv4.ip_forward is 0 (remedy: sysctl -w net.ipv4.ip_forward=1)\n"
    );
}

#[test]
fn json_lines_carry_the_schema_version_and_the_event_tag() {
    let out = Buf::default();
    let sink = Events::new(JsonRenderer::new(out.clone()));
    sink.emit(object(ObjectAction::Create, Some("kube-system"), true));
    sink.info("[certs] Using certificateDir folder \"/etc/kubernetes/pki\"");
    let text = out.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        text.starts_with(r#"{"schema":1,"event":"object","action":"create","#),
        "{text}"
    );
    assert_eq!(lines[0]["body"]["data"]["a"], "b");
    assert_eq!(lines[1]["event"], "info");
    assert_eq!(lines[1]["schema"], SCHEMA_VERSION);
}
