//! The client for a real API server: the `kube` crate on rustls (ring), driven from a small
//! runtime of its own so callers stay synchronous.

use std::future::Future;
use std::time::{Duration, Instant};

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;
use tokio::runtime::Runtime;

use super::backend::{Backend, Kind, PatchKind};
use super::{ClusterError, FIELD_MANAGER, names};

pub struct Live {
    client: kube::Client,
    endpoint: String,
    /// Bounds each request, so a hanging server cannot stall a phase.
    request_timeout: Duration,
    runtime: Runtime,
}

impl Live {
    pub fn new(text: &str, source: &str, request_timeout: Duration) -> Result<Live, ClusterError> {
        let bad = |reason: String| ClusterError::Kubeconfig {
            file: source.to_string(),
            reason,
        };
        // kube builds its TLS config from the process default provider; ours is ring alone.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kubeconfig = Kubeconfig::from_yaml(text).map_err(|e| bad(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kubeadm-rs-api")
            .enable_all()
            .build()
            .map_err(|e| bad(format!("starting the client runtime: {e}")))?;
        let mut config = runtime
            .block_on(kube::Config::from_custom_kubeconfig(
                kubeconfig,
                &KubeConfigOptions::default(),
            ))
            .map_err(|e| bad(e.to_string()))?;
        // Retries are ours (bounded by the API-call timeout), not the client's.
        config.default_retry = false;
        config.connect_timeout = Some(request_timeout);
        config.read_timeout = Some(request_timeout);
        let endpoint = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string();
        let client = {
            let _entered = runtime.enter();
            kube::Client::try_from(config).map_err(|e| bad(e.to_string()))?
        };
        Ok(Live {
            client,
            endpoint,
            request_timeout,
            runtime,
        })
    }

    fn api(&self, kind: &Kind, namespace: &str) -> Api<DynamicObject> {
        let gvk = GroupVersionKind::gvk(&kind.group, &kind.version, &kind.kind);
        let resource = ApiResource::from_gvk_with_plural(&gvk, &kind.plural);
        if namespace.is_empty() {
            Api::all_with(self.client.clone(), &resource)
        } else {
            Api::namespaced_with(self.client.clone(), namespace, &resource)
        }
    }

    /// Runs one request with the per-request timeout, mapping kube's errors to ours.
    fn call<T>(
        &self,
        deadline: Instant,
        what: impl Fn() -> String,
        request: impl Future<Output = kube::Result<T>>,
    ) -> Result<T, ClusterError> {
        let budget = self
            .request_timeout
            .min(deadline.saturating_duration_since(Instant::now()));
        let answer = self
            .runtime
            .block_on(async { tokio::time::timeout(budget, request).await });
        match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(what(), e)),
            Err(_elapsed) => Err(ClusterError::Transient {
                endpoint: self.endpoint.clone(),
                cause: format!("{}: no answer within {budget:?}", what()),
            }),
        }
    }

    fn error(&self, what: String, error: kube::Error) -> ClusterError {
        match error {
            kube::Error::Api(status) => {
                let code = status.code;
                if code == 409 && status.reason == "AlreadyExists" {
                    ClusterError::AlreadyExists { what }
                } else if code == 429 || (code >= 500 && code != 501) {
                    ClusterError::Transient {
                        endpoint: self.endpoint.clone(),
                        cause: format!("{what}: HTTP {code} {}", status.message),
                    }
                } else {
                    ClusterError::Api {
                        what,
                        code,
                        reason: status.reason.clone(),
                        message: status.message.clone(),
                    }
                }
            }
            kube::Error::HyperError(_) | kube::Error::Service(_) => {
                let mut cause = chain(&error);
                if cause.contains("deadline has elapsed") {
                    cause = format!(
                        "{what}: no answer within {:?} while connecting (TCP and TLS handshake)",
                        self.request_timeout
                    );
                }
                // A certificate the client does not trust will not become trusted by retrying.
                if cause.contains("certificate") {
                    ClusterError::Failed {
                        what,
                        cause: format!("the API server at {}: {cause}", self.endpoint),
                    }
                } else {
                    ClusterError::Transient {
                        endpoint: self.endpoint.clone(),
                        cause,
                    }
                }
            }
            other => ClusterError::Failed {
                what,
                cause: chain(&other),
            },
        }
    }
}

/// An error with its causes, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

fn to_value(object: DynamicObject) -> Result<Value, ClusterError> {
    serde_json::to_value(object).map_err(|e| ClusterError::Object(e.to_string()))
}

fn to_dynamic(object: &Value) -> Result<DynamicObject, ClusterError> {
    serde_json::from_value(object.clone()).map_err(|e| ClusterError::Object(e.to_string()))
}

impl Backend for Live {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn get(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let api = self.api(kind, namespace);
        self.call(
            deadline,
            || format!("get {}", kind.describe(namespace, name)),
            api.get_opt(name),
        )?
        .map(to_value)
        .transpose()
    }

    fn list(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        let api = self.api(kind, namespace);
        let mut params = ListParams::default();
        if let Some(selector) = label_selector {
            params = params.labels(selector);
        }
        let list = self.call(
            deadline,
            || format!("list {}", kind.describe(namespace, "")),
            api.list(&params),
        )?;
        list.items
            .into_iter()
            .map(|mut item| {
                // Lists leave apiVersion and kind off their items; typed decoding wants them.
                item.types = Some(kube::api::TypeMeta {
                    api_version: kind.api_version(),
                    kind: kind.kind.clone(),
                });
                to_value(item)
            })
            .collect()
    }

    fn create(
        &self,
        deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        let (namespace, name) = names(object);
        let api = self.api(kind, &namespace);
        let object = to_dynamic(object)?;
        to_value(self.call(
            deadline,
            || format!("create {}", kind.describe(&namespace, &name)),
            api.create(&PostParams::default(), &object),
        )?)
    }

    fn replace(
        &self,
        deadline: Instant,
        kind: &Kind,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        let (namespace, name) = names(object);
        let api = self.api(kind, &namespace);
        let object = to_dynamic(object)?;
        to_value(self.call(
            deadline,
            || format!("update {}", kind.describe(&namespace, &name)),
            api.replace(&name, &PostParams::default(), &object),
        )?)
    }

    fn patch(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
        patch: &PatchKind,
    ) -> Result<Value, ClusterError> {
        let api = self.api(kind, namespace);
        let (params, patch) = match patch {
            PatchKind::Merge(v) => (PatchParams::default(), Patch::Merge(v)),
            PatchKind::Strategic(v) => (PatchParams::default(), Patch::Strategic(v)),
            PatchKind::Apply(v) => (PatchParams::apply(FIELD_MANAGER).force(), Patch::Apply(v)),
        };
        to_value(self.call(
            deadline,
            || format!("patch {}", kind.describe(namespace, name)),
            api.patch(name, &params, &patch),
        )?)
    }

    fn delete(
        &self,
        deadline: Instant,
        kind: &Kind,
        namespace: &str,
        name: &str,
    ) -> Result<bool, ClusterError> {
        let api = self.api(kind, namespace);
        match self.call(
            deadline,
            || format!("delete {}", kind.describe(namespace, name)),
            api.delete(name, &DeleteParams::default()),
        ) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
