//! The node root: every file the tool reads or writes on the node goes through one
//! cap-std directory handle (`/`, `--rootfs DIR`, or a temporary directory for `--dry-run`).
//! A writable root is locked for as long as it is open, and every write survives a kill or a
//! power loss at any point: the old file or the new one, never a part, never a stray copy.
//!
//! Durability: a file's content is synced before its name points to it, always. The directory
//! entries (new names, renames, new directories) are synced once per changed directory by
//! [`NodeRoot::sync`] at the end of a run (or when the root is dropped), not after every change:
//! until then a power loss may take back a change, leaving the old file (or none), which is
//! still whole, and a re-run redoes it. kubeadm itself syncs nothing.

mod lock;
mod remove;

use std::collections::BTreeSet;
use std::io::Write;
use std::os::fd::AsRawFd as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, DirBuilder, OpenOptions, Permissions};
use cap_std::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};

use crate::events::{Event, Events};
use lock::RootLock;

/// An I/O failure on a node path, naming the path as the node sees it.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct NodeError {
    pub action: &'static str,
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Where node files live, and how writes are reported.
pub struct NodeRoot {
    dir: Dir,
    host_path: PathBuf,
    events: Events,
    access: Access,
    /// Directories (relative; empty for the root) whose entries changed since the last sync.
    unsynced: Mutex<BTreeSet<PathBuf>>,
}

/// What a root may do, and what keeps it safe to.
enum Access {
    /// The writer's lock, released (and its journal removed) when the root is dropped.
    Locked(RootLock),
    /// A fresh dry-run directory no other run knows of, removed when the root is dropped
    /// unless kept.
    Temporary(Option<tempfile::TempDir>),
    /// Reads only, for commands that change nothing on the node; they need no lock.
    ReadOnly,
}

/// Turns an absolute node path into one relative to the root; `..` is refused.
fn relative(path: &Path) -> Result<PathBuf, NodeError> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(p) => out.push(p),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(NodeError {
                    action: "resolve",
                    path: path.display().to_string(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "node paths may not contain '..'",
                    ),
                });
            }
        }
    }
    Ok(out)
}

