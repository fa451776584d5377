use serde_json::json;

use super::*;
use crate::control_plane::auth::UserInfo;
use crate::control_plane::policy;

fn user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

fn res(verb: &str, group: &str, resource: &str, sub: &str, ns: &str, name: &str) -> Attributes {
    Attributes::Resource {
        verb: verb.into(),
        group: group.into(),
        resource: resource.into(),
        subresource: sub.into(),
        namespace: ns.into(),
        name: name.into(),
    }
}

fn path(p: &str) -> Attributes {
    Attributes::NonResource {
        verb: "get".into(),
        path: p.into(),
    }
}

/// The seeded policy plus the RBAC kubeadm's bootstrap-token phase creates.
fn store() -> Store {
    let store = Store::new();
    policy::seed(&store).unwrap();
    let create = |plural: &str, ns: &str, obj| {
        store
            .create(resources::named(RBAC_GROUP, plural), ns, obj)
            .unwrap();
    };
    create(
        "roles",
        "kube-public",
        json!({"metadata": {"name": "kubeadm:bootstrap-signer-clusterinfo"},
               "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["cluster-info"], "verbs": ["get"]}]}),
    );
    create(
        "rolebindings",
        "kube-public",
        json!({"metadata": {"name": "kubeadm:bootstrap-signer-clusterinfo"},
               "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "kubeadm:bootstrap-signer-clusterinfo"},
               "subjects": [{"kind": "User", "name": "system:anonymous"}]}),
    );
    create(
        "clusterrolebindings",
        "",
        json!({"metadata": {"name": "kubeadm:kubelet-bootstrap"},
               "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "system:node-bootstrapper"},
               "subjects": [{"kind": "Group", "name": "system:bootstrappers:kubeadm:default-node-token"}]}),
    );
    create(
        "clusterrolebindings",
        "",
        json!({"metadata": {"name": "kubeadm:node-proxier"},
               "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "system:node-proxier"},
               "subjects": [{"kind": "ServiceAccount", "name": "kube-proxy", "namespace": "kube-system"}]}),
    );
    store
}

#[test]
fn rbac_decisions_follow_the_stored_roles_and_bindings() {
    let store = store();
    let anonymous = UserInfo::anonymous();
    let bootstrapper = user(
        "system:bootstrap:abcdef",
        &[
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
            "system:authenticated",
        ],
    );
    let super_admin = user(
        "kubernetes-super-admin",
        &["system:masters", "system:authenticated"],
    );
    let node = user(
        "system:node:node-a",
        &["system:nodes", "system:authenticated"],
    );
    let kube_proxy = user(
        "system:serviceaccount:kube-system:kube-proxy",
        &["system:serviceaccounts", "system:authenticated"],
    );
    let csr = "certificatesigningrequests";
    let cases = [
        (
            "anonymous reads cluster-info",
            &anonymous,
            res("get", "", "configmaps", "", "kube-public", "cluster-info"),
            true,
        ),
        (
            "only cluster-info by name",
            &anonymous,
            res("get", "", "configmaps", "", "kube-public", "other"),
            false,
        ),
        (
            "resourceNames never match a list",
            &anonymous,
            res("list", "", "configmaps", "", "kube-public", ""),
            false,
        ),
        (
            "the Role is for kube-public only",
            &anonymous,
            res("get", "", "configmaps", "", "default", "cluster-info"),
            false,
        ),
        (
            "anonymous cannot read secrets",
            &anonymous,
            res("get", "", "secrets", "", "kube-system", "x"),
            false,
        ),
        (
            "anonymous may read /healthz",
            &anonymous,
            path("/healthz"),
            true,
        ),
        (
            "anonymous may not discover",
            &anonymous,
            path("/api"),
            false,
        ),
        (
            "authenticated users discover",
            &bootstrapper,
            path("/apis/apps/v1"),
            true,
        ),
        (
            "bootstrappers create CSRs",
            &bootstrapper,
            res("create", resources::CERTIFICATES_GROUP, csr, "", "", ""),
            true,
        ),
        (
            "but not nodeclient without the binding",
            &bootstrapper,
            res(
                "create",
                resources::CERTIFICATES_GROUP,
                csr,
                "nodeclient",
                "",
                "",
            ),
            false,
        ),
        (
            "bootstrappers cannot read secrets",
            &bootstrapper,
            res("get", "", "secrets", "", "kube-system", "x"),
            false,
        ),
        (
            "system:masters may do anything",
            &super_admin,
            res("delete", "apps", "daemonsets", "", "kube-system", "x"),
            true,
        ),
        (
            "nodes update their status",
            &node,
            res("patch", "", "nodes", "status", "", "node-a"),
            true,
        ),
        (
            "nodes cannot delete nodes",
            &node,
            res("delete", "", "nodes", "", "", "node-a"),
            false,
        ),
        (
            "service account subjects",
            &kube_proxy,
            res("list", "", "services", "", "", ""),
            true,
        ),
        (
            "service accounts get only their rules",
            &kube_proxy,
            res("create", "", "services", "", "default", ""),
            false,
        ),
    ];
    for (case, who, attrs, want) in cases {
        assert_eq!(authorize(&store, who, &attrs), want, "{case}");
    }
}

#[test]
fn rules_match_wildcards_subresources_and_url_prefixes() {
    let cases = [
        (
            json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
            res("patch", "apps", "deployments", "status", "x", "d"),
            true,
        ),
        (
            json!({"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}),
            res("get", "", "nodes", "status", "", "n"),
            false,
        ),
        (
            json!({"apiGroups": [""], "resources": ["*/status"], "verbs": ["get"]}),
            res("get", "", "nodes", "status", "", "n"),
            true,
        ),
        (
            json!({"apiGroups": ["apps"], "resources": ["nodes"], "verbs": ["get"]}),
            res("get", "", "nodes", "", "", "n"),
            false,
        ),
        (
            json!({"nonResourceURLs": ["/apis/*"], "verbs": ["get"]}),
            path("/apis/apps"),
            true,
        ),
        (
            json!({"nonResourceURLs": ["/apis/*"], "verbs": ["get"]}),
            path("/api"),
            false,
        ),
        (
            json!({"nonResourceURLs": ["/api"], "verbs": ["get"]}),
            res("get", "", "api", "", "", ""),
            false,
        ),
    ];
    for (rule, attrs, want) in cases {
        assert_eq!(rule_allows(&rule, &attrs), want, "{rule} vs {attrs:?}");
    }
}

#[test]
fn forbidden_messages_read_like_kube_apiservers() {
    let anonymous = UserInfo::anonymous();
    let cases = [
        (
            res("get", "", "secrets", "", "kube-system", "s"),
            "secrets \"s\" is forbidden: User \"system:anonymous\" cannot get resource \"secrets\" in API group \"\" in the namespace \"kube-system\"",
        ),
        (
            res(
                "list",
                "rbac.authorization.k8s.io",
                "clusterroles",
                "",
                "",
                "",
            ),
            "clusterroles.rbac.authorization.k8s.io is forbidden: User \"system:anonymous\" cannot list resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope",
        ),
        (
            path("/api"),
            "forbidden: User \"system:anonymous\" cannot get path \"/api\"",
        ),
    ];
    for (attrs, want) in cases {
        assert_eq!(attrs.forbidden_message(&anonymous), want);
    }
}
