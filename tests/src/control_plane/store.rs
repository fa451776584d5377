//! The object store: every object as JSON, keyed by resource, namespace and name, with the
//! metadata the API server owns (uid, resourceVersion, creationTimestamp) and its conflicts.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use serde_json::{Value, json};

use super::meta::{self, now_rfc3339};
use super::resources::{self, ResourceType};

/// Why a store operation failed; the REST layer turns each into a Kubernetes `Status`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("{resource} \"{name}\" not found")]
    NotFound { resource: String, name: String },
    #[error("{resource} \"{name}\" already exists")]
    AlreadyExists { resource: String, name: String },
    #[error(
        "Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict { resource: String, name: String },
    #[error("{0}")]
    Invalid(String),
}

/// Where an object lives: its resource, namespace ("" for cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    group: &'static str,
    plural: &'static str,
    namespace: String,
    name: String,
}

impl Key {
    fn new(resource: &'static ResourceType, namespace: &str, name: &str) -> Self {
        Key {
            group: resource.group,
            plural: resource.plural,
            namespace: if resource.namespaced {
                namespace.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }
}

/// How many changes are kept for watches that resume from a resourceVersion.
const HISTORY: usize = 4096;

/// What happened to an object, as a watch reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, with the object after it (before it, for a deletion).
#[derive(Debug, Clone)]
pub struct Event {
    pub revision: u64,
    pub kind: EventType,
    key: Key,
    pub object: Value,
}

/// A watch asked to resume from a revision older than the kept history (410 Gone).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

#[derive(Default)]
struct Inner {
    /// The last resourceVersion handed out; one counter for the whole store, as etcd's revision.
    revision: u64,
    objects: BTreeMap<Key, Value>,
    history: VecDeque<Event>,
}

impl Inner {
    fn record(&mut self, kind: EventType, key: Key, object: &Value) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(Event {
            revision: self.revision,
            kind,
            key,
            object: object.clone(),
        });
    }
}

/// All objects of the test control plane, behind one lock (every operation is short).
#[derive(Default)]
pub struct Store {
    inner: Mutex<Inner>,
    changed: Notify,
}

/// The objects a list returned and the store revision they were read at.
pub struct Listed {
    pub items: Vec<Value>,
    pub revision: u64,
}

fn not_found(resource: &ResourceType, name: &str) -> StoreError {
    StoreError::NotFound {
        resource: qualified(resource),
        name: name.to_string(),
    }
}

/// `configmaps` for core, `roles.rbac.authorization.k8s.io` otherwise, as kube-apiserver's errors name them.
pub fn qualified(resource: &ResourceType) -> String {
    if resource.group.is_empty() {
        resource.plural.to_string()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    }
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves whole JSON values behind; keep serving them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(
        &self,
        resource: &'static ResourceType,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        self.lock()
            .objects
            .get(&Key::new(resource, namespace, name))
            .cloned()
    }

    /// Every object of `resource`, in one namespace or (with `None`) in all of them, by name.
    pub fn list(&self, resource: &'static ResourceType, namespace: Option<&str>) -> Listed {
        let inner = self.lock();
        let items = inner
            .objects
            .iter()
            .filter(|(k, _)| k.group == resource.group && k.plural == resource.plural)
            .filter(|(k, _)| namespace.is_none_or(|ns| !resource.namespaced || k.namespace == ns))
            .map(|(_, v)| v.clone())
            .collect();
        Listed {
            items,
            revision: inner.revision,
        }
    }

    /// Stores a new object; the server sets uid, resourceVersion, creationTimestamp and, for
    /// `generateName`, the name.
    pub fn create(
        &self,
        resource: &'static ResourceType,
        namespace: &str,
        mut object: Value,
    ) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        if resource.namespaced {
            let ns_key = Key::new(namespaces(), "", namespace);
            if !inner.objects.contains_key(&ns_key) {
                return Err(not_found(namespaces(), namespace));
            }
        }
        let name = match meta::name(&object) {
            Some(name) => name.to_string(),
            None => match meta::str_field(&object, "/metadata/generateName") {
                Some(prefix) => format!("{prefix}{}", meta::random_suffix()),
                None => {
                    return Err(StoreError::Invalid(format!(
                        "{} in body must have metadata.name or metadata.generateName",
                        resource.kind
                    )));
                }
            },
        };
        meta::validate_name(resource, &name)?;
        let key = Key::new(resource, namespace, &name);
        if inner.objects.contains_key(&key) {
            return Err(StoreError::AlreadyExists {
                resource: qualified(resource),
                name,
            });
        }
        inner.revision += 1;
        let metadata = meta::metadata_mut(&mut object);
        metadata.insert("name".into(), json!(name));
        if resource.namespaced {
            metadata.insert("namespace".into(), json!(namespace));
        } else {
            metadata.remove("namespace");
        }
        metadata.insert("uid".into(), json!(meta::new_uid()));
        metadata.insert("resourceVersion".into(), json!(inner.revision.to_string()));
        metadata.insert("creationTimestamp".into(), json!(now_rfc3339()));
        set_type(resource, &mut object);
        inner.objects.insert(key.clone(), object.clone());
        inner.record(EventType::Added, key, &object);
        drop(inner);
        self.changed.notify_waiters();
        Ok(object)
    }

