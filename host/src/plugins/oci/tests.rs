use super::*;

const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn a_reference_names_its_registry_repository_tag_and_manifest_digest() {
    let r =
        OciReference::parse(&format!("oci://127.0.0.1:5000/plugins/net-sysctls:1.0@{D}")).unwrap();
    assert_eq!(r.registry(), "127.0.0.1:5000");
    assert_eq!(r.digest(), Some(D));
    assert_eq!(r.reference.repository(), "plugins/net-sysctls");
    assert_eq!(r.reference.tag(), Some("1.0"));
    let tagged = OciReference::parse("oci://registry.example/acme/flannel:v2").unwrap();
    assert_eq!(tagged.digest(), None);
}

#[test]
fn references_without_scheme_registry_or_a_sha256_digest_are_refused() {
    for (text, problem) in [
        ("127.0.0.1:5000/p:1", "does not start with oci://"),
        ("oci://flannel:1", "names no repository"),
        ("oci:///p:1", "empty"),
        ("oci://registry.example/p@sha256:abc", "sha256:"),
        ("oci://registry.example/p@sha512:abc", ""),
        ("oci://registry.example/UPPER:1", ""),
    ] {
        let err = OciReference::parse(text)
            .err()
            .unwrap_or_else(|| panic!("{text} parsed"));
        let msg = err.to_string();
        assert!(msg.contains(problem), "{text}: {msg}");
        assert!(msg.contains("expected oci://registry/repository"), "{msg}");
    }
}

fn docker_config(dir: &Path, json: &str) -> PathBuf {
    let path = dir.join("config.json");
    std::fs::write(&path, json).unwrap();
    path
}

#[test]
fn docker_config_auth_gives_basic_credentials_and_debug_hides_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret:with:colons");
    let path = docker_config(
        dir.path(),
        &format!(r#"{{"auths": {{"127.0.0.1:5000": {{"auth": "{auth}"}}}}}}"#),
    );
    let creds = Credentials::from_docker_config(&path, "127.0.0.1:5000").unwrap();
    match &creds {
        Credentials::Basic { username, password } => {
            assert_eq!(username, "alice");
            assert_eq!(password, "s3cret:with:colons");
        }
        other => panic!("{other:?}"),
    }
    let shown = format!("{creds:?}");
    assert!(
        shown.contains("alice") && !shown.contains("s3cret"),
        "{shown}"
    );
    // Another registry, or no file at all: anonymous.
    assert!(matches!(
        Credentials::from_docker_config(&path, "other.example").unwrap(),
        Credentials::Anonymous
    ));
    assert!(matches!(
        Credentials::from_docker_config(&dir.path().join("none.json"), "x").unwrap(),
        Credentials::Anonymous
    ));
}

#[test]
fn a_broken_docker_config_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = docker_config(dir.path(), r#"{"auths": {"r.example": {"auth": "!!"}}}"#);
    let err = Credentials::from_docker_config(&path, "r.example")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("config.json") && err.contains("auths.r.example.auth"),
        "{err}"
    );
    assert!(!err.contains("!!"), "the secret field is not echoed: {err}");
    let path = docker_config(dir.path(), "{not json");
    let err = Credentials::from_docker_config(&path, "r.example")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not JSON"), "{err}");
}

fn manifest(config_type: &str, layers: &[(&str, &[u8])], annotations: &[(&str, &str)]) -> Vec<u8> {
    let descriptor = |media_type: &str, bytes: &[u8]| OciDescriptor {
        media_type: media_type.to_string(),
        digest: oci_digest(bytes),
        size: bytes.len() as i64,
        ..OciDescriptor::default()
    };
    serde_json::to_vec(&OciImageManifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.into()),
        config: descriptor(config_type, b"{}"),
        layers: layers.iter().map(|(t, b)| descriptor(t, b)).collect(),
        subject: None,
        artifact_type: None,
        annotations: Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
    })
    .unwrap()
}

