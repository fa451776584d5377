//! kube-controller-manager's garbage collector, for owner references: an object all of whose
//! owners are gone (no object of that kind and name with that uid) is deleted. kubeadm relies
//! on it to remove `kubeadm-certs` with the short-lived token Secret that owns it.

use serde_json::Value;

use super::super::meta;
use super::super::resources::{self, RESOURCES};
use super::super::store::{Store, StoreError};

/// Whether the owner an ownerReference names no longer exists; owners of kinds that are not
/// served cannot be looked at, and are taken to exist (as the real collector waits for them).
fn owner_gone(store: &Store, owner: &Value, namespace: &str) -> bool {
    let field = |name: &str| meta::str_field(owner, &format!("/{name}")).unwrap_or("");
    let Some(resource) = resources::by_kind(field("apiVersion"), field("kind")) else {
        return false;
    };
    store
        .get(resource, namespace, field("name"))
        .is_none_or(|found| meta::str_field(&found, "/metadata/uid") != Some(field("uid")))
}

pub fn sync(store: &Store) -> Result<(), StoreError> {
    for resource in RESOURCES {
        for object in store.list(resource, None).items {
            let Some(owners) = object
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .filter(|o| !o.is_empty())
            else {
                continue;
            };
            let namespace = meta::namespace(&object).unwrap_or("");
            if !owners.iter().all(|o| owner_gone(store, o, namespace)) {
                continue;
            }
            let name = meta::name(&object).unwrap_or("");
            match store.delete(resource, namespace, name) {
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::control_plane::policy;

    #[test]
    fn dependents_go_with_their_last_owner_only() {
        let store = Store::new();
        policy::seed(&store).unwrap();
        let secrets = resources::named("", "secrets");
        let owner = store
            .create(
                secrets,
                "kube-system",
                json!({"metadata": {"name": "bootstrap-token-abcdef"}}),
            )
            .unwrap();
        let reference = |name: &str, uid: &Value| json!({"apiVersion": "v1", "kind": "Secret", "name": name, "uid": uid});
        let owned = |name: &str, refs: Vec<Value>| {
            store
                .create(
                    secrets,
                    "kube-system",
                    json!({"metadata": {"name": name, "ownerReferences": refs}}),
                )
                .unwrap();
        };
        let uid = owner["metadata"]["uid"].clone();
        owned(
            "kubeadm-certs",
            vec![reference("bootstrap-token-abcdef", &uid)],
        );
        owned(
            "stale-owner",
            vec![reference("bootstrap-token-abcdef", &json!("another-uid"))],
        );
        owned(
            "unknown-kind",
            vec![
                json!({"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "u"}),
            ],
        );
        sync(&store).unwrap();
        assert!(
            store.get(secrets, "kube-system", "kubeadm-certs").is_some(),
            "its owner exists"
        );
        assert!(
            store.get(secrets, "kube-system", "stale-owner").is_none(),
            "an owner with another uid is gone"
        );
        assert!(
            store.get(secrets, "kube-system", "unknown-kind").is_some(),
            "owners that cannot be seen are kept"
        );
        store
            .delete(secrets, "kube-system", "bootstrap-token-abcdef")
            .unwrap();
        sync(&store).unwrap();
        assert!(store.get(secrets, "kube-system", "kubeadm-certs").is_none());
    }
}
