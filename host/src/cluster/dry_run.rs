//! The dry-run client: every write is reported as an `object` event carrying what would be
//! sent (rendered the way kubeadm's dry-run prints it), nothing is sent, and reads answer as a
//! cluster that `init` just created would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

use super::ClusterError;
use super::backend::{Backend, Kind, PatchKind};
use crate::events::{Events, ObjectAction};

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

    /// A read, which changes nothing: prose, as kubeadm prints it.
    fn announce_read(&self, action: &str, kind: &Kind) {
        self.events.info(format!(
            "[dryrun] Would perform action {action} on resource {:?} in API group {:?}",
            kind.plural,
            kind.group_version()
        ));
    }

    fn report_write(
        &self,
        action: ObjectAction,
        kind: &Kind,
        (namespace, name): (&str, &str),
        body: Option<&Value>,
    ) {
        let body = body.map(redact_secret_data);
        self.events
            .emit(kind.event(action, namespace, name, true, body));
    }
}

fn names(object: &Value) -> (&str, &str) {
    let field = |f: &str| {
        object
            .get("metadata")
            .and_then(|m| m.get(f))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    (field("namespace"), field("name"))
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
        self.announce_read("GET", kind);
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
        self.announce_read("LIST", kind);
        Ok(Vec::new())
    }

    fn create(
        &self,
        _deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        self.report_write(ObjectAction::Create, kind, names(object), Some(object));
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
        self.report_write(ObjectAction::Update, kind, names(object), Some(object));
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
        self.report_write(patch.action(), kind, (namespace, name), Some(patch.body()));
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
        self.report_write(ObjectAction::Delete, kind, (namespace, name), None);
        Ok(true)
    }
}
