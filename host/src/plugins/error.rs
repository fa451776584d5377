//! Every way a plugin can fail, each a named error that says which plugin and what to do.
//! None of them stops the host: the caller reports it and goes on with the other plugins.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::integrity::IntegrityError;
use super::model::{KubeObject, PermissionRequest};
use crate::config::plugins::ByteSize;

/// Which export was being called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Creating the instance (runs the component's start functions).
    Instantiate,
    Describe,
    Run,
    Render,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Call::Instantiate => "instantiate",
            Call::Describe => "describe",
            Call::Run => "run",
            Call::Render => "render",
        })
    }
}

/// A plugin failure.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin {plugin}: {action} {}: {source}", path.display())]
    Io {
        plugin: String,
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin {plugin}: {0}", plugin = .0.plugin())]
    Integrity(#[from] IntegrityError),
    #[error("plugin {plugin}: {} is not a kubeadm-rs plugin: {reason}", file.display())]
    NotAPlugin {
        plugin: String,
        file: PathBuf,
        reason: String,
    },
    #[error(
        "plugin {plugin}: version mismatch: built for kubeadm-rs:plugin@{found}, this kubeadm-rs speaks @{ours}; rebuild it with a kubeadm-rs-plugin-sdk for {ours}",
        ours = super::WIT_VERSION
    )]
    WitMismatch { plugin: String, found: String },
    #[error("plugin {plugin}: version mismatch: needs kubeadm-rs >= {needs}, this is {ours}", ours = super::HOST_VERSION)]
    HostTooOld { plugin: String, needs: String },
    #[error("plugin {plugin}: permission denied: {}", denied(denials))]
    PermissionDenied {
        plugin: String,
        denials: Vec<Denial>,
    },
    #[error("plugin {plugin}: parameter {} not understood by the plugin; it accepts: {}", join(unknown), if known.is_empty() { "no parameters".to_string() } else { known.join(", ") })]
    UnknownParameters {
        plugin: String,
        unknown: Vec<String>,
        known: Vec<String>,
    },
    #[error("plugin {plugin}: {call} timed out after {} (limits.timeout)", crate::config::GoDuration(*limit))]
    TimedOut {
        plugin: String,
        call: Call,
        limit: Duration,
    },
    #[error(
        "plugin {plugin}: {call} ran out of memory (limit {limit}, limits.memory): it asked for {requested} bytes"
    )]
    OutOfMemory {
        plugin: String,
        call: Call,
        limit: ByteSize,
        requested: u64,
    },
    #[error("plugin {plugin}: {call} trapped: {trap}{}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Trapped {
        plugin: String,
        call: Call,
        trap: String,
        /// What the plugin wrote to stderr (a panic message), neutralised, on one line.
        message: Option<String>,
    },
    /// The plugin returned its own error (`err(...)` from `run` or `render`).
    #[error("plugin {plugin}: {call} failed: {message}")]
    Failed {
        plugin: String,
        call: Call,
        message: String,
    },
    #[error("plugin {plugin}: bad output from {call}: {problem}")]
    BadOutput {
        plugin: String,
        call: Call,
        problem: OutputProblem,
    },
    #[error("plugin {plugin}: {message}")]
    Engine { plugin: String, message: String },
    /// Its `oci://` source could not be pulled or failed a digest check.
    #[error("plugin {plugin}: {source}")]
    Pull {
        plugin: String,
        #[source]
        source: Box<super::oci::OciError>,
    },
}

impl PluginError {
    /// The plugin the error is about (its configured name, or the file name).
    pub fn plugin(&self) -> &str {
        match self {
            PluginError::Integrity(e) => e.plugin(),
            PluginError::Io { plugin, .. }
            | PluginError::NotAPlugin { plugin, .. }
            | PluginError::WitMismatch { plugin, .. }
            | PluginError::HostTooOld { plugin, .. }
            | PluginError::PermissionDenied { plugin, .. }
            | PluginError::UnknownParameters { plugin, .. }
            | PluginError::TimedOut { plugin, .. }
            | PluginError::OutOfMemory { plugin, .. }
            | PluginError::Trapped { plugin, .. }
            | PluginError::Failed { plugin, .. }
            | PluginError::BadOutput { plugin, .. }
            | PluginError::Engine { plugin, .. }
            | PluginError::Pull { plugin, .. } => plugin,
        }
    }
}

