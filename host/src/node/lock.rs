//! The writer's lock on a node root: one run writes at a time, and the lock file doubles as a
//! journal of the temporary files the holder has in flight, so the next holder removes what a
//! killed run left behind (they can hold complete private keys).

use std::ffi::OsStr;
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use cap_std::fs::{Dir, MetadataExt as _, OpenOptions, OpenOptionsExt as _};

/// At the top of the node root, so locking creates no directory; removed when the holder is done.
pub(super) const LOCK_FILE: &str = ".kubeadm-rs.lock";

/// How long a refused run waits for a holder that has just created the lock file to write its pid.
const PID_WAIT: Duration = Duration::from_millis(200);

/// An exclusive `flock` on the lock file, held until dropped.
pub(super) struct RootLock {
    dir: Dir,
    file: Mutex<std::fs::File>,
}

/// The temporary files a killed run left, taken from its journal.
pub(super) struct Leftovers {
    pub pid: u32,
    pub paths: Vec<PathBuf>,
}

impl RootLock {
    /// Takes the lock on `dir`, or fails at once naming the holder's pid. Returns the leftovers
    /// of a previous holder that was killed (its journal was never removed).
    pub(super) fn acquire(dir: &Dir) -> io::Result<(Self, Option<Leftovers>)> {
        // A holder removes the file on release; one we opened just before that is stale, so
        // the lock is only ours once the path still names the file we locked.
        for _ in 0..8 {
            let mut opts = OpenOptions::new();
            opts.read(true).write(true).create(true).mode(0o600);
            let file = dir.open_with(LOCK_FILE, &opts)?.into_std();
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Err(held_by(file)),
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
            let locked = file.metadata()?;
            let current = match dir.symlink_metadata(LOCK_FILE) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if (current.dev(), current.ino()) != (locked.dev(), locked.ino()) {
                continue;
            }
            let leftovers = journal(&file)?;
            // The pid goes over the old one before the rest is cut, so a reader never sees none.
            let header = format!("{}\n", std::process::id());
            file.write_all_at(header.as_bytes(), 0)?;
            file.set_len(header.len() as u64)?;
            let lock = RootLock {
                dir: dir.try_clone()?,
                file: Mutex::new(file),
            };
            return Ok((lock, leftovers));
        }
        Err(io::Error::other(format!(
            "{LOCK_FILE} keeps being replaced while locking it"
        )))
    }

    /// Notes a temporary file before it is created, durably, so a kill cannot hide it.
    pub(super) fn record(&self, temp: &Path) -> io::Result<()> {
        let mut entry = temp.as_os_str().as_bytes().to_vec();
        entry.push(0);
        let mut file = self.file.lock().expect("node root lock file");
        file.seek(SeekFrom::End(0))?;
        file.write_all(&entry)?;
        file.sync_data()
    }
}

impl Drop for RootLock {
    /// A clean end: nothing is in flight, so the journal goes; the lock is released when the
    /// file is closed right after.
    fn drop(&mut self) {
        let _ = self.dir.remove_file(LOCK_FILE);
    }
}

/// The "locked" error, naming the pid the holder wrote into the file.
fn held_by(mut file: std::fs::File) -> io::Error {
    let started = std::time::Instant::now();
    let pid = loop {
        let mut text = String::new();
        let _ = file.seek(SeekFrom::Start(0));
        let _ = file.read_to_string(&mut text);
        match text.split_once('\n').map(|(pid, _)| pid.trim().to_string()) {
            Some(pid) if !pid.is_empty() => break pid,
            _ if started.elapsed() >= PID_WAIT => break "unknown".to_string(),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    io::Error::new(
        io::ErrorKind::WouldBlock,
        format!(
            "another kubeadm-rs run (pid {pid}) is writing to this node root; \
             wait for it to finish, then run again"
        ),
    )
}

/// The temporary files in a killed holder's journal: `PID\n` then NUL-terminated paths. Only
/// paths that name that holder's temporary files inside the root are returned.
fn journal(mut file: &std::fs::File) -> io::Result<Option<Leftovers>> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let Some(end) = bytes.iter().position(|b| *b == b'\n') else {
        return Ok(None);
    };
    let Ok(pid) = std::str::from_utf8(&bytes[..end])
        .unwrap_or_default()
        .parse::<u32>()
    else {
        return Ok(None);
    };
    let suffix = format!(".tmp-{pid}");
    let paths = bytes[end + 1..]
        .split(|b| *b == 0)
        .map(|entry| PathBuf::from(OsStr::from_bytes(entry)))
        .filter(|path| {
            path.components().all(|c| matches!(c, Component::Normal(_)))
                && path.file_name().is_some_and(|name| {
                    let name = name.to_string_lossy();
                    name.starts_with('.') && name.ends_with(&suffix)
                })
        })
        .collect();
    Ok(Some(Leftovers { pid, paths }))
}
