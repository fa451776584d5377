//! What plugins say and hand back, as the host's own types (the WIT bindings stay private).

use std::fmt;

use kubeadm_rs_plugin_contract::describe::{self as contract, Describe, Parameter, Scope, World};
use serde::{Deserialize, Serialize};

use super::capture::neutralise;
use crate::config::InitConfig;
use crate::config::plugins::ObjectScope;
use crate::events::Severity;
use crate::preflight::Issue;

/// Which world a plugin implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    Preflight,
    Addon,
}

impl PluginKind {
    /// The WIT world name, which is also the parent phase of the plugin's phase.
    pub fn world(self) -> &'static str {
        match self {
            PluginKind::Preflight => "preflight",
            PluginKind::Addon => "addon",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.world())
    }
}

/// What `describe` returned: everything needed to list, audit and run a plugin (serialized,
/// it is what the compile cache keeps beside a component).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    /// The WIT package version the plugin was built against.
    pub wit_version: String,
    pub min_host_version: String,
    pub checks: Vec<CheckInfo>,
    pub parameters: Vec<ParameterInfo>,
    pub permissions: Vec<PermissionRequest>,
}

impl PluginInfo {
    /// This description as the plugin contract's rules read it (the SDK's harness reads its
    /// own the same way).
    pub fn as_contract(&self) -> Describe<'_> {
        fn borrowed(s: &ObjectScope) -> Scope<'_> {
            Scope {
                kind: &s.kind,
                namespace: s.namespace.as_deref(),
            }
        }
        Describe {
            name: &self.name,
            version: &self.version,
            world: match self.kind {
                PluginKind::Preflight => World::Preflight,
                PluginKind::Addon => World::Addon,
            },
            min_host_version: &self.min_host_version,
            checks: self
                .checks
                .iter()
                .map(|c| (c.name.as_str(), c.description.as_str()))
                .collect(),
            parameters: self
                .parameters
                .iter()
                .map(|p| Parameter {
                    name: &p.name,
                    description: &p.description,
                    default: p.default.as_deref(),
                })
                .collect(),
            permissions: self
                .permissions
                .iter()
                .map(|r| {
                    let permission = match &r.permission {
                        Permission::ReadPath(p) => contract::Permission::ReadPath(p),
                        Permission::Sysctl(k) => contract::Permission::Sysctl(k),
                        Permission::ClusterRead(s) => {
                            contract::Permission::ClusterRead(borrowed(s))
                        }
                        Permission::ClusterApply(s) => {
                            contract::Permission::ClusterApply(borrowed(s))
                        }
                    };
                    (permission, r.reason.as_str())
                })
                .collect(),
        }
    }

    /// Every string on one line with terminal controls made visible: each may reach a
    /// terminal or a log (`plugin inspect`, permission errors, phase help). Applied to what
    /// `describe` said whether it was just called or kept in the compile cache.
    pub fn neutralised(self) -> Self {
        let text = |s: String| neutralise(&s, false);
        let scope = |s: ObjectScope| ObjectScope {
            kind: text(s.kind),
            namespace: s.namespace.map(text),
        };
        PluginInfo {
            name: text(self.name),
            version: text(self.version),
            kind: self.kind,
            wit_version: text(self.wit_version),
            min_host_version: text(self.min_host_version),
            checks: self
                .checks
                .into_iter()
                .map(|c| CheckInfo {
                    name: text(c.name),
                    description: text(c.description),
                })
                .collect(),
            parameters: self
                .parameters
                .into_iter()
                .map(|p| ParameterInfo {
                    name: text(p.name),
                    description: text(p.description),
                    default: p.default.map(text),
                })
                .collect(),
            permissions: self
                .permissions
                .into_iter()
                .map(|r| PermissionRequest {
                    permission: match r.permission {
                        Permission::ReadPath(p) => Permission::ReadPath(text(p)),
                        Permission::Sysctl(k) => Permission::Sysctl(text(k)),
                        Permission::ClusterRead(s) => Permission::ClusterRead(scope(s)),
                        Permission::ClusterApply(s) => Permission::ClusterApply(scope(s)),
                    },
                    reason: text(r.reason),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfo {
    pub name: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterInfo {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
}

/// Something a plugin may do only when the operator grants it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    ReadPath(String),
    Sysctl(String),
    ClusterRead(#[serde(with = "ObjectScopeDef")] ObjectScope),
    ClusterApply(#[serde(with = "ObjectScopeDef")] ObjectScope),
}

/// The serde shape of an [`ObjectScope`] inside a permission.
#[derive(Serialize, Deserialize)]
#[serde(remote = "ObjectScope")]
struct ObjectScopeDef {
    kind: String,
    namespace: Option<String>,
}

impl Permission {
    /// The `grants` field of `PluginConfiguration` that grants this permission.
    pub fn grant_field(&self) -> &'static str {
        match self {
            Permission::ReadPath(_) => "readPaths",
            Permission::Sysctl(_) => "sysctls",
            Permission::ClusterRead(_) => "clusterRead",
            Permission::ClusterApply(_) => "clusterApply",
        }
    }

    /// The list item to add under `grants.<field>` to grant this permission.
    pub fn grant_item(&self) -> String {
        match self {
            Permission::ReadPath(path) => path.clone(),
            Permission::Sysctl(key) => key.clone(),
            Permission::ClusterRead(scope) | Permission::ClusterApply(scope) => scope.grant_item(),
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Permission::ReadPath(path) => write!(f, "read-path {path}"),
            Permission::Sysctl(key) => write!(f, "sysctl {key}"),
            Permission::ClusterRead(scope) => write!(f, "cluster-read {scope}"),
            Permission::ClusterApply(scope) => write!(f, "cluster-apply {scope}"),
        }
    }
}

/// A permission with the plugin author's reason for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRequest {
    pub permission: Permission,
    pub reason: String,
}

/// One problem a preflight plugin found, validated and with control characters neutralised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The check's name, one the plugin declared.
    pub check: String,
    pub severity: Severity,
    pub message: String,
    pub remedy: Option<String>,
}

impl Finding {
    /// The name `--ignore-preflight-errors` matches: `<plugin>/<check>`.
    pub fn check_path(&self, plugin: &str) -> String {
        format!("{plugin}/{}", self.check)
    }

    /// The finding as a preflight issue, its remedy kept apart from the message.
    pub fn issue(&self) -> Issue {
        Issue {
            severity: self.severity,
            message: self.message.clone(),
            remedy: self.remedy.clone(),
        }
    }
}

/// The read-only view of the cluster configuration an addon renders for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterView {
    pub cluster_name: String,
    pub kubernetes_version: String,
    pub pod_subnets: Vec<String>,
    pub service_subnets: Vec<String>,
    pub dns_domain: String,
    /// `host:port` of the control-plane endpoint, or of this node's API server.
    pub control_plane_endpoint: String,
    pub image_repository: String,
    pub node_name: String,
}

impl ClusterView {
    /// The view of a resolved `init` configuration.
    pub fn of(cfg: &InitConfig) -> Self {
        let split = |s: &str| {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        let url = cfg.control_plane_url();
        ClusterView {
            cluster_name: cfg.cluster.cluster_name.clone(),
            kubernetes_version: cfg.cluster.kubernetes_version.clone(),
            pod_subnets: split(&cfg.cluster.networking.pod_subnet),
            service_subnets: split(&cfg.cluster.networking.service_subnet),
            dns_domain: cfg.cluster.networking.dns_domain.clone(),
            control_plane_endpoint: url.trim_start_matches("https://").to_string(),
            image_repository: cfg.image_repository().to_string(),
            node_name: cfg.node_name().to_string(),
        }
    }
}

/// One manifest an addon rendered: its text as rendered, and the objects it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The plugin's label for it (`rbac`, `daemonset`).
    pub name: String,
    /// Its objects as YAML documents written from the parsed values, hidden controls escaped
    /// ([`super::terminal_yaml`]): what `--dry-run` shows, exactly what would be applied.
    pub content: String,
    pub objects: Vec<KubeObject>,
}

/// A Kubernetes object of a rendered manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct KubeObject {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub value: serde_json::Value,
}

impl KubeObject {
    pub fn scope(&self) -> ObjectScope {
        ObjectScope {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
        }
    }
}

impl fmt::Display for KubeObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}
