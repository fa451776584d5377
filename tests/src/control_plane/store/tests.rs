use serde_json::json;

use super::*;

fn configmaps() -> &'static ResourceType {
    resources::named("", "configmaps")
}

fn store_with_namespace(ns: &str) -> Store {
    let store = Store::new();
    store
        .create(
            resources::named("", "namespaces"),
            "",
            json!({"metadata": {"name": ns}}),
        )
        .unwrap();
    store
}

#[test]
fn create_sets_server_owned_metadata() {
    let store = store_with_namespace("ns");
    let obj = store
        .create(
            configmaps(),
            "ns",
            json!({"metadata": {"name": "a", "uid": "mine"}}),
        )
        .unwrap();
    assert_eq!(obj["apiVersion"], "v1");
    assert_eq!(obj["kind"], "ConfigMap");
    assert_eq!(obj["metadata"]["namespace"], "ns");
    assert_ne!(obj["metadata"]["uid"], "mine");
    assert_eq!(obj["metadata"]["resourceVersion"], "2");
    assert!(
        obj["metadata"]["creationTimestamp"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[test]
fn create_of_an_existing_name_is_already_exists() {
    let store = store_with_namespace("ns");
    store
        .create(configmaps(), "ns", json!({"metadata": {"name": "a"}}))
        .unwrap();
    let err = store
        .create(configmaps(), "ns", json!({"metadata": {"name": "a"}}))
        .unwrap_err();
    assert_eq!(err.to_string(), "configmaps \"a\" already exists");
}

#[test]
fn create_in_a_missing_namespace_is_not_found() {
    let store = Store::new();
    let err = store
        .create(configmaps(), "nope", json!({"metadata": {"name": "a"}}))
        .unwrap_err();
    assert_eq!(err.to_string(), "namespaces \"nope\" not found");
}

#[test]
fn generate_name_gets_a_random_suffix() {
    let store = Store::new();
    let csrs = resources::named("certificates.k8s.io", "certificatesigningrequests");
    let obj = store
        .create(csrs, "", json!({"metadata": {"generateName": "csr-"}}))
        .unwrap();
    let name = obj["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("csr-") && name.len() == 9, "{name}");
}

#[test]
fn invalid_names_are_rejected_per_kind() {
    let store = store_with_namespace("ns");
    let cases = [
        (configmaps(), "Upper"),
        (resources::named("", "namespaces"), "has.dot"),
        (resources::named(RBAC, "clusterroles"), "a/b"),
    ];
    for (resource, name) in cases {
        let err = store
            .create(resource, "ns", json!({"metadata": {"name": name}}))
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{name}: {err}");
    }
    store
        .create(
            resources::named(RBAC, "clusterroles"),
            "",
            json!({"metadata": {"name": "system:node"}}),
        )
        .expect("RBAC names may contain colons");
}

const RBAC: &str = "rbac.authorization.k8s.io";

#[test]
fn update_with_a_stale_resource_version_conflicts() {
    let store = store_with_namespace("ns");
    let first = store
        .create(configmaps(), "ns", json!({"metadata": {"name": "a"}}))
        .unwrap();
    let mut second = first.clone();
    second["data"] = json!({"k": "1"});
    let second = store.update(configmaps(), "ns", "a", second).unwrap();
    assert_ne!(
        second["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
    assert_eq!(second["metadata"]["uid"], first["metadata"]["uid"]);
    let err = store.update(configmaps(), "ns", "a", first).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let mut unconditional = second.clone();
    meta::metadata_mut(&mut unconditional).remove("resourceVersion");
    store
        .update(configmaps(), "ns", "a", unconditional)
        .expect("an update without resourceVersion is unconditional");
}

#[test]
fn delete_removes_and_a_second_delete_is_not_found() {
    let store = store_with_namespace("ns");
    store
        .create(configmaps(), "ns", json!({"metadata": {"name": "a"}}))
        .unwrap();
    store.delete(configmaps(), "ns", "a").unwrap();
    assert!(store.get(configmaps(), "ns", "a").is_none());
    let err = store.delete(configmaps(), "ns", "a").unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }));
}

#[test]
fn list_is_per_namespace_or_across_all() {
    let store = store_with_namespace("a");
    store
        .create(
            resources::named("", "namespaces"),
            "",
            json!({"metadata": {"name": "b"}}),
        )
        .unwrap();
    for ns in ["a", "b"] {
        store
            .create(configmaps(), ns, json!({"metadata": {"name": "x"}}))
            .unwrap();
    }
    assert_eq!(store.list(configmaps(), Some("a")).items.len(), 1);
    assert_eq!(store.list(configmaps(), None).items.len(), 2);
}

#[test]
fn events_since_a_revision_report_each_change() {
    let store = store_with_namespace("ns");
    let start = store.list(configmaps(), None).revision;
    let obj = store
        .create(configmaps(), "ns", json!({"metadata": {"name": "a"}}))
        .unwrap();
    store.update(configmaps(), "ns", "a", obj).unwrap();
    store.delete(configmaps(), "ns", "a").unwrap();
    let kinds: Vec<EventType> = store
        .events_since(configmaps(), Some("ns"), start)
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventType::Added, EventType::Modified, EventType::Deleted]
    );
    assert!(
        store
            .events_since(configmaps(), Some("other"), start)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn deleting_a_namespace_deletes_what_is_in_it() {
    let store = store_with_namespace("doomed");
    store
        .create(
            resources::named("", "namespaces"),
            "",
            json!({"metadata": {"name": "kept"}}),
        )
        .unwrap();
    for ns in ["doomed", "kept"] {
        store
            .create(configmaps(), ns, json!({"metadata": {"name": "x"}}))
            .unwrap();
    }
    store
        .delete(resources::named("", "namespaces"), "", "doomed")
        .unwrap();
    assert!(store.get(configmaps(), "doomed", "x").is_none());
    assert!(store.get(configmaps(), "kept", "x").is_some());
}
