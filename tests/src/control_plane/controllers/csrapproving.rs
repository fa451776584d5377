//! kube-controller-manager's csrapproving: a pending node client CSR is approved when its
//! requester may, by RBAC, create `certificatesigningrequests/selfnodeclient` (a node renewing
//! its own certificate) or `certificatesigningrequests/nodeclient` (any node client CSR).

use serde_json::{Value, json};

use super::super::auth::UserInfo;
use super::super::meta;
use super::super::rbac::{Attributes, authorize};
use super::super::resources::{self, CERTIFICATES_GROUP};
use super::super::store::{Store, StoreError};
use super::csr::{Csr, KUBELET_CLIENT_SIGNER, has_condition};

fn may_create(store: &Store, user: &UserInfo, subresource: &str) -> bool {
    let attrs = Attributes::Resource {
        verb: "create".into(),
        group: CERTIFICATES_GROUP.into(),
        resource: "certificatesigningrequests".into(),
        subresource: subresource.into(),
        namespace: String::new(),
        name: String::new(),
    };
    authorize(store, user, &attrs)
}

/// Whether the requester of `csr` is allowed to have it approved automatically.
fn approvable(store: &Store, csr: &Csr) -> bool {
    if csr.signer != KUBELET_CLIENT_SIGNER || !csr.is_node_client() {
        return false;
    }
    let requester = UserInfo {
        name: csr.username.clone(),
        groups: csr.groups.clone(),
    };
    (csr.is_self_node_client() && may_create(store, &requester, "selfnodeclient"))
        || may_create(store, &requester, "nodeclient")
}

pub fn sync(store: &Store, now: &str) -> Result<(), StoreError> {
    let csrs = resources::named(CERTIFICATES_GROUP, "certificatesigningrequests");
    for object in store.list(csrs, None).items {
        if has_condition(&object, "Approved") || has_condition(&object, "Denied") {
            continue;
        }
        let Ok(csr) = Csr::read(&object) else {
            continue;
        };
        if !approvable(store, &csr) {
            continue;
        }
        let mut next = object.clone();
        let mut conditions = object
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        conditions.push(json!({
            "type": "Approved",
            "status": "True",
            "reason": "AutoApproved",
            "message": "Auto approving kubelet client certificate after SubjectAccessReview.",
            "lastUpdateTime": now,
            "lastTransitionTime": now,
        }));
        next["status"]["conditions"] = Value::Array(conditions);
        let name = meta::name(&object).unwrap_or("").to_string();
        match store.update(csrs, "", &name, next) {
            Ok(_) | Err(StoreError::Conflict { .. }) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
