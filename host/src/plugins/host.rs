//! The plugin host: loads plugin files (`load`: integrity, compile cache, import audit,
//! `describe` in a sandbox with no grants, grants) into [`LoadedPlugin`]s (`loaded`), which
//! run them one fresh sandbox per call (`call`).

mod call;
mod load;
mod loaded;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use loaded::LoadedPlugin;

use super::cache::{CacheMode, CacheOutcome, CompileCache};
use super::engine::PluginEngine;
use super::error::PluginError;
use super::facts::NodeFacts;
use super::integrity::{self, Digest, Wasm};
use super::model::{PluginInfo, PluginKind};
use super::sandbox::EffectiveLimits;
use super::seal::Stamp;
use crate::config::plugins::{DEFAULT_PLUGIN_DIR, PluginConfiguration, PluginSpec, TrustedKey};
use crate::events::Events;

/// Everything the host needs besides the plugins' own specs.
pub struct HostConfig {
    /// The compile cache directory on the host (the CLI resolves it under `--rootfs`).
    pub cache_dir: PathBuf,
    /// `ReadOnly` for hosts that only describe plugins (help text): nothing is written.
    pub cache_mode: CacheMode,
    /// Where `source.name` plugin files are found (`--plugin-dir`, else `pluginDir`).
    pub plugin_dir: PathBuf,
    /// The directory of the `--config` file: relative `source.path` and `signature` start there.
    pub config_dir: PathBuf,
    /// Where granted read paths are found on the host: `/`, or the `--rootfs`.
    pub files_root: PathBuf,
    pub trusted_keys: Vec<TrustedKey>,
    /// `--allow-unsigned-plugins`: run plugins that are neither pinned nor signed.
    pub allow_unsigned: bool,
    pub facts: Arc<dyn NodeFacts>,
    /// Receives cache notices and the plugins' log lines and output.
    pub events: Events,
}

impl HostConfig {
    /// A configuration with the default plugin directory, paths relative to the working
    /// directory, files under `/`, no trusted keys, and unsigned plugins refused.
    pub fn new(cache_dir: impl Into<PathBuf>, facts: Arc<dyn NodeFacts>, events: Events) -> Self {
        HostConfig {
            cache_dir: cache_dir.into(),
            cache_mode: CacheMode::ReadWrite,
            plugin_dir: PathBuf::from(DEFAULT_PLUGIN_DIR),
            config_dir: PathBuf::from("."),
            files_root: PathBuf::from("/"),
            trusted_keys: Vec::new(),
            allow_unsigned: false,
            facts,
            events,
        }
    }

    /// Takes the plugin directory and trusted keys of the operator's document.
    pub fn with_configuration(mut self, config: &PluginConfiguration) -> Self {
        if let Some(dir) = &config.plugin_dir {
            self.plugin_dir = PathBuf::from(dir);
        }
        self.trusted_keys = config.trusted_keys.clone();
        self
    }
}

struct Shared {
    engine: PluginEngine,
    engine_key: String,
    cache: CompileCache,
    config: HostConfig,
    /// Components this host has opened, by digest, with the cache entry they match.
    opened: Mutex<HashMap<Digest, (Stamp, load::Opened)>>,
}

/// Loads and runs plugins. Cheap to share: loaded plugins keep the host alive.
pub struct PluginHost {
    shared: Arc<Shared>,
}

/// What `plugin inspect` shows: the file's digest, its world and imports, and what
/// `describe` says (run with nothing granted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    pub digest: Digest,
    pub kind: PluginKind,
    /// The `kubeadm-rs:plugin` version in the component's import names, if any.
    pub wit_version: Option<String>,
    pub imports: Vec<String>,
    pub info: PluginInfo,
    pub cache: CacheOutcome,
}

impl PluginHost {
    pub fn new(config: HostConfig) -> Result<Self, PluginError> {
        let engine_error = |message: String| PluginError::Engine {
            plugin: "(host)".into(),
            message,
        };
        let engine =
            PluginEngine::new().map_err(|e| engine_error(format!("cannot start wasmtime: {e}")))?;
        let cache = CompileCache::open_with(&config.cache_dir, config.cache_mode)
            .map_err(|e| engine_error(e.to_string()))?;
        Ok(PluginHost {
            shared: Arc::new(Shared {
                engine_key: engine.compatibility_key(),
                engine,
                cache,
                config,
                opened: Mutex::default(),
            }),
        })
    }

