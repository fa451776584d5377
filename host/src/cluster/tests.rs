use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::json;

use super::*;
use crate::events::{Event, ObjectAction, Recorder};

fn config_map(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("kube-system".into()),
            ..Default::default()
        },
        data: Some([("k".to_string(), "v".to_string())].into()),
        ..Default::default()
    }
}

/// Fails the first `failures` calls with `error`, then answers with the object given.
struct Flaky {
    failures: usize,
    calls: AtomicUsize,
    error: fn() -> ClusterError,
    /// How long each failing call takes (bounded by its deadline, as the live client's are).
    delay: Duration,
}

impl Backend for Flaky {
    fn endpoint(&self) -> Option<&str> {
        Some("https://10.0.0.5:6443")
    }
    fn get(&self, _: Instant, _: &Kind, _: &str, _: &str) -> Result<Option<Value>, ClusterError> {
        Ok(None)
    }
    fn list(
        &self,
        _: Instant,
        _: &Kind,
        _: &str,
        _: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        Ok(vec![])
    }
    fn create(&self, deadline: Instant, _: &Kind, object: &Value) -> Result<Value, ClusterError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            std::thread::sleep(
                self.delay
                    .min(deadline.saturating_duration_since(Instant::now())),
            );
            Err((self.error)())
        } else {
            Ok(object.clone())
        }
    }
    fn replace(&self, _: Instant, _: &Kind, object: &Value) -> Result<Value, ClusterError> {
        Ok(object.clone())
    }
    fn patch(
        &self,
        _: Instant,
        _: &Kind,
        _: &str,
        _: &str,
        p: &PatchKind,
    ) -> Result<Value, ClusterError> {
        Ok(p.body().clone())
    }
    fn delete(&self, _: Instant, _: &Kind, _: &str, _: &str) -> Result<bool, ClusterError> {
        Ok(true)
    }
}

fn flaky(failures: usize, error: fn() -> ClusterError, timeout: Duration) -> (Cluster, Arc<Flaky>) {
    let backend = Arc::new(Flaky {
        failures,
        calls: AtomicUsize::new(0),
        error,
        delay: Duration::ZERO,
    });
    let cluster = Cluster {
        backend: backend.clone(),
        retry: Retry::new(timeout),
    };
    (cluster, backend)
}

fn transient() -> ClusterError {
    ClusterError::Transient {
        endpoint: "https://10.0.0.5:6443".into(),
        cause: "connection refused".into(),
    }
}

fn forbidden() -> ClusterError {
    ClusterError::Api {
        what: "create configmap kube-system/x".into(),
        code: 403,
        reason: "Forbidden".into(),
        message: "no".into(),
    }
}

#[test]
fn transient_failures_are_retried_until_they_pass() {
    let (cluster, backend) = flaky(3, transient, Duration::from_secs(5));
    cluster.create(&config_map("a")).unwrap();
    assert_eq!(backend.calls.load(Ordering::SeqCst), 4);
}

#[test]
fn transient_failures_past_the_timeout_name_the_endpoint() {
    let (cluster, _) = flaky(usize::MAX, transient, Duration::from_millis(200));
    let err = cluster.create(&config_map("a")).unwrap_err().to_string();
    assert_eq!(
        err,
        "no successful answer from the API server at https://10.0.0.5:6443 within 200ms; last error: connection refused"
    );
}

