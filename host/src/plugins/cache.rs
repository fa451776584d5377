//! The compile cache: components precompiled by this host into a directory only it may
//! write (owned by our user, mode 0700), keyed by the wasm's sha256 and the engine's
//! compatibility hash. Each `.cwasm` has a sidecar with its own sha256; an entry whose owner,
//! mode or digest is off is never loaded, only compiled again.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::integrity::Digest;

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

    fn sidecar(entry: &Path) -> PathBuf {
        entry.with_extension("cwasm.sha256")
    }

    /// The component of `wasm` (whose sha256 is `digest`): from a verified entry, or compiled
    /// now and stored. A storage failure only costs the next run a compile.
    pub fn load(
        &self,
        engine: &Engine,
        engine_key: &str,
        wasm: &[u8],
        digest: &Digest,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let entry = self.entry_path(digest, engine_key);
        let outcome = match self.verify(&entry) {
            Ok(true) => match deserialize_own(engine, Own::VerifiedEntry(&entry)) {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => CacheOutcome::Recompiled {
                    reason: format!("wasmtime refused it: {e}"),
                },
            },
            Ok(false) => CacheOutcome::Compiled,
            Err(reason) => CacheOutcome::Recompiled { reason },
        };
        let compiled = engine.precompile_component(wasm)?;
        let component = deserialize_own(engine, Own::Compiled(&compiled))?;
        let _ = fs::remove_file(Self::sidecar(&entry));
        if self.store(&entry, &compiled).is_err() {
            let _ = fs::remove_file(&entry);
        }
        Ok((component, outcome))
    }

    /// `Ok(false)` when there is no entry, `Ok(true)` when it is ours and unchanged, and
    /// `Err(reason)` when it exists but must not be loaded.
    fn verify(&self, entry: &Path) -> Result<bool, String> {
        let meta = match fs::symlink_metadata(entry) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(format!("cannot stat it: {e}")),
        };
        self.check_file(&meta)?;
        let sidecar = Self::sidecar(entry);
        let sidecar_meta = fs::symlink_metadata(&sidecar)
            .map_err(|e| format!("its digest file is unreadable: {e}"))?;
        self.check_file(&sidecar_meta)?;
        let want = fs::read_to_string(&sidecar)
            .map_err(|e| format!("its digest file is unreadable: {e}"))?;
        let bytes = fs::read(entry).map_err(|e| format!("cannot read it: {e}"))?;
        let have = Digest::of(&bytes);
        if want.trim() != have.hex() {
            return Err(format!(
                "its sha256 is {have}, but this host wrote {}",
                want.trim()
            ));
        }
        Ok(true)
    }

    fn check_file(&self, meta: &fs::Metadata) -> Result<(), String> {
        if !meta.file_type().is_file() {
            return Err("it is not a regular file".into());
        }
        if meta.uid() != self.euid {
            return Err(format!(
                "it is owned by uid {}, not by this user",
                meta.uid()
            ));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(format!(
                "its mode is {:04o}, not 0600",
                meta.mode() & 0o7777
            ));
        }
        Ok(())
    }

    /// Writes the entry, then its digest file, each atomically (temporary file, fsync, rename).
    fn store(&self, entry: &Path, compiled: &[u8]) -> std::io::Result<()> {
        write_atomic(entry, compiled)?;
        write_atomic(&Self::sidecar(entry), Digest::of(compiled).hex().as_bytes())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Unique per process and call, so concurrent loads of one plugin never share a file.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Precompiled code this host produced: just now in memory, or an entry that
/// `CompileCache::verify` has just accepted.
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
    // and its sha256 equals the one this host wrote beside it after compiling; wasmtime
    // itself rejects the output of other versions or engine settings.
    unsafe {
        match code {
            Own::Compiled(bytes) => Component::deserialize(engine, bytes),
            Own::VerifiedEntry(path) => Component::deserialize_file(engine, path),
        }
    }
}
