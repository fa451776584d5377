//! What a plugin says about itself: the `plugin-info` record of the WIT `describe`
//! export, built from the trait constants and methods, and checked the way the host does.

use std::collections::HashSet;
use std::fmt;

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

    /// Checks the description against the contract in `wit/types.wit`, as the host does.
    pub fn validate(&self) -> Result<(), InvalidPluginInfo> {
        let mut problems = Vec::new();
        if !is_kebab_name(&self.name) {
            problems.push(format!(
                "name `{}` must be lowercase letters, digits and `-`, starting with a letter, at most 63 characters",
                self.name
            ));
        }
        for (field, value) in [
            ("version", &self.version),
            ("min-host-version", &self.min_host_version),
        ] {
            if !is_semver(value) {
                problems.push(format!(
                    "{field} `{value}` is not a semantic version (MAJOR.MINOR.PATCH)"
                ));
            }
        }
        if self.wit_version != WIT_VERSION {
            problems.push(format!(
                "wit-version `{}` is not this SDK's `{WIT_VERSION}`",
                self.wit_version
            ));
        }
        self.check_checks(&mut problems);
        let mut seen = HashSet::new();
        for parameter in &self.parameters {
            if parameter.name.is_empty() || parameter.name.contains(char::is_whitespace) {
                problems.push(format!(
                    "parameter name `{}` must be non-empty without spaces",
                    parameter.name
                ));
            }
            if !seen.insert(parameter.name.as_str()) {
                problems.push(format!("parameter `{}` is declared twice", parameter.name));
            }
        }
        for request in &self.permissions {
            self.check_permission(request, &mut problems);
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

    fn check_checks(&self, problems: &mut Vec<String>) {
        match self.kind {
            PluginKind::Preflight if self.checks.is_empty() => {
                problems.push("a preflight plugin must declare at least one check".to_owned());
            }
            PluginKind::Addon if !self.checks.is_empty() => {
                problems.push("an addon plugin declares no checks".to_owned());
            }
            _ => {}
        }
        let mut seen = HashSet::new();
        for check in &self.checks {
            if !is_kebab_name(&check.name) {
                problems.push(format!(
                    "check name `{}` must be lowercase letters, digits and `-`",
                    check.name
                ));
            }
            if !seen.insert(check.name.as_str()) {
                problems.push(format!("check `{}` is declared twice", check.name));
            }
            if check.description.trim().is_empty() {
                problems.push(format!("check `{}` has no description", check.name));
            }
        }
    }

    fn check_permission(&self, request: &PermissionRequest, problems: &mut Vec<String>) {
        let permission = &request.permission;
        if request.reason.trim().is_empty() {
            problems.push(format!("permission `{permission}` gives no reason"));
        }
        match permission {
            Permission::ReadPath(path) => {
                let clean = path.starts_with('/')
                    && !path.split('/').any(|part| part == ".." || part == ".");
                if !clean {
                    problems.push(format!(
                        "read-path `{path}` must be an absolute path without `.` or `..`"
                    ));
                }
            }
            Permission::Sysctl(key) => {
                let valid = !key.is_empty()
                    && key
                        .split('.')
                        .all(|part| !part.is_empty() && part.chars().all(is_sysctl_char));
                if !valid {
                    problems.push(format!(
                        "sysctl `{key}` must be a dotted key such as net.ipv4.ip_forward"
                    ));
                }
            }
            Permission::ClusterRead(scope) | Permission::ClusterApply(scope) => {
                if self.kind == PluginKind::Preflight {
                    problems.push(format!(
                        "`{permission}` is for addon plugins; preflight plugins cannot reach the cluster"
                    ));
                }
                let kind_ok = scope.kind.starts_with(|c: char| c.is_ascii_uppercase())
                    && scope.kind.chars().all(|c| c.is_ascii_alphanumeric());
                if !kind_ok {
                    problems.push(format!(
                        "kind `{}` must be a Kubernetes kind such as ConfigMap",
                        scope.kind
                    ));
                }
                if let Some(namespace) = &scope.namespace
                    && !is_dns_label(namespace)
                {
                    problems.push(format!(
                        "namespace `{namespace}` is not a valid namespace name"
                    ));
                }
            }
        }
    }
}

fn is_sysctl_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_kebab_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.len() <= 63
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_dns_label(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.len() <= 63
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `MAJOR.MINOR.PATCH`, optionally followed by `-pre` and/or `+build`.
fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests;
