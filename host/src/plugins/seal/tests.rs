use std::os::unix::fs::PermissionsExt as _;

use super::*;

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn later() -> SystemTime {
    SystemTime::now() + SETTLED + Duration::from_secs(1)
}

fn seal_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(sidecar(path))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_written_file_verifies_and_its_stamp_is_recorded_once_settled() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.cwasm");
    write(&file, b"compiled").unwrap();
    assert_eq!(
        seal_lines(&file),
        vec![Digest::of(b"compiled").hex()],
        "a fresh file is sealed by its digest alone"
    );
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(sidecar(&file)).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let verified = verify(&file, euid(), false, SystemTime::now())
        .unwrap()
        .unwrap();
    assert_eq!(verified.contents, None);
    assert_eq!(seal_lines(&file).len(), 1, "not settled: no stamp yet");

    verify(&file, euid(), false, later()).unwrap().unwrap();
    let lines = seal_lines(&file);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1], verified.stamp.line());
    assert_eq!(Stamp::parse(&lines[1]), Some(verified.stamp));
}

#[test]
fn a_matching_stamp_spares_the_hash_unless_the_contents_are_wanted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.cwasm");
    write(&file, b"compiled").unwrap();
    verify(&file, euid(), false, later()).unwrap().unwrap();
    // Only the stamp is consulted now: a wrong digest in the seal goes unnoticed...
    let stamp = seal_lines(&file)[1].clone();
    fs::write(sidecar(&file), format!("{}\n{stamp}\n", "00".repeat(32))).unwrap();
    assert!(verify(&file, euid(), false, later()).unwrap().is_some());
    // ...until the contents are read.
    let Err(reason) = verify(&file, euid(), true, later()) else {
        panic!("a wrong digest verified")
    };
    assert!(reason.starts_with("its sha256 is "), "{reason}");
}

#[test]
fn a_changed_or_exposed_file_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.cwasm");
    type Tamper = fn(&Path);
    let cases: [(&str, Tamper, &str); 5] = [
        (
            "other contents",
            |f| fs::write(f, b"compiled, then changed").unwrap(),
            "its sha256 is ",
        ),
        (
            "readable by others",
            |f| fs::set_permissions(f, fs::Permissions::from_mode(0o644)).unwrap(),
            "its mode is 0644, not 0600",
        ),
        (
            "no seal",
            |f| fs::remove_file(sidecar(f)).unwrap(),
            "its digest file is unreadable",
        ),
        (
            "an exposed seal",
            |f| fs::set_permissions(sidecar(f), fs::Permissions::from_mode(0o640)).unwrap(),
            "its mode is 0640, not 0600",
        ),
        (
            "a symlink",
            |f| {
                fs::remove_file(f).unwrap();
                std::os::unix::fs::symlink("/etc/hostname", f).unwrap();
            },
            "it is not a regular file",
        ),
    ];
    for (case, tamper, reason) in cases {
        let _ = fs::remove_file(&file);
        write(&file, b"compiled").unwrap();
        // With the stamp recorded, as after a settled load.
        verify(&file, euid(), false, later()).unwrap().unwrap();
        tamper(&file);
        match verify(&file, euid(), false, later()) {
            Err(r) => assert!(r.contains(reason), "{case}: {r}"),
            Ok(_) => panic!("{case}: verified"),
        }
    }
}

#[test]
fn a_missing_file_is_no_entry_and_a_replaced_one_is_not_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.describe.json");
    assert!(
        verify(&file, euid(), true, SystemTime::now())
            .unwrap()
            .is_none()
    );

    write(&file, b"{}").unwrap();
    let verified = verify(&file, euid(), true, SystemTime::now())
        .unwrap()
        .unwrap();
    assert_eq!(verified.contents.as_deref(), Some(&b"{}"[..]));
    assert!(unchanged(&file, &verified.stamp));
    let other = dir.path().join("other");
    fs::write(&other, b"{}").unwrap();
    fs::rename(&other, &file).unwrap();
    assert!(!unchanged(&file, &verified.stamp));
}

#[test]
fn only_settled_changes_are_stamped() {
    let meta = fs::metadata(std::env::current_exe().unwrap()).unwrap();
    let stamp = Stamp::of(&meta);
    let changed = UNIX_EPOCH + Duration::new(stamp.ctime.0 as u64, stamp.ctime.1 as u32);
    assert!(!stamp.settled(changed));
    assert!(!stamp.settled(changed + SETTLED - Duration::from_millis(1)));
    assert!(stamp.settled(changed + SETTLED));
    assert!(!stamp.settled(UNIX_EPOCH), "a clock behind the file");
    assert_eq!(Stamp::parse("stamp 1 2 3 4.000000005 6.000000007 8"), None);
    assert_eq!(Stamp::parse("stamp 1 2 3 4 5"), None);
}
