//! `kubeadm-rs.io/v1alpha1` `PluginConfiguration`: which WebAssembly plugins run, where
//! they come from, how they are trusted, and everything the operator grants them. It is one
//! more document of the `--config` file; nothing is granted that is not written here.
//!
//! ```yaml
//! apiVersion: kubeadm-rs.io/v1alpha1
//! kind: PluginConfiguration
//! pluginDir: /etc/kubeadm-rs/plugins       # where source.name is looked up
//! trustedKeys:
//!   - name: acme
//!     publicKey: RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3
//! plugins:
//!   - name: net-sysctls
//!     source: {name: net_sysctls}            # or {path: /opt/x.wasm}, relative to the config file,
//!                                            # or {oci: "oci://reg/repo:tag@sha256:…", caFile: ca.pem}
//!     sha256: 3f1c…                          # and/or a minisign signature (<wasm>.minisig)
//!     grants:
//!       sysctls: [net.ipv4.ip_forward]
//!       clusterApply: [{kind: DaemonSet, namespaces: [kube-flannel]}]
//!     parameters:
//!       min-cpus: 2
//!     limits: {timeout: 5s, memory: 64Mi}
//!     onFailure: error
//! ```
//!
//! The plugin author's side of this document is described in `sdk/README.md`.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use kubeadm_rs_plugin_contract::names::{
    KEBAB_EXPECTED, RESERVED_PLUGIN_NAMES, is_clean_absolute_path, is_kebab_name, is_sysctl_key,
};
use kubeadm_rs_plugin_contract::object::is_kind;
use kubeadm_rs_plugin_contract::quantity;

use super::duration::GoDuration;
use super::{ConfigError, Document};

pub const GROUP_VERSION: &str = "kubeadm-rs.io/v1alpha1";
pub const KIND: &str = "PluginConfiguration";

/// Where plugins are looked up by name when `--plugin-dir` is not given.
pub const DEFAULT_PLUGIN_DIR: &str = "/etc/kubeadm-rs/plugins";

/// The operator's plugin document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginConfiguration {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    /// Where `source.name` is looked up; `--plugin-dir` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_dir: Option<String>,
    /// Public keys whose minisign signatures make a plugin trusted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_keys: Vec<TrustedKey>,
    /// The enabled plugins, in the order their phases run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginSpec>,
}

/// A minisign public key the operator trusts, with a name for messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustedKey {
    pub name: String,
    /// The base64 key line of a minisign `.pub` file (`RWQ…`).
    pub public_key: String,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One plugin the operator lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginSpec {
    /// The plugin's name, as its `describe` reports it; its phase is `preflight/<name>` or `addon/<name>`.
    pub name: String,
    /// `false` keeps the entry without running the plugin.
    #[serde(
        default = "yes",
        skip_serializing_if = "is_true",
        deserialize_with = "super::scalars::bool"
    )]
    pub enabled: bool,
    pub source: PluginSource,
    /// The hex sha256 the file must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The minisign signature file: absolute, or relative to the config file's directory;
    /// default `<wasm>.minisig` when that file exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default)]
    pub grants: Grants,
    /// Parameters handed to the plugin, in the order written.
    #[serde(default, skip_serializing_if = "Parameters::is_empty")]
    pub parameters: Parameters,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub on_failure: OnFailure,
}

impl PluginSpec {
    /// An enabled plugin from `source`, with nothing granted and default limits.
    pub fn new(name: impl Into<String>, source: PluginSource) -> Self {
        PluginSpec {
            name: name.into(),
            enabled: true,
            source,
            sha256: None,
            signature: None,
            grants: Grants::default(),
            parameters: Parameters::default(),
            limits: Limits::default(),
            on_failure: OnFailure::default(),
        }
    }
}

/// Where a plugin's component file is: exactly one of `path`, `name` and `oci`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginSource {
    /// The `.wasm` file: absolute, or relative to the directory of the `--config` file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A file name in the plugin directory, `.wasm` optional (`net_sysctls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A wasm artifact in an OCI registry, `oci://registry/repository:tag@sha256:<manifest
    /// digest>`; without the digest, the plugin's `sha256` must pin the wasm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<String>,
    /// The PEM CA bundle the registry's certificate must chain to (absolute, or relative to
    /// the config file's directory); the system roots when unset. Only with `oci`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