#[test]
fn only_a_wasm_config_with_exactly_one_wasm_layer_is_a_plugin_artifact() {
    let r = OciReference::parse("oci://r.example/p:1").unwrap();
    let good = manifest(
        WASM_CONFIG_MEDIA_TYPE,
        &[(WASM_LAYER_MEDIA_TYPE, b"\0asm")],
        &[(SIGNATURE_ANNOTATION, "untrusted comment: x")],
    );
    let a = artifact(&r, &good).unwrap();
    assert_eq!(a.layer.digest, oci_digest(b"\0asm"));
    assert_eq!(a.signature.as_deref(), Some("untrusted comment: x"));

    for (bad, problem) in [
        (
            manifest(
                "application/vnd.oci.image.config.v1+json",
                &[(WASM_LAYER_MEDIA_TYPE, b"a")],
                &[],
            ),
            "config media type",
        ),
        (manifest(WASM_CONFIG_MEDIA_TYPE, &[], &[]), "0 layers"),
        (
            manifest(
                WASM_CONFIG_MEDIA_TYPE,
                &[(WASM_LAYER_MEDIA_TYPE, b"a"), (WASM_LAYER_MEDIA_TYPE, b"b")],
                &[],
            ),
            "2 layers",
        ),
        (
            manifest(
                WASM_CONFIG_MEDIA_TYPE,
                &[("application/octet-stream", b"a")],
                &[],
            ),
            "layer's media type",
        ),
        (b"[]".to_vec(), "not an OCI image manifest"),
    ] {
        let err = artifact(&r, &bad).err().expect(problem).to_string();
        assert!(
            err.contains("not a wasm plugin artifact") && err.contains(problem),
            "{err}"
        );
    }
}

#[test]
fn the_pull_cache_returns_only_intact_files_of_this_user() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PullCache::open(&dir.path().join("plugins")).unwrap();
    let bytes = b"\0asm component";
    let hex = Digest::of(bytes).hex();
    let path = cache.blob_path(&hex);
    assert_eq!(cache.read(&path, &hex, 1 << 20), None);
    cache.store(&path, bytes).unwrap();
    assert_eq!(
        cache.read(&path, &hex, 1 << 20).as_deref(),
        Some(&bytes[..])
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("plugins")), 0o700);
    assert_eq!(mode(&dir.path().join("plugins/oci")), 0o700);
    // Changed content no longer matches its name: treated as absent, fetched again.
    std::fs::write(&path, b"\0asm tampered").unwrap();
    assert_eq!(cache.read(&path, &hex, 1 << 20), None);
}

#[test]
fn a_digest_pinned_pull_is_served_from_the_cache_without_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PullCache::open(&dir.path().join("plugins")).unwrap();
    let wasm = b"\0asm cached plugin";
    let m = manifest(
        WASM_CONFIG_MEDIA_TYPE,
        &[(WASM_LAYER_MEDIA_TYPE, wasm)],
        &[],
    );
    let m_hex = Digest::of(&m).hex();
    cache
        .store(&cache.blob_path(&Digest::of(wasm).hex()), wasm)
        .unwrap();
    cache.store(&cache.manifest_path(&m_hex), &m).unwrap();
    // Port 9 on loopback: nothing listens, so any network use would fail the pull.
    let r = OciReference::parse(&format!("oci://127.0.0.1:9/p:1@sha256:{m_hex}")).unwrap();
    let pulled = pull(&r, &Access::default(), Some(&cache)).unwrap();
    assert!(!pulled.fetched);
    assert_eq!(pulled.wasm, wasm);
    assert_eq!(pulled.manifest_digest, format!("sha256:{m_hex}"));
    // Without the cache the same pull needs the (absent) registry.
    let err = pull(&r, &Access::default(), None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("cannot reach the registry 127.0.0.1:9"),
        "{err}"
    );
}
