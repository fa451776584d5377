//! What a plugin says about itself: the `plugin-info` record of the WIT `describe`
//! export, built from the trait constants and methods, and checked with the host's own rules.

use std::fmt;

use kubeadm_rs_plugin_contract::describe::{self as contract, Describe, Scope, World};

use crate::{AddonPlugin, PreflightPlugin, WIT_VERSION};

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginKind {
    /// Adds preflight checks.
    Preflight,
    /// Renders addon manifests.
    Addon,
}

/// One check a preflight plugin provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Kebab-case name, unique within the plugin; findings are reported as `<plugin>/<name>`.
    pub name: String,
    /// One line saying what the check verifies.
    pub description: String,
}

impl Check {
    /// A check named `name` (kebab-case) that verifies `description`.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
        }
    }
}

/// One parameter a plugin understands, shown by `kubeadm-rs plugin inspect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// The key under `parameters:` in the operator's `PluginConfiguration`.
    pub name: String,
    /// One line saying what it does.
    pub description: String,
    /// The value used when the operator gives none (documentation; the plugin applies it).
    pub default: Option<String>,
}

impl Parameter {
    /// A parameter `name` that does `description`, with no default.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            default: None,
        }
    }

    /// Documents the value the plugin uses when the parameter is not given.
    pub fn with_default(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }
}

/// A Kubernetes object kind, in one namespace or cluster-scoped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectScope {
    /// The `kind` as written in manifests (`DaemonSet`).
    pub kind: String,
    /// The namespace, or `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
}

impl fmt::Display for ObjectScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} in namespace {namespace}", self.kind),
            None => write!(f, "{} (cluster-scoped)", self.kind),
        }
    }
}

/// Something a plugin may do only when the operator grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// Read files under this absolute directory (mounted read-only at the same path).
    ReadPath(String),
    /// Read this sysctl key through [`NodeFacts::sysctl`](crate::NodeFacts::sysctl).
    Sysctl(String),
    /// Read objects of this scope through [`ClusterObjects`](crate::ClusterObjects) (addons).
    ClusterRead(ObjectScope),
    /// Render objects of this scope (addons).
    ClusterApply(ObjectScope),
}

impl Permission {
    /// Read files under the absolute directory `path`.
    pub fn read_path(path: impl Into<String>) -> Self {
        Self::ReadPath(path.into())
    }

    /// Read the sysctl `key` (`net.ipv4.ip_forward`).
    pub fn sysctl(key: impl Into<String>) -> Self {
        Self::Sysctl(key.into())
    }

    /// Read objects of `kind` in `namespace` (`None` for cluster-scoped kinds).
    pub fn cluster_read<'a>(
        kind: impl Into<String>,
        namespace: impl Into<Option<&'a str>>,
    ) -> Self {
        Self::ClusterRead(scope(kind, namespace))
    }

    /// Render objects of `kind` in `namespace` (`None` for cluster-scoped kinds).
    pub fn cluster_apply<'a>(
        kind: impl Into<String>,
        namespace: impl Into<Option<&'a str>>,
    ) -> Self {
        Self::ClusterApply(scope(kind, namespace))
    }

    /// Attaches the reason the operator will read when granting it.
    pub fn because(self, reason: impl Into<String>) -> PermissionRequest {
        PermissionRequest {
            permission: self,
            reason: reason.into(),
        }
    }
}

fn scope<'a>(kind: impl Into<String>, namespace: impl Into<Option<&'a str>>) -> ObjectScope {
    ObjectScope {
        kind: kind.into(),
        namespace: namespace.into().map(str::to_owned),
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadPath(path) => write!(f, "read-path {path}"),
            Self::Sysctl(key) => write!(f, "sysctl {key}"),
            Self::ClusterRead(scope) => write!(f, "cluster-read {scope}"),
            Self::ClusterApply(scope) => write!(f, "cluster-apply {scope}"),
        }
    }
}

/// A permission and the plugin author's reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRequest {
    /// What is requested.
    pub permission: Permission,
    /// Why, in one line.
    pub reason: String,
}

/// Everything `describe` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The plugin's name.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The world it implements.
    pub kind: PluginKind,
    /// The WIT version it was built against ([`WIT_VERSION`]).
    pub wit_version: String,
    /// The oldest kubeadm-rs it works with.
    pub min_host_version: String,
    /// Its checks (preflight only).
    pub checks: Vec<Check>,
    /// The parameters it understands.
    pub parameters: Vec<Parameter>,
    /// What it needs granted.
    pub permissions: Vec<PermissionRequest>,
}

/// A `describe` result that breaks the contract; lists every problem at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin `{plugin}` describes itself wrongly: {}", problems.join("; "))]
pub struct InvalidPluginInfo {
    /// The plugin's name as given.
    pub plugin: String,
    /// One line per problem.
    pub problems: Vec<String>,
}

impl PluginInfo {
    /// The description of preflight plugin `P`.
    pub fn preflight<P: PreflightPlugin + ?Sized>() -> Self {
        Self {
            name: P::NAME.to_owned(),
            version: P::VERSION.to_owned(),
            kind: PluginKind::Preflight,
            wit_version: WIT_VERSION.to_owned(),
            min_host_version: P::min_host_version().to_owned(),
            checks: P::checks(),
            parameters: P::parameters(),
            permissions: P::permissions(),
        }
    }

    /// The description of addon plugin `P`.
    pub fn addon<P: AddonPlugin + ?Sized>() -> Self {
        Self {
            name: P::NAME.to_owned(),
            version: P::VERSION.to_owned(),
            kind: PluginKind::Addon,
            wit_version: WIT_VERSION.to_owned(),
            min_host_version: P::min_host_version().to_owned(),
            checks: Vec::new(),
            parameters: P::parameters(),
            permissions: P::permissions(),
        }
    }

    /// Checks the description against the plugin contract, with the rules the host applies
    /// before it admits a plugin (the `kubeadm-rs-plugin-contract` crate), and that it was
    /// built against this SDK's WIT version.
    pub fn validate(&self) -> Result<(), InvalidPluginInfo> {
        let mut problems = self.as_contract().problems();
        if self.wit_version != WIT_VERSION {
            problems.push(format!(
                "wit-version {:?} is not this SDK's {WIT_VERSION:?}",
                self.wit_version
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidPluginInfo {
                plugin: self.name.clone(),
                problems,
            })
        }
    }

    fn as_contract(&self) -> Describe<'_> {
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
                .map(|p| contract::Parameter {
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
}

#[cfg(test)]
mod tests;
