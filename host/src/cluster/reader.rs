//! Reading one object by kind and name, for addon plugins: the `cluster` import of a plugin
//! call answers through a [`ClusterReader`], the live API or none at all.

use super::Cluster;

/// Reads objects for addon plugins, as JSON.
pub trait ClusterReader: Send + Sync {
    /// The object's JSON, `None` if it does not exist, or why the cluster cannot be asked.
    fn get(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, String>;
}

/// A cluster that cannot be asked (dry-run, or the API server is not up), and why.
pub struct NoCluster(pub String);

impl ClusterReader for NoCluster {
    fn get(&self, _: &str, _: Option<&str>, _: &str) -> Result<Option<String>, String> {
        Err(self.0.clone())
    }
}

/// The API server, for objects of the kinds kubeadm-rs knows the API group of.
pub struct ApiReader(pub Cluster);

impl ClusterReader for ApiReader {
    fn get(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, String> {
        let api_version = api_version_of(kind)
            .ok_or_else(|| format!("kubeadm-rs cannot read objects of kind {kind}"))?;
        let namespace = namespace.unwrap_or_default();
        // The plugin host calls this from inside its own runtime; the client runs its own, so
        // the request goes out from a thread of its own.
        std::thread::scope(|s| {
            s.spawn(|| self.0.get_value(api_version, kind, namespace, name))
                .join()
                .map_err(|_| "the API request panicked".to_string())?
                .map(|found| found.map(|v| v.to_string()))
                .map_err(|e| e.to_string())
        })
    }
}

/// The API group and version of the kinds an addon may read.
fn api_version_of(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "ConfigMap"
        | "Secret"
        | "Service"
        | "ServiceAccount"
        | "Namespace"
        | "Node"
        | "Pod"
        | "Endpoints"
        | "PersistentVolume"
        | "PersistentVolumeClaim" => "v1",
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" => "apps/v1",
        "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" => {
            "rbac.authorization.k8s.io/v1"
        }
        "NetworkPolicy" | "IngressClass" | "Ingress" => "networking.k8s.io/v1",
        "PriorityClass" => "scheduling.k8s.io/v1",
        "CustomResourceDefinition" => "apiextensions.k8s.io/v1",
        "Job" | "CronJob" => "batch/v1",
        "Lease" => "coordination.k8s.io/v1",
        "StorageClass" => "storage.k8s.io/v1",
        _ => return None,
    })
}
