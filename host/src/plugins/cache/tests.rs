use std::os::unix::fs::PermissionsExt as _;

use super::*;
use crate::plugins::model::{PluginInfo, PluginKind};

/// The smallest component: the header of the component binary format, nothing else.
const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";
const KEY: &str = "0123456789abcdef";

fn info() -> PluginInfo {
    PluginInfo {
        name: "net-sysctls".into(),
        version: "0.1.0".into(),
        kind: PluginKind::Preflight,
        wit_version: "0.1.0".into(),
        min_host_version: "0.1.0".into(),
        checks: vec![],
        parameters: vec![],
        permissions: vec![],
    }
}

fn outcome(
    cache: &CompileCache,
    engine: &Engine,
    digest: &Digest,
) -> (CacheOutcome, Option<Stamp>) {
    let found = cache.lookup(digest, KEY);
    let (_, outcome, stamp) = cache
        .load(
            engine,
            KEY,
            &Wasm::Read(EMPTY_COMPONENT.to_vec()),
            digest,
            found,
        )
        .unwrap();
    (outcome, stamp)
}

#[test]
fn an_entry_is_compiled_once_then_hit_and_compiled_again_when_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CompileCache::open(&dir.path().join("cache")).unwrap();
    let engine = Engine::default();
    let digest = Digest::of(EMPTY_COMPONENT);
    assert!(matches!(cache.lookup(&digest, KEY), Lookup::Missing));

    let (first, written) = outcome(&cache, &engine, &digest);
    assert_eq!(first, CacheOutcome::Compiled);
    let entry = cache.entry_path(&digest, KEY);
    assert_eq!(
        written,
        seal::stamp(&entry),
        "the stamp of the entry written"
    );

    let (second, loaded) = outcome(&cache, &engine, &digest);
    assert_eq!(second, CacheOutcome::Hit);
    assert_eq!(loaded, written, "the same file");

    let mut bytes = fs::read(&entry).unwrap();
    bytes.push(0);
    fs::write(&entry, bytes).unwrap();
    let Lookup::Unusable(reason) = cache.lookup(&digest, KEY) else {
        panic!("a tampered entry was usable")
    };
    assert!(reason.starts_with("its sha256 is "), "{reason}");
    let (third, rewritten) = outcome(&cache, &engine, &digest);
    assert!(
        matches!(&third, CacheOutcome::Recompiled { reason: r } if r.starts_with("its sha256 is ")),
        "{third:?}"
    );
    assert_ne!(rewritten, written, "a new file");
    assert_eq!(outcome(&cache, &engine, &digest).0, CacheOutcome::Hit);
}

#[test]
fn a_kept_describe_is_this_host_versions_own_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CompileCache::open(dir.path()).unwrap();
    let digest = Digest::of(b"plugin");
    assert_eq!(cache.described::<PluginInfo>(&digest, KEY), Ok(None));

    cache.store_described(&digest, KEY, &info());
    assert_eq!(cache.described(&digest, KEY), Ok(Some(info())));

    let path = cache.described_path(&digest, KEY);
    let what = described_binding(&digest, KEY);
    let sealed = Binding {
        key: cache.prepare().unwrap(),
        what: &what,
    };
    let other_host = format!(
        r#"{{"host":"0.0.1","info":{}}}"#,
        serde_json::to_string(&info()).unwrap()
    );
    seal::write(&path, other_host.as_bytes(), &sealed).unwrap();
    assert_eq!(cache.described::<PluginInfo>(&digest, KEY), Ok(None));

    seal::write(&path, b"[]", &sealed).unwrap();
    let Err(reason) = cache.described::<PluginInfo>(&digest, KEY) else {
        panic!("a record that is no describe answer was used")
    };
    assert!(
        reason.starts_with("it is not a describe record"),
        "{reason}"
    );

    cache.store_described(&digest, KEY, &info());
    fs::write(&path, b"{}").unwrap();
    let Err(reason) = cache.described::<PluginInfo>(&digest, KEY) else {
        panic!("a changed record was used")
    };
    assert!(reason.starts_with("its sha256 is "), "{reason}");
}

#[test]
fn opening_creates_nothing_and_the_first_entry_makes_a_0700_directory_and_a_key_beside_it() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("var/cache/kubeadm-rs/plugins");
    let cache = CompileCache::open(&dir).unwrap();
    let digest = Digest::of(EMPTY_COMPONENT);
    assert!(matches!(cache.lookup(&digest, KEY), Lookup::Missing));
    assert_eq!(cache.described::<PluginInfo>(&digest, KEY), Ok(None));
    assert!(!root.path().join("var").exists(), "nothing made yet");

    assert_eq!(
        outcome(&cache, &Engine::default(), &digest).0,
        CacheOutcome::Compiled
    );
    let mode = |p: &Path| fs::symlink_metadata(p).unwrap().mode() & 0o7777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(dir.parent().unwrap()), 0o755);
    let key = root.path().join("var/cache/kubeadm-rs/plugins.key");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(fs::read(&key).unwrap().len(), KEY_LEN);
}