impl NodeRoot {
    /// Opens `dir` (which must exist) as the node root to write to, taking its lock: a second
    /// run into the same root fails here, naming the holder's pid. Temporary files a killed
    /// run left behind are removed.
    pub fn open(dir: impl AsRef<Path>, events: Events) -> Result<Self, NodeError> {
        let mut root = NodeRoot::open_read_only(dir, events)?;
        let failed = |source| NodeError {
            action: "lock node root",
            path: root.host_path.display().to_string(),
            source,
        };
        let (lock, leftovers) = RootLock::acquire(&root.dir).map_err(failed)?;
        root.access = Access::Locked(lock);
        let Some(left) = leftovers else {
            return Ok(root);
        };
        for temp in &left.paths {
            match root.dir.remove_file(temp) {
                Ok(()) => root.events.info(format!(
                    "[node] Removed /{}, left by an interrupted run (pid {})",
                    temp.display(),
                    left.pid
                )),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(NodeError {
                        action: "remove leftover",
                        path: Path::new("/").join(temp).display().to_string(),
                        source,
                    });
                }
            }
        }
        Ok(root)
    }

    /// Opens `dir` (which must exist) for reading only: no lock is taken and writes are refused.
    pub fn open_read_only(dir: impl AsRef<Path>, events: Events) -> Result<Self, NodeError> {
        let host_path = dir.as_ref().to_path_buf();
        let d =
            Dir::open_ambient_dir(&host_path, ambient_authority()).map_err(|source| NodeError {
                action: "open node root",
                path: host_path.display().to_string(),
                source,
            })?;
        Ok(NodeRoot {
            dir: d,
            host_path,
            events,
            access: Access::ReadOnly,
            unsynced: Mutex::default(),
        })
    }

    /// A fresh, empty root in a temporary directory, removed when dropped (for `--dry-run`).
    pub fn temporary(prefix: &str, events: Events) -> Result<Self, NodeError> {
        let temp = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|source| NodeError {
                action: "create dry-run directory",
                path: std::env::temp_dir().display().to_string(),
                source,
            })?;
        let mut root = NodeRoot::open_read_only(temp.path(), events)?;
        root.access = Access::Temporary(Some(temp));
        Ok(root)
    }

    /// Keeps the temporary directory on disk after the root is dropped.
    pub fn keep(&mut self) {
        if let Access::Temporary(t) = &mut self.access
            && let Some(t) = t.take()
        {
            let _ = t.keep();
        }
    }

    /// Where the root lives on the host.
    pub fn host_path(&self) -> &Path {
        &self.host_path
    }

    /// The host path of a node path (for tools that need a real path, like the tests).
    pub fn resolve(&self, path: impl AsRef<Path>) -> Result<PathBuf, NodeError> {
        Ok(self.host_path.join(relative(path.as_ref())?))
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    fn err<'a>(
        action: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> NodeError + 'a {
        move |source| NodeError {
            action,
            path: path.display().to_string(),
            source,
        }
    }

    pub fn exists(&self, path: impl AsRef<Path>) -> Result<bool, NodeError> {
        let path = path.as_ref();
        self.dir
            .try_exists(relative(path)?)
            .map_err(Self::err("check", path))
    }

    /// Reads a file, or `None` if it does not exist.
    pub fn read(&self, path: impl AsRef<Path>) -> Result<Option<Vec<u8>>, NodeError> {
        let path = path.as_ref();
        match self.dir.read(relative(path)?) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::err("read", path)(e)),
        }
    }

    /// The entries of a directory, sorted; empty if it does not exist.
    pub fn list(&self, path: impl AsRef<Path>) -> Result<Vec<String>, NodeError> {
        let path = path.as_ref();
        let rel = relative(path)?;
        let rd = match if rel.as_os_str().is_empty() {
            self.dir.entries()
        } else {
            self.dir.read_dir(&rel)
        } {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::err("list", path)(e)),
        };
        let mut names = Vec::new();
        for entry in rd {
            let entry = entry.map_err(Self::err("list", path))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    /// Creates a directory and its parents with `mode` (existing ones are left as they are);
    /// each new directory's parent is synced by the next [`NodeRoot::sync`].
    pub fn create_dir_all(&self, path: impl AsRef<Path>, mode: u32) -> Result<(), NodeError> {
        let path = path.as_ref();
        let rel = relative(path)?;
        self.writable(path)?;
        let mut b = DirBuilder::new();
        b.mode(mode);
        let mut dir = PathBuf::new();
        for c in rel.components() {
            let parent = dir.clone();
            dir.push(c);
            match self.dir.create_dir_with(&dir, &b) {
                Ok(()) => self.changed(&parent),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !self.dir.metadata(&dir).is_ok_and(|m| m.is_dir()) {
                        return Err(Self::err("create directory", path)(e));
                    }
                }
                Err(e) => return Err(Self::err("create directory", path)(e)),
            }
        }
        Ok(())
    }

    /// Refuses writes through a read-only root.
    fn writable(&self, path: &Path) -> Result<(), NodeError> {
        match self.access {
            Access::ReadOnly => Err(Self::err("write", path)(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the node root was opened read-only",
            ))),
            Access::Locked(_) | Access::Temporary(_) => Ok(()),
        }
    }

    /// Notes that the entries of directory `rel` changed, for the next [`NodeRoot::sync`].
    fn changed(&self, rel: &Path) {
        self.unsynced
            .lock()
            .expect("the unsynced directories")
            .insert(rel.to_path_buf());
    }

    /// Makes every directory entry changed through this root so far durable, syncing each
    /// changed directory once (parents first). One sync per directory at the end of a run
    /// instead of one per change: a whole `init` changes six directories through some forty
    /// names, and each sync waits for the disk.
    pub fn sync(&self) -> Result<(), NodeError> {
        let mut unsynced = self.unsynced.lock().expect("the unsynced directories");
        while let Some(dir) = unsynced.pop_first() {
            match self.sync_dir(&dir, &Path::new("/").join(&dir)) {
                // Removed since (its parent's entry records that): nothing left to sync.
                Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
        Ok(())
    }

    /// Makes the entries of directory `rel` (a rename or a new child) durable.
    fn sync_dir(&self, rel: &Path, shown: &Path) -> Result<(), NodeError> {
        let target = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        let mut opts = OpenOptions::new();
        opts.read(true)
            .custom_flags(rustix::fs::OFlags::DIRECTORY.bits() as i32);
        self.dir
            .open_with(target, &opts)
            .and_then(|d| d.sync_all())
            .map_err(Self::err("sync directory of", shown))
    }

    /// Writes a file atomically with `mode`, creating parent directories 0755; the content is
    /// synced before the name points to it, the directory by the next [`NodeRoot::sync`]. A new
    /// file is written unnamed and linked into place whole ([`NodeRoot::link_new`]); a file
    /// that is replaced goes through a temporary file renamed over it. A file whose content and
    /// mode already match is left alone. The file is created with `mode` (a key's is 0600 from
    /// its first byte); a temporary one is in the lock's journal before it exists, so a killed
    /// run's copy is removed.
    pub fn write(
        &self,
        path: impl AsRef<Path>,
        contents: &[u8],
        mode: u32,
    ) -> Result<(), NodeError> {
        let path = path.as_ref();
        let rel = relative(path)?;
        self.writable(path)?;
        if let Ok(meta) = self.dir.metadata(&rel)
            && meta.permissions().mode() & 0o7777 == mode
            && self.dir.read(&rel).is_ok_and(|old| old == contents)
        {
            self.report(path, mode, contents.len(), true);
            return Ok(());
        }
        let parent = rel.parent().unwrap_or(Path::new(""));
        if !parent.as_os_str().is_empty() {
            self.create_dir_all(Path::new("/").join(parent), 0o755)?;
        }
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !self.dir.exists(&rel) {
            let linked = self
                .link_new(parent, &name, contents, mode)
                .map_err(Self::err("write", path))?;
            if linked {
                self.changed(parent);
                self.report(path, mode, contents.len(), false);
                return Ok(());
            }
        }
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if let Access::Locked(lock) = &self.access {
            lock.record(&tmp).map_err(Self::err("journal", path))?;
        }
        let write = || -> std::io::Result<()> {
            // A file already at the temporary name is a killed run's (pids repeat): never
            // open it, it may be a link to somewhere else.
            match self.dir.remove_file(&tmp) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true).mode(mode);
            let mut f = self.dir.open_with(&tmp, &opts)?;
            f.set_permissions(Permissions::from_mode(mode))?;
            f.write_all(contents)?;
            f.sync_all()?;
            self.dir.rename(&tmp, &self.dir, &rel)
        };
        if let Err(e) = write() {
            let _ = self.dir.remove_file(&tmp);
            return Err(Self::err("write", path)(e));
        }
        self.changed(parent);
        self.report(path, mode, contents.len(), false);
        Ok(())
    }

    /// Writes a new file as an unnamed one (`O_TMPFILE`) in directory `parent`, syncs it, then
    /// links it at `name`: the name appears with the whole content or not at all, and a run
    /// killed before the link leaves nothing, so there is no temporary name to journal (and to
    /// sync the journal for). `Ok(false)` when this cannot be done here (a filesystem without
    /// `O_TMPFILE`, no `/proc` to link through, or `name` appeared meanwhile): the caller falls
    /// back to a temporary name.
    fn link_new(
        &self,
        parent: &Path,
        name: &str,
        contents: &[u8],
        mode: u32,
    ) -> std::io::Result<bool> {
        use rustix::fs::{AtFlags, CWD, Mode, OFlags};
        use rustix::io::Errno;
        let dir = if parent.as_os_str().is_empty() {
            self.dir.try_clone()?
        } else {
            self.dir.open_dir(parent)?
        };
        let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
        let mut file = match rustix::fs::openat(&dir, ".", flags, Mode::from_raw_mode(mode)) {
            Ok(fd) => std::fs::File::from(fd),
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        // The mode asked for exactly, whatever the umask.
        rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        // Linking an open file by its /proc name needs no privilege (AT_EMPTY_PATH would).
        let open_file = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rustix::fs::linkat(CWD, open_file.as_str(), &dir, name, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => Ok(true),
            Err(Errno::EXIST | Errno::NOENT | Errno::XDEV | Errno::PERM | Errno::ACCESS) => {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reports that an existing file was checked and kept.
    pub fn report_kept(&self, path: impl AsRef<Path>) -> Result<(), NodeError> {
        let path = path.as_ref();
        let meta = self
            .dir
            .metadata(relative(path)?)
            .map_err(Self::err("stat", path))?;
        self.report(
            path,
            meta.permissions().mode() & 0o7777,
            meta.len() as usize,
            true,
        );
        Ok(())
    }

    fn report(&self, path: &Path, mode: u32, bytes: usize, reused: bool) {
        self.events.emit(Event::FileWritten {
            path: path.display().to_string(),
            mode,
            bytes,
            reused,
        });
    }

    /// The permission bits of a node file, if it exists.
    pub fn mode(&self, path: impl AsRef<Path>) -> Result<Option<u32>, NodeError> {
        let path = path.as_ref();
        match self.dir.metadata(relative(path)?) {
            Ok(m) => Ok(Some(m.permissions().mode() & 0o7777)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::err("stat", path)(e)),
        }
    }
}

impl Drop for NodeRoot {
    /// A run that ends early (an error, a panic) still leaves what it wrote durable; the lock
    /// (a field, dropped after this) is released only then.
    fn drop(&mut self) {
        if let Err(e) = self.sync() {
            self.events.warn(format!("[node] {e}"));
        }
    }
}

#[cfg(test)]
mod tests;
