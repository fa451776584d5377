//! The plugin host: loads plugin files (integrity, compile cache, import audit, `describe`
//! in a sandbox with no grants) and runs them, one fresh sandbox per call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wasmtime::Store;
use wasmtime::component::Component;
use wasmtime_wasi::I32Exit;

use super::audit::{self, ComponentShape};
use super::bindings::addon::AddonPre;
use super::bindings::preflight::PreflightPre;
use super::cache::{CacheMode, CacheOutcome, CompileCache, Lookup};
use super::capture::{self, Streams};
use super::engine::{Elapsed, PluginEngine};
use super::error::{Call, Denial, OutputProblem, PluginError};
use super::facts::NodeFacts;
use super::integrity::{self, Digest, Trust, Verification};
use super::model::{ClusterView, Finding, Manifest, Permission, PluginInfo, PluginKind};
use super::oci;
use super::output;
use super::sandbox::{self, CallState, EffectiveLimits, Grants, SandboxSpec};
use super::seal::Stamp;
use crate::cluster::{ClusterReader, NoCluster};
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
    opened: Mutex<HashMap<Digest, (Stamp, Opened)>>,
}

/// Distinct components kept open at most; a host that sees more starts over.
const MAX_OPENED: usize = 64;

/// Loads and runs plugins. Cheap to share: loaded plugins keep the host alive.
pub struct PluginHost {
    shared: Arc<Shared>,
}

/// A component ready to instantiate, per world.
#[derive(Clone)]
enum WorldPre {
    Preflight(PreflightPre<CallState>),
    Addon(AddonPre<CallState>),
}

/// A component that passed the static checks, linked, with what its `describe` said: what a
/// second load of the same unchanged cache entry starts from (no deserializing, linking or
/// describe again).
#[derive(Clone)]
struct Opened {
    shape: ComponentShape,
    pre: WorldPre,
    info: Arc<PluginInfo>,
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

    /// Reads and verifies a plugin's file against its pin and the trusted keys.
    pub fn verify(&self, spec: &PluginSpec) -> Result<(Vec<u8>, Verification, Trust), PluginError> {
        if let Some(reference) = &spec.source.oci {
            return self.verify_pulled(spec, reference);
        }
        let file = self.plugin_file(spec);
        let bytes = integrity::read_plugin_file(&file).map_err(|source| PluginError::Io {
            plugin: spec.name.clone(),
            action: "read",
            path: file.clone(),
            source,
        })?;
        let signature_file = self.signature_file(spec);
        let verification = integrity::verify_bytes(
            &file,
            &bytes,
            &signature_file,
            spec.signature.is_some(),
            &self.shared.config.trusted_keys,
        )
        .map_err(|source| PluginError::Io {
            plugin: spec.name.clone(),
            action: "read signature",
            path: signature_file,
            source,
        })?;
        let trust = verification.judge(
            &spec.name,
            spec.sha256.as_deref(),
            self.shared.config.allow_unsigned,
        )?;
        Ok((bytes, verification, trust))
    }

