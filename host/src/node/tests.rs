use super::*;
use crate::workflow::{Events, Recorder};
use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;

fn root() -> (tempfile::TempDir, NodeRoot, Arc<Recorder>) {
    let dir = tempfile::tempdir().unwrap();
    let rec = Arc::new(Recorder::default());
    let root = NodeRoot::open(dir.path(), Events::new(rec.clone())).unwrap();
    (dir, root, rec)
}

#[test]
fn writes_are_atomic_with_the_requested_mode() {
    let (dir, root, _) = root();
    root.write("/etc/kubernetes/pki/ca.key", b"secret", 0o600)
        .unwrap();
    let host = dir.path().join("etc/kubernetes/pki/ca.key");
    assert_eq!(std::fs::read(&host).unwrap(), b"secret");
    assert_eq!(
        std::fs::metadata(&host).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let leftovers: Vec<_> = std::fs::read_dir(host.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn rewriting_identical_content_is_reported_as_kept() {
    let (_dir, root, rec) = root();
    root.write("/a/b", b"x", 0o644).unwrap();
    root.write("/a/b", b"x", 0o644).unwrap();
    let reused: Vec<bool> = rec
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::FileWritten { reused, .. } => Some(reused),
            _ => None,
        })
        .collect();
    assert_eq!(reused, vec![false, true]);
}

#[test]
fn parent_paths_are_refused() {
    let (_dir, root, _) = root();
    let err = root.write("/etc/../../escape", b"x", 0o644).unwrap_err();
    assert!(err.to_string().contains("'..'"), "{err}");
}

#[test]
fn symlinks_cannot_lead_outside_the_root() {
    let (dir, root, _) = root();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("etc")).unwrap();
    assert!(
        root.write("/etc/kubernetes/admin.conf", b"x", 0o600)
            .is_err()
    );
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
}
