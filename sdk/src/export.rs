//! The glue between the WIT bindings and the SDK's types: used by
//! [`export_plugin!`](crate::export_plugin), not by plugin authors.
//!
//! Both worlds are generated here. wit-bindgen (with `pub_export_macro`) links a world's
//! exports only where its export macro is invoked, and drops imports a plugin never
//! calls, so one SDK serves both worlds and a component imports only what it uses.

use crate::describe::{ObjectScope, Permission, PermissionRequest, PluginInfo, PluginKind};
use crate::{
    AddonPlugin, CgroupVersion, ClusterError, ClusterObjects, ClusterView, FactError, Finding,
    Manifest, NodeFacts, Params, PluginError, PreflightPlugin, Severity,
};

/// Bindings of the `preflight` world (and of the `types` and `log` interfaces both use).
#[allow(unsafe_code, missing_docs, rust_2018_idioms)]
pub mod preflight {
    wit_bindgen::generate!({
        world: "preflight",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__export_kubeadm_rs_preflight",
        default_bindings_module: "kubeadm_rs_plugin_sdk::export::preflight",
    });
}

/// Bindings of the `addon` world, sharing the preflight world's `types` and `log`.
#[allow(unsafe_code, missing_docs, rust_2018_idioms)]
pub mod addon {
    wit_bindgen::generate!({
        world: "addon",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__export_kubeadm_rs_addon",
        default_bindings_module: "kubeadm_rs_plugin_sdk::export::addon",
        with: {
            "kubeadm-rs:plugin/types@0.1.0": crate::export::preflight::kubeadm_rs::plugin::types,
            "kubeadm-rs:plugin/log@0.1.0": crate::export::preflight::kubeadm_rs::plugin::log,
        },
    });
}

use addon::kubeadm_rs::plugin::cluster as wit_cluster;
use preflight::kubeadm_rs::plugin::node as wit_node;
use preflight::kubeadm_rs::plugin::types as wit;

/// `describe` of a preflight plugin.
pub fn preflight_describe<P: PreflightPlugin>() -> wit::PluginInfo {
    info_to_wit(PluginInfo::preflight::<P>())
}

/// `describe` of an addon plugin.
pub fn addon_describe<P: AddonPlugin>() -> wit::PluginInfo {
    info_to_wit(PluginInfo::addon::<P>())
}

/// `run` of a preflight plugin, answered by the host's `node` import.
#[cfg(target_arch = "wasm32")]
pub fn preflight_run<P: PreflightPlugin>(
    params: wit::Parameters,
) -> Result<Vec<wit::Finding>, String> {
    preflight_run_with::<P>(&HostNode, params)
}

/// `render` of an addon plugin, answered by the host's `cluster` import.
#[cfg(target_arch = "wasm32")]
pub fn addon_render<P: AddonPlugin>(
    cluster: wit::ClusterView,
    params: wit::Parameters,
) -> Result<Vec<wit::Manifest>, String> {
    addon_render_with::<P>(&HostCluster, cluster, params)
}

/// `run` with any node: the export glue minus the import.
pub fn preflight_run_with<P: PreflightPlugin>(
    node: &dyn NodeFacts,
    params: wit::Parameters,
) -> Result<Vec<wit::Finding>, String> {
    run_checked::<P>(node, params)
        .map(|findings| findings.into_iter().map(finding_to_wit).collect())
        .map_err(|err| err.to_string())
}

/// `render` with any cluster: the export glue minus the import.
pub fn addon_render_with<P: AddonPlugin>(
    objects: &dyn ClusterObjects,
    cluster: wit::ClusterView,
    params: wit::Parameters,
) -> Result<Vec<wit::Manifest>, String> {
    render_checked::<P>(objects, &view_from_wit(cluster), params)
        .map(|manifests| manifests.into_iter().map(manifest_to_wit).collect())
        .map_err(|err| err.to_string())
}

/// Checks the parameters, runs the checks, and refuses findings for undeclared checks.
pub(crate) fn run_checked<P: PreflightPlugin + ?Sized>(
    node: &dyn NodeFacts,
    params: Vec<(String, String)>,
) -> Result<Vec<Finding>, PluginError> {
    let params = Params::checked(params, &P::parameters())?;
    let findings = P::run(node, &params)?;
    let checks = P::checks();
    if let Some(stray) = findings
        .iter()
        .find(|f| !checks.iter().any(|c| c.name == f.check))
    {
        let declared: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
        return Err(PluginError::Contract(format!(
            "finding for undeclared check `{}` (declared: {})",
            stray.check,
            declared.join(", ")
        )));
    }
    Ok(findings)
}

/// Checks the parameters and renders.
pub(crate) fn render_checked<P: AddonPlugin + ?Sized>(
    objects: &dyn ClusterObjects,
    cluster: &ClusterView,
    params: Vec<(String, String)>,
) -> Result<Vec<Manifest>, PluginError> {
    let params = Params::checked(params, &P::parameters())?;
    P::render(cluster, &params, objects)
}

fn info_to_wit(info: PluginInfo) -> wit::PluginInfo {
    wit::PluginInfo {
        name: info.name,
        version: info.version,
        kind: match info.kind {
            PluginKind::Preflight => wit::PluginKind::Preflight,
            PluginKind::Addon => wit::PluginKind::Addon,
        },
        wit_version: info.wit_version,
        min_host_version: info.min_host_version,
        checks: info
            .checks
            .into_iter()
            .map(|c| wit::CheckInfo {
                name: c.name,
                description: c.description,
            })
            .collect(),
        parameters: info
            .parameters
            .into_iter()
            .map(|p| wit::ParameterInfo {
                name: p.name,
                description: p.description,
                default: p.default,
            })
            .collect(),
        permissions: info
            .permissions
            .into_iter()
            .map(permission_to_wit)
            .collect(),
    }
}