    /// Pulls an `oci://` plugin (from the pull cache when it is digest-pinned and cached) and
    /// verifies its wasm like a file: the `sha256` pin, then the signature named by
    /// `signature` (a local file), else the one in the manifest's annotation.
    fn verify_pulled(
        &self,
        spec: &PluginSpec,
        reference: &str,
    ) -> Result<(Vec<u8>, Verification, Trust), PluginError> {
        let config = &self.shared.config;
        let failed = |source: oci::OciError| PluginError::Pull {
            plugin: spec.name.clone(),
            source: Box::new(source),
        };
        let reference = oci::OciReference::parse(reference).map_err(failed)?;
        let ca_file = spec
            .source
            .ca_file
            .as_ref()
            .map(|f| config.config_dir.join(f));
        let cache = oci::PullCache::open(&config.cache_dir).map_err(failed)?;
        let access = oci::Access::for_reference(&reference, ca_file).map_err(failed)?;
        let pulled = oci::pull(&reference, &access, Some(&cache)).map_err(failed)?;
        if pulled.fetched {
            config.events.info(format!(
                "plugin {}: pulled {reference} (manifest {}, wasm sha256:{})",
                spec.name, pulled.manifest_digest, pulled.digest
            ));
        }
        let file = pulled
            .cached
            .clone()
            .unwrap_or_else(|| PathBuf::from(reference.to_string()));
        let verification = match (&spec.signature, &pulled.signature) {
            (Some(_), _) => {
                let signature_file = self.signature_file(spec);
                integrity::verify_bytes(
                    &file,
                    &pulled.wasm,
                    &signature_file,
                    true,
                    &config.trusted_keys,
                )
                .map_err(|source| PluginError::Io {
                    plugin: spec.name.clone(),
                    action: "read signature",
                    path: signature_file,
                    source,
                })?
            }
            (None, annotation) => Verification {
                file,
                digest: pulled.digest,
                signature_file: PathBuf::from(format!(
                    "{reference} (annotation {})",
                    oci::SIGNATURE_ANNOTATION
                )),
                signature: match annotation {
                    Some(text) => {
                        integrity::check_signature(&pulled.wasm, text, &config.trusted_keys)
                    }
                    None => integrity::SignatureStatus::Missing,
                },
            },
        };
        // A manifest digest pins the wasm through its layer digest, checked by the pull: as
        // good as a sha256 pin. An explicit sha256 is still checked against the bytes.
        let pin = match (&spec.sha256, reference.digest()) {
            (Some(pin), _) => Some(pin.clone()),
            (None, Some(_)) => Some(pulled.digest.hex()),
            (None, None) => None,
        };
        let trust = verification.judge(&spec.name, pin.as_deref(), config.allow_unsigned)?;
        Ok((pulled.wasm, verification, trust))
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
        let (bytes, verification, trust) = self.verify(spec)?;
        let digest = verification.digest;
        let cache = &self.shared.cache;
        match self.admit(spec, &bytes, verification, trust) {
            Ok(plugin) => {
                cache.keep(&digest);
                Ok(plugin)
            }
            Err(e) => {
                cache.forget(&digest);
                Err(e)
            }
        }
    }

    /// Removes every compile cache file and directory this host created: for a command that
    /// fails before its first phase, so that it leaves nothing new on the node.
    pub fn discard_cache_writes(&self) {
        self.shared.cache.discard_created();
    }

    fn admit(
        &self,
        spec: &PluginSpec,
        bytes: &[u8],
        verification: Verification,
        trust: Trust,
    ) -> Result<LoadedPlugin, PluginError> {
        let file = verification.file.clone();
        let limits = EffectiveLimits::of(&spec.limits);
        let (opened, cache) = self.open(&spec.name, &file, bytes, &verification.digest, &limits)?;
        let Opened { pre, info, .. } = opened;
        let plugin = self.prepared(&spec.name, limits, pre);
        if info.name != spec.name {
            return Err(plugin.bad_describe(format!(
                "describe names the plugin {:?}, but the PluginConfiguration enables it as {:?}",
                info.name, spec.name
            )));
        }
        let mut denials =
            audit::unreachable_paths(&info.permissions, &self.shared.config.files_root, || {
                std::fs::read_to_string("/proc/self/mountinfo")
            });
        denials.extend(audit::ungranted(
            &spec.name,
            &info.permissions,
            &spec.grants,
        ));
        if !denials.is_empty() {
            return Err(PluginError::PermissionDenied {
                plugin: spec.name.clone(),
                denials,
            });
        }
        let unknown: Vec<String> = spec
            .parameters
            .0
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !info.parameters.iter().any(|p| p.name == *k))
            .collect();
        if !unknown.is_empty() {
            return Err(PluginError::UnknownParameters {
                plugin: spec.name.clone(),
                unknown,
                known: info.parameters.iter().map(|p| p.name.clone()).collect(),
            });
        }
        Ok(LoadedPlugin {
            grants: Arc::new(Grants::of(&info.permissions)),
            plugin,
            spec: spec.clone(),
            info,
            digest: verification.digest,
            trust,
            cache,
        })
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
            .open(&name, file, &bytes, &digest, &limits)
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

