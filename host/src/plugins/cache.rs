//! The compile cache: components precompiled by this host into a directory only it may
//! write (owned by our user, mode 0700), keyed by the wasm's sha256 and the engine's
//! compatibility hash, each beside what the component's `describe` said. Every file is sealed
//! (`seal`): one whose owner, mode or contents are off is never used, only made again.

use std::fs;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmtime::Engine;
use wasmtime::component::Component;

use super::integrity::Digest;
use super::seal::{self, Stamp};

/// Where the compile cache lives under the node root when the CLI is not told otherwise.
pub const DEFAULT_CACHE_DIR: &str = "/var/cache/kubeadm-rs/plugins";

/// How a component was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from a verified cache entry.
    Hit,
    /// Not cached yet: compiled and stored.
    Compiled,
    /// The entry was unusable (the reason says why): compiled again and replaced.
    Recompiled { reason: String },
}

/// Why the cache directory itself cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("compile cache {}: {action}: {source}", dir.display())]
    Io {
        dir: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("compile cache {} is owned by uid {owner}, not by this user (uid {euid}); remove it or choose another --plugin-cache-dir", dir.display())]
    NotOurs { dir: PathBuf, owner: u32, euid: u32 },
}

pub struct CompileCache {
    dir: PathBuf,
    euid: u32,
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

impl CompileCache {
    /// Opens (creating it 0700 if needed) the cache directory, which must be ours; a mode
    /// that lets others in is tightened to 0700.
    pub fn open(dir: &Path) -> Result<Self, CacheError> {
        let io = |action| {
            move |source| CacheError::Io {
                dir: dir.to_path_buf(),
                action,
                source,
            }
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io("create"))?;
        let meta = fs::symlink_metadata(dir).map_err(io("stat"))?;
        let euid = euid();
        if !meta.is_dir() || meta.uid() != euid {
            return Err(CacheError::NotOurs {
                dir: dir.to_path_buf(),
                owner: meta.uid(),
                euid,
            });
        }
        if meta.mode() & 0o7777 != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(io("chmod 0700"))?;
        }
        Ok(CompileCache {
            dir: dir.to_path_buf(),
            euid,
        })
    }

    /// The entry of `wasm` for an engine with compatibility key `engine_key`.
    pub fn entry_path(&self, wasm: &Digest, engine_key: &str) -> PathBuf {
        self.dir.join(format!("{wasm}-{engine_key}.cwasm"))
    }

    /// Where what `describe` said about `wasm` is kept.
    pub fn described_path(&self, wasm: &Digest, engine_key: &str) -> PathBuf {
        self.dir.join(format!("{wasm}-{engine_key}.describe.json"))
    }

    /// Checks the entry of `wasm` without loading it.
    pub fn lookup(&self, wasm: &Digest, engine_key: &str) -> Lookup {
        let entry = self.entry_path(wasm, engine_key);
        match seal::verify(&entry, self.euid, false, SystemTime::now()) {
            Ok(Some(verified)) => Lookup::Verified(verified.stamp),
            Ok(None) => Lookup::Missing,
            Err(reason) => Lookup::Unusable(reason),
        }
    }

    /// The component of `wasm` (whose sha256 is `digest`), given what `lookup` found: from
    /// the verified entry, or compiled now and stored. Also the stamp of the entry that now
    /// holds it, if any: a storage failure only costs the next run a compile.
    pub fn load(
        &self,
        engine: &Engine,
        engine_key: &str,
        wasm: &[u8],
        digest: &Digest,
        found: Lookup,
    ) -> wasmtime::Result<(Component, CacheOutcome, Option<Stamp>)> {
        let entry = self.entry_path(digest, engine_key);
        let outcome = match found {
            Lookup::Verified(stamp) => match deserialize_own(engine, Own::VerifiedEntry(&entry)) {
                // Loaded from the path, so the file must still be the one just verified.
                Ok(component) if seal::unchanged(&entry, &stamp) => {
                    return Ok((component, CacheOutcome::Hit, Some(stamp)));
                }
                Ok(_) => CacheOutcome::Recompiled {
                    reason: "it was replaced while it was being loaded".into(),
                },
                Err(e) => CacheOutcome::Recompiled {
                    reason: format!("wasmtime refused it: {e}"),
                },
            },
            Lookup::Missing => CacheOutcome::Compiled,
            Lookup::Unusable(reason) => CacheOutcome::Recompiled { reason },
        };
        let compiled = engine.precompile_component(wasm)?;
        let component = deserialize_own(engine, Own::Compiled(&compiled))?;
        let stamp = match seal::write(&entry, &compiled) {
            Ok(()) => seal::stamp(&entry),
            Err(_) => {
                let _ = fs::remove_file(&entry);
                None
            }
        };
        Ok((component, outcome, stamp))
    }

    /// What `describe` said about `wasm` when this host ran it: `Ok(None)` when nothing is
    /// kept (or it was kept by another host version), `Err(reason)` when the file must not
    /// be used.
    pub fn described<T: DeserializeOwned>(
        &self,
        wasm: &Digest,
        engine_key: &str,
    ) -> Result<Option<T>, String> {
        let path = self.described_path(wasm, engine_key);
        let Some(verified) = seal::verify(&path, self.euid, true, SystemTime::now())? else {
            return Ok(None);
        };
        let record: Described<T> = serde_json::from_slice(&verified.contents.unwrap_or_default())
            .map_err(|e| format!("it is not a describe record: {e}"))?;
        Ok((record.host == super::HOST_VERSION).then_some(record.info))
    }

    /// Keeps what `describe` said about `wasm`; a failure only costs the next load a call.
    pub fn store_described<T: Serialize>(&self, wasm: &Digest, engine_key: &str, info: &T) {
        let path = self.described_path(wasm, engine_key);
        let record = Described {
            host: super::HOST_VERSION.to_string(),
            info,
        };
        if let Ok(json) = serde_json::to_vec(&record)
            && seal::write(&path, &json).is_err()
        {
            let _ = fs::remove_file(&path);
        }
    }
}

/// What the cache holds for one component, found without loading it.
pub enum Lookup {
    /// A verified entry, and what its file looks like now.
    Verified(Stamp),
    Missing,
    /// An entry that must not be loaded, and why.
    Unusable(String),
}

/// A kept `describe` answer and the host version that asked.
#[derive(serde::Serialize, serde::Deserialize)]
struct Described<T> {
    host: String,
    info: T,
}

/// Precompiled code this host produced: just now in memory, or an entry that
/// `seal::verify` has just accepted.
enum Own<'a> {
    Compiled(&'a [u8]),
    VerifiedEntry(&'a Path),
}

#[allow(
    unsafe_code,
    reason = "deserializing precompiled code is unsafe in wasmtime; see the SAFETY note"
)]
fn deserialize_own(engine: &Engine, code: Own<'_>) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires its own precompile output, unchanged. `Compiled` bytes come
    // straight from `precompile_component`. A `VerifiedEntry` is in a directory only our user
    // may write (checked ours and 0700 on open), is a regular file of ours with mode 0600,
    // and `seal::verify` found it as this host wrote it after compiling (its sha256, or the
    // stamp recorded when its sha256 last matched); the caller discards the component if the
    // path no longer holds that file afterwards. wasmtime itself rejects the output of other
    // versions or engine settings.
    unsafe {
        match code {
            Own::Compiled(bytes) => Component::deserialize(engine, bytes),
            Own::VerifiedEntry(path) => Component::deserialize_file(engine, path),
        }
    }
}

#[cfg(test)]
mod tests;
