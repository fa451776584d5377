//! Which plugin files run: sha256 pins, minisign signatures made with the real `minisign`
//! CLI, and the compile cache (hits, tampered or transplanted entries compiled again, a 0700
//! directory that others cannot change, nothing made for a plugin that fails to load).

use crate::common;
use crate::plugin_support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeadm_rs::config::plugins::{PluginSource, PluginSpec, TrustedKey};
use kubeadm_rs::events::Recorder;
use kubeadm_rs::plugins::{
    CacheOutcome, Digest, IntegrityError, PluginError, PluginHost, SignatureStatus, Trust,
    verify_file,
};
use plugin_support::{FakeNode, TestHost, config, err_text, spec, wasm};

/// A copy of the kernel-modules component (no grants needed) in `dir`.
fn copy_plugin(dir: &Path) -> PathBuf {
    let file = dir.join("kernel-modules.wasm");
    std::fs::copy(wasm("kernel_modules"), &file).unwrap();
    file
}

fn spec_for(file: &Path) -> PluginSpec {
    PluginSpec::new(
        "kernel-modules",
        PluginSource::path(file.to_string_lossy().into_owned()),
    )
}

/// A host that refuses unsigned plugins and trusts `keys`.
fn strict_host(keys: Vec<TrustedKey>) -> (PluginHost, tempfile::TempDir) {
    let files = tempfile::tempdir().unwrap();
    let events = Arc::new(Recorder::default());
    let mut config = config(
        &plugin_support::shared_cache(),
        FakeNode::default(),
        &events,
        files.path(),
    );
    config.trusted_keys = keys;
    (PluginHost::new(config).unwrap(), files)
}

/// A throwaway minisign key pair made with the real CLI; returns the trusted key and the
/// secret key file.
fn key_pair(dir: &Path, name: &str) -> (TrustedKey, PathBuf) {
    let (public, secret) = (
        dir.join(format!("{name}.pub")),
        dir.join(format!("{name}.key")),
    );
    common::run_ok(
        common::tool("minisign")
            .arg("-G")
            .arg("-W")
            .arg("-p")
            .arg(&public)
            .arg("-s")
            .arg(&secret),
    );
    let text = std::fs::read_to_string(&public).unwrap();
    let key = text
        .lines()
        .nth(1)
        .expect("the key line of a minisign .pub file")
        .to_string();
    (
        TrustedKey {
            name: name.into(),
            public_key: key,
        },
        secret,
    )
}

fn sign(file: &Path, secret: &Path) {
    common::run_ok(
        common::tool("minisign")
            .arg("-S")
            .arg("-s")
            .arg(secret)
            .arg("-m")
            .arg(file)
            .stdin(std::process::Stdio::null()),
    );
}

#[test]
fn a_pinned_plugin_runs_and_a_wrong_pin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy_plugin(dir.path());
    let (host, _files) = strict_host(vec![]);
    let digest = Digest::of(&std::fs::read(&file).unwrap());
    let sha256sum = common::stdout(&common::run_ok(common::tool("sha256sum").arg(&file)));
    assert!(
        sha256sum.starts_with(&digest.hex()),
        "our digest is sha256sum's"
    );

    let mut s = spec_for(&file);
    s.sha256 = Some(digest.hex());
    let loaded = host.load(&s).unwrap();
    assert_eq!(loaded.trust(), &Trust::Pinned { signed_by: None });
    assert_eq!(loaded.run_preflight().unwrap(), vec![]);

    s.sha256 = Some("ab".repeat(32));
    let (err, text) = err_text(host.load(&s));
    assert!(matches!(
        err,
        PluginError::Integrity(IntegrityError::DigestMismatch { .. })
    ));
    assert!(
        text.contains(&format!(
            "has sha256 {digest}, but the PluginConfiguration pins {}",
            "ab".repeat(32)
        )),
        "{text}"
    );
}

