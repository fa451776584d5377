//! Access to the cluster's API: a small synchronous client over the `kube` crate, or, in
//! `--dry-run`, a recording client that prints what it would do.
//!
//! Objects are k8s-openapi types (or JSON values for plugin output). Every call retries
//! transient failures with a bounded backoff until the API-call timeout, so an unreachable
//! or hanging API server ends in one error that names the endpoint.

mod backend;
mod dry_run;
mod error;
pub mod health;
mod live;
mod reader;
mod reported;
mod retry;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use backend::{Kind, PatchKind};
pub use error::ClusterError;
pub use reader::{ApiReader, ClusterReader, NoCluster};

use backend::Backend;
use retry::Retry;

use crate::events::Events;

/// The field manager kubeadm-rs applies objects as (server-side apply).
pub const FIELD_MANAGER: &str = "kubeadm-rs";

pub use crate::config::constants::DEFAULT_API_TIMEOUT;

/// A typed object kubeadm-rs reads or writes.
pub trait Object:
    k8s_openapi::Resource
    + k8s_openapi::Metadata<Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>
    + Serialize
    + DeserializeOwned
    + Clone
{
}

impl<K> Object for K where
    K: k8s_openapi::Resource
        + k8s_openapi::Metadata<Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>
        + Serialize
        + DeserializeOwned
        + Clone
{
}

/// A connection to the API server (or the dry-run recorder standing in for one).
#[derive(Clone)]
pub struct Cluster {
    backend: Arc<dyn Backend>,
    retry: Retry,
}