    /// The opened component of a plugin file (`bytes`, with sha256 `digest`): the one this
    /// host opened before when the cache entry is still the file it came from, else from the
    /// compile cache, linked and described (`describe` runs with `limits`).
    fn open(
        &self,
        plugin: &str,
        file: &Path,
        bytes: &[u8],
        digest: &Digest,
        limits: &EffectiveLimits,
    ) -> Result<(Opened, CacheOutcome), PluginError> {
        let shared = &self.shared;
        let found = shared.cache.lookup(digest, &shared.engine_key);
        if let Lookup::Verified(stamp) = &found
            && let Some((seen, opened)) = self.opened().get(digest)
            && seen == stamp
        {
            return Ok((opened.clone(), CacheOutcome::Hit));
        }
        let (component, cache, stamp) = self.compile(plugin, file, bytes, digest, found)?;
        let (shape, pre) = self.link(plugin, file, &component)?;
        let prepared = self.prepared(plugin, limits.clone(), pre);
        let info = self.describe(&prepared, &shape, digest)?;
        let opened = Opened {
            shape,
            pre: prepared.pre,
            info: Arc::new(info),
        };
        if let Some(stamp) = stamp {
            let mut all = self.opened();
            if all.len() >= MAX_OPENED {
                all.clear();
            }
            all.insert(*digest, (stamp, opened.clone()));
        }
        Ok((opened, cache))
    }

