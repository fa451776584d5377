//! Removal through the node root, for `reset`: confined to the root like every write. A symbolic
//! link is removed as a link and never followed, so no link can lead a removal outside the root;
//! every removed (or, in dry-run, every would-be removed) entry is an event.

use std::path::{Path, PathBuf};

use super::{NodeError, NodeRoot, relative};
use crate::events::{Event, RemovedKind};

impl NodeRoot {
    /// Removes the file, link or directory (with everything in it) at `path`; a missing path is
    /// not an error. With `dry_run`, nothing is removed and each entry is reported as it would
    /// be. Returns how many entries were (or would be) removed.
    pub fn remove_all(&self, path: impl AsRef<Path>, dry_run: bool) -> Result<usize, NodeError> {
        let path = path.as_ref();
        let rel = relative(path)?;
        if rel.as_os_str().is_empty() {
            return Err(Self::err("remove", path)(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the node root itself is never removed",
            )));
        }
        if !dry_run {
            self.writable(path)?;
        }
        let Some(kind) = self.kind_of(&rel, path)? else {
            return Ok(0);
        };
        let removed = self.remove_entry(&rel, kind, dry_run)?;
        if !dry_run {
            self.changed(rel.parent().unwrap_or(Path::new("")));
        }
        Ok(removed)
    }

    /// Removes everything inside the directory at `path` and keeps the directory, as kubeadm's
    /// `CleanDir`. A missing directory is not an error; a link in its place is not followed
    /// (its target is not ours to empty) and is reported as left alone.
    pub fn clean_dir(&self, path: impl AsRef<Path>, dry_run: bool) -> Result<usize, NodeError> {
        let path = path.as_ref();
        let rel = relative(path)?;
        if !dry_run {
            self.writable(path)?;
        }
        match self.kind_of(&rel, path)? {
            None => return Ok(0),
            Some(RemovedKind::Directory) => {}
            Some(RemovedKind::Symlink) => {
                self.events.warn(format!(
                    "[reset] {} is a symbolic link: its target was not cleaned",
                    path.display()
                ));
                return Ok(0);
            }
            Some(RemovedKind::File) => {
                return Err(Self::err("clean", path)(std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "not a directory",
                )));
            }
        }
        let mut removed = 0;
        for name in self.children(&rel, path)? {
            let child = rel.join(name);
            if let Some(kind) = self.kind_of(&child, &Path::new("/").join(&child))? {
                removed += self.remove_entry(&child, kind, dry_run)?;
            }
        }
        if !dry_run {
            self.changed(&rel);
        }
        Ok(removed)
    }

    /// What is at `rel`, without following a final link; `None` if nothing is.
    fn kind_of(&self, rel: &Path, shown: &Path) -> Result<Option<RemovedKind>, NodeError> {
        match self.dir.symlink_metadata(rel) {
            Ok(m) if m.file_type().is_symlink() => Ok(Some(RemovedKind::Symlink)),
            Ok(m) if m.is_dir() => Ok(Some(RemovedKind::Directory)),
            Ok(_) => Ok(Some(RemovedKind::File)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::err("inspect", shown)(e)),
        }
    }

    fn children(&self, rel: &Path, shown: &Path) -> Result<Vec<PathBuf>, NodeError> {
        let entries = if rel.as_os_str().is_empty() {
            self.dir.entries()
        } else {
            self.dir.read_dir(rel)
        }
        .map_err(Self::err("list", shown))?;
        let mut names = Vec::new();
        for entry in entries {
            names.push(PathBuf::from(
                entry.map_err(Self::err("list", shown))?.file_name(),
            ));
        }
        names.sort();
        Ok(names)
    }

    /// Removes one entry, a directory's contents first; links and files are unlinked.
    fn remove_entry(
        &self,
        rel: &Path,
        kind: RemovedKind,
        dry_run: bool,
    ) -> Result<usize, NodeError> {
        let shown = Path::new("/").join(rel);
        let mut removed = 0;
        match kind {
            RemovedKind::Directory => {
                for name in self.children(rel, &shown)? {
                    let child = rel.join(name);
                    if let Some(kind) = self.kind_of(&child, &Path::new("/").join(&child))? {
                        removed += self.remove_entry(&child, kind, dry_run)?;
                    }
                }
                if !dry_run {
                    self.dir
                        .remove_dir(rel)
                        .map_err(Self::err("remove directory", &shown))?;
                }
            }
            RemovedKind::File | RemovedKind::Symlink => {
                if !dry_run {
                    self.dir
                        .remove_file(rel)
                        .map_err(Self::err("remove", &shown))?;
                }
            }
        }
        self.events.emit(Event::FileRemoved {
            path: shown.display().to_string(),
            kind,
            dry_run,
        });
        Ok(removed + 1)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::events::{Events, Recorder};

    fn root() -> (tempfile::TempDir, NodeRoot, Arc<Recorder>) {
        let dir = tempfile::tempdir().unwrap();
        let rec = Arc::new(Recorder::default());
        let root = NodeRoot::open(dir.path(), Events::new(rec.clone())).unwrap();
        (dir, root, rec)
    }

    fn removed(rec: &Recorder) -> Vec<(String, RemovedKind, bool)> {
        rec.take()
            .into_iter()
            .filter_map(|e| match e {
                Event::FileRemoved {
                    path,
                    kind,
                    dry_run,
                } => Some((path, kind, dry_run)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn clean_dir_empties_a_directory_and_keeps_it_reporting_each_entry() {
        let (dir, root, rec) = root();
        root.write("/etc/kubernetes/pki/ca.key", b"k", 0o600)
            .unwrap();
        root.write("/etc/kubernetes/pki/etcd/ca.crt", b"c", 0o644)
            .unwrap();
        rec.take();
        assert_eq!(root.clean_dir("/etc/kubernetes/pki", false).unwrap(), 3);
        let pki = dir.path().join("etc/kubernetes/pki");
        assert!(pki.is_dir());
        assert_eq!(std::fs::read_dir(&pki).unwrap().count(), 0);
        assert_eq!(
            removed(&rec),
            [
                ("/etc/kubernetes/pki/ca.key", RemovedKind::File),
                ("/etc/kubernetes/pki/etcd/ca.crt", RemovedKind::File),
                ("/etc/kubernetes/pki/etcd", RemovedKind::Directory),
            ]
            .map(|(p, k)| (p.to_string(), k, false))
        );
    }

    #[test]
    fn dry_run_lists_what_would_go_and_removes_nothing_even_read_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/kubernetes/manifests")).unwrap();
        std::fs::write(dir.path().join("etc/kubernetes/manifests/etcd.yaml"), "x").unwrap();
        std::fs::write(dir.path().join("etc/kubernetes/admin.conf"), "x").unwrap();
        let rec = Arc::new(Recorder::default());
        let root = NodeRoot::open_read_only(dir.path(), Events::new(rec.clone())).unwrap();
        assert_eq!(
            root.clean_dir("/etc/kubernetes/manifests", true).unwrap(),
            1
        );
        assert_eq!(
            root.remove_all("/etc/kubernetes/admin.conf", true).unwrap(),
            1
        );
        assert_eq!(
            removed(&rec),
            [
                (
                    "/etc/kubernetes/manifests/etcd.yaml".to_string(),
                    RemovedKind::File,
                    true
                ),
                (
                    "/etc/kubernetes/admin.conf".to_string(),
                    RemovedKind::File,
                    true
                ),
            ]
        );
        assert!(
            dir.path()
                .join("etc/kubernetes/manifests/etcd.yaml")
                .is_file()
        );
        assert!(dir.path().join("etc/kubernetes/admin.conf").is_file());
        // For real, a read-only root refuses.
        assert!(
            root.remove_all("/etc/kubernetes/admin.conf", false)
                .is_err()
        );
    }

    #[test]
    fn links_are_removed_as_links_and_never_followed_outside_the_root() {
        let (dir, root, rec) = root();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("precious"), "keep").unwrap();
        let kubelet = dir.path().join("var/lib/kubelet");
        std::fs::create_dir_all(&kubelet).unwrap();
        std::os::unix::fs::symlink(outside.path(), kubelet.join("escape")).unwrap();
        std::os::unix::fs::symlink("../../../..", kubelet.join("up")).unwrap();
        std::fs::create_dir_all(dir.path().join("etc/kubernetes")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("precious"),
            dir.path().join("etc/kubernetes/admin.conf"),
        )
        .unwrap();
        // A directory to empty that is itself a link outside: left alone.
        std::os::unix::fs::symlink(outside.path(), dir.path().join("etc/kubernetes/pki")).unwrap();

        assert_eq!(root.clean_dir("/var/lib/kubelet", false).unwrap(), 2);
        assert_eq!(
            root.remove_all("/etc/kubernetes/admin.conf", false)
                .unwrap(),
            1
        );
        assert_eq!(root.clean_dir("/etc/kubernetes/pki", false).unwrap(), 0);
        assert_eq!(
            std::fs::read_to_string(outside.path().join("precious")).unwrap(),
            "keep"
        );
        assert_eq!(std::fs::read_dir(&kubelet).unwrap().count(), 0);
        assert!(dir.path().join("etc/kubernetes/pki").is_symlink());
        let kinds: Vec<RemovedKind> = removed(&rec).into_iter().map(|(_, k, _)| k).collect();
        assert_eq!(kinds, [RemovedKind::Symlink; 3]);
    }

    #[test]
    fn missing_paths_are_nothing_to_do_and_the_root_itself_is_refused() {
        let (_dir, root, rec) = root();
        assert_eq!(
            root.remove_all("/etc/kubernetes/admin.conf", false)
                .unwrap(),
            0
        );
        assert_eq!(root.clean_dir("/var/lib/etcd", false).unwrap(), 0);
        assert!(removed(&rec).is_empty());
        assert!(root.remove_all("/", false).is_err());
        assert!(root.remove_all("/etc/../..", false).is_err());
    }
}
