//! Builds the plugin workspace (`plugins/`, wasm32-wasip2) with a nested cargo so the
//! integration tests run real components: `env!("KUBEADM_RS_PLUGIN_DIR")` is the
//! directory holding `<crate>.wasm` for every plugin crate.

// Cargo reads a build script's directives from its stdout.
#![allow(clippy::print_stdout)]

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() {
    let tests_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = tests_dir
        .parent()
        .expect("tests/ sits in the repository root");
    let plugins = root.join("plugins");

    for input in rebuild_inputs(root, &plugins) {
        println!("cargo:rerun-if-changed={}", input.display());
    }

    // A target directory of its own: sharing the outer one deadlocks on its lock.
    let target_dir = outer_target_dir().join("plugins");
    let status = Command::new(env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
        // Cargo reads plugins/.cargo/config.toml from the working directory, not from
        // --manifest-path; the explicit --target makes the build independent of it.
        .current_dir(&plugins)
        .args(["build", "--release", "--workspace", "--target", WASM_TARGET])
        .env("CARGO_TARGET_DIR", &target_dir)
        // Host flags and wrappers (coverage, target-cpu, clippy-driver, sccache) are for
        // the outer build; they break or slow a wasm build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET")
        // A build script's stdout is parsed by cargo: send the nested output to stderr.
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .unwrap_or_else(|err| panic!("cannot run cargo to build {}: {err}", plugins.display()));
    assert!(
        status.success(),
        "building the plugins failed ({status}); reproduce with: cd {} && cargo build --release",
        plugins.display()
    );

    let wasm_dir = target_dir.join(WASM_TARGET).join("release");
    println!(
        "cargo:rustc-env=KUBEADM_RS_PLUGIN_DIR={}",
        wasm_dir.display()
    );
}

/// The WIT package, the SDK (and the object rules it shares with the host), and every
/// source of the plugin workspace, but not its `target/` (a plugin build there would
/// otherwise retrigger this script forever).
fn rebuild_inputs(root: &Path, plugins: &Path) -> Vec<PathBuf> {
    let mut inputs = vec![
        root.join("wit"),
        root.join("sdk/src"),
        root.join("sdk/Cargo.toml"),
        root.join("plugin-contract/src"),
        root.join("plugin-contract/Cargo.toml"),
    ];
    let entries = std::fs::read_dir(plugins)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", plugins.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|err| panic!("cannot list {}: {err}", plugins.display()))
            .path();
        if path.file_name().is_some_and(|name| name != "target") {
            inputs.push(path);
        }
    }
    inputs.sort();
    inputs
}

/// The outer build's target directory, found from `OUT_DIR`
/// (`<target>[/<triple>]/<profile>/build/<pkg>-<hash>/out`), so it follows
/// `CARGO_TARGET_DIR`, `--target-dir` and `build.target-dir` alike.
fn outer_target_dir() -> PathBuf {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let build = out_dir
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .unwrap_or_else(|| {
            panic!(
                "OUT_DIR {} is not under a build/ directory",
                out_dir.display()
            )
        });
    let profile_parent = build
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("OUT_DIR {} has no target directory", out_dir.display()));
    let triple = env::var_os("TARGET");
    match (profile_parent.file_name(), profile_parent.parent()) {
        (Some(name), Some(target)) if Some(name) == triple.as_deref() => target.to_path_buf(),
        _ => profile_parent.to_path_buf(),
    }
}