    /// Replaces an object. A resourceVersion in `object` must match the stored one (409
    /// otherwise); the server-owned metadata is carried over.
    pub fn update(
        &self,
        resource: &'static ResourceType,
        namespace: &str,
        name: &str,
        mut object: Value,
    ) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        let key = Key::new(resource, namespace, name);
        let current = inner
            .objects
            .get(&key)
            .ok_or_else(|| not_found(resource, name))?;
        if let Some(body_name) = meta::name(&object)
            && body_name != name
        {
            return Err(StoreError::Invalid(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let current_rv = meta::resource_version(current).unwrap_or_default();
        if let Some(rv) = meta::resource_version(&object)
            && !rv.is_empty()
            && rv != current_rv
        {
            return Err(StoreError::Conflict {
                resource: qualified(resource),
                name: name.to_string(),
            });
        }
        let kept: Vec<(String, Value)> = ["uid", "creationTimestamp", "namespace"]
            .iter()
            .filter_map(|f| Some((f.to_string(), current["metadata"].get(*f)?.clone())))
            .collect();
        inner.revision += 1;
        let metadata = meta::metadata_mut(&mut object);
        metadata.insert("name".into(), json!(name));
        for (field, value) in kept {
            metadata.insert(field, value);
        }
        metadata.insert("resourceVersion".into(), json!(inner.revision.to_string()));
        set_type(resource, &mut object);
        inner.objects.insert(key.clone(), object.clone());
        inner.record(EventType::Modified, key, &object);
        drop(inner);
        self.changed.notify_waiters();
        Ok(object)
    }

    pub fn delete(
        &self,
        resource: &'static ResourceType,
        namespace: &str,
        name: &str,
    ) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        let key = Key::new(resource, namespace, name);
        if resource.plural == "namespaces" && inner.objects.contains_key(&key) {
            // A namespace goes at once and takes its objects (no Terminating phase here).
            let contained: Vec<Key> = inner
                .objects
                .keys()
                .filter(|k| k.plural != "namespaces" && k.namespace == name)
                .cloned()
                .collect();
            for k in contained {
                if let Some(mut gone) = inner.objects.remove(&k) {
                    inner.revision += 1;
                    meta::metadata_mut(&mut gone)
                        .insert("resourceVersion".into(), json!(inner.revision.to_string()));
                    inner.record(EventType::Deleted, k, &gone);
                }
            }
        }
        let mut object = inner
            .objects
            .remove(&key)
            .ok_or_else(|| not_found(resource, name))?;
        inner.revision += 1;
        // A watch sees the deletion at its own revision, as etcd reports it.
        meta::metadata_mut(&mut object)
            .insert("resourceVersion".into(), json!(inner.revision.to_string()));
        inner.record(EventType::Deleted, key, &object);
        drop(inner);
        self.changed.notify_waiters();
        Ok(object)
    }

    /// Completes at the next change; create it before reading, so no change is missed.
    pub fn changed(&self) -> Notified<'_> {
        self.changed.notified()
    }

    /// The changes to `resource` (in one namespace, or all) after revision `since`.
    pub fn events_since(
        &self,
        resource: &'static ResourceType,
        namespace: Option<&str>,
        since: u64,
    ) -> Result<Vec<Event>, TooOld> {
        let inner = self.lock();
        let oldest = inner.history.front().map_or(inner.revision, |e| e.revision);
        if since + 1 < oldest {
            return Err(TooOld {
                requested: since,
                oldest,
            });
        }
        Ok(inner
            .history
            .iter()
            .filter(|e| e.revision > since)
            .filter(|e| e.key.group == resource.group && e.key.plural == resource.plural)
            .filter(|e| namespace.is_none_or(|ns| !resource.namespaced || e.key.namespace == ns))
            .cloned()
            .collect())
    }

    /// Creates the object unless one with its name exists; for seeding the default objects.
    pub fn ensure(
        &self,
        resource: &'static ResourceType,
        namespace: &str,
        object: Value,
    ) -> Result<(), StoreError> {
        match self.create(resource, namespace, object) {
            Ok(_) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn namespaces() -> &'static ResourceType {
    resources::named("", "namespaces")
}

/// The stored form always carries the served `apiVersion` and `kind`.
fn set_type(resource: &ResourceType, object: &mut Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert("apiVersion".into(), json!(resource.api_version()));
        map.insert("kind".into(), json!(resource.kind));
    }
}

#[cfg(test)]
mod tests;
