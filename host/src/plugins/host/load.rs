//! Loading a plugin: its file against the pin and trusted keys, its component from the
//! compile cache (or compiled), the import audit, the `InstancePre`, `describe` in a sandbox
//! with no grants (or what the cache kept of it), and its permissions against the grants.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use wasmtime::component::Component;

use super::call::{Prepared, WorldPre};
use super::{LoadedPlugin, PluginHost};
use crate::config::plugins::PluginSpec;
use crate::plugins::audit::{self, ComponentShape};
use crate::plugins::bindings::addon::AddonPre;
use crate::plugins::bindings::preflight::PreflightPre;
use crate::plugins::cache::{CacheOutcome, LoadError, Lookup};
use crate::plugins::capture::neutralise;
use crate::plugins::error::PluginError;
use crate::plugins::integrity::{self, Digest, SignatureStatus, Trust, Verification, Wasm};
use crate::plugins::model::{PluginInfo, PluginKind};
use crate::plugins::oci;
use crate::plugins::output;
use crate::plugins::sandbox::{EffectiveLimits, Grants};
use crate::plugins::seal::Stamp;

/// Distinct components kept open at most; a host that sees more starts over.
const MAX_OPENED: usize = 64;

/// A component that passed the static checks, linked, with what its `describe` said: what a
/// second load of the same unchanged cache entry starts from (no deserializing, linking or
/// describe again).
#[derive(Clone)]
pub(super) struct Opened {
    pub(super) shape: ComponentShape,
    pre: WorldPre,
    pub(super) info: Arc<PluginInfo>,
}

impl PluginHost {
    /// Reads and verifies a plugin's file against its pin and the trusted keys. An unsigned
    /// file the compile cache recorded, and that is still as it was then (`seal`'s stamp, on
    /// a filesystem where the stamp stands for the contents), is not read: its recorded sha256
    /// is checked against the pin. Reading and hashing is most of the cost of loading a
    /// cached plugin, and all of it for a large one (a CPython component is tens of MB).
    pub fn verify(&self, spec: &PluginSpec) -> Result<(Wasm, Verification, Trust), PluginError> {
        if let Some(reference) = &spec.source.oci {
            return self.verify_pulled(spec, reference);
        }
        let config = &self.shared.config;
        let file = self.plugin_file(spec);
        let signature_file = self.signature_file(spec);
        let record = std::path::absolute(&file).ok();
        let unsigned = || {
            spec.signature.is_none()
                && matches!(std::fs::symlink_metadata(&signature_file),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound)
        };
        let recorded = record.as_ref().filter(|_| unsigned()).and_then(|record| {
            let stamp = integrity::trusted_stamp(&file)?;
            self.shared.cache.recorded_digest(record, &stamp)
        });
        // What to record once the file is judged: its stamp, when it was read and may be.
        let (wasm, verification, to_record) = match recorded {
            Some(digest) => {
                let verification = Verification {
                    file: file.clone(),
                    digest,
                    signature_file,
                    signature: SignatureStatus::Missing,
                    recorded: true,
                };
                (Wasm::Unread(file), verification, None)
            }
            None => {
                let (bytes, stamp) =
                    integrity::read_plugin_file_stamped(&file).map_err(|source| {
                        PluginError::Io {
                            plugin: spec.name.clone(),
                            action: "read",
                            path: file.clone(),
                            source,
                        }
                    })?;
                let verification = integrity::verify_bytes(
                    &file,
                    &bytes,
                    &signature_file,
                    spec.signature.is_some(),
                    &config.trusted_keys,
                )
                .map_err(signature_unreadable(spec, &signature_file))?;
                (Wasm::Read(bytes), verification, stamp)
            }
        };
        let trust =
            verification.judge(&spec.name, spec.sha256.as_deref(), config.allow_unsigned)?;
        if verification.signature == SignatureStatus::Missing
            && let (Some(record), Some(stamp)) = (record, to_record)
        {
            self.shared.cache.record_digest(
                &record,
                &stamp,
                &verification.digest,
                SystemTime::now(),
            );
        }
        Ok((wasm, verification, trust))
    }

    /// Pulls an `oci://` plugin (from the pull cache when it is digest-pinned and cached) and
    /// verifies its wasm like a file: the `sha256` pin, then the signature named by
    /// `signature` (a local file), else the one in the manifest's annotation.
    fn verify_pulled(
        &self,
        spec: &PluginSpec,
        reference: &str,
    ) -> Result<(Wasm, Verification, Trust), PluginError> {
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
                .map_err(signature_unreadable(spec, &signature_file))?
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
                recorded: false,
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
        Ok((Wasm::Read(pulled.wasm), verification, trust))
    }

