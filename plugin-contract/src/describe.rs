//! What a plugin's `describe` (the WIT `plugin-info` record) may say. The SDK checks a
//! plugin's own description with these rules in its test harness, and the host checks every
//! plugin's with them before it is admitted, so both refuse exactly the same descriptions.
//!
//! Each side has its own types; both lend them to [`Describe`], a borrowed view.

use std::collections::HashSet;

use crate::names::{
    KEBAB_EXPECTED, RESERVED_PLUGIN_NAMES, is_clean_absolute_path, is_kebab_name, is_sysctl_key,
    semver,
};
use crate::object::{is_dns_label, is_kind};

/// Checks, parameters and permissions a `describe` may list, each.
pub const MAX_ITEMS: usize = 256;
/// Bytes of one string of `describe` (a version, a description, a reason, a path).
pub const MAX_TEXT: usize = 4096;

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    Preflight,
    Addon,
}

/// An object kind in one namespace, or cluster-scoped without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
}

/// Something a plugin asks the operator to grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission<'a> {
    ReadPath(&'a str),
    Sysctl(&'a str),
    ClusterRead(Scope<'a>),
    ClusterApply(Scope<'a>),
}

/// A parameter a plugin understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parameter<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub default: Option<&'a str>,
}

/// A `describe` result, borrowed from either side's own types. The WIT version is not here:
/// which versions a host runs is the host's matter, not a rule of the description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Describe<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub world: World,
    pub min_host_version: &'a str,
    /// `(name, description)` of each check.
    pub checks: Vec<(&'a str, &'a str)>,
    pub parameters: Vec<Parameter<'a>>,
    /// Each permission with the author's reason for it.
    pub permissions: Vec<(Permission<'a>, &'a str)>,
}

impl Describe<'_> {
    /// Every way this description breaks the contract, one line each, values quoted with
    /// Rust's escapes (see [`Describe::problems_quoted`]). Empty when it keeps it.
    pub fn problems(&self) -> Vec<String> {
        self.problems_quoted(&|s| format!("{s:?}"))
    }

    /// As [`Describe::problems`], values quoted by `shown`: the host makes terminal controls
    /// visible its own way. Sizes are checked first: a description too large to show is
    /// refused for that alone.
    pub fn problems_quoted(&self, shown: &dyn Fn(&str) -> String) -> Vec<String> {
        let sizes = self.size_problems();
        if !sizes.is_empty() {
            return sizes;
        }
        let mut problems = Vec::new();
        if !is_kebab_name(self.name) {
            problems.push(format!(
                "name {} is not a plugin name; expected {KEBAB_EXPECTED}",
                shown(self.name)
            ));
        } else if RESERVED_PLUGIN_NAMES.contains(&self.name) {
            problems.push(format!(
                "name {} is the name of a built-in phase; expected a name other than {}",
                shown(self.name),
                RESERVED_PLUGIN_NAMES.join(", ")
            ));
        }
        for (field, value) in [
            ("version", self.version),
            ("min-host-version", self.min_host_version),
        ] {
            if semver(value).is_none() {
                problems.push(format!(
                    "{field} {} is not a semantic version; expected MAJOR.MINOR.PATCH, optionally with -pre-release and +build",
                    shown(value)
                ));
            }
        }
        self.check_checks(shown, &mut problems);
        let mut seen = HashSet::new();
        for p in &self.parameters {
            if p.name.is_empty() || p.name.contains(char::is_whitespace) {
                problems.push(format!(
                    "parameter name {} is not a parameter name; expected a non-empty name without spaces",
                    shown(p.name)
                ));
            }
            if !seen.insert(p.name) {
                problems.push(format!("parameter {} is declared twice", shown(p.name)));
            }
        }
        for (permission, reason) in &self.permissions {
            self.check_permission(*permission, reason, shown, &mut problems);
        }
        problems
    }

    /// The size rules alone: too many items, or a string too long to show.
    pub fn size_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (what, n) in [
            ("checks", self.checks.len()),
            ("parameters", self.parameters.len()),
            ("permissions", self.permissions.len()),
        ] {
            if n > MAX_ITEMS {
                problems.push(format!("lists {n} {what}; expected at most {MAX_ITEMS}"));
            }
        }
        let mut texts = vec![
            ("name", self.name),
            ("version", self.version),
            ("min-host-version", self.min_host_version),
        ];
        for (name, description) in &self.checks {
            texts.extend([
                ("a check name", *name),
                ("a check description", *description),
            ]);
        }
        for p in &self.parameters {
            texts.extend([
                ("a parameter name", p.name),
                ("a parameter description", p.description),
                ("a parameter default", p.default.unwrap_or_default()),
            ]);
        }
        for (permission, reason) in &self.permissions {
            let target: &str = match permission {
                Permission::ReadPath(s) | Permission::Sysctl(s) => s,
                Permission::ClusterRead(scope) | Permission::ClusterApply(scope) => scope.kind,
            };
            texts.extend([("a permission", target), ("a permission reason", *reason)]);
            if let Permission::ClusterRead(s) | Permission::ClusterApply(s) = permission {
                texts.push(("a permission's namespace", s.namespace.unwrap_or_default()));
            }
        }
        if let Some((what, text)) = texts.iter().find(|(_, t)| t.len() > MAX_TEXT) {
            problems.push(format!(
                "{what} is {} bytes; expected at most {MAX_TEXT}",
                text.len()
            ));
        }
        problems
    }

    fn check_checks(&self, shown: &dyn Fn(&str) -> String, problems: &mut Vec<String>) {
        match self.world {
            World::Preflight if self.checks.is_empty() => {
                problems
                    .push("a preflight plugin declares no checks; expected at least one".into());
            }
            World::Addon if !self.checks.is_empty() => {
                problems.push("an addon plugin declares checks; expected none".into());
            }
            _ => {}
        }
        let mut seen = HashSet::new();
        for (name, description) in &self.checks {
            if !is_kebab_name(name) {
                problems.push(format!(
                    "check name {} is not kebab-case; expected {KEBAB_EXPECTED}",
                    shown(name)
                ));
            }
            if !seen.insert(*name) {
                problems.push(format!("check {} is declared twice", shown(name)));
            }
            if description.trim().is_empty() {
                problems.push(format!("check {} has no description", shown(name)));
            }
        }
    }

    fn check_permission(
        &self,
        permission: Permission<'_>,
        reason: &str,
        shown: &dyn Fn(&str) -> String,
        problems: &mut Vec<String>,
    ) {
        let named = match permission {
            Permission::ReadPath(path) => format!("read-path {}", shown(path)),
            Permission::Sysctl(key) => format!("sysctl {}", shown(key)),
            Permission::ClusterRead(s) => format!("cluster-read {}", scope(s, shown)),
            Permission::ClusterApply(s) => format!("cluster-apply {}", scope(s, shown)),
        };
        if reason.trim().is_empty() {
            problems.push(format!("permission {named} gives no reason"));
        }
        match permission {
            Permission::ReadPath(path) if !is_clean_absolute_path(path) => {
                problems.push(format!(
                    "{named}: not a clean absolute path; expected a directory such as /etc/modprobe.d, without '.', '..' or empty segments"
                ));
            }
            Permission::Sysctl(key) if !is_sysctl_key(key) => {
                problems.push(format!(
                    "{named}: not a sysctl key; expected a dotted name such as net.ipv4.ip_forward"
                ));
            }
            Permission::ClusterRead(s) | Permission::ClusterApply(s) => {
                if self.world == World::Preflight {
                    problems.push(format!(
                        "{named}: a preflight plugin cannot be granted cluster access; only addon plugins reach the cluster"
                    ));
                }
                if !is_kind(s.kind) {
                    problems.push(format!(
                        "{named}: kind {} is not a Kubernetes kind; expected a letter, then letters and digits, such as ConfigMap",
                        shown(s.kind)
                    ));
                }
                if let Some(ns) = s.namespace
                    && !is_dns_label(ns)
                {
                    problems.push(format!(
                        "{named}: namespace {} is not a namespace name; expected a lowercase RFC 1123 label",
                        shown(ns)
                    ));
                }
            }
            _ => {}
        }
    }
}

fn scope(s: Scope<'_>, shown: &dyn Fn(&str) -> String) -> String {
    match s.namespace {
        Some(ns) => format!("{} in namespace {}", shown(s.kind), shown(ns)),
        None => format!("{} (cluster-scoped)", shown(s.kind)),
    }
}

#[cfg(test)]
mod tests;
