use super::*;
use crate::events::{Events, Recorder};
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

#[test]
fn a_second_writer_is_refused_naming_the_holder_until_the_first_is_done() {
    let (dir, first, _) = root();
    let err = NodeRoot::open(dir.path(), Events::discard())
        .err()
        .expect("the root is locked");
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("(pid {})", std::process::id())),
        "{shown}"
    );
    assert!(shown.starts_with("lock node root "), "{shown}");

    drop(first);
    assert!(
        !dir.path().join(lock::LOCK_FILE).exists(),
        "a clean end removes the lock file"
    );
    NodeRoot::open(dir.path(), Events::discard()).expect("the lock was released");
}

#[test]
fn readers_take_no_lock_and_cannot_write() {
    let (dir, _writer, _) = root();
    let reader = NodeRoot::open_read_only(dir.path(), Events::discard()).unwrap();
    let err = reader.write("/etc/x", b"x", 0o644).unwrap_err();
    assert!(err.to_string().contains("opened read-only"), "{err}");
    assert!(reader.create_dir_all("/etc/y", 0o755).is_err());
    assert!(!dir.path().join("etc").exists());
}

#[test]
fn a_dry_run_root_takes_no_lock() {
    let root = NodeRoot::temporary("node-test", Events::discard()).unwrap();
    root.write("/etc/x", b"x", 0o644).unwrap();
    assert!(!root.host_path().join(lock::LOCK_FILE).exists());
}

/// What a run killed mid-write leaves: its journal in the lock file and its temporary file.
#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("etc/kubernetes/pki");
    std::fs::create_dir_all(&pki).unwrap();
    let dead = 4_000_000; // above any pid_max, so never a live process
    std::fs::write(pki.join(format!(".ca.key.tmp-{dead}")), b"a whole key").unwrap();
    // Entries that are not that run's temporary files are never removed.
    std::fs::write(pki.join("ca.crt"), b"kept").unwrap();
    std::fs::write(pki.join(".ca.crt.tmp-7"), b"another run's").unwrap();
    std::fs::write(
        dir.path().join(lock::LOCK_FILE),
        format!(
            "{dead}\netc/kubernetes/pki/.ca.key.tmp-{dead}\0etc/kubernetes/pki/ca.crt\0\
             etc/kubernetes/pki/.ca.crt.tmp-7\0../.x.tmp-{dead}\0"
        ),
    )
    .unwrap();

    let rec = Arc::new(Recorder::default());
    let root = NodeRoot::open(dir.path(), Events::new(rec.clone())).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(&pki)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".ca.crt.tmp-7", "ca.crt"]);
    let logged = format!("{:?}", rec.take());
    assert!(
        logged.contains(&format!(
            "Removed /etc/kubernetes/pki/.ca.key.tmp-{dead}, left by an interrupted run (pid {dead})"
        )),
        "{logged}"
    );
    drop(root);
    assert!(!dir.path().join(lock::LOCK_FILE).exists());
}

/// A killed run's temporary file may sit at the very name this run uses to replace a file
/// (pids repeat, in containers especially); it is replaced, never opened, so a link there
/// leads nowhere.
#[test]
fn a_file_already_at_the_temporary_name_is_never_written_through() {
    let (dir, root, _) = root();
    let pki = dir.path().join("etc/kubernetes/pki");
    std::fs::create_dir_all(&pki).unwrap();
    std::fs::write(pki.join("ca.key"), b"the old key").unwrap();
    std::fs::write(dir.path().join("public"), b"").unwrap();
    std::os::unix::fs::symlink(
        "../../../public",
        pki.join(format!(".ca.key.tmp-{}", std::process::id())),
    )
    .unwrap();

    root.write("/etc/kubernetes/pki/ca.key", b"secret", 0o600)
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("public")).unwrap(), b"");
    let key = pki.join("ca.key");
    let meta = std::fs::symlink_metadata(&key).unwrap();
    assert!(meta.is_file(), "ca.key is a file of its own");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read(&key).unwrap(), b"secret");
}

#[test]
fn a_replaced_file_is_whole_with_its_new_mode_and_no_temporary_file_is_left() {
    let (dir, root, _) = root();
    root.write("/etc/kubernetes/manifests/etcd.yaml", b"old", 0o644)
        .unwrap();
    root.write("/etc/kubernetes/manifests/etcd.yaml", b"new", 0o600)
        .unwrap();
    let manifests = dir.path().join("etc/kubernetes/manifests");
    let host = manifests.join("etcd.yaml");
    assert_eq!(std::fs::read(&host).unwrap(), b"new");
    assert_eq!(
        std::fs::metadata(&host).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(std::fs::read_dir(&manifests).unwrap().count(), 1);
}

#[test]
fn a_new_file_gets_its_mode_whatever_the_umask() {
    let (dir, root, _) = root();
    root.write("/etc/kubernetes/admin.conf", b"x", 0o666)
        .unwrap();
    let host = dir.path().join("etc/kubernetes/admin.conf");
    assert_eq!(
        std::fs::metadata(&host).unwrap().permissions().mode() & 0o777,
        0o666
    );
}

/// Directories are synced once each when the run ends, not after every change; a directory
/// removed meanwhile has nothing left to sync.
#[test]
fn changed_directories_are_synced_once_by_sync() {
    let (_dir, root, _) = root();
    for name in ["ca.key", "ca.crt", "etcd/ca.key"] {
        root.write(Path::new("/etc/kubernetes/pki").join(name), b"x", 0o600)
            .unwrap();
    }
    root.write("/var/lib/kubelet/pki/kubelet.crt", b"x", 0o644)
        .unwrap();
    root.remove_all("/var/lib/kubelet/pki", false).unwrap();
    let unsynced: Vec<PathBuf> = root.unsynced.lock().unwrap().iter().cloned().collect();
    let expected = [
        "",
        "etc",
        "etc/kubernetes",
        "etc/kubernetes/pki",
        "etc/kubernetes/pki/etcd",
        "var",
        "var/lib",
        "var/lib/kubelet",
        "var/lib/kubelet/pki",
    ];
    assert_eq!(unsynced, expected.map(PathBuf::from));
    root.sync().unwrap();
    assert!(root.unsynced.lock().unwrap().is_empty());
}