fn permission_to_wit(request: PermissionRequest) -> wit::PermissionRequest {
    let scope = |s: ObjectScope| wit::ObjectScope {
        kind: s.kind,
        namespace: s.namespace,
    };
    wit::PermissionRequest {
        permission: match request.permission {
            Permission::ReadPath(path) => wit::Permission::ReadPath(path),
            Permission::Sysctl(key) => wit::Permission::Sysctl(key),
            Permission::ClusterRead(s) => wit::Permission::ClusterRead(scope(s)),
            Permission::ClusterApply(s) => wit::Permission::ClusterApply(scope(s)),
        },
        reason: request.reason,
    }
}

fn finding_to_wit(finding: Finding) -> wit::Finding {
    wit::Finding {
        check: finding.check,
        severity: match finding.severity {
            Severity::Error => wit::Severity::Error,
            Severity::Warning => wit::Severity::Warning,
            Severity::Info => wit::Severity::Info,
        },
        message: finding.message,
        remedy: finding.remedy,
    }
}

fn manifest_to_wit(manifest: Manifest) -> wit::Manifest {
    wit::Manifest {
        name: manifest.name,
        content: manifest.content,
    }
}

fn view_from_wit(view: wit::ClusterView) -> ClusterView {
    ClusterView {
        cluster_name: view.cluster_name,
        kubernetes_version: view.kubernetes_version,
        pod_subnets: view.pod_subnets,
        service_subnets: view.service_subnets,
        dns_domain: view.dns_domain,
        control_plane_endpoint: view.control_plane_endpoint,
        image_repository: view.image_repository,
        node_name: view.node_name,
    }
}

#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))] // used by the wasm-only imports
/// Names the fact in the host's error, so messages say which one failed.
fn fact_error(fact: &str, err: wit_node::FactError) -> FactError {
    let fact = fact.to_owned();
    match err {
        wit_node::FactError::Denied => FactError::Denied { fact },
        wit_node::FactError::NotFound => FactError::NotFound { fact },
        wit_node::FactError::Unavailable(reason) => FactError::Unavailable { fact, reason },
    }
}

#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))] // used by the wasm-only imports
fn cgroup_from_wit(mode: wit_node::CgroupMode) -> CgroupVersion {
    match mode {
        wit_node::CgroupMode::V1 => CgroupVersion::V1,
        wit_node::CgroupMode::V2 => CgroupVersion::V2,
    }
}

#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))] // used by the wasm-only imports
fn cluster_error(object: String, err: wit_cluster::ClusterError) -> ClusterError {
    match err {
        wit_cluster::ClusterError::Unavailable(reason) => {
            ClusterError::Unavailable { object, reason }
        }
        wit_cluster::ClusterError::Denied => ClusterError::Denied { object },
    }
}

/// The real node: every fact is a call to the host's `node` import. Only on wasm, where
/// the import exists (natively the generated stubs abort the process).
#[cfg(target_arch = "wasm32")]
struct HostNode;

#[cfg(target_arch = "wasm32")]
impl NodeFacts for HostNode {
    fn hostname(&self) -> Result<String, FactError> {
        wit_node::hostname().map_err(|e| fact_error("hostname", e))
    }
    fn kernel_release(&self) -> Result<String, FactError> {
        wit_node::kernel_release().map_err(|e| fact_error("kernel-release", e))
    }
    fn os_release(&self) -> Result<crate::OsRelease, FactError> {
        wit_node::os_release()
            .map(crate::OsRelease::new)
            .map_err(|e| fact_error("os-release", e))
    }
    fn architecture(&self) -> Result<String, FactError> {
        wit_node::architecture().map_err(|e| fact_error("architecture", e))
    }
    fn cpu_count(&self) -> Result<u32, FactError> {
        wit_node::cpu_count().map_err(|e| fact_error("cpu-count", e))
    }
    fn memory_bytes(&self) -> Result<u64, FactError> {
        wit_node::memory_bytes().map_err(|e| fact_error("memory-bytes", e))
    }
    fn swap_bytes(&self) -> Result<u64, FactError> {
        wit_node::swap_bytes().map_err(|e| fact_error("swap-bytes", e))
    }
    fn cgroup_version(&self) -> Result<CgroupVersion, FactError> {
        wit_node::cgroup_version()
            .map(cgroup_from_wit)
            .map_err(|e| fact_error("cgroup-version", e))
    }
    fn kernel_modules(&self) -> Result<Vec<String>, FactError> {
        wit_node::kernel_modules().map_err(|e| fact_error("kernel-modules", e))
    }
    fn listening_tcp_ports(&self) -> Result<Vec<u16>, FactError> {
        wit_node::listening_tcp_ports().map_err(|e| fact_error("listening-tcp-ports", e))
    }
    fn sysctl(&self, key: &str) -> Result<String, FactError> {
        wit_node::sysctl(key).map_err(|e| fact_error(&format!("sysctl {key}"), e))
    }
}

/// The real cluster view: the host's `cluster` import.
#[cfg(target_arch = "wasm32")]
struct HostCluster;

#[cfg(target_arch = "wasm32")]
impl ClusterObjects for HostCluster {
    fn get(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, ClusterError> {
        wit_cluster::get(kind, namespace, name)
            .map_err(|e| cluster_error(crate::cluster::object_name(kind, namespace, name), e))
    }
}

#[cfg(test)]
mod tests;