impl PluginSource {
    pub fn path(path: impl Into<String>) -> Self {
        PluginSource {
            path: Some(path.into()),
            ..PluginSource::default()
        }
    }

    pub fn oci(reference: impl Into<String>) -> Self {
        PluginSource {
            oci: Some(reference.into()),
            ..PluginSource::default()
        }
    }
}

/// What the operator grants one plugin. Each list holds exactly what the plugin may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Grants {
    /// Absolute directories the plugin may read (read-only, mounted at the same path).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_paths: Vec<String>,
    /// Sysctl keys the plugin may read (`net.ipv4.ip_forward`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sysctls: Vec<String>,
    /// Object kinds and namespaces an addon may read from the cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_read: Vec<GrantScope>,
    /// Object kinds and namespaces an addon may render.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_apply: Vec<GrantScope>,
}

/// A granted object kind, in the listed namespaces; with none, its cluster-scoped form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GrantScope {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

impl GrantScope {
    /// Whether this grant covers `scope`.
    pub fn covers(&self, scope: &ObjectScope) -> bool {
        self.kind == scope.kind
            && match &scope.namespace {
                Some(ns) => self.namespaces.contains(ns),
                None => self.namespaces.is_empty(),
            }
    }
}

/// A Kubernetes object kind, in one namespace or (without one) cluster-scoped: what a
/// plugin requests and what a rendered object is.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectScope {
    pub kind: String,
    pub namespace: Option<String>,
}

impl ObjectScope {
    /// The `grants` list item that covers exactly this scope.
    pub fn grant_item(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{{kind: {}, namespaces: [{ns}]}}", self.kind),
            None => format!("{{kind: {}}}", self.kind),
        }
    }
}

impl fmt::Display for ObjectScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} in namespace {ns}", self.kind),
            None => write!(f, "{} (cluster-scoped)", self.kind),
        }
    }
}

/// Resource limits of one plugin; unset fields take the host's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Limits {
    /// Wall-clock time per call, host calls included (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    /// Linear memory per call (default 64Mi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ByteSize>,
    /// Total size of an addon's rendered manifests (default 8Mi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_bytes: Option<ByteSize>,
    /// Number of objects an addon may render (default 1000).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::scalars::opt_int"
    )]
    pub max_objects: Option<u32>,
}

/// What a plugin failure (trap, timeout, denial, bad output) does to its phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// The phase fails.
    #[default]
    Error,
    /// A warning is shown and the phase goes on.
    Warn,
    /// The failure is only recorded as information.
    Ignore,
}

/// A byte count written as a Kubernetes quantity (`64Mi`, `1.5Gi`, `500k`) or a plain integer:
/// the plugin contract's one parser, which the SDK's `Params::bytes_or` uses too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub const fn mib(n: u64) -> Self {
        ByteSize(n * 1024 * 1024)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&quantity::format_bytes(self.0))
    }
}

