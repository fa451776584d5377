//! The API resources the test control plane serves: the kinds kubeadm and kubectl touch,
//! with the names, scopes and subresources discovery reports for them.

/// One served resource type, as discovery describes it.
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// API group; empty for the core (`/api/v1`) group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// The plural name used in paths (`configmaps`).
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Subresources with their own update path (`status`, `approval`).
    pub subresources: &'static [&'static str],
}

impl ResourceType {
    /// `v1` for the core group, `<group>/<version>` otherwise.
    pub fn api_version(&self) -> String {
        group_version(self.group, self.version)
    }

    /// Whether `.status` belongs to the `status` subresource, so the main resource keeps it.
    pub fn has_status(&self) -> bool {
        self.subresources.contains(&"status")
    }
}

/// `v1` for the core group, `<group>/<version>` otherwise.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

const fn core(
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
) -> ResourceType {
    ResourceType {
        group: "",
        version: "v1",
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        subresources,
    }
}

const fn grouped(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
) -> ResourceType {
    ResourceType {
        group,
        version: "v1",
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        subresources,
    }
}

pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
pub const CERTIFICATES_GROUP: &str = "certificates.k8s.io";

/// Every served resource; each group has the single version `v1`.
pub const RESOURCES: &[ResourceType] = &[
    core(
        "Namespace",
        "namespaces",
        "namespace",
        false,
        &["ns"],
        &["status"],
    ),
    core("ConfigMap", "configmaps", "configmap", true, &["cm"], &[]),
    core("Secret", "secrets", "secret", true, &[], &[]),
    core("Node", "nodes", "node", false, &["no"], &["status"]),
    // Mirror pods: the kubelet double posts one per static pod, as the kubelet does.
    core("Pod", "pods", "pod", true, &["po"], &["status"]),
    core(
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        true,
        &["sa"],
        &[],
    ),
    core(
        "Service",
        "services",
        "service",
        true,
        &["svc"],
        &["status"],
    ),
    grouped(RBAC_GROUP, "Role", "roles", "role", true, &[], &[]),
    grouped(
        RBAC_GROUP,
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        true,
        &[],
        &[],
    ),
    grouped(
        RBAC_GROUP,
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        false,
        &[],
        &[],
    ),
    grouped(
        RBAC_GROUP,
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        false,
        &[],
        &[],
    ),
    grouped(
        "apps",
        "Deployment",
        "deployments",
        "deployment",
        true,
        &["deploy"],
        &["status"],
    ),
    grouped(
        "apps",
        "DaemonSet",
        "daemonsets",
        "daemonset",
        true,
        &["ds"],
        &["status"],
    ),
    grouped(
        CERTIFICATES_GROUP,
        "CertificateSigningRequest",
        "certificatesigningrequests",
        "certificatesigningrequest",
        false,
        &["csr"],
        &["approval", "status"],
    ),
    grouped(
        "coordination.k8s.io",
        "Lease",
        "leases",
        "lease",
        true,
        &[],
        &[],
    ),
];

/// The served API groups other than core, in discovery order.
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&r.group) {
            out.push(r.group);
        }
    }
    out
}

/// The resource served at `<group>/<version>` under `plural`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource for an object's `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

/// Looks up a resource by its plural in the given group (any version); for seeding and tests.
pub fn named(group: &str, plural: &str) -> &'static ResourceType {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
        .unwrap_or_else(|| panic!("{group}/{plural} is not a served resource"))
}
