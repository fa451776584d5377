//! Files the compile cache wrote, each sealed by a sidecar `<file>.sha256`: the sha256 this
//! host wrote it with, once a load has verified it and it has settled its stamp (device,
//! inode, size, mtime, ctime), and a MAC over both and what the file is (the wasm digest and
//! engine it was compiled for), made with a key only this host's user can read. A seal copied
//! from another entry, or rewritten over edited code, fails the MAC. Any write, replacement or
//! chmod gives a file a new ctime, which no unprivileged process can set back, so a file with
//! its MACed stamp is unchanged without reading it; any other stamp costs a full sha256.

use std::fs;
use std::io::{Read as _, Write};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;

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
    pub fn settled(&self, now: SystemTime) -> bool {
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

/// What a seal vouches for: the file's purpose and origin (`cwasm <wasm digest> <engine>`),
/// under the cache's key.
pub struct Binding<'a> {
    pub key: &'a hmac::Key,
    pub what: &'a str,
}

impl Binding<'_> {
    /// The seal's text: the digest, the stamp if any, and the MAC over them and `what`.
    pub fn seal(&self, digest: &str, stamp: Option<&Stamp>) -> String {
        let stamp = stamp.map(|s| format!("{}\n", s.line())).unwrap_or_default();
        let mac = hmac::sign(self.key, self.message(digest, &stamp).as_bytes());
        format!("{digest}\n{stamp}mac {}\n", hex::encode(mac.as_ref()))
    }

    fn message(&self, digest: &str, stamp: &str) -> String {
        format!(
            "kubeadm-rs compile cache seal v1\n{}\n{digest}\n{stamp}",
            self.what
        )
    }

    /// Reads a seal: the digest and stamp it records, if its MAC is ours for `what`.
    pub fn open(&self, text: &str) -> Result<(String, Option<Stamp>), String> {
        let mut lines: Vec<&str> = text.lines().collect();
        let forged = || {
            "its seal was not made by this host for this entry (copied, moved or edited)"
                .to_string()
        };
        let mac = lines
            .pop()
            .and_then(|l| l.strip_prefix("mac "))
            .and_then(|m| hex::decode(m).ok())
            .ok_or_else(forged)?;
        let (digest, stamp) = match lines[..] {
            [digest] => (digest, None),
            [digest, stamp] => (digest, Some(stamp)),
            _ => return Err(forged()),
        };
        let stamp_text = stamp.map(|s| format!("{s}\n")).unwrap_or_default();
        hmac::verify(self.key, self.message(digest, &stamp_text).as_bytes(), &mac)
            .map_err(|_| forged())?;
        Ok((digest.to_string(), stamp.and_then(Stamp::parse)))
    }
}

/// Writes `bytes` to `path`, then its seal; until the seal is written the file cannot load.
pub fn write(path: &Path, bytes: &[u8], binding: &Binding<'_>) -> std::io::Result<()> {
    let seal = sidecar(path);
    match fs::remove_file(&seal) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    write_atomic(path, bytes)?;
    // A fresh file's stamp has not settled: the first load that verifies it records it.
    write_atomic(
        &seal,
        binding.seal(&Digest::of(bytes).hex(), None).as_bytes(),
    )
}

/// A sealed file found unchanged.
pub struct Verified {
    /// What the file looked like when verified.
    pub stamp: Stamp,
    /// Its contents, when the caller asked for them.
    pub contents: Option<Vec<u8>>,
}

