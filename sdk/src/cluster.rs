//! What addon plugins see of the cluster: the configuration they render for, a
//! read-only object lookup, and the manifests they hand back.

/// The cluster configuration an addon renders for (the WIT `cluster-view`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterView {
    /// `clusterName` (`kubernetes`).
    pub cluster_name: String,
    /// `kubernetesVersion`, resolved (`v1.34.1`).
    pub kubernetes_version: String,
    /// `networking.podSubnet` split at commas; empty when unset.
    pub pod_subnets: Vec<String>,
    /// `networking.serviceSubnet` split at commas.
    pub service_subnets: Vec<String>,
    /// `networking.dnsDomain` (`cluster.local`).
    pub dns_domain: String,
    /// The API server endpoint as `host:port`.
    pub control_plane_endpoint: String,
    /// `imageRepository` (`registry.k8s.io`).
    pub image_repository: String,
    /// The node running `init`.
    pub node_name: String,
}

impl ClusterView {
    /// The first IPv4 pod subnet, if any.
    pub fn pod_subnet_ipv4(&self) -> Option<&str> {
        first_of_family(&self.pod_subnets, false)
    }

    /// The first IPv6 pod subnet, if any.
    pub fn pod_subnet_ipv6(&self) -> Option<&str> {
        first_of_family(&self.pod_subnets, true)
    }
}

fn first_of_family(subnets: &[String], ipv6: bool) -> Option<&str> {
    subnets
        .iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty() && s.contains(':') == ipv6)
}

/// Why a cluster object could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// No API server to ask (`--dry-run`, or it is not up yet).
    #[error("cannot read {object}: the cluster is unavailable ({reason})")]
    Unavailable {
        /// The object asked for (`ConfigMap kube-system/kube-proxy`).
        object: String,
        /// Why, as the host says.
        reason: String,
    },
    /// The plugin did not declare `cluster-read` for it or the operator did not grant it.
    #[error(
        "reading {object} was denied: the plugin must declare cluster-read for its kind and namespace and the operator must grant it"
    )]
    Denied {
        /// The object asked for.
        object: String,
    },
}

/// Names an object for messages: `ConfigMap kube-system/kube-proxy`, `ClusterRole admin`.
pub(crate) fn object_name(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// Read-only access to existing cluster objects, for kinds and namespaces granted.
pub trait ClusterObjects {
    /// The object's JSON, or `None` when it does not exist.
    fn get(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, ClusterError>;

    /// Like [`get`](Self::get), but an unreachable cluster (`--dry-run`, API server not
    /// up yet) reads as "no such object", so the addon renders its defaults.
    fn get_if_reachable(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, ClusterError> {
        match self.get(kind, namespace, name) {
            Err(ClusterError::Unavailable { .. }) => Ok(None),
            other => other,
        }
    }
}

/// Kubernetes objects rendered by an addon: YAML (documents separated by `---`) or JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// A short label for messages (`rbac`, `daemonset`).
    pub name: String,
    /// The objects' text.
    pub content: String,
}

impl Manifest {
    /// A manifest labelled `name` holding `content`.
    pub fn new(name: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            content: content.into(),
        }
    }
}