#[test]
fn an_entry_moved_from_another_wasm_digest_or_engine_is_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CompileCache::open(dir.path()).unwrap();
    let engine = Engine::default();
    let good = Digest::of(b"the pinned plugin");
    let evil = Digest::of(EMPTY_COMPONENT);
    outcome(&cache, &engine, &evil);
    for (to, key) in [(good, KEY), (evil, "fedcba9876543210")] {
        let (from, into) = (cache.entry_path(&evil, KEY), cache.entry_path(&to, key));
        fs::copy(&from, &into).unwrap();
        fs::copy(seal::sidecar(&from), seal::sidecar(&into)).unwrap();
        let Lookup::Unusable(reason) = cache.lookup(&to, key) else {
            panic!("a transplanted entry was usable as {to} {key}")
        };
        assert!(
            reason.contains("its seal was not made by this host"),
            "{reason}"
        );
    }
}

#[test]
fn a_cache_directory_others_could_change_is_an_error_naming_it_and_the_fix() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("plugins");
    let err = |dir: &Path| match CompileCache::open(dir) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{} was accepted", dir.display()),
    };

    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let text = err(&dir);
    assert!(
        text.starts_with(&format!(
            "compile cache {}: its mode is 0777",
            dir.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("`chmod 0700 {}`", dir.display())),
        "{text}"
    );
    assert_eq!(
        fs::metadata(&dir).unwrap().mode() & 0o7777,
        0o777,
        "never repaired quietly"
    );

    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();
    let text = err(&dir);
    assert!(
        text.contains("it is owned by uid 65534, not by uid 0"),
        "{text}"
    );
    assert!(
        text.contains(&format!("`rm -r {}`", dir.display())),
        "{text}"
    );
    fs::remove_dir(&dir).unwrap();

    fs::write(&dir, b"").unwrap();
    assert!(err(&dir).contains("it is a regular file, not a directory"));
    fs::remove_file(&dir).unwrap();

    let real = root.path().join("real");
    fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, &dir).unwrap();
    let text = err(&dir);
    assert!(
        text.contains(&format!("it is a symlink to {}", real.display())),
        "{text}"
    );
    assert!(!text.contains("--plugin-cache-dir"), "{text}");
    fs::remove_file(&dir).unwrap();

    let above = root.path().join("shared");
    fs::create_dir(&above).unwrap();
    fs::set_permissions(&above, fs::Permissions::from_mode(0o777)).unwrap();
    let text = err(&above.join("var/cache/plugins"));
    assert!(
        text.contains(&format!(
            "the directory {} above it has mode 0777",
            above.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("`chmod go-w {}`", above.display())),
        "{text}"
    );
    fs::set_permissions(&above, fs::Permissions::from_mode(0o1777)).unwrap();
    assert!(
        CompileCache::open(&above.join("var/cache/plugins")).is_ok(),
        "sticky, as /tmp"
    );
}

/// Every path below `root`, sorted.
fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                dirs.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_read_only_cache_uses_entries_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("var/cache/kubeadm-rs/plugins");
    let engine = Engine::default();
    let digest = Digest::of(EMPTY_COMPONENT);
    let read_only = CompileCache::open_with(&dir, CacheMode::ReadOnly).unwrap();
    assert_eq!(
        outcome(&read_only, &engine, &digest),
        (CacheOutcome::Compiled, None),
        "compiled in memory"
    );
    read_only.store_described(&digest, KEY, &info());
    assert_eq!(tree(root.path()), Vec::<String>::new());

    let writer = CompileCache::open(&dir).unwrap();
    outcome(&writer, &engine, &digest);
    writer.store_described(&digest, KEY, &info());
    let written = tree(root.path());
    let read_only = CompileCache::open_with(&dir, CacheMode::ReadOnly).unwrap();
    assert_eq!(outcome(&read_only, &engine, &digest).0, CacheOutcome::Hit);
    assert_eq!(read_only.described(&digest, KEY), Ok(Some(info())));
    assert_eq!(tree(root.path()), written);
}

#[test]
fn what_a_failed_run_wrote_is_removed_and_what_was_there_stays() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("var/cache/kubeadm-rs/plugins");
    let engine = Engine::default();
    let digest = Digest::of(EMPTY_COMPONENT);

    // A failed load forgets its entries; the directories and key stay for other plugins.
    let cache = CompileCache::open(&dir).unwrap();
    outcome(&cache, &engine, &digest);
    cache.store_described(&digest, KEY, &info());
    cache.forget(&digest);
    assert_eq!(
        tree(root.path()),
        [
            "var",
            "var/cache",
            "var/cache/kubeadm-rs",
            "var/cache/kubeadm-rs/plugins",
            "var/cache/kubeadm-rs/plugins.key",
        ]
    );
    // A command that fails before its first phase takes the rest away too.
    cache.discard_created();
    assert_eq!(tree(root.path()), Vec::<String>::new());

    // An admitted component's entry is not forgotten by a later failure of the same one.
    let cache = CompileCache::open(&dir).unwrap();
    outcome(&cache, &engine, &digest);
    cache.keep(&digest);
    cache.forget(&digest);
    assert_eq!(outcome(&cache, &engine, &digest).0, CacheOutcome::Hit);
    let before = tree(root.path());

    // What was there before a run is never removed by it.
    let next = CompileCache::open(&dir).unwrap();
    assert_eq!(outcome(&next, &engine, &digest).0, CacheOutcome::Hit);
    next.store_described(&Digest::of(b"other"), KEY, &info());
    next.forget(&digest);
    next.discard_created();
    assert_eq!(tree(root.path()), before);
}