impl std::str::FromStr for ByteSize {
    type Err = quantity::NotAByteSize;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        quantity::parse_bytes(s).map(ByteSize)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a byte size: {}", quantity::EXPECTED)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v).map(ByteSize).map_err(|_| {
                    E::custom(format!("{v} is negative; expected {}", quantity::EXPECTED))
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                quantity::parse_bytes(v).map(ByteSize).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Plugin parameters: key/value strings in the order written, keys unique. Scalars of any
/// YAML type are accepted and kept as written (`min-cpus: 2` is `"2"`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parameters(pub Vec<(String, String)>);

impl Parameters {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` (replacing an earlier value), keeping the order of first appearance.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }
}

impl Serialize for Parameters {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A parameter value: any scalar, as text.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Parameters {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Parameters;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of parameter names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parameters, A::Error> {
                let mut out = Vec::new();
                while let Some((key, Scalar(value))) = map.next_entry::<String, Scalar>()? {
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!("duplicate parameter {key:?}")));
                    }
                    out.push((key, value));
                }
                Ok(Parameters(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Limits the operator may not exceed, so one plugin cannot stall `init` or exhaust the node.
const MAX_TIMEOUT_SECS: u64 = 600;
const MAX_MEMORY: ByteSize = ByteSize(4 << 30);
const MIN_MEMORY: ByteSize = ByteSize(1 << 20);

/// Directories no read-path grant reaches, with what lies there. The host opens the files a
/// plugin reads, so in `/proc` `self` is kubeadm-rs: its memory, environment and file descriptors.
const HOST_ONLY: &[(&str, &str)] = &[
    (
        "/proc",
        "the kernel's process table, where /proc/self is kubeadm-rs itself",
    ),
    ("/sys", "the kernel's objects"),
    ("/dev", "device nodes"),
];

/// Why no grant may cover read-path `path`, if none may: `/`, and `/proc`, `/sys`, `/dev` with
/// everything below them. Checked when the configuration is read and again when a plugin loads.
pub fn never_granted(path: &str) -> Option<String> {
    if path == "/" {
        return Some(
            "it holds /proc, where /proc/self is kubeadm-rs itself, and /sys and /dev".into(),
        );
    }
    HOST_ONLY
        .iter()
        .find(|(dir, _)| path == *dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/')))
        .map(|(_, what)| format!("it is in {what}"))
}

impl PluginConfiguration {
    /// Every problem of the document, each as `field.path: problem`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut errors = Vec::new();
        let mut key_names = BTreeSet::new();
        for (i, key) in self.trusted_keys.iter().enumerate() {
            let path = format!("trustedKeys[{i}]");
            if key.name.is_empty() {
                errors.push(format!("{path}.name: must not be empty"));
            } else if !key_names.insert(key.name.as_str()) {
                errors.push(format!("{path}.name: duplicate key name {:?}", key.name));
            }
            if let Err(e) = minisign_verify::PublicKey::from_base64(key.public_key.trim()) {
                errors.push(format!(
                    "{path}.publicKey: {:?} is not a minisign public key ({e}); expected the base64 line of a minisign .pub file",
                    key.public_key
                ));
            }
        }
        let mut names = BTreeSet::new();
        for (i, plugin) in self.plugins.iter().enumerate() {
            let path = format!("plugins[{i}]");
            if !is_kebab_name(&plugin.name) {
                errors.push(format!(
                    "{path}.name: {:?} is not a plugin name; expected {KEBAB_EXPECTED}",
                    plugin.name
                ));
            } else if RESERVED_PLUGIN_NAMES.contains(&plugin.name.as_str()) {
                errors.push(format!(
                    "{path}.name: {:?} is the name of a built-in phase; a plugin's phase must not share its path (expected a name other than {})",
                    plugin.name,
                    RESERVED_PLUGIN_NAMES.join(", ")
                ));
            } else if !names.insert(plugin.name.as_str()) {
                errors.push(format!("{path}.name: duplicate plugin {:?}", plugin.name));
            }
            plugin.validate(&path, &mut errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(errors))
        }
    }

    /// The spec of the plugin called `name`.
    pub fn plugin(&self, name: &str) -> Option<&PluginSpec> {
        self.plugins.iter().find(|p| p.name == name)
    }
}

impl PluginSpec {
    fn validate(&self, path: &str, errors: &mut Vec<String>) {
        let source = &self.source;
        let given = [&source.path, &source.name, &source.oci]
            .iter()
            .filter(|s| s.is_some())
            .count();
        if given != 1 {
            errors.push(format!(
                "{path}.source: expected exactly one of path (the .wasm file), name (a file in the plugin directory) and oci (oci://registry/repository:tag@sha256:<digest>)"
            ));
        } else if let Some(name) = &source.name
            && (name.is_empty() || name.contains('/') || name.starts_with('.'))
        {
            errors.push(format!(
                "{path}.source.name: {name:?} is not a file name; expected a name such as net_sysctls, without '/'"
            ))
        }
        if let Some(oci) = &source.oci {
            match crate::plugins::oci::OciReference::parse(oci) {
                Err(e) => errors.push(format!("{path}.source.oci: {e}")),
                // Tags move: what runs must be pinned by the manifest digest or the wasm's sha256.
                Ok(r) if r.digest().is_none() && self.sha256.is_none() => errors.push(format!(
                    "{path}.source.oci: {oci:?} is not pinned; expected @sha256:<manifest digest> (kubeadm-rs plugin push prints it) or the plugin's sha256 field"
                )),
                Ok(_) => {}
            }
        }
        if source.ca_file.is_some() && source.oci.is_none() {
            errors.push(format!(
                "{path}.source.caFile: only an oci source is fetched over TLS; remove caFile or use source.oci"
            ));
        }
        for (field, value) in [
            ("source.path", &self.source.path),
            ("source.caFile", &self.source.ca_file),
            ("signature", &self.signature),
        ] {
            if let Some(value) = value
                && value.is_empty()
            {
                errors.push(format!("{path}.{field}: must not be empty"));
            }
        }
        if let Some(sha) = &self.sha256
            && !(sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            errors.push(format!(
                "{path}.sha256: {sha:?} is not a sha256 digest; expected 64 hexadecimal digits (sha256sum FILE)"
            ));
        }
        for (j, dir) in self.grants.read_paths.iter().enumerate() {
            if !is_clean_absolute_path(dir) {
                errors.push(format!(
                    "{path}.grants.readPaths[{j}]: {dir:?} is not a clean absolute path; expected a directory such as /etc/modprobe.d"
                ));
            } else if let Some(why) = never_granted(dir) {
                errors.push(format!(
                    "{path}.grants.readPaths[{j}]: plugin {}: {dir:?} is never granted: {why}; plugins get node facts (kernel modules, sysctls, memory, ...) from the node interface instead",
                    self.name
                ));
            }
        }
        for (j, key) in self.grants.sysctls.iter().enumerate() {
            if !is_sysctl_key(key) {
                errors.push(format!(
                    "{path}.grants.sysctls[{j}]: {key:?} is not a sysctl key; expected a dotted name such as net.ipv4.ip_forward"
                ));
            }
        }
        for (field, scopes) in [
            ("clusterRead", &self.grants.cluster_read),
            ("clusterApply", &self.grants.cluster_apply),
        ] {
            for (j, scope) in scopes.iter().enumerate() {
                if !is_kind(&scope.kind) {
                    errors.push(format!(
                        "{path}.grants.{field}[{j}].kind: {:?} is not an object kind; expected a kind such as ConfigMap",
                        scope.kind
                    ));
                }
                if scope.namespaces.iter().any(String::is_empty) {
                    errors.push(format!(
                        "{path}.grants.{field}[{j}].namespaces: a namespace must not be empty; leave namespaces out for cluster-scoped kinds"
                    ));
                }
            }
        }
        if let Some(timeout) = self.limits.timeout
            && (timeout.0.is_zero() || timeout.0.as_secs() > MAX_TIMEOUT_SECS)
        {
            errors.push(format!(
                "{path}.limits.timeout: {timeout} is out of range; expected more than 0s and at most {MAX_TIMEOUT_SECS}s"
            ));
        }
        if let Some(memory) = self.limits.memory
            && !(MIN_MEMORY..=MAX_MEMORY).contains(&memory)
        {
            errors.push(format!(
                "{path}.limits.memory: {memory} is out of range; expected between {MIN_MEMORY} and {MAX_MEMORY}"
            ));
        }
        if self.limits.max_objects == Some(0) {
            errors.push(format!("{path}.limits.maxObjects: must be at least 1"));
        }
    }
}

/// Decodes and validates a `PluginConfiguration` document.
pub(crate) fn decode(doc: &Document, source: &str) -> Result<PluginConfiguration, ConfigError> {
    let config: PluginConfiguration = doc.decode(source)?;
    config.validate().map_err(|err| match err {
        ConfigError::Invalid(problems) => ConfigError::Invalid(
            problems
                .into_iter()
                .map(|p| format!("{}: {p}", doc.location(source)))
                .collect(),
        ),
        other => other,
    })?;
    Ok(config)
}

#[cfg(test)]
mod tests;
