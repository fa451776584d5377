//! What an object an addon plugin renders must look like before any request is made for it:
//! the object's name and namespace go into request URLs, so they are checked as the API
//! server would check them (and, where Kubernetes allows more, narrowed to what a URL path
//! carries unescaped), and its `apiVersion` must name its kind's group.

/// How Kubernetes validates the names of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameRule {
    /// RFC 1123 subdomain: most kinds.
    Subdomain,
    /// RFC 1123 label: `Namespace`.
    Label,
    /// RFC 1035 label (starts with a letter): `Service`.
    Rfc1035Label,
    /// A path segment: RBAC kinds (`system:coredns`), narrowed to `[A-Za-z0-9._:@-]`.
    PathSegment,
}

use NameRule::{Label, PathSegment, Rfc1035Label, Subdomain};

/// Kinds whose group and scope kubeadm-rs knows: `(kind, group, namespaced, name rule)`.
const KNOWN: &[(&str, &str, bool, NameRule)] = &[
    ("ConfigMap", "", true, Subdomain),
    ("Secret", "", true, Subdomain),
    ("Service", "", true, Rfc1035Label),
    ("ServiceAccount", "", true, Subdomain),
    ("Namespace", "", false, Label),
    ("Node", "", false, Subdomain),
    ("Pod", "", true, Subdomain),
    ("PodTemplate", "", true, Subdomain),
    ("Endpoints", "", true, Subdomain),
    ("Event", "", true, Subdomain),
    ("LimitRange", "", true, Subdomain),
    ("ResourceQuota", "", true, Subdomain),
    ("ReplicationController", "", true, Subdomain),
    ("PersistentVolume", "", false, Subdomain),
    ("PersistentVolumeClaim", "", true, Subdomain),
    ("Deployment", "apps", true, Subdomain),
    ("DaemonSet", "apps", true, Subdomain),
    ("StatefulSet", "apps", true, Subdomain),
    ("ReplicaSet", "apps", true, Subdomain),
    ("ControllerRevision", "apps", true, Subdomain),
    ("Job", "batch", true, Subdomain),
    ("CronJob", "batch", true, Subdomain),
    ("Role", "rbac.authorization.k8s.io", true, PathSegment),
    (
        "RoleBinding",
        "rbac.authorization.k8s.io",
        true,
        PathSegment,
    ),
    (
        "ClusterRole",
        "rbac.authorization.k8s.io",
        false,
        PathSegment,
    ),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        false,
        PathSegment,
    ),
    ("NetworkPolicy", "networking.k8s.io", true, Subdomain),
    ("Ingress", "networking.k8s.io", true, Subdomain),
    ("IngressClass", "networking.k8s.io", false, Subdomain),
    ("EndpointSlice", "discovery.k8s.io", true, Subdomain),
    ("PriorityClass", "scheduling.k8s.io", false, Subdomain),
    ("RuntimeClass", "node.k8s.io", false, Subdomain),
    ("Lease", "coordination.k8s.io", true, Subdomain),
    ("StorageClass", "storage.k8s.io", false, Subdomain),
    ("CSIDriver", "storage.k8s.io", false, Subdomain),
    ("PodDisruptionBudget", "policy", true, Subdomain),
    ("HorizontalPodAutoscaler", "autoscaling", true, Subdomain),
    (
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        false,
        Subdomain,
    ),
    ("APIService", "apiregistration.k8s.io", false, Subdomain),
    (
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        false,
        Subdomain,
    ),
    (
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        false,
        Subdomain,
    ),
];

/// An RFC 1123 label: lowercase letters, digits and `-`, starting and ending alphanumeric,
/// at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// An RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

fn is_rfc1035_label(s: &str) -> bool {
    is_dns_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// A path segment name (RBAC kinds), narrowed to characters a URL carries unescaped.
pub fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':' | b'@'))
}

impl NameRule {
    fn allows(self, name: &str) -> bool {
        match self {
            Subdomain => is_dns_subdomain(name),
            Label => is_dns_label(name),
            Rfc1035Label => is_rfc1035_label(name),
            PathSegment => is_path_segment(name),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Subdomain => {
                "a lowercase RFC 1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)"
            }
            Label => {
                "a lowercase RFC 1123 label (lowercase letters, digits and '-', at most 63 characters)"
            }
            Rfc1035Label => {
                "a lowercase RFC 1035 label (a letter, then lowercase letters, digits and '-', at most 63 characters)"
            }
            PathSegment => {
                "letters, digits and '-', '.', '_', ':', '@' (not \".\" or \"..\"), at most 253 characters"
            }
        }
    }
}

/// A `kind` as the API names it: a letter, then letters and digits, at most 63 characters.
pub fn is_kind(s: &str) -> bool {
    s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Checks an object's `apiVersion`, `kind`, `metadata.name` and `metadata.namespace`; the
/// error says which field is wrong and what is expected, each value from the object quoted
/// with Rust's escapes (see [`check_object_quoted`]).
pub fn check_object(
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
) -> Result<(), String> {
    check_object_quoted(api_version, kind, name, namespace, &|s| format!("{s:?}"))
}

/// As [`check_object`], with values from the object quoted by `shown`: the host makes
/// terminal controls visible its own way.
pub fn check_object_quoted(
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    shown: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    if !is_kind(kind) {
        return Err(format!(
            "kind {} is not a Kubernetes kind (a letter, then letters and digits)",
            shown(kind)
        ));
    }
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    if !is_dns_label(version) || (!group.is_empty() && !is_dns_subdomain(group)) {
        return Err(format!(
            "{kind}: apiVersion {} is not <group>/<version> or <version>",
            shown(api_version)
        ));
    }
    let known = KNOWN.iter().find(|(k, ..)| *k == kind);
    let rule = match known {
        Some((_, want, ..)) if *want != group => {
            let want = if want.is_empty() {
                "the core group (apiVersion: v1)".to_string()
            } else {
                format!("group {want}")
            };
            return Err(format!(
                "{kind}: apiVersion {} is outside the kind's API group; {kind} is in {want}",
                shown(api_version)
            ));
        }
        Some((.., rule)) => *rule,
        None if group.is_empty() => {
            return Err(format!(
                "kind {kind} with apiVersion {}: the core group has no such kind",
                shown(api_version)
            ));
        }
        None => Subdomain,
    };
    if !rule.allows(name) {
        return Err(format!(
            "{kind} {}: metadata.name must be {}",
            shown(name),
            rule.expected()
        ));
    }
    match (known.map(|(_, _, namespaced, _)| *namespaced), namespace) {
        (Some(true), None) => Err(format!(
            "{kind} {name}: metadata.namespace is missing; {kind} is a namespaced kind"
        )),
        (Some(false), Some(ns)) => Err(format!(
            "{kind} {name}: metadata.namespace is {}, but {kind} is cluster-scoped",
            shown(ns)
        )),
        (_, Some(ns)) if !is_dns_label(ns) => Err(format!(
            "{kind} {name}: metadata.namespace {} must be {}",
            shown(ns),
            Label.expected()
        )),
        _ => Ok(()),
    }
}

/// Splits YAML text on `---` document lines; JSON text is one document.
pub fn documents(content: &str) -> Vec<String> {
    if content.trim_start().starts_with(['{', '[']) {
        return vec![content.to_string()];
    }
    let mut docs = vec![String::new()];
    for line in content.lines() {
        if line == "---" || line.starts_with("--- ") {
            docs.push(String::new());
        } else {
            let doc = docs.last_mut().expect("at least one document");
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.retain(|d| {
        d.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    docs
}

#[cfg(test)]
mod tests;