#[test]
fn an_unpinned_unsigned_plugin_runs_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy_plugin(dir.path());
    let (host, _files) = strict_host(vec![]);
    let (err, text) = err_text(host.load(&spec_for(&file)));
    assert!(matches!(
        err,
        PluginError::Integrity(IntegrityError::Unsigned { .. })
    ));
    let digest = Digest::of(&std::fs::read(&file).unwrap());
    assert!(
        text.contains(&format!(
            "add \"sha256: {digest}\" to the plugin in the PluginConfiguration"
        )),
        "{text}"
    );
    assert!(text.contains("--allow-unsigned-plugins"), "{text}");

    let allowed = TestHost::new(FakeNode::default());
    let loaded = allowed.host.load(&spec_for(&file)).unwrap();
    assert_eq!(loaded.trust(), &Trust::AllowedUnsigned);
}

#[test]
fn a_minisign_signature_from_a_trusted_key_admits_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy_plugin(dir.path());
    let (vendor, secret) = key_pair(dir.path(), "vendor");
    sign(&file, &secret);

    let (host, _files) = strict_host(vec![vendor.clone()]);
    let loaded = host.load(&spec_for(&file)).unwrap();
    assert_eq!(
        loaded.trust(),
        &Trust::Signed {
            key: "vendor".into()
        }
    );
    assert_eq!(loaded.run_preflight().unwrap(), vec![]);

    // `plugin verify FILE`
    let verification = verify_file(&file, &[vendor]).unwrap();
    assert!(
        matches!(&verification.signature, SignatureStatus::Valid { key, comment } if key == "vendor" && comment.contains("kernel-modules.wasm")),
        "{:?}",
        verification.signature
    );
}

#[test]
fn a_signature_from_an_untrusted_key_or_over_a_changed_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy_plugin(dir.path());
    let (vendor, vendor_secret) = key_pair(dir.path(), "vendor");
    let (_, stranger_secret) = key_pair(dir.path(), "stranger");

    sign(&file, &stranger_secret);
    let (host, _files) = strict_host(vec![vendor.clone()]);
    let (err, text) = err_text(host.load(&spec_for(&file)));
    assert!(
        matches!(
            err,
            PluginError::Integrity(IntegrityError::BadSignature { .. })
        ),
        "{text}"
    );
    assert!(
        text.contains("is not valid for any trusted key: vendor:"),
        "{text}"
    );

    sign(&file, &vendor_secret);
    assert!(host.load(&spec_for(&file)).is_ok());
    // One byte appended after signing: even a matching pin does not excuse the signature.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.push(0);
    std::fs::write(&file, &bytes).unwrap();
    let mut s = spec_for(&file);
    s.sha256 = Some(Digest::of(&bytes).hex());
    let (err, text) = err_text(host.load(&s));
    assert!(
        matches!(
            err,
            PluginError::Integrity(IntegrityError::BadSignature { .. })
        ),
        "{text}"
    );
    assert!(matches!(
        verify_file(&file, &[vendor]).unwrap().signature,
        SignatureStatus::Invalid { .. }
    ));
}

#[test]
fn the_signature_file_can_be_named_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy_plugin(dir.path());
    let (vendor, secret) = key_pair(dir.path(), "vendor");
    sign(&file, &secret);
    let elsewhere = dir.path().join("kernel-modules.sig");
    std::fs::rename(dir.path().join("kernel-modules.wasm.minisig"), &elsewhere).unwrap();
    let (host, _files) = strict_host(vec![vendor]);
    assert!(matches!(
        host.load(&spec_for(&file)),
        Err(PluginError::Integrity(IntegrityError::Unsigned { .. }))
    ));
    let mut s = spec_for(&file);
    s.signature = Some(elsewhere.to_string_lossy().into_owned());
    assert_eq!(
        host.load(&s).unwrap().trust(),
        &Trust::Signed {
            key: "vendor".into()
        }
    );
}

// --- the compile cache --------------------------------------------------------------------

