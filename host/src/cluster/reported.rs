//! A live client that reports every write the API server accepted as an `object` event (the
//! dry-run client reports its own, with what it would have sent).

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::ClusterError;
use super::backend::{Backend, Kind, PatchKind};
use crate::events::{Events, ObjectAction};

pub struct Reported {
    pub inner: Arc<dyn Backend>,
    pub events: Events,
}

impl Reported {
    fn report(&self, action: ObjectAction, kind: &Kind, namespace: &str, name: &str) {
        self.events
            .emit(kind.event(action, namespace, name, false, None));
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

impl Backend for Reported {
    fn endpoint(&self) -> Option<&str> {
        self.inner.endpoint()
    }

    fn get(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        self.inner.get(deadline, kind, namespace, name)
    }

    fn list(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        self.inner.list(deadline, kind, namespace, label_selector)
    }

    fn create(
        &self,
        deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        let created = self.inner.create(deadline, kind, object)?;
        let (namespace, name) = names(object);
        self.report(ObjectAction::Create, kind, namespace, name);
        Ok(created)
    }

    fn replace(
        &self,
        deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        let replaced = self.inner.replace(deadline, kind, object)?;
        let (namespace, name) = names(object);
        self.report(ObjectAction::Update, kind, namespace, name);
        Ok(replaced)
    }

    fn patch(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
        patch: &PatchKind,
    ) -> Result<Value, ClusterError> {
        let patched = self.inner.patch(deadline, kind, namespace, name, patch)?;
        self.report(patch.action(), kind, namespace, name);
        Ok(patched)
    }

    fn delete(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<bool, ClusterError> {
        let existed = self.inner.delete(deadline, kind, namespace, name)?;
        if existed {
            self.report(ObjectAction::Delete, kind, namespace, name);
        }
        Ok(existed)
    }
}