impl Cluster {
    /// Connects with the kubeconfig file at `path` (a path on this host).
    pub fn connect(path: &Path, api_timeout: Duration) -> Result<Cluster, ClusterError> {
        let text = std::fs::read_to_string(path).map_err(|e| ClusterError::Kubeconfig {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_kubeconfig(&text, &path.display().to_string(), api_timeout)
    }

    /// Connects with a kubeconfig's contents; `source` names it in errors.
    pub fn from_kubeconfig(
        text: &str,
        source: &str,
        api_timeout: Duration,
    ) -> Result<Cluster, ClusterError> {
        let backend = live::Live::new(text, source, api_timeout)?;
        Ok(Cluster {
            backend: Arc::new(backend),
            retry: Retry::new(api_timeout),
        })
    }

    /// A client that changes nothing: writes are printed as YAML on `events`, and reads answer
    /// as a freshly initialised cluster would.
    pub fn dry_run(events: Events) -> Cluster {
        Cluster {
            backend: Arc::new(dry_run::DryRun::new(events)),
            retry: Retry::new(Duration::ZERO),
        }
    }

    /// The same connection with another API-call timeout (for callers with a budget of their
    /// own, such as an addon plugin's time limit).
    pub fn with_timeout(&self, timeout: Duration) -> Cluster {
        Cluster {
            backend: self.backend.clone(),
            retry: Retry::new(timeout),
        }
    }

    /// The same connection, reporting every write the API server accepts as an `object`
    /// event on `events` (the dry-run recorder reports its writes already).
    pub fn reporting(&self, events: Events) -> Cluster {
        if self.is_dry_run() {
            return self.clone();
        }
        Cluster {
            backend: Arc::new(reported::Reported {
                inner: self.backend.clone(),
                events,
            }),
            retry: self.retry,
        }
    }

    /// Whether this is the dry-run recorder.
    pub fn is_dry_run(&self) -> bool {
        self.backend.endpoint().is_none()
    }

    /// The API server's URL, when there is one.
    pub fn endpoint(&self) -> Option<&str> {
        self.backend.endpoint()
    }

    /// The object, or `None` when it does not exist.
    pub fn get<K: Object>(&self, namespace: &str, name: &str) -> Result<Option<K>, ClusterError> {
        let kind = Kind::of::<K>();
        self.retry
            .run(&*self.backend, |deadline| {
                self.backend.get(deadline, &kind, namespace, name)
            })?
            .map(decode)
            .transpose()
    }

    /// An object of any kind, as JSON, or `None` when it does not exist.
    pub fn get_value(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let kind = Kind::of_value(&serde_json::json!({"apiVersion": api_version, "kind": kind}))?;
        self.retry.run(&*self.backend, |deadline| {
            self.backend.get(deadline, &kind, namespace, name)
        })
    }

    /// The objects of a kind in `namespace` ("" for cluster-scoped kinds or all namespaces).
    pub fn list<K: Object>(
        &self,
        namespace: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<K>, ClusterError> {
        let kind = Kind::of::<K>();
        self.retry
            .run(&*self.backend, |deadline| {
                self.backend
                    .list(deadline, &kind, namespace, label_selector)
            })?
            .into_iter()
            .map(decode)
            .collect()
    }

    /// Creates the object; [`ClusterError::AlreadyExists`] when it is already there.
    pub fn create<K: Object>(&self, object: &K) -> Result<K, ClusterError> {
        let kind = Kind::of::<K>();
        let value = encode(object)?;
        decode(self.retry.run(&*self.backend, |deadline| {
            self.backend.create(deadline, &kind, &value)
        })?)
    }

    /// Creates the object, or leaves an existing one as it is.
    pub fn create_if_absent<K: Object>(&self, object: &K) -> Result<(), ClusterError> {
        match self.create(object) {
            Ok(_) | Err(ClusterError::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Creates the object, or replaces what exists with it (re-reading on a conflict).
    pub fn create_or_update<K: Object>(&self, object: &K) -> Result<K, ClusterError> {
        decode(self.create_or_update_value(&encode(object)?)?)
    }

    /// [`Cluster::create_or_update`] for an object of any kind, as JSON.
    pub fn create_or_update_value(&self, object: &Value) -> Result<Value, ClusterError> {
        let kind = Kind::of_value(object)?;
        let mut value = object.clone();
        self.retry.run(&*self.backend, |deadline| {
            match self.backend.create(deadline, &kind, &value) {
                Err(ClusterError::AlreadyExists { .. }) => {}
                other => return other,
            }
            let (namespace, name) = names(&value);
            let current = self.backend.get(deadline, &kind, &namespace, &name)?;
            // An update must carry the version it replaces; a stale one is a conflict, retried.
            if let Some(version) = current
                .as_ref()
                .and_then(|c| c.pointer("/metadata/resourceVersion"))
            {
                value["metadata"]["resourceVersion"] = version.clone();
            }
            self.backend.replace(deadline, &kind, &value)
        })
    }

    /// Patches an object of a namespaced or cluster-scoped kind.
    pub fn patch<K: Object>(
        &self,
        namespace: &str,
        name: &str,
        patch: &PatchKind,
    ) -> Result<K, ClusterError> {
        let kind = Kind::of::<K>();
        decode(self.retry.run(&*self.backend, |deadline| {
            self.backend.patch(deadline, &kind, namespace, name, patch)
        })?)
    }

    /// Deletes the object; `false` when it was not there.
    pub fn delete<K: Object>(&self, namespace: &str, name: &str) -> Result<bool, ClusterError> {
        let kind = Kind::of::<K>();
        self.retry.run(&*self.backend, |deadline| {
            self.backend.delete(deadline, &kind, namespace, name)
        })
    }

    /// Server-side applies any object (addon output), as [`FIELD_MANAGER`], forcing conflicts.
    pub fn apply(&self, object: &Value) -> Result<Value, ClusterError> {
        let kind = Kind::of_value(object)?;
        let (namespace, name) = names(object);
        let patch = PatchKind::Apply(object.clone());
        self.retry.run(&*self.backend, |deadline| {
            self.backend
                .patch(deadline, &kind, &namespace, &name, &patch)
        })
    }
}

fn encode<K: Serialize>(object: &K) -> Result<Value, ClusterError> {
    serde_json::to_value(object).map_err(|e| ClusterError::Object(e.to_string()))
}

fn decode<K: DeserializeOwned>(value: Value) -> Result<K, ClusterError> {
    serde_json::from_value(value).map_err(|e| ClusterError::Object(e.to_string()))
}

/// An object's namespace ("" when cluster-scoped) and name.
fn names(object: &Value) -> (String, String) {
    let field = |f: &str| {
        object
            .pointer(&format!("/metadata/{f}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (field("namespace"), field("name"))
}

#[cfg(test)]
mod tests;