fn entries(cache: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .collect();
    found.sort();
    found
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn the_cache_is_a_0700_directory_of_0600_entries_and_a_second_load_hits_it() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("var/cache/kubeadm-rs/plugins");
    let t = TestHost::with_cache(FakeNode::default(), &cache);
    assert!(!cache.exists(), "made by the first entry, not by the host");

    let first = t
        .host
        .load(&spec("kernel-modules", "kernel_modules"))
        .unwrap();
    assert_eq!(first.cache(), &CacheOutcome::Compiled);
    let [entry] = &entries(&cache, ".cwasm")[..] else {
        panic!("one cache entry")
    };
    assert!(
        entry
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&first.digest().hex())
    );
    assert_eq!(mode(entry), 0o600);
    assert_eq!(mode(&entries(&cache, ".cwasm.sha256")[0]), 0o600);

    let second = t
        .host
        .load(&spec("kernel-modules", "kernel_modules"))
        .unwrap();
    assert_eq!(second.cache(), &CacheOutcome::Hit);
    assert_eq!(second.run_preflight().unwrap(), vec![]);

    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&cache.with_extension("key")), 0o600);
}

/// A host over `cache` that allows unsigned plugins, or the error that stopped it.
fn host_over(cache: &Path) -> Result<PluginHost, PluginError> {
    let files = tempfile::tempdir().unwrap();
    let mut config = config(
        cache,
        FakeNode::default(),
        &Arc::new(Recorder::default()),
        files.path(),
    );
    config.allow_unsigned = true;
    PluginHost::new(config)
}

#[test]
fn a_world_writable_cache_is_an_error_and_left_as_it_is() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let t = TestHost::with_cache(FakeNode::default(), &cache);
    t.host
        .load(&spec("kernel-modules", "kernel_modules"))
        .unwrap();
    // What user `nobody` did: opened the directory to all, to swap entries in.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let Err(err) = host_over(&cache) else {
        panic!("a world-writable cache was used")
    };
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "compile cache {}: its mode is 0777",
            cache.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("`chmod 0700 {}`", cache.display())),
        "{text}"
    );
    assert_eq!(mode(&cache), 0o777, "not repaired quietly");
}

#[test]
fn another_plugins_entry_moved_over_a_pinned_plugins_entry_is_not_run() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let t = TestHost::with_cache(FakeNode::default(), &cache);
    let good = t
        .host
        .load(&spec("kernel-modules", "kernel_modules"))
        .unwrap();
    let good_entry = entries(&cache, ".cwasm")[0].clone();
    t.host.inspect(&wasm("min_resources")).unwrap();
    let other_entry = entries(&cache, ".cwasm")
        .into_iter()
        .find(|e| *e != good_entry)
        .expect("the other plugin's entry");
    let sidecar = |p: &Path| PathBuf::from(format!("{}.sha256", p.display()));

    let attacks: [(&str, &dyn Fn()); 2] = [
        ("another plugin's code and seal copied over it", &|| {
            std::fs::copy(&other_entry, &good_entry).unwrap();
            std::fs::copy(sidecar(&other_entry), sidecar(&good_entry)).unwrap();
        }),
        ("its code edited and the seal's sha256 rewritten", &|| {
            let mut code = std::fs::read(&good_entry).unwrap();
            let middle = code.len() / 2;
            code[middle] ^= 0xff;
            std::fs::write(&good_entry, &code).unwrap();
            std::fs::write(
                sidecar(&good_entry),
                format!("{}\n", Digest::of(&code).hex()),
            )
            .unwrap();
        }),
    ];
    let mut pinned = spec("kernel-modules", "kernel_modules");
    pinned.sha256 = Some(good.digest().hex());
    for (case, attack) in attacks {
        attack();
        // A fresh host, as the next `init` would be: nothing is reused from memory.
        let host = host_over(&cache).unwrap();
        let loaded = host.load(&pinned).unwrap();
        assert!(
            matches!(loaded.cache(), CacheOutcome::Recompiled { reason } if reason.contains("its seal was not made by this host")),
            "{case}: {:?}",
            loaded.cache()
        );
        assert_eq!(loaded.name(), "kernel-modules", "{case}");
        assert_eq!(loaded.run_preflight().unwrap(), vec![], "{case}");
    }
}