    pub(super) fn admit(
        &self,
        spec: &PluginSpec,
        wasm: &Wasm,
        verification: Verification,
        trust: Trust,
    ) -> Result<LoadedPlugin, PluginError> {
        let file = verification.file.clone();
        let limits = EffectiveLimits::of(&spec.limits);
        let (opened, cache) = self.open(&spec.name, &file, wasm, &verification.digest, &limits)?;
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

    /// The opened component of a plugin file (`wasm`, with sha256 `digest`): the one this
    /// host opened before when the cache entry is still the file it came from, else from the
    /// compile cache, linked and described (`describe` runs with `limits`).
    pub(super) fn open(
        &self,
        plugin: &str,
        file: &Path,
        wasm: &Wasm,
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
        let (component, cache, stamp) = self.compile(plugin, file, wasm, digest, found)?;
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
        wasm: &Wasm,
        digest: &Digest,
        found: Lookup,
    ) -> Result<(Component, CacheOutcome, Option<Stamp>), PluginError> {
        let shared = &self.shared;
        let (component, outcome, stamp) = shared
            .cache
            .load(
                &shared.engine.engine,
                &shared.engine_key,
                wasm,
                digest,
                found,
            )
            .map_err(|e| match e {
                LoadError::Read(source) => PluginError::Io {
                    plugin: plugin.to_string(),
                    action: "read",
                    path: file.to_path_buf(),
                    source,
                },
                LoadError::Compile(e) => PluginError::NotAPlugin {
                    plugin: plugin.to_string(),
                    file: file.to_path_buf(),
                    reason: format!("it does not compile as a WebAssembly component: {e}"),
                },
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
                let info = plugin.describe()?;
                shared
                    .cache
                    .store_described(digest, &shared.engine_key, &info);
                info
            }
        };
        check_describe(plugin, shape, info)
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
        let linker = match shape.kind {
            PluginKind::Preflight => engine.preflight(),
            PluginKind::Addon => engine.addon(),
        }
        .map_err(|message| PluginError::Engine {
            plugin: plugin.to_string(),
            message,
        })?;
        let linked = linker.instantiate_pre(component).map_err(link_error)?;
        let pre = match shape.kind {
            PluginKind::Preflight => {
                WorldPre::Preflight(PreflightPre::new(linked).map_err(link_error)?)
            }
            PluginKind::Addon => WorldPre::Addon(AddonPre::new(linked).map_err(link_error)?),
        };
        Ok((shape, pre))
    }
}

/// The error for a signature file of `spec` at `path` that could not be read.
fn signature_unreadable<'a>(
    spec: &'a PluginSpec,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> PluginError + 'a {
    move |source| PluginError::Io {
        plugin: spec.name.clone(),
        action: "read signature",
        path: path.to_path_buf(),
        source,
    }
}

/// Checks what `describe` said against the component and this host; returns it neutralised.
/// The contract's rules see the strings as the plugin wrote them, as the SDK's harness does;
/// what a message shows of them is neutralised.
fn check_describe(
    plugin: &Prepared,
    shape: &ComponentShape,
    raw: PluginInfo,
) -> Result<PluginInfo, PluginError> {
    let bad = |reason: String| plugin.bad_describe(neutralise(&reason, false));
    output::check_describe_sizes(&raw).map_err(bad)?;
    let contract = output::check_describe(&raw, shape.kind);
    let info = raw.neutralised();
    if !audit::wit_compatible(&info.wit_version) {
        return Err(PluginError::WitMismatch {
            plugin: plugin.name.clone(),
            found: info.wit_version,
        });
    }
    if let Some(found) = &shape.wit_version
        && *found != info.wit_version
    {
        return Err(plugin.bad_describe(format!(
            "describe says WIT {}, but the component imports kubeadm-rs:plugin@{found}",
            info.wit_version
        )));
    }
    match (
        audit::semver(&info.min_host_version),
        audit::semver(crate::plugins::HOST_VERSION),
    ) {
        (Some(wanted), Some(ours)) if wanted > ours => {
            return Err(PluginError::HostTooOld {
                plugin: plugin.name.clone(),
                needs: info.min_host_version,
            });
        }
        (None, _) => {
            return Err(plugin.bad_describe(format!(
                "min-host-version {:?} is not a semver version",
                info.min_host_version
            )));
        }
        _ => {}
    }
    contract.map_err(bad)?;
    Ok(info)
}
