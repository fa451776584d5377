//! Files the compile cache wrote, each sealed by a sidecar `<file>.sha256`: the sha256 this
//! host wrote it with and, once a load has verified it and it has settled, its stamp (device,
//! inode, size, mtime, ctime). Any write, replacement or chmod gives a file a new ctime, which
//! no process can set back, so a file with its recorded stamp is unchanged without reading it;
//! any other stamp costs a full sha256.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::integrity::Digest;

/// How old a file's ctime must be before its stamp is recorded: timestamps come from a coarse
/// clock, so a write in the same tick as the verified one could leave the ctime as it was.
pub const SETTLED: Duration = Duration::from_secs(2);

/// What identifies one version of a file without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    pub fn of(meta: &fs::Metadata) -> Self {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether the last change is old enough that a later one would show in the ctime.
    fn settled(&self, now: SystemTime) -> bool {
        let (Ok(secs), Ok(nanos)) = (u64::try_from(self.ctime.0), u32::try_from(self.ctime.1))
        else {
            return false;
        };
        let changed = UNIX_EPOCH + Duration::new(secs, nanos);
        now.duration_since(changed).is_ok_and(|age| age >= SETTLED)
    }

    fn line(&self) -> String {
        format!(
            "stamp {} {} {} {}.{:09} {}.{:09}",
            self.dev, self.ino, self.size, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let time = |s: &str| {
            let (secs, nanos) = s.split_once('.')?;
            Some((secs.parse().ok()?, nanos.parse().ok()?))
        };
        let mut words = line.strip_prefix("stamp ")?.split(' ');
        let stamp = Stamp {
            dev: words.next()?.parse().ok()?,
            ino: words.next()?.parse().ok()?,
            size: words.next()?.parse().ok()?,
            mtime: time(words.next()?)?,
            ctime: time(words.next()?)?,
        };
        words.next().is_none().then_some(stamp)
    }
}

/// The seal of `file`.
pub fn sidecar(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Writes `bytes` to `path`, then its seal; until the seal is written the file cannot load.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let seal = sidecar(path);
    match fs::remove_file(&seal) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    write_atomic(path, bytes)?;
    // A fresh file's stamp has not settled: the first load that verifies it records it.
    write_atomic(&seal, format!("{}\n", Digest::of(bytes).hex()).as_bytes())
}

/// A sealed file found unchanged.
pub struct Verified {
    /// What the file looked like when verified.
    pub stamp: Stamp,
    /// Its contents, when the caller asked for them.
    pub contents: Option<Vec<u8>>,
}

/// Checks `path` and its seal: both regular files owned by `owner`, closed to everyone else,
/// and the file's contents the ones the seal records. `Ok(None)` when there is no file, `Err`
/// with the reason when it must not be used. With `read`, the contents are always read,
/// hashed and returned; without, a recorded stamp that still matches spares reading them.
pub fn verify(
    path: &Path,
    owner: u32,
    read: bool,
    now: SystemTime,
) -> Result<Option<Verified>, String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot stat it: {e}")),
    };
    check_file(&meta, owner)?;
    let seal_path = sidecar(path);
    let unreadable = |e: std::io::Error| format!("its digest file is unreadable: {e}");
    check_file(
        &fs::symlink_metadata(&seal_path).map_err(unreadable)?,
        owner,
    )?;
    let seal = fs::read_to_string(&seal_path).map_err(unreadable)?;
    let mut lines = seal.lines();
    let want = lines.next().unwrap_or_default().trim();
    let recorded = lines.next().and_then(Stamp::parse);
    // Taken before reading: a write after it shows as a different stamp at the next load.
    let stamp = Stamp::of(&meta);
    if !read && recorded.as_ref() == Some(&stamp) {
        return Ok(Some(Verified {
            stamp,
            contents: None,
        }));
    }
    let bytes = fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let have = Digest::of(&bytes);
    if want != have.hex() {
        return Err(format!("its sha256 is {have}, but this host wrote {want}"));
    }
    if !read && stamp.settled(now) {
        // Best effort: without the stamp the next load only hashes the file again.
        let _ = write_atomic(&seal_path, format!("{want}\n{}\n", stamp.line()).as_bytes());
    }
    Ok(Some(Verified {
        stamp,
        contents: read.then_some(bytes),
    }))
}

/// What `path` looks like now, if it is there.
pub fn stamp(path: &Path) -> Option<Stamp> {
    fs::symlink_metadata(path).ok().map(|meta| Stamp::of(&meta))
}

/// Whether `path` is still the file `verify` saw.
pub fn unchanged(path: &Path, stamp: &Stamp) -> bool {
    self::stamp(path).as_ref() == Some(stamp)
}

fn check_file(meta: &fs::Metadata, owner: u32) -> Result<(), String> {
    if !meta.file_type().is_file() {
        return Err("it is not a regular file".into());
    }
    if meta.uid() != owner {
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

/// Writes through a temporary file (mode 0600, fsynced) renamed over `path`.
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

#[cfg(test)]
mod tests;
