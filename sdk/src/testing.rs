//! Native unit tests for plugin logic: mock node facts and cluster objects, and runners
//! that enforce what the host enforces, without wasm.
//!
//! [`run_preflight`] and [`render_addon`] check the plugin's `describe`, reject unknown
//! or repeated parameters, deny sysctl keys and cluster reads the plugin did not declare,
//! refuse findings for undeclared checks, and refuse rendered objects the host would
//! refuse (with the host's own rules: names and namespaces as the API server checks them,
//! namespaced kinds without a namespace, an `apiVersion` outside the kind's group, kinds and
//! namespaces not declared as cluster-apply), so a plugin that passes its native tests does
//! not meet a contract error on a real host.
//!
//! ```
//! use kubeadm_rs_plugin_sdk::testing::MockNode;
//! use kubeadm_rs_plugin_sdk::NodeFacts;
//!
//! let node = MockNode::new().with_cpu_count(1).with_kernel_modules(&["overlay"]);
//! assert_eq!(node.cpu_count(), Ok(1));
//! assert_eq!(node.module_loaded("br_netfilter"), Ok(false));
//! assert!(node.memory_bytes().is_err()); // facts not set are unavailable
//! ```

use std::collections::BTreeMap;

use crate::cluster::object_name;
use crate::describe::{Permission, PluginInfo};
use crate::export::{render_checked, run_checked};
use crate::{
    AddonPlugin, CgroupVersion, ClusterError, ClusterObjects, ClusterView, FactError, Finding,
    Manifest, NodeFacts, OsRelease, PluginError, PreflightPlugin,
};

/// Runs preflight plugin `P` against `node` with `params`, enforcing the contract as the
/// host does (see the module docs).
pub fn run_preflight<P: PreflightPlugin>(
    node: &dyn NodeFacts,
    params: &[(&str, &str)],
) -> Result<Vec<Finding>, PluginError> {
    let info = PluginInfo::preflight::<P>();
    info.validate()?;
    let declared = DeclaredNode {
        inner: node,
        info: &info,
    };
    run_checked::<P>(&declared, owned(params))
}

/// Renders addon plugin `P` for `cluster` with `params`, reading objects from `objects`,
/// enforcing the contract as the host does (see the module docs).
pub fn render_addon<P: AddonPlugin>(
    cluster: &ClusterView,
    params: &[(&str, &str)],
    objects: &dyn ClusterObjects,
) -> Result<Vec<Manifest>, PluginError> {
    let info = PluginInfo::addon::<P>();
    info.validate()?;
    let declared = DeclaredCluster {
        inner: objects,
        info: &info,
    };
    let manifests = render_checked::<P>(&declared, cluster, owned(params))?;
    for manifest in &manifests {
        check_manifest(&info, manifest)?;
    }
    Ok(manifests)
}

/// Checks one rendered manifest as the host does before any request is made for it.
fn check_manifest(info: &PluginInfo, manifest: &Manifest) -> Result<(), PluginError> {
    let bad =
        |reason: String| PluginError::Contract(format!("manifest {:?}: {reason}", manifest.name));
    let docs = kubeadm_rs_plugin_contract::object::documents(&manifest.content);
    if docs.is_empty() {
        return Err(bad("it holds no objects".to_owned()));
    }
    for doc in docs {
        let value: serde_json::Value =
            serde_saphyr::from_str(&doc).map_err(|e| bad(format!("invalid YAML: {e}")))?;
        if !value.is_object() {
            return Err(bad("a document is not a mapping".to_owned()));
        }
        let api_version = string_field(&value, &["apiVersion"]).map_err(bad)?;
        let kind = string_field(&value, &["kind"]).map_err(bad)?;
        let name = string_field(&value, &["metadata", "name"]).map_err(bad)?;
        let namespace = match value.pointer("/metadata/namespace") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(ns)) => Some(ns.clone()),
            Some(_) => {
                return Err(bad(format!(
                    "{kind} {name:?}: metadata.namespace is not a string"
                )));
            }
        };
        kubeadm_rs_plugin_contract::object::check_object(
            &api_version,
            &kind,
            &name,
            namespace.as_deref(),
        )
        .map_err(bad)?;
        let declared = info.permissions.iter().any(|r| {
            matches!(&r.permission, Permission::ClusterApply(scope)
                if scope.kind == kind && scope.namespace == namespace)
        });
        if !declared {
            let scope = match &namespace {
                Some(ns) => format!("{kind} in namespace {ns}"),
                None => format!("{kind} (cluster-scoped)"),
            };
            return Err(bad(format!(
                "it renders {scope}, which the plugin did not declare as cluster-apply"
            )));
        }
    }
    Ok(())
}