    fn opened(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, (Stamp, Opened)>> {
        // Entries are inserted whole, so a panic elsewhere cannot leave one half-made.
        self.shared
            .opened
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn prepared(&self, plugin: &str, limits: EffectiveLimits, pre: WorldPre) -> Prepared {
        Prepared {
            shared: self.shared.clone(),
            name: plugin.to_string(),
            limits,
            pre,
        }
    }

    fn compile(
        &self,
        plugin: &str,
        file: &Path,
        bytes: &[u8],
        digest: &Digest,
        found: Lookup,
    ) -> Result<(Component, CacheOutcome, Option<Stamp>), PluginError> {
        let shared = &self.shared;
        let (component, outcome, stamp) = shared
            .cache
            .load(
                &shared.engine.engine,
                &shared.engine_key,
                bytes,
                digest,
                found,
            )
            .map_err(|e| PluginError::NotAPlugin {
                plugin: plugin.to_string(),
                file: file.to_path_buf(),
                reason: format!("it does not compile as a WebAssembly component: {e}"),
            })?;
        if let CacheOutcome::Recompiled { reason } = &outcome {
            shared.config.events.warn(format!(
                "plugin {plugin}: compile cache entry {} was not loaded ({reason}); compiled it again",
                shared.cache.entry_path(digest, &shared.engine_key).display()
            ));
        }
        Ok((component, outcome, stamp))
    }

    /// What the plugin's `describe` says, checked against its component: kept in the compile
    /// cache after the first call, since it depends on nothing but the wasm (the call gets no
    /// grants, facts or parameters).
    fn describe(
        &self,
        plugin: &Prepared,
        shape: &ComponentShape,
        digest: &Digest,
    ) -> Result<PluginInfo, PluginError> {
        let shared = &self.shared;
        let kept = shared.cache.described(digest, &shared.engine_key);
        let info = match kept {
            Ok(Some(info)) => info,
            Ok(None) | Err(_) => {
                if let Err(reason) = kept {
                    shared.config.events.warn(format!(
                        "plugin {}: compile cache entry {} was not used ({reason}); called describe again",
                        plugin.name,
                        shared.cache.described_path(digest, &shared.engine_key).display()
                    ));
                }
                let info = plugin.call_describe()?;
                shared
                    .cache
                    .store_described(digest, &shared.engine_key, &info);
                info
            }
        };
        plugin.check_describe(shape, info.neutralised())
    }

    /// Static checks of a component (world, imports, WIT version), then its `InstancePre`.
    fn link(
        &self,
        plugin: &str,
        file: &Path,
        component: &Component,
    ) -> Result<(ComponentShape, WorldPre), PluginError> {
        let engine = &self.shared.engine;
        let shape =
            audit::shape(&engine.engine, component).map_err(|reason| PluginError::NotAPlugin {
                plugin: plugin.to_string(),
                file: file.to_path_buf(),
                reason,
            })?;
        if let Some(found) = &shape.wit_version
            && !audit::wit_compatible(found)
        {
            return Err(PluginError::WitMismatch {
                plugin: plugin.to_string(),
                found: found.clone(),
            });
        }
        let denials = audit::forbidden_imports(shape.kind, &shape.imports);
        if !denials.is_empty() {
            return Err(PluginError::PermissionDenied {
                plugin: plugin.to_string(),
                denials,
            });
        }
        let link_error = |e: wasmtime::Error| PluginError::NotAPlugin {
            plugin: plugin.to_string(),
            file: file.to_path_buf(),
            reason: format!("its imports do not link: {e}"),
        };
        let pre = match shape.kind {
            PluginKind::Preflight => WorldPre::Preflight(
                PreflightPre::new(
                    engine
                        .preflight
                        .instantiate_pre(component)
                        .map_err(link_error)?,
                )
                .map_err(link_error)?,
            ),
            PluginKind::Addon => WorldPre::Addon(
                AddonPre::new(
                    engine
                        .addon
                        .instantiate_pre(component)
                        .map_err(link_error)?,
                )
                .map_err(link_error)?,
            ),
        };
        Ok((shape, pre))
    }
}

/// A component linked for its world, with its name and limits: what every call starts from.
struct Prepared {
    shared: Arc<Shared>,
    name: String,
    limits: EffectiveLimits,
    pre: WorldPre,
}

/// A call's result before classification: the timeout, then wasmtime's verdict.
type Outcome<R> = Result<wasmtime::Result<R>, Elapsed>;

impl Prepared {
    fn store(
        &self,
        grants: Arc<Grants>,
        cluster: Arc<dyn ClusterReader>,
    ) -> Result<(Store<CallState>, Streams), PluginError> {
        let config = &self.shared.config;
        sandbox::new_store(SandboxSpec {
            engine: &self.shared.engine.engine,
            files_root: &config.files_root,
            grants,
            limits: &self.limits,
            facts: config.facts.clone(),
            cluster,
        })
        .map_err(|e| PluginError::Engine {
            plugin: self.name.clone(),
            message: format!("cannot set up the sandbox: {e}"),
        })
    }

    fn bad_describe(&self, reason: String) -> PluginError {
        PluginError::BadOutput {
            plugin: self.name.clone(),
            call: Call::Describe,
            problem: OutputProblem::Describe(reason),
        }
    }

    /// Calls `describe` with nothing granted.
    fn call_describe(&self) -> Result<PluginInfo, PluginError> {
        let (mut store, streams) = self.store(Arc::default(), no_cluster())?;
        let outcome = match &self.pre {
            WorldPre::Preflight(pre) => self.shared.engine.block_on(self.limits.timeout, async {
                let instance = pre.instantiate_async(&mut store).await?;
                instance.call_describe(&mut store).await
            }),
            WorldPre::Addon(pre) => self.shared.engine.block_on(self.limits.timeout, async {
                let instance = pre.instantiate_async(&mut store).await?;
                instance.call_describe(&mut store).await
            }),
        };
        Ok(PluginInfo::from(self.finish(
            Call::Describe,
            outcome,
            &store,
            &streams,
        )?))
    }

    /// Checks what `describe` said against the component and this host.
    fn check_describe(
        &self,
        shape: &ComponentShape,
        info: PluginInfo,
    ) -> Result<PluginInfo, PluginError> {
        output::check_describe_sizes(&info).map_err(|reason| self.bad_describe(reason))?;
        if !audit::wit_compatible(&info.wit_version) {
            return Err(PluginError::WitMismatch {
                plugin: self.name.clone(),
                found: info.wit_version,
            });
        }
        if let Some(found) = &shape.wit_version
            && *found != info.wit_version
        {
            return Err(self.bad_describe(format!(
                "describe says WIT {}, but the component imports kubeadm-rs:plugin@{found}",
                info.wit_version
            )));
        }
        match (
            audit::semver(&info.min_host_version),
            audit::semver(super::HOST_VERSION),
        ) {
            (Some(wanted), Some(ours)) if wanted > ours => {
                return Err(PluginError::HostTooOld {
                    plugin: self.name.clone(),
                    needs: info.min_host_version,
                });
            }
            (None, _) => {
                return Err(self.bad_describe(format!(
                    "min-host-version {:?} is not a semver version",
                    info.min_host_version
                )));
            }
            _ => {}
        }
        output::check_describe(&info, shape.kind).map_err(|reason| self.bad_describe(reason))?;
        Ok(info)
    }

    /// Turns a call's outcome into its result or a named error, and reports what it captured.
    fn finish<R>(
        &self,
        call: Call,
        outcome: Outcome<R>,
        store: &Store<CallState>,
        streams: &Streams,
    ) -> Result<R, PluginError> {
        let state = store.data();
        let plugin = self.name.clone();
        let result = if !state.violations.is_empty() {
            Err(PluginError::PermissionDenied {
                plugin,
                denials: state
                    .violations
                    .iter()
                    .map(|what| Denial::UsedUndeclared { what: what.clone() })
                    .collect(),
            })
        } else {
            match outcome {
                Ok(Ok(value)) => Ok(value),
                Err(Elapsed) => Err(PluginError::TimedOut {
                    plugin,
                    call,
                    limit: self.limits.timeout,
                }),
                Ok(Err(error)) => Err(self.classify(call, error, state, streams)),
            }
        };
        let with_stderr = !matches!(result, Err(PluginError::Trapped { .. }));
        capture::report(
            &self.shared.config.events,
            &self.name,
            &state.logs,
            streams,
            with_stderr,
        );
        result
    }

    fn classify(
        &self,
        call: Call,
        error: wasmtime::Error,
        state: &CallState,
        streams: &Streams,
    ) -> PluginError {
        let plugin = self.name.clone();
        if state.timed_out {
            return PluginError::TimedOut {
                plugin,
                call,
                limit: self.limits.timeout,
            };
        }
        if let Some(requested) = state.limiter.exceeded {
            return PluginError::OutOfMemory {
                plugin,
                call,
                limit: self.limits.memory,
                requested: requested as u64,
            };
        }
        if let Some(stream) = streams.full() {
            return PluginError::BadOutput {
                plugin,
                call,
                problem: OutputProblem::StreamFull {
                    stream,
                    limit: capture::CAPTURE_LIMIT,
                },
            };
        }
        let trap = match (
            error.downcast_ref::<wasmtime::Trap>(),
            error.downcast_ref::<I32Exit>(),
        ) {
            (Some(wasmtime::Trap::StackOverflow), _) => "stack overflow".to_string(),
            // Rust keeps its stack in linear memory: deep recursion runs off its start.
            (Some(wasmtime::Trap::MemoryOutOfBounds), _) => {
                "out-of-bounds memory access (the plugin's stack overflowed, or it used a bad pointer)".to_string()
            }
            (Some(wasmtime::Trap::UnreachableCodeReached), _) => {
                "unreachable code (a panic or abort)".to_string()
            }
            (Some(trap), _) => trap.to_string(),
            (None, Some(I32Exit(status))) => format!("the plugin exited with status {status}"),
            // The root cause, not the error's display: that is wasmtime's multi-line backtrace.
            (None, None) => capture::one_line(&error.root_cause().to_string(), capture::MESSAGE_LIMIT),
        };
        PluginError::Trapped {
            plugin,
            call,
            trap,
            message: streams.stderr_summary(),
        }
    }
}

fn no_cluster() -> Arc<dyn ClusterReader> {
    Arc::new(NoCluster(
        "no API server is reachable from this phase (dry-run, or the control plane is not up yet)"
            .into(),
    ))
}

/// A plugin that passed every load check: run it as often as needed, each call in a fresh
/// sandbox with exactly the declared (and granted) permissions.
pub struct LoadedPlugin {
    plugin: Prepared,
    spec: PluginSpec,
    info: Arc<PluginInfo>,
    grants: Arc<Grants>,
    digest: Digest,
    trust: Trust,
    cache: CacheOutcome,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.spec.name)
            .field("kind", &self.info.kind)
            .field("digest", &self.digest)
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// What `describe` said at load time.
    pub fn describe(&self) -> &PluginInfo {
        &self.info
    }

    pub fn kind(&self) -> PluginKind {
        self.info.kind
    }

    /// The plugin's phase: `preflight/<name>` or `addon/<name>`.
    pub fn phase_path(&self) -> String {
        format!("{}/{}", self.info.kind.world(), self.spec.name)
    }

    pub fn spec(&self) -> &PluginSpec {
        &self.spec
    }

    pub fn limits(&self) -> &EffectiveLimits {
        &self.plugin.limits
    }

    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Whether the component came from the compile cache.
    pub fn cache(&self) -> &CacheOutcome {
        &self.cache
    }

    /// Creates an instance in a fresh sandbox and drops it: the cost every call pays first.
    pub fn instantiate(&self) -> Result<(), PluginError> {
        let p = &self.plugin;
        let (mut store, streams) = p.store(self.grants.clone(), no_cluster())?;
        let outcome = match &p.pre {
            WorldPre::Preflight(pre) => p.shared.engine.block_on(p.limits.timeout, async {
                pre.instantiate_async(&mut store).await.map(drop)
            }),
            WorldPre::Addon(pre) => p.shared.engine.block_on(p.limits.timeout, async {
                pre.instantiate_async(&mut store).await.map(drop)
            }),
        };
        p.finish(Call::Instantiate, outcome, &store, &streams)
    }

    fn wrong_world(&self, wanted: PluginKind) -> PluginError {
        PluginError::NotAPlugin {
            plugin: self.spec.name.clone(),
            file: PathBuf::from(&self.spec.name),
            reason: format!(
                "it is {} plugin, not {} plugin",
                article(self.info.kind),
                article(wanted)
            ),
        }
    }

    /// Runs a preflight plugin's checks with its configured parameters.
    pub fn run_preflight(&self) -> Result<Vec<Finding>, PluginError> {
        let p = &self.plugin;
        let WorldPre::Preflight(pre) = &p.pre else {
            return Err(self.wrong_world(PluginKind::Preflight));
        };
        let (mut store, streams) = p.store(self.grants.clone(), no_cluster())?;
        let params = &self.spec.parameters.0;
        let outcome = p.shared.engine.block_on(p.limits.timeout, async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance.call_run(&mut store, params).await
        });
        let findings = p
            .finish(Call::Run, outcome, &store, &streams)?
            .map_err(|message| PluginError::Failed {
                plugin: self.spec.name.clone(),
                call: Call::Run,
                message: capture::one_line(&message, capture::MESSAGE_LIMIT),
            })?;
        output::findings(&self.spec.name, &self.info, findings)
    }

