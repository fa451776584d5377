//! The RBAC shapes kubeadm repeats: a Role that may read one ConfigMap, and bindings of a role to
//! groups, users or service accounts.

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};

use super::meta;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// A rule over the core API group.
pub fn core_rule(verbs: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
    rule("", verbs, resources, names)
}

pub fn rule(group: &str, verbs: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(strings(resources)),
        resource_names: (!names.is_empty()).then(|| strings(names)),
        verbs: strings(verbs),
        ..Default::default()
    }
}

/// A Role named `name` in `namespace` allowing `get` on the one ConfigMap `config_map`.
pub fn read_config_map_role(name: &str, namespace: &str, config_map: &str) -> Role {
    Role {
        metadata: meta(name, Some(namespace), &[]),
        rules: Some(vec![core_rule(&["get"], &["configmaps"], &[config_map])]),
    }
}

/// A RoleBinding of the same-named Role to `subjects`.
pub fn role_binding(name: &str, namespace: &str, subjects: Vec<Subject>) -> RoleBinding {
    RoleBinding {
        metadata: meta(name, Some(namespace), &[]),
        role_ref: role_ref("Role", name),
        subjects: Some(subjects),
    }
}

pub fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> ClusterRole {
    ClusterRole {
        metadata: meta(name, None, &[]),
        rules: Some(rules),
        ..Default::default()
    }
}

/// A ClusterRoleBinding `name` of the ClusterRole `cluster_role` to `subjects`.
pub fn cluster_role_binding(
    name: &str,
    cluster_role: &str,
    subjects: Vec<Subject>,
) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(name, None, &[]),
        role_ref: role_ref("ClusterRole", cluster_role),
        subjects: Some(subjects),
    }
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef {
        api_group: RBAC_GROUP.into(),
        kind: kind.into(),
        name: name.into(),
    }
}

/// kubeadm leaves a subject's `apiGroup` to the API server's defaulting, so do we.
pub fn group(name: &str) -> Subject {
    subject("Group", name, None)
}

pub fn user(name: &str) -> Subject {
    subject("User", name, None)
}

pub fn service_account(namespace: &str, name: &str) -> Subject {
    subject("ServiceAccount", name, Some(namespace))
}

fn subject(kind: &str, name: &str, namespace: Option<&str>) -> Subject {
    Subject {
        kind: kind.into(),
        name: name.into(),
        namespace: namespace.map(str::to_string),
        ..Default::default()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}
