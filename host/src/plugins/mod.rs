//! The WebAssembly plugin host (wasmtime, used nowhere else in kubeadm-rs).
//!
//! Plugins are components of the WIT package `kubeadm-rs:plugin` (`wit/`): preflight plugins
//! add checks, addon plugins render manifests. [`PluginHost::load`] admits a plugin the
//! operator enabled in the `PluginConfiguration`: its sha256 pin or minisign signature, the
//! compile cache, an import audit, `describe` in a sandbox with no grants, and the operator's
//! grants against what it declared. [`LoadedPlugin::run_preflight`] and
//! [`LoadedPlugin::render_addon`] then run it, each call in a fresh sandbox (empty WASI
//! context, read-only preopens of granted paths, memory and wall-clock limits, bounded
//! output). Every failure is a [`PluginError`]; `onFailure` decides what it does to the phase
//! ([`handle_failure`]).

mod audit;
mod bindings;
mod cache;
mod capture;
mod engine;
mod error;
mod facts;
mod host;
mod imports;
mod integrity;
mod kinds;
mod model;
pub mod oci;
mod on_failure;
mod output;
mod sandbox;
mod seal;

pub use cache::{CacheError, CacheMode, CacheOutcome, DEFAULT_CACHE_DIR};
pub use capture::{CAPTURE_LIMIT, is_hidden_control, neutralise, terminal_yaml};
pub use engine::{EPOCH_TICK, engine_config};
pub use error::{Call, Denial, OutputProblem, PluginError};
pub use facts::{CgroupVersion, FactError, LIVE_NODE, NodeFacts, NodeView};
pub use host::{HostConfig, Inspection, LoadedPlugin, PluginHost};
pub use integrity::{
    Digest, IntegrityError, MAX_PLUGIN_BYTES, SignatureStatus, Trust, Verification, Wasm,
    check_signature, default_signature_path, stamped_filesystem, verify_file,
};
pub use model::{
    CheckInfo, ClusterView, Finding, KubeObject, Manifest, ParameterInfo, Permission,
    PermissionRequest, PluginInfo, PluginKind,
};
pub use on_failure::{Stage, handle_failure};
pub use output::{MAX_FINDINGS, MAX_FINDINGS_BYTES};
pub use sandbox::{
    DEFAULT_MAX_OBJECTS, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MEMORY, DEFAULT_TIMEOUT, EffectiveLimits,
};
pub use seal::write_atomic as write_file_atomic;

/// The version of the WIT package `kubeadm-rs:plugin` this host implements.
pub const WIT_VERSION: &str = "0.1.0";

/// This host's version, compared with a plugin's `min-host-version`.
pub const HOST_VERSION: &str = env!("CARGO_PKG_VERSION");
