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
        .load(engine, KEY, EMPTY_COMPONENT, digest, found)
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
    let other_host = format!(
        r#"{{"host":"0.0.1","info":{}}}"#,
        serde_json::to_string(&info()).unwrap()
    );
    seal::write(&path, other_host.as_bytes()).unwrap();
    assert_eq!(cache.described::<PluginInfo>(&digest, KEY), Ok(None));

    seal::write(&path, b"[]").unwrap();
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