/// A required string field of an object: present, a string, not empty.
fn string_field(value: &serde_json::Value, path: &[&str]) -> Result<String, String> {
    match path.iter().try_fold(value, |v, key| v.get(key)) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        None | Some(serde_json::Value::Null) | Some(serde_json::Value::String(_)) => {
            Err(format!("an object has no {}", path.join(".")))
        }
        Some(_) => Err(format!("an object's {} is not a string", path.join("."))),
    }
}

/// The configuration of `kubeadm init` with kubeadm's defaults and a pod subnet, as the
/// host would pass it: a starting point for addon tests.
pub fn sample_cluster() -> ClusterView {
    ClusterView {
        cluster_name: "kubernetes".to_owned(),
        kubernetes_version: "v1.34.1".to_owned(),
        pod_subnets: vec!["10.244.0.0/16".to_owned()],
        service_subnets: vec!["10.96.0.0/12".to_owned()],
        dns_domain: "cluster.local".to_owned(),
        control_plane_endpoint: "192.168.0.10:6443".to_owned(),
        image_repository: "registry.k8s.io".to_owned(),
        node_name: "node-1".to_owned(),
    }
}

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Denies sysctl keys the plugin did not declare, as the host does.
struct DeclaredNode<'a> {
    inner: &'a dyn NodeFacts,
    info: &'a PluginInfo,
}

impl NodeFacts for DeclaredNode<'_> {
    fn hostname(&self) -> Result<String, FactError> {
        self.inner.hostname()
    }
    fn kernel_release(&self) -> Result<String, FactError> {
        self.inner.kernel_release()
    }
    fn os_release(&self) -> Result<OsRelease, FactError> {
        self.inner.os_release()
    }
    fn architecture(&self) -> Result<String, FactError> {
        self.inner.architecture()
    }
    fn cpu_count(&self) -> Result<u32, FactError> {
        self.inner.cpu_count()
    }
    fn memory_bytes(&self) -> Result<u64, FactError> {
        self.inner.memory_bytes()
    }
    fn swap_bytes(&self) -> Result<u64, FactError> {
        self.inner.swap_bytes()
    }
    fn cgroup_version(&self) -> Result<CgroupVersion, FactError> {
        self.inner.cgroup_version()
    }
    fn kernel_modules(&self) -> Result<Vec<String>, FactError> {
        self.inner.kernel_modules()
    }
    fn listening_tcp_ports(&self) -> Result<Vec<u16>, FactError> {
        self.inner.listening_tcp_ports()
    }
    fn sysctl(&self, key: &str) -> Result<String, FactError> {
        let declared = self
            .info
            .permissions
            .iter()
            .any(|r| matches!(&r.permission, Permission::Sysctl(k) if k == key));
        if declared {
            self.inner.sysctl(key)
        } else {
            Err(FactError::Denied {
                fact: format!("sysctl {key}"),
            })
        }
    }
}

/// Denies cluster reads the plugin did not declare, as the host does.
struct DeclaredCluster<'a> {
    inner: &'a dyn ClusterObjects,
    info: &'a PluginInfo,
}

impl ClusterObjects for DeclaredCluster<'_> {
    fn get(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, ClusterError> {
        let declared = self.info.permissions.iter().any(|r| {
            matches!(&r.permission, Permission::ClusterRead(scope)
                if scope.kind == kind && scope.namespace.as_deref() == namespace)
        });
        if declared {
            self.inner.get(kind, namespace, name)
        } else {
            Err(ClusterError::Denied {
                object: object_name(kind, namespace, name),
            })
        }
    }
}

