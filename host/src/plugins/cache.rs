//! The compile cache: components precompiled by this host, keyed by the wasm's sha256 and the
//! engine's compatibility hash, each beside what the component's `describe` said. A `.cwasm` is
//! native code run as this user (root), so nothing anyone else could have written, moved or
//! edited is loaded: the directory and every one above it must be closed to other users (an
//! error naming the fix otherwise, never a quiet chmod), and every file is sealed (`seal`) with
//! a MAC under a key kept beside the directory that binds it to its wasm digest and engine.
//! Nothing is created until the first entry is stored.
//!
//! Beside the entries, a record per plugin file (`<sha256 of its path>.file`, MACed the same
//! way) keeps the file's sha256 with its stamp, so that a file still as it was recorded is not
//! read and hashed again to find its entry and check its pin (see `seal` for why a stamp
//! stands for contents).

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use aws_lc_rs::hmac;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmtime::Engine;
use wasmtime::component::Component;

use super::integrity::{Digest, Wasm};
use super::seal::{self, Binding, Stamp};

/// Where the compile cache lives under the node root when the CLI is not told otherwise.
pub const DEFAULT_CACHE_DIR: &str = "/var/cache/kubeadm-rs/plugins";

/// The length of the cache's MAC key (HMAC-SHA256's block of security).
const KEY_LEN: usize = 32;

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
    /// The directory, or one above it, could be changed by another user.
    #[error("compile cache {}: {problem}; {fix}", dir.display())]
    Unsafe {
        dir: PathBuf,
        problem: String,
        fix: String,
    },
}

/// Whether a cache may be written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheMode {
    /// Entries are stored: what running plugins uses.
    #[default]
    ReadWrite,
    /// Verified entries are used, nothing is created or changed: components missing from it
    /// are compiled in memory. For help text and phase tables, which must not write to the
    /// node root.
    ReadOnly,
}

pub struct CompileCache {
    dir: PathBuf,
    euid: u32,
    mode: CacheMode,
    /// The MAC key, once read (or made by the first store).
    key: OnceLock<hmac::Key>,
    /// What this cache created on disk, so a run that fails can leave nothing new behind.
    created: Mutex<Created>,
}

/// Files and directories one `CompileCache` created.
#[derive(Default)]
struct Created {
    /// Directories made for the first entry, outermost first.
    dirs: Vec<PathBuf>,
    key: Option<PathBuf>,
    /// Entry files (components, describe records and their seals), by wasm digest.
    files: Vec<(Digest, PathBuf)>,
    /// Digests whose plugins were admitted: their entries stay when one plugin's load fails.
    kept: HashSet<Digest>,
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

impl CompileCache {
    /// Checks the cache directory (if it exists) and every directory above it; creates nothing.
    #[cfg(test)]
    pub fn open(dir: &Path) -> Result<Self, CacheError> {
        Self::open_with(dir, CacheMode::ReadWrite)
    }