    pub fn config(&self) -> &HostConfig {
        &self.shared.config
    }

    /// The file of a plugin: `source.path` (absolute, or relative to the config file's
    /// directory), or `source.name` in the plugin directory (`.wasm` added when missing).
    pub fn plugin_file(&self, spec: &PluginSpec) -> PathBuf {
        let config = &self.shared.config;
        match (&spec.source.path, &spec.source.name) {
            (Some(path), _) => config.config_dir.join(path),
            (None, Some(name)) if name.ends_with(".wasm") => config.plugin_dir.join(name),
            (None, name) => config
                .plugin_dir
                .join(format!("{}.wasm", name.as_deref().unwrap_or(&spec.name))),
        }
    }

    /// The signature file of a plugin: `signature` (absolute, or relative to the config
    /// file's directory), else `<file>.minisig`.
    pub fn signature_file(&self, spec: &PluginSpec) -> PathBuf {
        match &spec.signature {
            Some(sig) => self.shared.config.config_dir.join(sig),
            None => integrity::default_signature_path(&self.plugin_file(spec)),
        }
    }

    /// Loads an enabled plugin: integrity, compile cache, import audit, `describe` in a
    /// sandbox with no grants, version and grant checks. A plugin that loads can be run.
    ///
    /// A plugin that fails after its component was compiled (a refused import, a bad
    /// `describe`, an ungranted permission) leaves no cache entry this host made for it: the
    /// cache is there to start admitted plugins fast, and native code of a refused one kept
    /// on the node as root serves nothing; once the operator fixes the cause, the next load
    /// pays one compile. An entry that was there before, or that an admitted plugin of the
    /// same component uses, stays.
    pub fn load(&self, spec: &PluginSpec) -> Result<LoadedPlugin, PluginError> {
        let (wasm, verification, trust) = self.verify(spec)?;
        let digest = verification.digest;
        let loaded = self.admit(spec, &wasm, verification, trust);
        self.settle(&digest, loaded)
    }

    /// `plugin run`: loads a plugin file under the name its own `describe` gives, as a
    /// configuration enabling it would name it. The file is read and hashed at most once (for
    /// a CPython component, tens of MB, that is most of a cached run's cost), and not at all
    /// when its digest is recorded (`verify`).
    pub fn load_as_described(&self, mut spec: PluginSpec) -> Result<LoadedPlugin, PluginError> {
        let (wasm, verification, trust) = self.verify(&spec)?;
        let digest = verification.digest;
        let limits = EffectiveLimits::of(&spec.limits);
        // The component opened here is kept by digest: admitting it opens it again for free.
        let loaded = self
            .open(&spec.name, &verification.file, &wasm, &digest, &limits)
            .and_then(|(opened, _)| {
                spec.name = opened.info.name.clone();
                self.admit(&spec, &wasm, verification, trust)
            });
        self.settle(&digest, loaded)
    }

    /// Keeps the compile cache entry of a plugin that loaded, and forgets one this host made
    /// for a plugin that did not (see [`PluginHost::load`]).
    fn settle(
        &self,
        digest: &Digest,
        loaded: Result<LoadedPlugin, PluginError>,
    ) -> Result<LoadedPlugin, PluginError> {
        let cache = &self.shared.cache;
        match &loaded {
            Ok(_) => cache.keep(digest),
            Err(_) => cache.forget(digest),
        }
        loaded
    }

    /// Removes every compile cache file and directory this host created: for a command that
    /// fails before its first phase, so that it leaves nothing new on the node.
    pub fn discard_cache_writes(&self) {
        self.shared.cache.discard_created();
    }

    /// `plugin inspect`: what a component is and says about itself, with nothing granted.
    pub fn inspect(&self, file: &Path) -> Result<Inspection, PluginError> {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = integrity::read_plugin_file(file).map_err(|source| PluginError::Io {
            plugin: name.clone(),
            action: "read",
            path: file.to_path_buf(),
            source,
        })?;
        let digest = Digest::of(&bytes);
        let limits = EffectiveLimits::of(&Default::default());
        let (opened, cache) = self
            .open(&name, file, &Wasm::Read(bytes), &digest, &limits)
            .inspect_err(|_| self.shared.cache.forget(&digest))?;
        Ok(Inspection {
            digest,
            kind: opened.shape.kind,
            wit_version: opened.shape.wit_version,
            imports: opened.shape.imports,
            info: Arc::unwrap_or_clone(opened.info),
            cache,
        })
    }
}