/// Node facts set by the test. A fact not set answers
/// [`FactError::Unavailable`]; a sysctl key not set answers [`FactError::NotFound`],
/// like a key that does not exist on a real node.
#[derive(Debug, Clone)]
pub struct MockNode {
    hostname: Option<String>,
    kernel_release: Option<String>,
    os_release: Option<OsRelease>,
    architecture: Option<String>,
    cpu_count: Option<u32>,
    memory_bytes: Option<u64>,
    swap_bytes: Option<u64>,
    cgroup_version: Option<CgroupVersion>,
    kernel_modules: Option<Vec<String>>,
    listening_tcp_ports: Option<Vec<u16>>,
    sysctls: BTreeMap<String, Option<String>>,
}

impl Default for MockNode {
    fn default() -> Self {
        Self::new()
    }
}

impl MockNode {
    /// A node with no facts set.
    pub fn new() -> Self {
        Self {
            hostname: None,
            kernel_release: None,
            os_release: None,
            architecture: None,
            cpu_count: None,
            memory_bytes: None,
            swap_bytes: None,
            cgroup_version: None,
            kernel_modules: None,
            listening_tcp_ports: None,
            sysctls: BTreeMap::new(),
        }
    }

    /// A node that passes kubeadm's own preflight: Debian 12, amd64, 2 CPUs, 4 GiB, no
    /// swap, cgroup v2, `overlay` and `br_netfilter` loaded, forwarding and bridge
    /// netfilter on, nothing listening. Tests start here and break one thing.
    pub fn healthy() -> Self {
        Self::new()
            .with_hostname("node-1")
            .with_kernel_release("6.1.0-28-amd64")
            .with_os_release(&[
                ("ID", "debian"),
                ("VERSION_ID", "12"),
                ("PRETTY_NAME", "Debian GNU/Linux 12 (bookworm)"),
            ])
            .with_architecture("amd64")
            .with_cpu_count(2)
            .with_memory_bytes(4 << 30)
            .with_swap_bytes(0)
            .with_cgroup_version(CgroupVersion::V2)
            .with_kernel_modules(&["br_netfilter", "overlay"])
            .with_listening_tcp_ports(&[])
            .with_sysctl("net.ipv4.ip_forward", "1")
            .with_sysctl("net.bridge.bridge-nf-call-iptables", "1")
    }

    /// Sets the hostname.
    pub fn with_hostname(mut self, hostname: &str) -> Self {
        self.hostname = Some(hostname.to_owned());
        self
    }

    /// Sets the kernel release.
    pub fn with_kernel_release(mut self, release: &str) -> Self {
        self.kernel_release = Some(release.to_owned());
        self
    }

    /// Sets the os-release fields.
    pub fn with_os_release(mut self, fields: &[(&str, &str)]) -> Self {
        self.os_release = Some(OsRelease::new(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ));
        self
    }

    /// Sets the architecture (`amd64`).
    pub fn with_architecture(mut self, architecture: &str) -> Self {
        self.architecture = Some(architecture.to_owned());
        self
    }

    /// Sets the CPU count.
    pub fn with_cpu_count(mut self, cpus: u32) -> Self {
        self.cpu_count = Some(cpus);
        self
    }

    /// Sets total memory in bytes.
    pub fn with_memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// Sets total swap in bytes.
    pub fn with_swap_bytes(mut self, bytes: u64) -> Self {
        self.swap_bytes = Some(bytes);
        self
    }

    /// Sets the cgroup version.
    pub fn with_cgroup_version(mut self, version: CgroupVersion) -> Self {
        self.cgroup_version = Some(version);
        self
    }

    /// Sets the loaded kernel modules.
    pub fn with_kernel_modules(mut self, modules: &[&str]) -> Self {
        let mut modules: Vec<String> = modules.iter().map(|m| (*m).to_owned()).collect();
        modules.sort();
        self.kernel_modules = Some(modules);
        self
    }

    /// Sets the listening TCP ports.
    pub fn with_listening_tcp_ports(mut self, ports: &[u16]) -> Self {
        let mut ports = ports.to_vec();
        ports.sort_unstable();
        ports.dedup();
        self.listening_tcp_ports = Some(ports);
        self
    }

    /// Sets sysctl `key` to `value`.
    pub fn with_sysctl(mut self, key: &str, value: &str) -> Self {
        self.sysctls.insert(key.to_owned(), Some(value.to_owned()));
        self
    }