#[test]
fn a_plugin_that_fails_to_load_leaves_nothing_under_the_root() {
    let root = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = copy_plugin(dir.path());
    let cache = root.path().join("var/cache/kubeadm-rs/plugins");
    let files = tempfile::tempdir().unwrap();
    let host = PluginHost::new(config(
        &cache,
        FakeNode::default(),
        &Arc::new(Recorder::default()),
        files.path(),
    ))
    .unwrap();
    let mut wrong_pin = spec_for(&file);
    wrong_pin.sha256 = Some("ab".repeat(32));
    assert!(host.load(&spec_for(&file)).is_err(), "unsigned");
    assert!(host.load(&wrong_pin).is_err(), "wrong pin");
    assert!(
        host.load(&spec_for(&dir.path().join("missing.wasm")))
            .is_err()
    );
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        0,
        "the root is as it was"
    );
}

#[test]
fn a_signature_file_named_in_the_config_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy_plugin(dir.path());
    let (host, _files) = strict_host(vec![]);
    let mut s = spec_for(&file);
    let missing = dir.path().join("kernel-modules.sig");
    s.signature = Some(missing.to_string_lossy().into_owned());
    s.sha256 = Some(Digest::of(&std::fs::read(&file).unwrap()).hex());
    let (err, text) = err_text(host.load(&s));
    assert!(matches!(err, PluginError::Io { .. }), "{text}");
    assert_eq!(
        text,
        format!(
            "plugin kernel-modules: read signature {}: the PluginConfiguration names it as the plugin's signature, but there is no such file",
            missing.display()
        )
    );
}

#[test]
fn plugin_files_that_are_not_regular_or_too_large_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (host, _files) = strict_host(vec![]);
    let big = dir.path().join("big.wasm");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(kubeadm_rs::plugins::MAX_PLUGIN_BYTES + 1)
        .unwrap();
    for (file, want) in [
        (
            PathBuf::from("/dev/zero"),
            "it is a character device, not a regular file",
        ),
        (big, "it is larger than the limit of 64 MiB"),
    ] {
        let (_, text) = err_text(host.load(&spec_for(&file)));
        assert_eq!(
            text,
            format!("plugin kernel-modules: read {}: {want}", file.display())
        );
    }
}

#[test]
fn a_tampered_cache_entry_is_never_loaded_but_compiled_again() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let t = TestHost::with_cache(FakeNode::default(), &cache);
    t.host
        .load(&spec("kernel-modules", "kernel_modules"))
        .unwrap();
    let entry = entries(&cache, ".cwasm")[0].clone();
    let sidecar = entries(&cache, ".cwasm.sha256")[0].clone();
    let original = std::fs::read(&entry).unwrap();

    let tamperings: [(&str, &dyn Fn(), &str); 4] = [
        (
            "a flipped byte",
            &|| {
                let mut bytes = original.clone();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0xff;
                std::fs::write(&entry, bytes).unwrap();
            },
            "its sha256 is",
        ),
        (
            "a readable mode",
            &|| std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap(),
            "its mode is 0644, not 0600",
        ),
        (
            "a missing digest",
            &|| std::fs::remove_file(&sidecar).unwrap(),
            "its digest file is unreadable",
        ),
        (
            "a symlink",
            &|| {
                std::fs::remove_file(&entry).unwrap();
                std::os::unix::fs::symlink(root.path().join("elsewhere.cwasm"), &entry).unwrap();
            },
            "it is not a regular file",
        ),
    ];
    for (case, tamper, reason) in tamperings {
        tamper();
        let loaded = t
            .host
            .load(&spec("kernel-modules", "kernel_modules"))
            .unwrap();
        assert!(
            matches!(loaded.cache(), CacheOutcome::Recompiled { reason: r } if r.contains(reason)),
            "{case}: {:?}",
            loaded.cache()
        );
        assert_eq!(loaded.run_preflight().unwrap(), vec![], "{case}");
        let messages = t.messages();
        assert!(
            messages.iter().any(
                |m| m.starts_with("plugin kernel-modules: compile cache entry")
                    && m.contains("compiled it again")
            ),
            "{case}: {messages:?}"
        );
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            original,
            "{case}: the entry was rewritten"
        );
        assert_eq!(
            t.host
                .load(&spec("kernel-modules", "kernel_modules"))
                .unwrap()
                .cache(),
            &CacheOutcome::Hit
        );
    }
}

/// Long enough for a file's last change to settle: a stamp is only recorded once its ctime is
/// two seconds old (`seal::SETTLED`), so that a later write always shows in it.
fn let_it_settle() {
    std::thread::sleep(std::time::Duration::from_millis(2100));
}

