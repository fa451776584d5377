//! The import audit: before a plugin is instantiated, what its component imports is compared
//! with its world, with what `describe` declared and with what the operator granted.

use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::WIT_VERSION;
use super::error::Denial;
use super::model::{Permission, PermissionRequest, PluginKind};
use crate::config::plugins::{Grants, never_granted};

const PACKAGE: &str = "kubeadm-rs:plugin/";

/// What a component says about itself before anything runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentShape {
    /// The world its exports implement.
    pub kind: PluginKind,
    /// Its import names, sorted (`kubeadm-rs:plugin/node@0.1.0`, `wasi:cli/stdout@0.2.6`).
    pub imports: Vec<String>,
    /// The `kubeadm-rs:plugin` version its imports name, if it imports any of them.
    pub wit_version: Option<String>,
}

/// Reads the world and imports of a component, or says why it is no plugin.
pub fn shape(engine: &Engine, component: &Component) -> Result<ComponentShape, String> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let has = |name: &str| exports.contains(&name);
    let kind = match (has("describe"), has("run"), has("render")) {
        (true, true, false) => PluginKind::Preflight,
        (true, false, true) => PluginKind::Addon,
        _ => {
            return Err(format!(
                "it exports [{}]; a preflight plugin exports describe and run, an addon describe and render",
                exports.join(", ")
            ));
        }
    };
    let mut imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    imports.sort();
    let wit_version = imports
        .iter()
        .filter(|name| name.starts_with(PACKAGE))
        .find_map(|name| name.split_once('@').map(|(_, v)| v.to_string()));
    Ok(ComponentShape {
        kind,
        imports,
        wit_version,
    })
}

/// `major.minor.patch` of a semver string: the plugin contract's reading of versions.
pub use kubeadm_rs_plugin_contract::names::semver;

/// Whether a plugin built against WIT `plugin` runs on this host: same major version, and
/// for 0.x the same minor, as semver promises compatibility.
pub fn wit_compatible(plugin: &str) -> bool {
    match (semver(plugin), semver(WIT_VERSION)) {
        (Some((pm, pn, _)), Some((hm, hn, _))) => pm == hm && (hm > 0 || pn == hn),
        _ => false,
    }
}

/// The WASI packages the host links for every plugin (wasmtime-wasi's 0.2 set).
const WASI_LINKED: &[&str] = &[
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

/// Imports no plugin of `kind` may have, whatever it declares.
pub fn forbidden_imports(kind: PluginKind, imports: &[String]) -> Vec<Denial> {
    imports
        .iter()
        .filter_map(|import| {
            let base = import.split('@').next().unwrap_or(import);
            let what = match base {
                "kubeadm-rs:plugin/types" | "kubeadm-rs:plugin/log" => return None,
                "kubeadm-rs:plugin/node" if kind == PluginKind::Preflight => return None,
                "kubeadm-rs:plugin/cluster" if kind == PluginKind::Addon => return None,
                "kubeadm-rs:plugin/node" => {
                    "node facts, which only preflight plugins get".to_string()
                }
                "kubeadm-rs:plugin/cluster" => {
                    "a cluster view, which only addon plugins get".to_string()
                }
                // Every WASI 0.2 interface is linked, to a context that grants nothing but
                // the granted read-only preopens: sockets and name lookup are denied on every
                // call (the sandbox's `WasiCtx`). CPython links them all, used or not.
                b if WASI_LINKED.iter().any(|w| b.starts_with(w)) => return None,
                _ => "an interface this host does not provide".to_string(),
            };
            Some(Denial::NeverGranted {
                import: import.clone(),
                what,
            })
        })
        .collect()
}

/// Whether the operator's grants cover one permission. A granted directory covers the
/// directories below it.
pub fn granted(grants: &Grants, permission: &Permission) -> bool {
    match permission {
        Permission::ReadPath(path) => grants.read_paths.iter().any(|g| {
            g == path
                || g == "/"
                || path
                    .strip_prefix(g.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        }),
        Permission::Sysctl(key) => grants.sysctls.contains(key),
        Permission::ClusterRead(scope) => grants.cluster_read.iter().any(|g| g.covers(scope)),
        Permission::ClusterApply(scope) => grants.cluster_apply.iter().any(|g| g.covers(scope)),
    }
}

/// Every declared permission the operator did not grant.
pub fn ungranted(plugin: &str, declared: &[PermissionRequest], grants: &Grants) -> Vec<Denial> {
    declared
        .iter()
        .filter(|r| !granted(grants, &r.permission))
        .map(|request| Denial::NotGranted {
            plugin: plugin.to_string(),
            request: request.clone(),
        })
        .collect()
}

/// Kernel file systems a read-path may neither be on nor contain.
const PSEUDO_FILE_SYSTEMS: &[&str] = &[
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "debugfs",
    "tracefs",
    "securityfs",
    "bpf",
    "configfs",
    "efivarfs",
    "pstore",
    "binfmt_misc",
    "fusectl",
    "mqueue",
    "cgroup",
    "cgroup2",
];

/// Declared read paths that no grant may cover, whatever the operator wrote: `/` and
/// `/proc`, `/sys`, `/dev` with everything below them, and (found under `files_root`, the
/// node's `/`) any directory on, or holding, a kernel file system such as a proc mount.
/// `mountinfo` is the text of `/proc/self/mountinfo`.
pub fn unreachable_paths(
    declared: &[PermissionRequest],
    files_root: &Path,
    mountinfo: impl FnOnce() -> std::io::Result<String>,
) -> Vec<Denial> {
    let paths: Vec<&str> = declared
        .iter()
        .filter_map(|r| match &r.permission {
            Permission::ReadPath(path) => Some(path.as_str()),
            _ => None,
        })
        .collect();
    if paths.is_empty() {
        return Vec::new();
    }
    let mounts = mountinfo().map(|text| pseudo_mounts(&text));
    let mut denials = Vec::new();
    for path in paths {
        let deny = |why: String| Denial::Unreachable {
            path: path.to_string(),
            why,
        };
        if let Some(why) = never_granted(path) {
            denials.push(deny(why));
            continue;
        }
        let Ok(real) = files_root.join(path.trim_start_matches('/')).canonicalize() else {
            continue; // not on this node: nothing is mounted there either
        };
        match &mounts {
            Err(e) => denials.push(deny(format!(
                "the mounts below {} cannot be checked (reading /proc/self/mountinfo: {e})",
                real.display()
            ))),
            Ok(mounts) => {
                if let Some((point, fs)) = mounts
                    .iter()
                    .find(|(point, _)| point.starts_with(&real) || real.starts_with(point))
                {
                    denials.push(deny(format!(
                        "a {fs} file system is mounted at {}",
                        point.display()
                    )));
                }
            }
        }
    }
    denials
}

/// The mount points and types of the kernel file systems in a `mountinfo` text.
fn pseudo_mounts(mountinfo: &str) -> Vec<(PathBuf, String)> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let (mount, fs) = line.split_once(" - ")?;
            let fs = fs.split(' ').next()?;
            let point = mount.split(' ').nth(4)?;
            PSEUDO_FILE_SYSTEMS
                .contains(&fs)
                .then(|| (PathBuf::from(unescape_octal(point)), fs.to_string()))
        })
        .collect()
}

/// A `mountinfo` path field with its `\040`-style escapes decoded.
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let code = bytes
            .get(i + 1..i + 4)
            .filter(|_| bytes[i] == b'\\')
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 8).ok());
        match code {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