/// Checks `path` and its seal: both regular files owned by `owner`, closed to everyone else,
/// the seal's MAC made with `binding`, and the file's contents the ones the seal records.
/// `Ok(None)` when there is no file, `Err` with the reason when it must not be used. With
/// `read`, the contents are always read, hashed and returned; without, a MACed stamp that
/// still matches spares reading them.
pub fn verify(
    path: &Path,
    owner: u32,
    read: bool,
    now: SystemTime,
    binding: &Binding<'_>,
) -> Result<Option<Verified>, String> {
    // Read whole, the file is opened and checked through its descriptor: one open instead of a
    // stat, an open and a stat. Stamped, it is only looked at: loading maps it by its path.
    let (meta, bytes) = if read {
        match read_checked(path, owner)
            .map_err(|e| e.unwrap_or_else(|e| format!("cannot read it: {e}")))?
        {
            Some((meta, bytes)) => (meta, Some(bytes)),
            None => return Ok(None),
        }
    } else {
        match fs::symlink_metadata(path) {
            Ok(meta) => {
                check_file(&meta, owner)?;
                (meta, None)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot stat it: {e}")),
        }
    };
    let seal_path = sidecar(path);
    let unreadable = |e: std::io::Error| format!("its digest file is unreadable: {e}");
    let seal = match read_checked(&seal_path, owner).map_err(|e| e.unwrap_or_else(unreadable))? {
        Some((_, seal)) => String::from_utf8(seal).map_err(|_| {
            "its seal was not made by this host for this entry (copied, moved or edited)"
                .to_string()
        })?,
        None => {
            return Err(unreadable(std::io::ErrorKind::NotFound.into()));
        }
    };
    // The MAC is checked on every load, fast path included: it costs one HMAC over a few
    // hundred bytes, and it is what makes the stamp (and so skipping the hash) trustworthy.
    let (want, recorded) = binding.open(&seal)?;
    // Taken before reading: a write after it shows as a different stamp at the next load.
    let stamp = Stamp::of(&meta);
    if !read && recorded.as_ref() == Some(&stamp) {
        return Ok(Some(Verified {
            stamp,
            contents: None,
        }));
    }
    let bytes = match bytes {
        Some(bytes) => bytes,
        None => fs::read(path).map_err(|e| format!("cannot read it: {e}"))?,
    };
    let have = Digest::of(&bytes);
    if want != have.hex() {
        return Err(format!("its sha256 is {have}, but this host wrote {want}"));
    }
    if !read && stamp.settled(now) {
        // Best effort: without the stamp the next load only hashes the file again.
        let _ = write_atomic(&seal_path, binding.seal(&want, Some(&stamp)).as_bytes());
    }
    Ok(Some(Verified {
        stamp,
        contents: read.then_some(bytes),
    }))
}

/// Why `read_checked` refused a file: it must not be used (the reason), or it could not be
/// read (the error).
pub type Refused = Result<String, std::io::Error>;

/// The metadata and bytes of `path`, a file of `owner` that `check_file` accepts, read through
/// one descriptor: opened without following a symlink and without blocking (a FIFO is refused
/// by its type, never waited on). `Ok(None)` when there is no such file.
pub fn read_checked(path: &Path, owner: u32) -> Result<Option<(fs::Metadata, Vec<u8>)>, Refused> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let mut file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // O_NOFOLLOW on a symlink.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(Ok("it is not a regular file".into()));
        }
        Err(e) => return Err(Err(e)),
    };
    let meta = file.metadata().map_err(Err)?;
    check_file(&meta, owner).map_err(Ok)?;
    // One byte more than its size, so that one read normally returns all of it.
    let mut bytes = vec![0; meta.len() as usize + 1];
    let mut filled = 0;
    loop {
        match file.read(&mut bytes[filled..]).map_err(Err)? {
            0 => break,
            n => filled += n,
        }
        if filled < bytes.len() {
            // A short read of a regular file is its end; a file that grew since the stat
            // fills the buffer and is read on.
            if filled == meta.len() as usize {
                break;
            }
        } else {
            bytes.resize(bytes.len() * 2, 0);
        }
    }
    bytes.truncate(filled);
    Ok(Some((meta, bytes)))
}

/// What `path` looks like now, if it is there.
pub fn stamp(path: &Path) -> Option<Stamp> {
    fs::symlink_metadata(path).ok().map(|meta| Stamp::of(&meta))
}

/// Whether `path` is still the file `verify` saw.
pub fn unchanged(path: &Path, stamp: &Stamp) -> bool {
    self::stamp(path).as_ref() == Some(stamp)
}

/// A regular file of `owner` that nobody else may read or write.
pub fn check_file(meta: &fs::Metadata, owner: u32) -> Result<(), String> {
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
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