/// Two directories, for two copies of one plugin under different paths.
fn two_dirs() -> [tempfile::TempDir; 2] {
    [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()]
}

/// Whether stamps on the filesystem of `dir` stand for contents. Where they do not (FUSE,
/// NFS), nothing is ever recorded and every load reads the file.
fn stamped(dir: &Path) -> bool {
    kubeadm_rs::plugins::stamped_filesystem(rustix::fs::statfs(dir).unwrap().f_type)
}

/// Rewrites `file` with `bytes` and gives it back its mtime: only the ctime, which no process
/// can set, tells the change.
fn rewrite_keeping_mtime(file: &Path, bytes: &[u8]) {
    let mtime = std::fs::metadata(file).unwrap().modified().unwrap();
    std::fs::write(file, bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

#[test]
fn a_recorded_digest_spares_reading_an_unchanged_file_and_any_change_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let file = copy_plugin(dir.path());
    let bytes = std::fs::read(&file).unwrap();
    let mut pinned = spec_for(&file);
    pinned.sha256 = Some(Digest::of(&bytes).hex());
    let verify = |spec: &PluginSpec| host_over(&cache).unwrap().verify(spec).map(|v| v.1);

    // Just written: its stamp has not settled, so nothing is recorded.
    host_over(&cache).unwrap().load(&pinned).unwrap();
    assert_eq!(entries(&cache, ".file"), Vec::<PathBuf>::new());
    assert!(!verify(&pinned).unwrap().recorded);

    let_it_settle();
    if !stamped(dir.path()) {
        assert!(!verify(&pinned).unwrap().recorded);
        assert!(!verify(&pinned).unwrap().recorded);
        assert_eq!(entries(&cache, ".file"), Vec::<PathBuf>::new());
        return;
    }
    let first = verify(&pinned).unwrap();
    assert!(!first.recorded, "read, and recorded for the next load");
    let [record] = &entries(&cache, ".file")[..] else {
        panic!("one record")
    };
    assert_eq!(mode(record), 0o600);
    let again = verify(&pinned).unwrap();
    assert!(again.recorded, "not read: {again:?}");
    assert_eq!(again.digest, first.digest);
    let loaded = host_over(&cache).unwrap().load(&pinned).unwrap();
    assert_eq!(loaded.cache(), &CacheOutcome::Hit);
    assert_eq!(loaded.run_preflight().unwrap(), vec![]);
    // Without its compiled entry, a recorded file is read when it has to be compiled.
    for entry in entries(&cache, ".cwasm") {
        std::fs::remove_file(entry).unwrap();
    }
    let loaded = host_over(&cache).unwrap().load(&pinned).unwrap();
    assert_eq!(loaded.cache(), &CacheOutcome::Compiled);
    assert_eq!(loaded.run_preflight().unwrap(), vec![]);

    // Other bytes of the same size and mtime: the ctime differs, so the file is read again
    // and the pin refuses it.
    let mut other = bytes.clone();
    let last = other.len() - 1;
    other[last] ^= 0xff;
    rewrite_keeping_mtime(&file, &other);
    let (_, text) = err_text(host_over(&cache).unwrap().load(&pinned));
    assert!(text.contains("but the PluginConfiguration pins"), "{text}");

    // The original bytes back, mtime too: read again (new ctime), admitted by the pin.
    rewrite_keeping_mtime(&file, &bytes);
    let back = verify(&pinned).unwrap();
    assert!(!back.recorded);
    assert_eq!(back.digest, first.digest);
}

#[test]
fn a_record_that_was_edited_or_moved_or_a_signature_beside_the_file_sends_it_to_be_read() {
    let (dirs, root) = (two_dirs(), tempfile::tempdir().unwrap());
    let cache = root.path().join("cache");
    let [a, b] = dirs.each_ref().map(|d| copy_plugin(d.path()));
    std::fs::write(&b, b"\0asm\x0d\0\x01\0").unwrap();
    let_it_settle();
    let verify = |file: &Path| {
        host_over(&cache)
            .unwrap()
            .verify(&spec_for(file))
            .map(|v| v.1)
    };
    let digest_a = verify(&a).unwrap().digest;
    verify(&b).unwrap();
    if !stamped(dirs[0].path()) {
        assert!(!verify(&a).unwrap().recorded);
        return;
    }
    assert!(verify(&a).unwrap().recorded);
    let [record_a, record_b] = [&a, &b].map(|f| {
        let host = host_over(&cache).unwrap();
        let record = entries(&cache, ".file")
            .into_iter()
            .find(|r| {
                let text = std::fs::read_to_string(r).unwrap();
                text.starts_with(&host.verify(&spec_for(f)).unwrap().1.digest.hex())
            })
            .unwrap();
        (record.clone(), std::fs::read_to_string(record).unwrap())
    });

    // b's record under a's name: its MAC binds it to b's path.
    std::fs::write(&record_a.0, &record_b.1).unwrap();
    let read = verify(&a).unwrap();
    assert!(!read.recorded);
    assert_eq!(read.digest, digest_a);

    // a's record saying b's digest: the MAC no longer matches.
    let forged = record_a
        .1
        .replacen(&digest_a.hex(), &Digest::of(b"other").hex(), 1);
    std::fs::write(&record_a.0, forged).unwrap();
    let read = verify(&a).unwrap();
    assert!(!read.recorded);
    assert_eq!(read.digest, digest_a);

    // A record again, then a signature appears beside the file: it is read and checked.
    std::fs::write(&record_a.0, &record_a.1).unwrap();
    assert!(verify(&a).unwrap().recorded);
    std::fs::write(
        integrity_signature(&a),
        "untrusted comment: x\nnot a signature\n",
    )
    .unwrap();
    let (_, text) = err_text(verify(&a));
    assert!(text.contains("not a minisign signature"), "{text}");
}

fn integrity_signature(file: &Path) -> PathBuf {
    kubeadm_rs::plugins::default_signature_path(file)
}

#[test]
fn only_filesystems_whose_timestamps_the_kernel_keeps_let_a_stamp_stand_for_contents() {
    use kubeadm_rs::plugins::stamped_filesystem;
    for (name, magic) in [
        ("ext4", 0xEF53),
        ("xfs", 0x5846_5342),
        ("btrfs", 0x9123_683E),
        ("tmpfs", 0x0102_1994),
        ("overlayfs", 0x794C_7630),
    ] {
        assert!(stamped_filesystem(magic), "{name}");
    }
    for (name, magic) in [
        ("fuse", 0x6573_5546),
        ("nfs", 0x6969),
        ("cifs", 0xFF53_4D42),
        ("9p", 0x0102_1997),
    ] {
        assert!(!stamped_filesystem(magic), "{name}");
    }
}

#[test]
fn a_changed_plugin_file_takes_its_old_components_entries_along_unless_another_file_has_it() {
    let (dirs, root) = (two_dirs(), tempfile::tempdir().unwrap());
    let cache = root.path().join("cache");
    let [file, twin] = dirs.each_ref().map(|d| copy_plugin(d.path()));
    let old = Digest::of(&std::fs::read(&file).unwrap());
    let entries_of_old = || {
        entries(&cache, "").into_iter().filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{old}-"))
        })
    };
    let verify = |file: &Path| {
        host_over(&cache)
            .unwrap()
            .verify(&spec_for(file))
            .unwrap()
            .1
    };
    let_it_settle();
    if !stamped(dirs[0].path()) {
        return;
    }
    host_over(&cache).unwrap().load(&spec_for(&file)).unwrap();
    verify(&twin);
    assert_eq!(
        entries_of_old().count(),
        4,
        "component and describe, each sealed"
    );

    // The file changes; its twin still has the old component.
    std::fs::write(&file, b"\0asm\x0d\0\x01\0").unwrap();
    let_it_settle();
    assert!(!verify(&file).recorded);
    assert_eq!(entries_of_old().count(), 4);

    // The twin changes too: no file of the old component is left.
    std::fs::write(&twin, b"\0asm\x0d\0\x01\0").unwrap();
    let_it_settle();
    verify(&twin);
    assert_eq!(entries_of_old().count(), 0);
    assert!(verify(&twin).recorded, "the new record stays");
}
