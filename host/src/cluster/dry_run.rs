//! The dry-run client: every write is printed as kubeadm's dry-run prints it, nothing is
//! sent, and reads answer as a cluster that `init` just created would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

use super::ClusterError;
use super::backend::{Backend, Kind, PatchKind};
use crate::workflow::Events;

pub struct DryRun {
    events: Events,
    /// Gives created objects distinct uids, so owner references can point at them.
    created: AtomicU64,
}

impl DryRun {
    pub fn new(events: Events) -> Self {
        DryRun {
            events,
            created: AtomicU64::new(0),
        }
    }

    fn announce(&self, action: &str, kind: &Kind) {
        self.events.info(format!(
            "[dryrun] Would perform action {action} on resource {:?} in API group {:?}",
            kind.plural,
            kind.group_version()
        ));
    }

    fn attach(&self, label: &str, object: &Value) {
        let shown = redact_secret_data(object);
        let yaml = crate::plugins::terminal_yaml(&shown);
        self.events.output(format!("[dryrun] {label}:\n{yaml}"));
    }
}

/// Secret values stay out of the output (bootstrap tokens, encrypted keys): keys are shown,
/// values replaced by their size.
fn redact_secret_data(object: &Value) -> Value {
    let mut shown = object.clone();
    if object.get("kind").and_then(Value::as_str) == Some("Secret") {
        for field in ["data", "stringData"] {
            if let Some(Value::Object(map)) = shown.get_mut(field) {
                for value in map.values_mut() {
                    let size = value.as_str().map_or(0, str::len);
                    *value = Value::String(format!("<redacted, {size} bytes>"));
                }
            }
        }
    }
    shown
}

impl Backend for DryRun {
    fn endpoint(&self) -> Option<&str> {
        None
    }

    fn get(
        &self,
        _deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        self.announce("GET", kind);
        // The node `init` is setting up has registered; everything else is still to be created.
        Ok((kind.kind == "Node" && kind.group.is_empty()).then(|| {
            json!({
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": { "name": name, "namespace": namespace, "labels": {} },
            })
        }))
    }

    fn list(
        &self,
        _deadline: Instant,
        kind: &Kind,
        _namespace: &str,
        _label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        self.announce("LIST", kind);
        Ok(Vec::new())
    }

    fn create(
        &self,
        _deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        self.announce("CREATE", kind);
        self.attach("Attached object", object);
        let n = self.created.fetch_add(1, Ordering::Relaxed) + 1;
        let mut created = object.clone();
        created["metadata"]["uid"] = json!(format!("00000000-0000-0000-0000-{n:012}"));
        created["metadata"]["resourceVersion"] = json!("1");
        Ok(created)
    }

    fn replace(
        &self,
        _deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        self.announce("UPDATE", kind);
        self.attach("Attached object", object);
        Ok(object.clone())
    }

    fn patch(
        &self,
        _deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
        patch: &PatchKind,
    ) -> Result<Value, ClusterError> {
        match patch {
            PatchKind::Apply(object) => {
                self.announce("APPLY", kind);
                self.attach("Attached object", object);
            }
            PatchKind::Merge(body) | PatchKind::Strategic(body) => {
                self.announce("PATCH", kind);
                self.attach(&format!("Attached patch for {name}"), body);
            }
        }
        let mut answer = patch.body().clone();
        if answer.get("metadata").is_none() {
            answer["metadata"] = json!({ "name": name, "namespace": namespace });
        }
        Ok(answer)
    }

    fn delete(
        &self,
        _deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<bool, ClusterError> {
        self.announce("DELETE", kind);
        self.events.info(format!(
            "[dryrun] Would delete {}",
            kind.describe(namespace, name)
        ));
        Ok(true)
    }
}