    /// Renders an addon for `cluster` with its configured parameters; `reader` answers its
    /// cluster reads. The manifests are validated against the declared, granted scopes.
    pub fn render_addon(
        &self,
        cluster: &ClusterView,
        reader: Arc<dyn ClusterReader>,
    ) -> Result<Vec<Manifest>, PluginError> {
        let p = &self.plugin;
        let WorldPre::Addon(pre) = &p.pre else {
            return Err(self.wrong_world(PluginKind::Addon));
        };
        let (mut store, streams) = p.store(self.grants.clone(), reader)?;
        let params = &self.spec.parameters.0;
        let view = cluster.into();
        let outcome = p.shared.engine.block_on(p.limits.timeout, async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance.call_render(&mut store, &view, params).await
        });
        let manifests = p
            .finish(Call::Render, outcome, &store, &streams)?
            .map_err(|message| PluginError::Failed {
                plugin: self.spec.name.clone(),
                call: Call::Render,
                message: capture::one_line(&message, capture::MESSAGE_LIMIT),
            })?;
        let apply: Vec<_> = self
            .info
            .permissions
            .iter()
            .filter_map(|r| match &r.permission {
                Permission::ClusterApply(scope) => Some(scope.clone()),
                _ => None,
            })
            .collect();
        output::manifests(&self.spec.name, &apply, &p.limits, manifests)
    }
}

fn article(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Preflight => "a preflight",
        PluginKind::Addon => "an addon",
    }
}