    /// Makes sysctl `key` not exist (as `net.bridge.*` without `br_netfilter`).
    pub fn without_sysctl(mut self, key: &str) -> Self {
        self.sysctls.remove(key);
        self
    }

    /// Makes the host deny sysctl `key`, as when the operator did not grant it.
    pub fn with_denied_sysctl(mut self, key: &str) -> Self {
        self.sysctls.insert(key.to_owned(), None);
        self
    }

    /// Drops a module from the loaded list.
    pub fn without_kernel_module(mut self, module: &str) -> Self {
        if let Some(modules) = &mut self.kernel_modules {
            modules.retain(|m| m != module);
        }
        self
    }
}

fn fact<T: Clone>(value: &Option<T>, fact: &str) -> Result<T, FactError> {
    value.clone().ok_or_else(|| FactError::Unavailable {
        fact: fact.to_owned(),
        reason: "not set in MockNode".to_owned(),
    })
}

impl NodeFacts for MockNode {
    fn hostname(&self) -> Result<String, FactError> {
        fact(&self.hostname, "hostname")
    }
    fn kernel_release(&self) -> Result<String, FactError> {
        fact(&self.kernel_release, "kernel-release")
    }
    fn os_release(&self) -> Result<OsRelease, FactError> {
        fact(&self.os_release, "os-release")
    }
    fn architecture(&self) -> Result<String, FactError> {
        fact(&self.architecture, "architecture")
    }
    fn cpu_count(&self) -> Result<u32, FactError> {
        fact(&self.cpu_count, "cpu-count")
    }
    fn memory_bytes(&self) -> Result<u64, FactError> {
        fact(&self.memory_bytes, "memory-bytes")
    }
    fn swap_bytes(&self) -> Result<u64, FactError> {
        fact(&self.swap_bytes, "swap-bytes")
    }
    fn cgroup_version(&self) -> Result<CgroupVersion, FactError> {
        fact(&self.cgroup_version, "cgroup-version")
    }
    fn kernel_modules(&self) -> Result<Vec<String>, FactError> {
        fact(&self.kernel_modules, "kernel-modules")
    }
    fn listening_tcp_ports(&self) -> Result<Vec<u16>, FactError> {
        fact(&self.listening_tcp_ports, "listening-tcp-ports")
    }
    fn sysctl(&self, key: &str) -> Result<String, FactError> {
        let fact = format!("sysctl {key}");
        match self.sysctls.get(key) {
            Some(Some(value)) => Ok(value.clone()),
            Some(None) => Err(FactError::Denied { fact }),
            None => Err(FactError::NotFound { fact }),
        }
    }
}

/// Cluster objects set by the test, or an unreachable cluster (as in `--dry-run`).
#[derive(Debug, Clone, Default)]
pub struct MockCluster {
    unavailable: Option<String>,
    objects: BTreeMap<(String, Option<String>, String), String>,
}

impl MockCluster {
    /// A reachable cluster with no objects.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cluster the host cannot reach, answering [`ClusterError::Unavailable`] with `reason`.
    pub fn unavailable(reason: &str) -> Self {
        Self {
            unavailable: Some(reason.to_owned()),
            objects: BTreeMap::new(),
        }
    }

    /// Adds an object (its JSON) of `kind` in `namespace` (`None`: cluster-scoped).
    pub fn with_object<'a>(
        mut self,
        kind: &str,
        namespace: impl Into<Option<&'a str>>,
        name: &str,
        json: &str,
    ) -> Self {
        let namespace = namespace.into().map(str::to_owned);
        self.objects.insert(
            (kind.to_owned(), namespace, name.to_owned()),
            json.to_owned(),
        );
        self
    }
}

impl ClusterObjects for MockCluster {
    fn get(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, ClusterError> {
        if let Some(reason) = &self.unavailable {
            return Err(ClusterError::Unavailable {
                object: object_name(kind, namespace, name),
                reason: reason.clone(),
            });
        }
        let key = (
            kind.to_owned(),
            namespace.map(str::to_owned),
            name.to_owned(),
        );
        Ok(self.objects.get(&key).cloned())
    }
}

#[cfg(test)]
mod tests;
