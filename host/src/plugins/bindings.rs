//! The two `bindgen!` sites (one per WIT world, both from `wit/`), and the conversions
//! between the generated types and the host's own. Exports are async so a call can be
//! bounded by a wall-clock timeout; imports are plain functions that may trap.

pub mod preflight {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "preflight",
        imports: { default: trappable },
        exports: { default: async },
    });
}

pub mod addon {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "addon",
        imports: { default: trappable },
        exports: { default: async },
        with: {
            "kubeadm-rs:plugin/types": crate::plugins::bindings::preflight::kubeadm_rs::plugin::types,
            "kubeadm-rs:plugin/log": crate::plugins::bindings::preflight::kubeadm_rs::plugin::log,
        },
    });
}

use preflight::kubeadm_rs::plugin::types as wit;

use super::model::{
    CheckInfo, ClusterView, ParameterInfo, Permission, PermissionRequest, PluginInfo, PluginKind,
};
use crate::config::plugins::ObjectScope;
use crate::events::Severity;

fn scope(s: wit::ObjectScope) -> ObjectScope {
    ObjectScope {
        kind: s.kind,
        namespace: s.namespace,
    }
}

impl From<wit::PluginInfo> for PluginInfo {
    fn from(info: wit::PluginInfo) -> Self {
        PluginInfo {
            name: info.name,
            version: info.version,
            kind: match info.kind {
                wit::PluginKind::Preflight => PluginKind::Preflight,
                wit::PluginKind::Addon => PluginKind::Addon,
            },
            wit_version: info.wit_version,
            min_host_version: info.min_host_version,
            checks: info
                .checks
                .into_iter()
                .map(|c| CheckInfo {
                    name: c.name,
                    description: c.description,
                })
                .collect(),
            parameters: info
                .parameters
                .into_iter()
                .map(|p| ParameterInfo {
                    name: p.name,
                    description: p.description,
                    default: p.default,
                })
                .collect(),
            permissions: info
                .permissions
                .into_iter()
                .map(|r| PermissionRequest {
                    permission: match r.permission {
                        wit::Permission::ReadPath(p) => Permission::ReadPath(p),
                        wit::Permission::Sysctl(k) => Permission::Sysctl(k),
                        wit::Permission::ClusterRead(s) => Permission::ClusterRead(scope(s)),
                        wit::Permission::ClusterApply(s) => Permission::ClusterApply(scope(s)),
                    },
                    reason: r.reason,
                })
                .collect(),
        }
    }
}

pub fn severity(s: wit::Severity) -> Severity {
    match s {
        wit::Severity::Error => Severity::Error,
        wit::Severity::Warning => Severity::Warning,
        wit::Severity::Info => Severity::Info,
    }
}

impl From<&ClusterView> for wit::ClusterView {
    fn from(v: &ClusterView) -> Self {
        wit::ClusterView {
            cluster_name: v.cluster_name.clone(),
            kubernetes_version: v.kubernetes_version.clone(),
            pod_subnets: v.pod_subnets.clone(),
            service_subnets: v.service_subnets.clone(),
            dns_domain: v.dns_domain.clone(),
            control_plane_endpoint: v.control_plane_endpoint.clone(),
            image_repository: v.image_repository.clone(),
            node_name: v.node_name.clone(),
        }
    }
}
