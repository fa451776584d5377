//! The config corpus in tests/fixtures/config: each invalid file fails `config validate` with the
//! messages its `# expect:` lines name (and without the text its `# absent:` lines name); each valid
//! file passes and migrates to a v1beta4 file that migrates to itself.

use std::path::{Path, PathBuf};

use super::{migrate, validate_file};
use crate::test_support::FakeHost;

fn corpus(kind: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/config")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
        .iter()
        .map(|p| (file_name(p), std::fs::read_to_string(p).unwrap()))
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn marked<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(marker))
        .collect()
}

#[test]
fn invalid_configs_fail_with_the_messages_they_expect() {
    for (name, text) in corpus("invalid") {
        let expected = marked(&text, "# expect: ");
        assert!(!expected.is_empty(), "{name} has no `# expect:` line");
        let err = match validate_file(&text, &name, &FakeHost::default()) {
            Err(e) => e.to_string(),
            Ok(warnings) => panic!("{name} validated (warnings: {warnings:?})"),
        };
        assert!(!err.contains('\n'), "{name}: error spans lines: {err}");
        for e in expected {
            assert!(err.contains(e), "{name}: {err:?} lacks {e:?}");
        }
        for a in marked(&text, "# absent: ") {
            assert!(!err.contains(a), "{name}: {err:?} shows {a:?}");
        }
    }
}

#[test]
fn valid_configs_pass_and_migrate_to_a_fixed_point() {
    let host = FakeHost::default();
    for (name, text) in corpus("valid") {
        if let Err(e) = validate_file(&text, &name, &host) {
            panic!("{name}: {e}");
        }
        let migrated =
            migrate(&text, &name, &host).unwrap_or_else(|e| panic!("{name}: migrate: {e}"));
        assert!(!migrated.contains("v1beta3"), "{name}: {migrated}");
        assert_eq!(
            migrate(&migrated, &name, &host).unwrap(),
            migrated,
            "{name}"
        );
    }
}

#[test]
fn the_coredns_image_path_follows_kubeadm() {
    use crate::test_support::init_config_from_yaml;
    let cases = [
        ("", "registry.k8s.io/coredns/coredns:v1.12.1"),
        ("imageRepository: my.reg\n", "my.reg/coredns:v1.12.1"),
        (
            "imageRepository: my.reg\ndns:\n  imageRepository: registry.k8s.io\n  imageTag: v1.11.3\n",
            "registry.k8s.io/coredns/coredns:v1.11.3",
        ),
        (
            "dns:\n  imageRepository: dns.reg/x\n",
            "dns.reg/x/coredns:v1.12.1",
        ),
    ];
    for (cluster, image) in cases {
        let cfg = init_config_from_yaml(&format!(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n{cluster}"
        ));
        assert_eq!(cfg.coredns_image(), image, "{cluster}");
    }
}