/// The denials in one line; imports that are never granted are named together, so a component
/// importing several of them does not repeat the reason for each.
fn denied(denials: &[Denial]) -> String {
    let never: Vec<String> = denials
        .iter()
        .filter_map(|d| match d {
            Denial::NeverGranted { import, what } => Some(format!("{import} ({what})")),
            _ => None,
        })
        .collect();
    let mut parts: Vec<String> = denials
        .iter()
        .filter(|d| !matches!(d, Denial::NeverGranted { .. }))
        .map(ToString::to_string)
        .collect();
    match never.as_slice() {
        [] => {}
        [_] => parts.extend(
            denials
                .iter()
                .filter(|d| matches!(d, Denial::NeverGranted { .. }))
                .map(ToString::to_string),
        ),
        _ => parts.push(format!(
            "the component imports {}, which kubeadm-rs never grants to plugins",
            never.join(", ")
        )),
    }
    parts.join("; ")
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One thing a plugin may not do, and how the operator (or author) can change that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The plugin declared a permission the operator did not grant.
    NotGranted {
        plugin: String,
        request: PermissionRequest,
    },
    /// The component imports something this host never links (an unknown interface, the other world's).
    NeverGranted { import: String, what: String },
    /// At run time the plugin used something it had not declared.
    UsedUndeclared { what: String },
    /// An addon rendered an object of a kind or namespace it may not apply.
    Rendered { manifest: String, object: String },
    /// A read path no grant may cover: it would reach kubeadm-rs itself or the kernel.
    Unreachable { path: String, why: String },
}

impl Denial {
    pub(crate) fn rendered(manifest: &str, object: &KubeObject) -> Self {
        Denial::Rendered {
            manifest: manifest.to_string(),
            object: object.to_string(),
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::NotGranted { plugin, request } => write!(
                f,
                "{} is not granted (wanted for: {}); add to plugins[{plugin}].grants: {}: [{}]",
                request.permission,
                request.reason,
                request.permission.grant_field(),
                request.permission.grant_item(),
            ),
            Denial::NeverGranted { import, what } => {
                write!(
                    f,
                    "the component imports {import} ({what}), which kubeadm-rs never grants to plugins"
                )
            }
            Denial::UsedUndeclared { what } => write!(
                f,
                "the plugin used {what}, which describe did not declare; its results are discarded"
            ),
            Denial::Rendered { manifest, object } => write!(
                f,
                "manifest {manifest:?} renders {object}, whose kind and namespace the plugin did not declare as cluster-apply"
            ),
            Denial::Unreachable { path, why } => write!(
                f,
                "read-path {path} is never granted: {why}; plugins get node facts (kernel modules, sysctls, memory, ...) from the node interface instead"
            ),
        }
    }
}

/// What is wrong with what a plugin returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputProblem {
    /// `describe` returned something unusable (the string says what).
    Describe(String),
    UnknownCheck {
        check: String,
        declared: Vec<String>,
    },
    TooManyFindings {
        count: usize,
        limit: usize,
    },
    FindingsTooLarge {
        bytes: usize,
        limit: usize,
    },
    InvalidManifest {
        manifest: String,
        reason: String,
    },
    TooLarge {
        bytes: usize,
        limit: u64,
    },
    TooManyObjects {
        count: usize,
        limit: u32,
    },
    /// The plugin filled a capture stream and failed writing to it.
    StreamFull {
        stream: &'static str,
        limit: usize,
    },
}

impl fmt::Display for OutputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputProblem::Describe(reason) => write!(f, "{reason}"),
            OutputProblem::UnknownCheck { check, declared } => write!(
                f,
                "finding of check {check:?}, which describe does not declare (declared: {})",
                declared.join(", ")
            ),
            OutputProblem::TooManyFindings { count, limit } => {
                write!(f, "{count} findings, more than the {limit} allowed")
            }
            OutputProblem::FindingsTooLarge { bytes, limit } => write!(
                f,
                "{bytes} bytes of findings, more than the {} allowed",
                ByteSize(*limit as u64)
            ),
            OutputProblem::InvalidManifest { manifest, reason } => {
                write!(f, "manifest {manifest:?}: {reason}")
            }
            OutputProblem::TooLarge { bytes, limit } => write!(
                f,
                "{bytes} bytes of manifests, more than the {} allowed (limits.maxOutputBytes)",
                ByteSize(*limit)
            ),
            OutputProblem::TooManyObjects { count, limit } => {
                write!(
                    f,
                    "{count} objects, more than the {limit} allowed (limits.maxObjects)"
                )
            }
            OutputProblem::StreamFull { stream, limit } => write!(
                f,
                "it wrote more than the {} bytes kept of its {stream} and failed on the rest",
                ByteSize(*limit as u64)
            ),
        }
    }
}
