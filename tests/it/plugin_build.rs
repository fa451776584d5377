//! `tests/build.rs` builds the plugin workspace: every plugin crate is there as a
//! WebAssembly component, ready for the host's tests.

use std::fs;
use std::path::{Path, PathBuf};

/// `\0asm`, then the component-model layer (a core module would be `01 00 00 00`).
const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\x00\x01\x00";

/// The plugins the host's tests and the README's dry-run rely on.
const EXAMPLES: &[&str] = &["net-sysctls", "kernel-modules", "min-resources", "flannel"];

fn plugin_dir() -> &'static Path {
    Path::new(env!("KUBEADM_RS_PLUGIN_DIR"))
}

/// Every crate directory in `plugins/`, by crate name (the directory names match).
fn plugin_crates() -> Vec<String> {
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let mut crates: Vec<String> = fs::read_dir(&plugins)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", plugins.display()))
        .map(|entry| entry.expect("readable plugins/ entry").path())
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .map(|dir| dir.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    crates
}

fn wasm_path(crate_name: &str) -> PathBuf {
    plugin_dir().join(format!("{}.wasm", crate_name.replace('-', "_")))
}

fn read_wasm(crate_name: &str) -> Vec<u8> {
    let path = wasm_path(crate_name);
    fs::read(&path).unwrap_or_else(|e| panic!("{crate_name}: cannot read {}: {e}", path.display()))
}

#[test]
fn every_plugin_crate_is_built_as_a_component() {
    let crates = plugin_crates();
    for example in EXAMPLES {
        assert!(
            crates.iter().any(|c| c == example),
            "plugins/{example} is missing"
        );
    }
    assert!(
        crates.len() > EXAMPLES.len(),
        "the hostile plugins are missing: {crates:?}"
    );
    for name in &crates {
        let wasm = read_wasm(name);
        assert!(
            wasm.starts_with(COMPONENT_HEADER),
            "{name}: {} starts with {:02x?}, not the component-model header",
            wasm_path(name).display(),
            &wasm[..wasm.len().min(8)]
        );
    }
}

/// The version in `package kubeadm-rs:plugin@X;` of the WIT package.
fn wit_version() -> String {
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/types.wit");
    let text =
        fs::read_to_string(&wit).unwrap_or_else(|e| panic!("cannot read {}: {e}", wit.display()));
    let version = text
        .split_once("package kubeadm-rs:plugin@")
        .and_then(|(_, rest)| rest.split_once(';'))
        .map(|(version, _)| version.to_owned());
    version.unwrap_or_else(|| panic!("{} declares no kubeadm-rs:plugin package", wit.display()))
}

/// The host reads the WIT version from import names before calling `describe`; every
/// SDK-built plugin imports the `types` interface, since its exports use those types.
#[test]
fn sdk_plugins_name_the_wit_version_in_their_imports() {
    let versioned = format!("kubeadm-rs:plugin/types@{}", wit_version());
    for name in EXAMPLES {
        let wasm = read_wasm(name);
        assert!(
            wasm.windows(versioned.len())
                .any(|w| w == versioned.as_bytes()),
            "{name}: no import of {versioned}"
        );
    }
}
