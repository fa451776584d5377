//! What a client does, whether it talks to an API server or records in dry-run.

use std::time::Instant;

use serde_json::Value;

use super::ClusterError;
use crate::events::{Event, ObjectAction};

/// A kind of object, as the REST API addresses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    /// "" for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The resource's URL segment (`configmaps`).
    pub plural: String,
}

impl Kind {
    pub fn of<K: k8s_openapi::Resource>() -> Kind {
        Kind {
            group: K::GROUP.to_string(),
            version: K::VERSION.to_string(),
            kind: K::KIND.to_string(),
            plural: K::URL_PATH_SEGMENT.to_string(),
        }
    }

    /// The kind an untyped object names in `apiVersion` and `kind`.
    pub fn of_value(object: &Value) -> Result<Kind, ClusterError> {
        let field = |f: &str| object.get(f).and_then(Value::as_str).unwrap_or_default();
        let (api_version, kind) = (field("apiVersion"), field("kind"));
        if api_version.is_empty() || kind.is_empty() {
            return Err(ClusterError::Object(
                "an object needs apiVersion and kind".into(),
            ));
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
        let resource = kube::api::ApiResource::from_gvk(&gvk);
        Ok(Kind {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            plural: resource.plural,
        })
    }

    /// `core/v1` or `apps/v1`, as kubeadm's dry-run names API groups.
    pub fn group_version(&self) -> String {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        format!("{group}/{}", self.version)
    }

    /// `apiVersion` as objects carry it.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The event for `action` done to the object `namespace`/`name` ("" when cluster-scoped).
    pub fn event(
        &self,
        action: ObjectAction,
        namespace: &str,
        name: &str,
        dry_run: bool,
        body: Option<Value>,
    ) -> Event {
        Event::Object {
            action,
            api_version: self.api_version(),
            kind: self.kind.clone(),
            resource: self.plural.clone(),
            namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
            name: name.to_string(),
            dry_run,
            body,
        }
    }

    /// `configmap kube-system/kubeadm-config`, for messages.
    pub fn describe(&self, namespace: &str, name: &str) -> String {
        let kind = self.kind.to_ascii_lowercase();
        match (namespace, name) {
            ("", "") => kind,
            ("", name) => format!("{kind} {name}"),
            (ns, "") => format!("{kind}s in {ns}"),
            (ns, name) => format!("{kind} {ns}/{name}"),
        }
    }
}

/// How a patch is written.
#[derive(Clone, Debug)]
pub enum PatchKind {
    /// RFC 7386 JSON merge patch.
    Merge(Value),
    /// Kubernetes strategic merge patch.
    Strategic(Value),
    /// Server-side apply of the whole object as [`super::FIELD_MANAGER`], forcing conflicts.
    Apply(Value),
}

impl PatchKind {
    pub fn body(&self) -> &Value {
        match self {
            PatchKind::Merge(v) | PatchKind::Strategic(v) | PatchKind::Apply(v) => v,
        }
    }

    /// What the patch does, as events name it.
    pub fn action(&self) -> ObjectAction {
        match self {
            PatchKind::Merge(_) | PatchKind::Strategic(_) => ObjectAction::Patch,
            PatchKind::Apply(_) => ObjectAction::Apply,
        }
    }
}

/// One attempt at one API call, answered (or given up) by `deadline`; retries are the caller's.
pub trait Backend: Send + Sync {
    /// The API server's URL; `None` for the dry-run recorder.
    fn endpoint(&self) -> Option<&str>;
    fn get(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, ClusterError>;
    fn list(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError>;
    fn create(&self, deadline: Instant, kind: &Kind, object: &Value)
    -> Result<Value, ClusterError>;
    fn replace(
        &self,
        deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError>;
    fn patch(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
        patch: &PatchKind,
    ) -> Result<Value, ClusterError>;
    fn delete(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<bool, ClusterError>;
}
