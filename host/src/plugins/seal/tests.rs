use std::os::unix::fs::PermissionsExt as _;
use std::sync::LazyLock;

use super::*;

static KEY: LazyLock<hmac::Key> = LazyLock::new(|| hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]));

fn sealed() -> Binding<'static> {
    Binding {
        key: &KEY,
        what: "cwasm test",
    }
}

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
    write(&file, b"compiled", &sealed()).unwrap();
    let lines = seal_lines(&file);
    assert_eq!(
        lines.len(),
        2,
        "a fresh file is sealed by its digest and a MAC: {lines:?}"
    );
    assert_eq!(lines[0], Digest::of(b"compiled").hex());
    assert!(lines[1].starts_with("mac "), "{lines:?}");
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(sidecar(&file)).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let verified = verify(&file, euid(), false, SystemTime::now(), &sealed())
        .unwrap()
        .unwrap();
    assert_eq!(verified.contents, None);
    assert_eq!(seal_lines(&file).len(), 2, "not settled: no stamp yet");

    verify(&file, euid(), false, later(), &sealed())
        .unwrap()
        .unwrap();
    let lines = seal_lines(&file);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[1], verified.stamp.line());
    assert_eq!(Stamp::parse(&lines[1]), Some(verified.stamp));
    assert!(verify(&file, euid(), false, later(), &sealed()).is_ok());
}

#[test]
fn a_seal_not_made_with_the_key_for_this_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.cwasm");
    let other = dir.path().join("b.cwasm");
    let other_key = hmac::Key::new(hmac::HMAC_SHA256, &[8; 32]);
    type Tamper<'a> = Box<dyn Fn() + 'a>;
    let cases: [(&str, Tamper<'_>); 4] = [
        (
            "edited code with a seal rewritten to its sha256",
            Box::new(|| {
                fs::write(&file, b"evil").unwrap();
                fs::write(sidecar(&file), format!("{}\n", Digest::of(b"evil").hex())).unwrap();
            }),
        ),
        (
            "another entry's file and seal copied over it",
            Box::new(|| {
                let entry = Binding {
                    key: &KEY,
                    what: "cwasm another-plugin",
                };
                write(&other, b"another plugin's code", &entry).unwrap();
                verify(&other, euid(), false, later(), &entry).unwrap();
                fs::copy(&other, &file).unwrap();
                fs::copy(sidecar(&other), sidecar(&file)).unwrap();
            }),
        ),
        (
            "a seal made with another key",
            Box::new(|| {
                let forged = Binding {
                    key: &other_key,
                    what: "cwasm test",
                };
                write(&file, b"evil", &forged).unwrap();
            }),
        ),
        (
            "edited code with its new stamp written into the seal",
            Box::new(|| {
                fs::write(&file, b"evilcode").unwrap();
                let mut lines = seal_lines(&file);
                lines[1] = Stamp::of(&fs::metadata(&file).unwrap()).line();
                fs::write(sidecar(&file), lines.join("\n") + "\n").unwrap();
            }),
        ),
    ];
    for (case, tamper) in cases {
        let _ = fs::remove_file(&file);
        write(&file, b"compiled", &sealed()).unwrap();
        verify(&file, euid(), false, later(), &sealed())
            .unwrap()
            .unwrap();
        tamper();
        match verify(&file, euid(), false, later(), &sealed()) {
            Err(r) => assert!(
                r.contains("its seal was not made by this host"),
                "{case}: {r}"
            ),
            Ok(_) => panic!("{case}: verified"),
        }
    }
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
        write(&file, b"compiled", &sealed()).unwrap();
        // With the stamp recorded, as after a settled load.
        verify(&file, euid(), false, later(), &sealed())
            .unwrap()
            .unwrap();
        tamper(&file);
        match verify(&file, euid(), false, later(), &sealed()) {
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
        verify(&file, euid(), true, SystemTime::now(), &sealed())
            .unwrap()
            .is_none()
    );

    write(&file, b"{}", &sealed()).unwrap();
    let verified = verify(&file, euid(), true, SystemTime::now(), &sealed())
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