#[test]
fn slow_failures_still_end_within_the_timeout() {
    let timeout = Duration::from_millis(600);
    let backend = Arc::new(Flaky {
        failures: usize::MAX,
        calls: AtomicUsize::new(0),
        error: transient,
        delay: Duration::from_millis(250),
    });
    let cluster = Cluster {
        backend,
        retry: Retry::new(timeout),
    };
    let started = Instant::now();
    let err = cluster.create(&config_map("a")).unwrap_err();
    assert!(matches!(err, ClusterError::Unreachable { .. }), "{err}");
    assert!(
        started.elapsed() <= timeout + Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn permanent_failures_are_not_retried() {
    let (cluster, backend) = flaky(1, forbidden, Duration::from_secs(5));
    let err = cluster.create(&config_map("a")).unwrap_err();
    assert!(err.is_forbidden());
    assert_eq!(backend.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn kinds_of_untyped_objects_get_their_resource() {
    let cases = [
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap"}),
            "",
            "v1",
            "configmaps",
        ),
        (
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet"}),
            "apps",
            "v1",
            "daemonsets",
        ),
        (
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}),
            "networking.k8s.io",
            "v1",
            "networkpolicies",
        ),
        (
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding"}),
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
        ),
    ];
    for (object, group, version, plural) in cases {
        let kind = Kind::of_value(&object).unwrap();
        assert_eq!(
            (kind.group.as_str(), kind.version.as_str()),
            (group, version)
        );
        assert_eq!(kind.plural, plural, "{object}");
    }
    assert!(Kind::of_value(&json!({"kind": "ConfigMap"})).is_err());
    assert_eq!(Kind::of::<Secret>().group_version(), "core/v1");
}

fn dry_run() -> (Cluster, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    (Cluster::dry_run(Events::new(recorder.clone())), recorder)
}

#[test]
fn dry_run_reports_writes_as_object_events_with_what_would_be_sent() {
    let (cluster, recorder) = dry_run();
    assert!(cluster.is_dry_run());
    let created = cluster
        .create_or_update(&config_map("kubeadm-config"))
        .unwrap();
    assert!(created.metadata.uid.is_some(), "created objects get a uid");
    let events = recorder.take();
    let [
        Event::Object {
            action: ObjectAction::Create,
            api_version,
            kind,
            resource,
            namespace,
            name,
            dry_run: true,
            body: Some(body),
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        (api_version.as_str(), kind.as_str(), resource.as_str()),
        ("v1", "ConfigMap", "configmaps")
    );
    assert_eq!(
        (namespace.as_deref(), name.as_str()),
        (Some("kube-system"), "kubeadm-config")
    );
    assert_eq!(body["metadata"]["name"], "kubeadm-config");
}

#[test]
fn dry_run_reports_patches_and_deletes_of_cluster_scoped_objects() {
    let (cluster, recorder) = dry_run();
    let patch = PatchKind::Strategic(json!({"metadata": {"labels": {"a": "b"}}}));
    cluster
        .patch::<k8s_openapi::api::core::v1::Node>("", "node-a", &patch)
        .unwrap();
    cluster
        .delete::<k8s_openapi::api::core::v1::Node>("", "node-a")
        .unwrap();
    let actions: Vec<_> = recorder
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Object {
                action,
                namespace,
                name,
                body,
                ..
            } => Some((action, namespace, name, body.is_some())),
            _ => None,
        })
        .collect();
    assert_eq!(
        actions,
        [
            (ObjectAction::Patch, None, "node-a".to_string(), true),
            (ObjectAction::Delete, None, "node-a".to_string(), false),
        ]
    );
}

#[test]
fn dry_run_never_shows_secret_values() {
    let (cluster, recorder) = dry_run();
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some("bootstrap-token-abcdef".into()),
            namespace: Some("kube-system".into()),
            ..Default::default()
        },
        string_data: Some([("token-secret".to_string(), "0123456789abcdef".to_string())].into()),
        ..Default::default()
    };
    cluster.create(&secret).unwrap();
    let events = recorder.take();
    let text = format!("{events:?}");
    assert!(!text.contains("0123456789abcdef"), "{text}");
    let [
        Event::Object {
            body: Some(body), ..
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(body["stringData"]["token-secret"], "<redacted, 16 bytes>");
}

#[test]
fn dry_run_reads_answer_as_a_new_cluster() {
    let (cluster, _) = dry_run();
    let node: Option<k8s_openapi::api::core::v1::Node> = cluster.get("", "node-a").unwrap();
    assert_eq!(node.unwrap().metadata.name.as_deref(), Some("node-a"));
    assert!(
        cluster
            .get::<ConfigMap>("kube-public", "cluster-info")
            .unwrap()
            .is_none()
    );
    assert!(
        cluster
            .list::<Secret>("kube-system", None)
            .unwrap()
            .is_empty()
    );
}
