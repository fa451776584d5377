//! Authorisation: `system:masters` is the superuser; everyone else gets what the RBAC objects
//! in the store grant; node users (`system:node:<name>` in `system:nodes`) get the
//! `system:node` ClusterRole, standing in for kube-apiserver's Node authorizer.

use serde_json::Value;

use super::auth::{MASTERS_GROUP, UserInfo};
use super::meta;
use super::resources::{self, RBAC_GROUP};
use super::store::Store;

pub const NODES_GROUP: &str = "system:nodes";
pub const NODE_USER_PREFIX: &str = "system:node:";
pub const NODE_CLUSTER_ROLE: &str = "system:node";

/// What a request asks to do, as kube-apiserver's authorizers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attributes {
    Resource {
        verb: String,
        group: String,
        resource: String,
        /// Empty when the request is for the resource itself.
        subresource: String,
        /// Empty for cluster-scoped resources and cluster-wide lists.
        namespace: String,
        /// Empty for list, create and other collection requests.
        name: String,
    },
    NonResource {
        verb: String,
        path: String,
    },
}

impl Attributes {
    /// kube-apiserver's Forbidden message for this request.
    pub fn forbidden_message(&self, user: &UserInfo) -> String {
        match self {
            Attributes::NonResource { verb, path } => {
                format!(
                    "forbidden: User \"{}\" cannot {verb} path \"{path}\"",
                    user.name
                )
            }
            Attributes::Resource {
                verb,
                group,
                resource,
                subresource,
                namespace,
                name,
            } => {
                let what = if group.is_empty() {
                    resource.clone()
                } else {
                    format!("{resource}.{group}")
                };
                let object = if name.is_empty() {
                    what
                } else {
                    format!("{what} \"{name}\"")
                };
                let full = if subresource.is_empty() {
                    resource.clone()
                } else {
                    format!("{resource}/{subresource}")
                };
                let scope = if namespace.is_empty() {
                    "at the cluster scope".to_string()
                } else {
                    format!("in the namespace \"{namespace}\"")
                };
                format!(
                    "{object} is forbidden: User \"{}\" cannot {verb} resource \"{full}\" in API group \"{group}\" {scope}",
                    user.name
                )
            }
        }
    }
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has(list: &[&str], wanted: &str) -> bool {
    list.iter().any(|x| *x == "*" || *x == wanted)
}

/// Whether one PolicyRule allows the request.
pub fn rule_allows(rule: &Value, attrs: &Attributes) -> bool {
    match attrs {
        Attributes::Resource {
            verb,
            group,
            resource,
            subresource,
            name,
            ..
        } => {
            let resources = strings(rule.get("resources"));
            let resource_ok = if subresource.is_empty() {
                has(&resources, resource)
            } else {
                let full = format!("{resource}/{subresource}");
                resources
                    .iter()
                    .any(|r| *r == "*" || *r == full || *r == format!("*/{subresource}"))
            };
            let names = strings(rule.get("resourceNames"));
            has(&strings(rule.get("verbs")), verb)
                && has(&strings(rule.get("apiGroups")), group)
                && resource_ok
                && (names.is_empty() || names.contains(&name.as_str()))
        }
        Attributes::NonResource { verb, path } => {
            has(&strings(rule.get("verbs")), verb)
                && strings(rule.get("nonResourceURLs")).iter().any(|u| {
                    *u == "*"
                        || u == path
                        || u.strip_suffix('*')
                            .is_some_and(|prefix| path.starts_with(prefix))
                })
        }
    }
}

/// Whether a binding's subject is this user.
fn subject_matches(subject: &Value, user: &UserInfo, binding_namespace: &str) -> bool {
    let name = meta::str_field(subject, "/name").unwrap_or("");
    match meta::str_field(subject, "/kind") {
        Some("User") => user.name == name,
        Some("Group") => user.in_group(name),
        Some("ServiceAccount") => {
            let ns = meta::str_field(subject, "/namespace")
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_namespace);
            user.name == format!("system:serviceaccount:{ns}:{name}")
        }
        _ => false,
    }
}

/// The rules of the role a binding refers to (a Role only from the binding's namespace).
fn role_rules(store: &Store, binding: &Value, namespace: &str) -> Vec<Value> {
    let name = meta::str_field(binding, "/roleRef/name").unwrap_or("");
    let role = match meta::str_field(binding, "/roleRef/kind") {
        Some("ClusterRole") => store.get(resources::named(RBAC_GROUP, "clusterroles"), "", name),
        Some("Role") if !namespace.is_empty() => {
            store.get(resources::named(RBAC_GROUP, "roles"), namespace, name)
        }
        _ => None,
    };
    role.and_then(|r| r.get("rules").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

fn bindings_allow(
    store: &Store,
    bindings: &[Value],
    namespace: &str,
    user: &UserInfo,
    attrs: &Attributes,
) -> bool {
    bindings.iter().any(|binding| {
        let subjects = binding.get("subjects").and_then(Value::as_array);
        subjects.is_some_and(|s| s.iter().any(|s| subject_matches(s, user, namespace)))
            && role_rules(store, binding, namespace)
                .iter()
                .any(|rule| rule_allows(rule, attrs))
    })
}

/// The authorisation decision for a request.
pub fn authorize(store: &Store, user: &UserInfo, attrs: &Attributes) -> bool {
    if user.in_group(MASTERS_GROUP) {
        return true;
    }
    if user.in_group(NODES_GROUP) && user.name.starts_with(NODE_USER_PREFIX) {
        let node_role = store.get(
            resources::named(RBAC_GROUP, "clusterroles"),
            "",
            NODE_CLUSTER_ROLE,
        );
        let rules = node_role
            .as_ref()
            .and_then(|r| r.get("rules"))
            .and_then(Value::as_array);
        if rules.is_some_and(|rules| rules.iter().any(|r| rule_allows(r, attrs))) {
            return true;
        }
    }
    let cluster_bindings = store
        .list(resources::named(RBAC_GROUP, "clusterrolebindings"), None)
        .items;
    if bindings_allow(store, &cluster_bindings, "", user, attrs) {
        return true;
    }
    match attrs {
        Attributes::Resource { namespace, .. } if !namespace.is_empty() => {
            let bindings = store
                .list(
                    resources::named(RBAC_GROUP, "rolebindings"),
                    Some(namespace),
                )
                .items;
            bindings_allow(store, &bindings, namespace, user, attrs)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
