//! What a request is for, from its method, path and query, as kube-apiserver's
//! RequestInfoFactory works it out: discovery or health (non-resource) paths, or a verb on a
//! resource, namespace, name and subresource.

use std::collections::BTreeMap;

use super::rbac::Attributes;

/// A request for an API resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    pub verb: String,
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Resource(ResourceRequest),
    /// Any other path (`/version`, `/api`, `/apis/apps`, `/healthz`), with the method's verb.
    NonResource {
        verb: String,
        path: String,
    },
}

impl Target {
    pub fn attributes(&self) -> Attributes {
        match self {
            Target::Resource(r) => Attributes::Resource {
                verb: r.verb.clone(),
                group: r.group.clone(),
                resource: r.resource.clone(),
                subresource: r.subresource.clone(),
                namespace: r.namespace.clone(),
                name: r.name.clone(),
            },
            Target::NonResource { verb, path } => Attributes::NonResource {
                verb: verb.clone(),
                path: path.clone(),
            },
        }
    }
}

/// Query parameters, percent-decoded; the last value of a repeated key wins.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The verb kube-apiserver gives a resource request.
fn resource_verb(method: &str, has_name: bool, watch: bool) -> String {
    match (method, has_name) {
        ("GET" | "HEAD", _) if watch => "watch",
        ("GET" | "HEAD", true) => "get",
        ("GET" | "HEAD", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
    .to_string()
}

/// Classifies a request. Paths are taken without a trailing slash.
pub fn classify(method: &str, path: &str, query: &BTreeMap<String, String>) -> Target {
    let path = match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] if !rest.is_empty() => ("", *version, rest),
        ["apis", group, version, rest @ ..] if !rest.is_empty() => (*group, *version, rest),
        _ => {
            return Target::NonResource {
                verb: method.to_ascii_lowercase(),
                path: path.to_string(),
            };
        }
    };
    // `namespaces/<ns>/<resource>/...` is namespaced, except a namespace's own subresources.
    let (namespace, rest) = match rest {
        ["namespaces", ns, resource, tail @ ..] if !matches!(*resource, "status" | "finalize") => {
            let mut r = vec![*resource];
            r.extend_from_slice(tail);
            (ns.to_string(), r)
        }
        ["namespaces", name, tail @ ..] => {
            let mut r = vec!["namespaces", *name];
            r.extend_from_slice(tail);
            // A namespace object is cluster-scoped; kube-apiserver records its name as the namespace.
            (name.to_string(), r)
        }
        other => (String::new(), other.to_vec()),
    };
    let resource = rest.first().copied().unwrap_or("").to_string();
    let name = rest.get(1).copied().unwrap_or("").to_string();
    let subresource = rest.get(2..).map(|s| s.join("/")).unwrap_or_default();
    let watch = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    Target::Resource(ResourceRequest {
        verb: resource_verb(method, !name.is_empty(), watch),
        group: group.to_string(),
        version: version.to_string(),
        resource,
        subresource,
        namespace,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(method: &str, path: &str, query: &str) -> ResourceRequest {
        match classify(method, path, &parse_query(Some(query))) {
            Target::Resource(r) => r,
            other => panic!("{path} classified as {other:?}"),
        }
    }

    #[test]
    fn resource_paths_give_kube_apiservers_request_info() {
        // (method, path, query) -> (verb, group, resource, subresource, namespace, name)
        let cases = [
            (
                "GET",
                "/api/v1/namespaces/kube-system/configmaps/x",
                "",
                ("get", "", "configmaps", "", "kube-system", "x"),
            ),
            (
                "GET",
                "/api/v1/namespaces/kube-system/configmaps",
                "",
                ("list", "", "configmaps", "", "kube-system", ""),
            ),
            (
                "GET",
                "/api/v1/configmaps",
                "watch=true",
                ("watch", "", "configmaps", "", "", ""),
            ),
            (
                "GET",
                "/api/v1/nodes/n1",
                "",
                ("get", "", "nodes", "", "", "n1"),
            ),
            (
                "PUT",
                "/api/v1/nodes/n1/status",
                "",
                ("update", "", "nodes", "status", "", "n1"),
            ),
            (
                "GET",
                "/api/v1/namespaces/default",
                "",
                ("get", "", "namespaces", "", "default", "default"),
            ),
            (
                "PUT",
                "/api/v1/namespaces/default/status",
                "",
                ("update", "", "namespaces", "status", "default", "default"),
            ),
            (
                "GET",
                "/api/v1/namespaces",
                "",
                ("list", "", "namespaces", "", "", ""),
            ),
            (
                "POST",
                "/apis/certificates.k8s.io/v1/certificatesigningrequests",
                "",
                (
                    "create",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "",
                    "",
                    "",
                ),
            ),
            (
                "PUT",
                "/apis/certificates.k8s.io/v1/certificatesigningrequests/c/approval",
                "",
                (
                    "update",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "approval",
                    "",
                    "c",
                ),
            ),
            (
                "PATCH",
                "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy",
                "",
                (
                    "patch",
                    "apps",
                    "daemonsets",
                    "",
                    "kube-system",
                    "kube-proxy",
                ),
            ),
            (
                "DELETE",
                "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:x/",
                "",
                (
                    "delete",
                    "rbac.authorization.k8s.io",
                    "clusterroles",
                    "",
                    "",
                    "system:x",
                ),
            ),
            (
                "DELETE",
                "/api/v1/namespaces/ns/secrets",
                "",
                ("deletecollection", "", "secrets", "", "ns", ""),
            ),
        ];
        for (method, path, query, (verb, group, res, sub, ns, name)) in cases {
            let r = resource(method, path, query);
            assert_eq!(
                (
                    r.verb.as_str(),
                    r.group.as_str(),
                    r.resource.as_str(),
                    r.subresource.as_str(),
                    r.namespace.as_str(),
                    r.name.as_str()
                ),
                (verb, group, res, sub, ns, name),
                "{method} {path}?{query}"
            );
        }
    }

    #[test]
    fn discovery_and_health_paths_are_non_resource() {
        for path in [
            "/version",
            "/version/",
            "/api",
            "/api/v1",
            "/apis",
            "/apis/apps",
            "/apis/apps/v1",
            "/healthz",
            "/",
        ] {
            let got = classify("GET", path, &BTreeMap::new());
            let want = match path.trim_end_matches('/') {
                "" => "/",
                p => p,
            };
            assert_eq!(
                got,
                Target::NonResource {
                    verb: "get".into(),
                    path: want.into()
                },
                "{path}"
            );
        }
    }

    #[test]
    fn query_values_are_percent_decoded() {
        let q = parse_query(Some("labelSelector=a%3Db%2Cc%21%3Dd&watch=1&x"));
        assert_eq!(q["labelSelector"], "a=b,c!=d");
        assert_eq!(q["watch"], "1");
        assert_eq!(q["x"], "");
    }
}