    /// As `open`, in `mode`.
    pub fn open_with(dir: &Path, mode: CacheMode) -> Result<Self, CacheError> {
        let dir = std::path::absolute(dir).map_err(|source| CacheError::Io {
            dir: dir.to_path_buf(),
            action: "resolve",
            source,
        })?;
        let euid = euid();
        check_tree(&dir, euid)?;
        Ok(CompileCache {
            dir,
            euid,
            mode,
            key: OnceLock::new(),
            created: Mutex::default(),
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

    /// Where the sha256 of the plugin file at `file` (an absolute path) is recorded.
    fn record_path(&self, file: &Path) -> PathBuf {
        let name = Digest::of(file.as_os_str().as_bytes());
        self.dir.join(format!("{name}.file"))
    }

    /// The MAC key, beside the directory rather than in it: outside what the cache's own files
    /// could overwrite, under the same directories `open` checked.
    fn key_path(&self) -> PathBuf {
        let mut name = self.dir.as_os_str().to_owned();
        name.push(".key");
        PathBuf::from(name)
    }

    /// The MAC key: read, made when `make` (the first store), else `Ok(None)` when there is none.
    fn key(&self, make: bool) -> Result<Option<&hmac::Key>, String> {
        if let Some(key) = self.key.get() {
            return Ok(Some(key));
        }
        let path = self.key_path();
        let bad = |problem: String| format!("the cache key {} {problem}", path.display());
        let bytes = match seal::read_checked(&path, self.euid) {
            Ok(Some((_, bytes))) => bytes,
            Err(Ok(reason)) => return Err(bad(format!("is unusable: {reason}"))),
            Err(Err(e)) => return Err(bad(format!("is unreadable: {e}"))),
            Ok(None) if make => {
                let (key, made) =
                    make_key(&path).map_err(|e| bad(format!("cannot be made: {e}")))?;
                if made {
                    self.created().key = Some(path.clone());
                }
                key
            }
            Ok(None) => return Ok(None),
        };
        if bytes.len() != KEY_LEN {
            return Err(bad(format!("is {} bytes, not {KEY_LEN}", bytes.len())));
        }
        let _ = self.key.set(hmac::Key::new(hmac::HMAC_SHA256, &bytes));
        Ok(self.key.get())
    }

    /// Makes the directory (parents 0755, itself 0700) and the key for the first entry, and
    /// checks the directories again now that they exist.
    fn prepare(&self) -> Result<&hmac::Key, String> {
        if self.mode == CacheMode::ReadOnly {
            return Err("the cache is only read here".into());
        }
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let missing: Vec<PathBuf> = self
            .dir
            .ancestors()
            .take_while(|d| fs::symlink_metadata(d).is_err())
            .map(Path::to_path_buf)
            .collect();
        if let Some(parent) = self.dir.parent() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        match fs::DirBuilder::new().mode(0o700).create(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(format!("cannot create {}: {e}", self.dir.display()));
            }
            _ => {}
        }
        self.created()
            .dirs
            .extend(missing.into_iter().rev().filter(|d| d.is_dir()));
        check_tree(&self.dir, self.euid).map_err(|e| e.to_string())?;
        Ok(self.key(true)?.expect("made when missing"))
    }

    fn created(&self) -> std::sync::MutexGuard<'_, Created> {
        // Every change is one push or insert, so a panic elsewhere cannot leave it half-made.
        self.created
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes a sealed file of `wasm`'s entry, remembering it (and its seal) as created.
    fn store(&self, wasm: &Digest, path: &Path, bytes: &[u8], what: &str) -> Result<(), String> {
        let key = self.prepare()?;
        let existed = fs::symlink_metadata(path).is_ok();
        let written = seal::write(path, bytes, &Binding { key, what }).map_err(|e| e.to_string());
        if !existed {
            let mut created = self.created();
            created.files.push((*wasm, path.to_path_buf()));
            created.files.push((*wasm, seal::sidecar(path)));
        }
        written
    }

    /// The plugin of `wasm` was admitted: a later failed load of the same component must not
    /// take its entry away.
    pub fn keep(&self, wasm: &Digest) {
        self.created().kept.insert(*wasm);
    }

    /// Removes the entry files of `wasm` this cache created, unless a plugin of it was
    /// admitted: a plugin that failed to load leaves nothing new behind.
    pub fn forget(&self, wasm: &Digest) {
        let mut created = self.created();
        if created.kept.contains(wasm) {
            return;
        }
        created.files.retain(|(digest, path)| {
            let ours = digest == wasm;
            if ours {
                let _ = fs::remove_file(path);
            }
            !ours
        });
    }

    /// Removes everything this cache created: entries, the key and the directories made for
    /// them (those left empty), for a command that fails before it runs.
    pub fn discard_created(&self) {
        let mut created = self.created();
        for (_, path) in created.files.drain(..) {
            let _ = fs::remove_file(path);
        }
        if let Some(key) = created.key.take() {
            let _ = fs::remove_file(key);
        }
        for dir in created.dirs.drain(..).rev() {
            let _ = fs::remove_dir(dir);
        }
    }

    /// The sha256 recorded for the plugin file at `file` (absolute) when it looked as `stamp`
    /// says it looks now, if this host recorded one.
    pub fn recorded_digest(&self, file: &Path, stamp: &Stamp) -> Option<Digest> {
        let key = self.key(false).ok()??;
        let (digest, recorded) = self.read_record(file, key)?;
        (recorded.as_ref() == Some(stamp)).then_some(digest)
    }

    /// The digest and stamp in the record of the plugin file at `file`, if its MAC is ours.
    fn read_record(&self, file: &Path, key: &hmac::Key) -> Option<(Digest, Option<Stamp>)> {
        let (_, text) = seal::read_checked(&self.record_path(file), self.euid).ok()??;
        let what = file_binding(file);
        let (digest, stamp) = Binding { key, what: &what }
            .open(std::str::from_utf8(&text).ok()?)
            .ok()?;
        Some((Digest::from_hex(&digest)?, stamp))
    }

    /// Records that the plugin file at `file` (absolute), as `stamp` shows it, has sha256
    /// `digest`, once its last change is old enough to show in a later ctime (`now`). Best
    /// effort: without a record the next load reads and hashes the file again. When the file
    /// had another digest before, that component's entries go unless another record names it.
    pub fn record_digest(&self, file: &Path, stamp: &Stamp, digest: &Digest, now: SystemTime) {
        if !stamp.settled(now) {
            return;
        }
        let Ok(key) = self.prepare() else {
            return;
        };
        let path = self.record_path(file);
        let previous = self.read_record(file, key).map(|(digest, _)| digest);
        let what = file_binding(file);
        let record = Binding { key, what: &what }.seal(&digest.hex(), Some(stamp));
        if seal::write_atomic(&path, record.as_bytes()).is_err() {
            return;
        }
        match previous {
            None => self.created().files.push((*digest, path)),
            Some(old) if old != *digest => self.prune(&old),
            Some(_) => {}
        }
    }

    /// Removes the entries of `wasm` (for every engine) once no plugin file record names it:
    /// the file it was compiled from has changed, and a component the cache no longer knows a
    /// file of would only fill the disk (a CPython component's entry is tens of MB). Only an
    /// unneeded compile can come of removing one still wanted.
    fn prune(&self, wasm: &Digest) {
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return;
        };
        let names: Vec<String> = listing
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        let named = names
            .iter()
            .filter(|n| n.ends_with(".file"))
            .any(|n| recorded_in(&self.dir.join(n)) == Some(*wasm));
        if named {
            return;
        }
        let prefix = format!("{wasm}-");
        for name in names.iter().filter(|n| n.starts_with(&prefix)) {
            let _ = fs::remove_file(self.dir.join(name));
        }
    }

    /// Checks the entry of `wasm` without loading it.
    pub fn lookup(&self, wasm: &Digest, engine_key: &str) -> Lookup {
        let entry = self.entry_path(wasm, engine_key);
        let key = match self.key(false) {
            Ok(Some(key)) => key,
            Ok(None) if fs::symlink_metadata(&entry).is_err() => return Lookup::Missing,
            Ok(None) => {
                return Lookup::Unusable(format!(
                    "the cache key {} that sealed it is gone",
                    self.key_path().display()
                ));
            }
            Err(reason) => return Lookup::Unusable(reason),
        };
        let what = entry_binding(wasm, engine_key);
        let binding = Binding { key, what: &what };
        match seal::verify(&entry, self.euid, false, SystemTime::now(), &binding) {
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
        wasm: &Wasm,
        digest: &Digest,
        found: Lookup,
    ) -> Result<(Component, CacheOutcome, Option<Stamp>), LoadError> {
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
        let wasm = wasm.bytes(digest).map_err(LoadError::Read)?;
        let compiled = engine
            .precompile_component(&wasm)
            .map_err(LoadError::Compile)?;
        let component =
            deserialize_own(engine, Own::Compiled(&compiled)).map_err(LoadError::Compile)?;
        if self.mode == CacheMode::ReadOnly {
            return Ok((component, outcome, None));
        }
        let what = entry_binding(digest, engine_key);
        let stamp = match self.store(digest, &entry, &compiled, &what) {
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
        let Some(key) = self.key(false)? else {
            return Ok(None);
        };
        let what = described_binding(wasm, engine_key);
        let binding = Binding { key, what: &what };
        let Some(verified) = seal::verify(&path, self.euid, true, SystemTime::now(), &binding)?
        else {
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
        let what = described_binding(wasm, engine_key);
        if self.mode == CacheMode::ReadWrite
            && let Ok(json) = serde_json::to_vec(&record)
            && self.store(wasm, &path, &json, &what).is_err()
        {
            let _ = fs::remove_file(&path);
        }
    }
}

/// The digest a plugin file record names, MAC unchecked: enough to keep an entry, never to
/// trust one.
fn recorded_in(record: &Path) -> Option<Digest> {
    let text = fs::read_to_string(record).ok()?;
    Digest::from_hex(text.lines().next()?)
}

/// Why `CompileCache::load` has no component.
#[derive(Debug)]
pub enum LoadError {
    /// The plugin file, not read until compiling needed it, could not be read (or changed).
    Read(std::io::Error),
    /// wasmtime does not compile it.
    Compile(wasmtime::Error),
}

/// What a plugin file record vouches for: the sha256 of the file at this path (named by the
/// sha256 of its bytes, as the record's own name is).
fn file_binding(file: &Path) -> String {
    format!("plugin file {}", Digest::of(file.as_os_str().as_bytes()))
}

/// What an entry's seal vouches for: compiled code of this wasm for this engine.
fn entry_binding(wasm: &Digest, engine_key: &str) -> String {
    format!("cwasm {wasm} {engine_key}")
}

fn described_binding(wasm: &Digest, engine_key: &str) -> String {
    format!("describe {wasm} {engine_key}")
}

/// A fresh random key, written beside its path and linked into place: a concurrent run either
/// makes the key or reads the one that won, never half of one. Also whether this call made it.
fn make_key(path: &Path) -> std::io::Result<(Vec<u8>, bool)> {
    let mut key = vec![0u8; KEY_LEN];
    aws_lc_rs::rand::fill(&mut key).map_err(|_| std::io::Error::other("no randomness"))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let linked = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&key)?;
        file.sync_all()?;
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok((key, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((fs::read(path)?, false)),
        Err(e) => Err(e),
    }
}

/// Checks the cache directory, if it exists, and every directory above it, as sshd's
/// StrictModes checks a home: each owned by root or this user and writable by nobody else, or
/// another user could swap the directory or its entries. A sticky directory (`/tmp`) may be
/// writable by all, since others cannot rename or remove what is ours in it. The path as
/// written and the path with symlinks resolved are both checked, so a symlink above the
/// cache counts only if neither it nor where it leads can be changed by others.
pub(super) fn check_tree(dir: &Path, euid: u32) -> Result<(), CacheError> {
    let io = |action| {
        move |source| CacheError::Io {
            dir: dir.to_path_buf(),
            action,
            source,
        }
    };
    match fs::symlink_metadata(dir) {
        Ok(meta) => check_cache_dir(dir, &meta, euid)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("stat")(e)),
    }
    let mut deepest = None;
    for above in dir.ancestors().skip(1) {
        let meta = match fs::symlink_metadata(above) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io("stat a directory above it")(e)),
        };
        deepest.get_or_insert(above);
        if !meta.file_type().is_symlink() {
            check_above(dir, above, &meta, euid)?;
        }
    }
    if let Some(deepest) = deepest {
        let real = fs::canonicalize(deepest).map_err(io("resolve the directories above it"))?;
        for above in real.ancestors() {
            let meta = fs::metadata(above).map_err(io("stat a directory above it"))?;
            check_above(dir, above, &meta, euid)?;
        }
    }
    Ok(())
}

fn check_cache_dir(dir: &Path, meta: &fs::Metadata, euid: u32) -> Result<(), CacheError> {
    let unsafe_dir = |problem: String, fix: String| CacheError::Unsafe {
        dir: dir.to_path_buf(),
        problem,
        fix,
    };
    let shown = dir.display();
    let recreate = format!(
        "remove it (`rm -r {shown}`): kubeadm-rs makes a 0700 directory there when it next compiles"
    );
    if meta.file_type().is_symlink() {
        let target = fs::read_link(dir)
            .map(|t| format!(" to {}", t.display()))
            .unwrap_or_default();
        return Err(unsafe_dir(
            format!(
                "it is a symlink{target}, not a directory; compiled code run as root is only kept where no link decides the place"
            ),
            recreate,
        ));
    }
    if !meta.is_dir() {
        let what = if meta.is_file() {
            "a regular file"
        } else {
            "not a directory"
        };
        return Err(unsafe_dir(
            format!("it is {what}, not a directory"),
            recreate,
        ));
    }
    if meta.uid() != euid {
        return Err(unsafe_dir(
            format!(
                "it is owned by uid {}, not by uid {euid} that runs kubeadm-rs, so that user could replace the compiled code this one runs",
                meta.uid()
            ),
            recreate,
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_dir(
            format!(
                "its mode is {:04o}, so other users could replace the compiled code kubeadm-rs runs",
                meta.mode() & 0o7777
            ),
            format!(
                "make it 0700 (`chmod 0700 {shown}`); entries others wrote then fail their seals and are compiled again"
            ),
        ));
    }
    Ok(())
}

fn check_above(dir: &Path, above: &Path, meta: &fs::Metadata, euid: u32) -> Result<(), CacheError> {
    let unsafe_dir = |problem: String, fix: String| CacheError::Unsafe {
        dir: dir.to_path_buf(),
        problem,
        fix,
    };
    let shown = above.display();
    if meta.uid() != 0 && meta.uid() != euid {
        return Err(unsafe_dir(
            format!(
                "the directory {shown} above it is owned by uid {}, who could swap the cache",
                meta.uid()
            ),
            format!("give it to root (`chown root {shown}`) or keep the cache elsewhere"),
        ));
    }
    let sticky = meta.mode() & 0o1000 != 0;
    if meta.mode() & 0o022 != 0 && !sticky {
        return Err(unsafe_dir(
            format!(
                "the directory {shown} above it has mode {:04o}, so other users could swap the cache",
                meta.mode() & 0o7777
            ),
            format!("close it to writes by others (`chmod go-w {shown}`)"),
        ));
    }
    Ok(())
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
    // may write, under directories only root or we may write (checked on open), is a regular
    // file of ours with mode 0600, and `seal::verify` found a seal MACed with our key for this
    // wasm digest and engine, and the file as that seal records it (its sha256, or the stamp
    // recorded when its sha256 last matched); the caller discards the component if the path
    // no longer holds that file afterwards. wasmtime itself rejects the output of other
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
