//! The Python plugins (`plugins/py-*`), built by their `build.sh` with the componentize-py
//! that `scripts/setup.sh` pins in the tools venv. Every test process takes one file lock:
//! the first builds each component (kept under the hash of its sources) and compiles it into
//! the node root's compile cache, so the 18 MB compile happens once per test run, not per test.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use kubeadm_rs::events::Events;
use kubeadm_rs::plugins::{DEFAULT_CACHE_DIR, HostConfig, PluginHost};
use kubeadm_rs_tests::tools_dir;

use super::FakeNode;

/// The Python example and hostile plugins: their directory under `plugins/`.
pub const NODE_CHECKS: &str = "py-node-checks";
pub const HOSTILE: &str = "py-hostile";

/// Where the node's provisioning tool leaves its marker (py-node-checks' read-path).
pub const MARKER_DIR: &str = "var/lib/node-provisioner";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-plugins")
}

/// The node root shared by the Python plugin tests: the provisioning marker, and the compile
/// cache at its `DEFAULT_CACHE_DIR`, where `init --rootfs` looks for it.
pub fn node_root() -> PathBuf {
    work_dir().join("node")
}

pub fn node_cache() -> PathBuf {
    node_root().join(DEFAULT_CACHE_DIR.trim_start_matches('/'))
}

/// The componentize-py the set-up script installed; a missing one fails the test by name.
pub fn componentize_py() -> PathBuf {
    let tool = tools_dir().join("venv/bin/componentize-py");
    assert!(
        tool.is_file(),
        "componentize-py is missing at {}: run scripts/setup.sh, which installs the pinned version in the tools venv",
        tool.display()
    );
    tool
}

/// The directory holding `<plugin with _ for ->.wasm` for both Python plugins, built and
/// compiled once, with the node root prepared.
pub fn python_plugin_dir() -> PathBuf {
    let work = work_dir();
    std::fs::create_dir_all(&work).expect("python plugin work dir");
    let lock = std::fs::File::create(work.join("lock")).expect("python build lock");
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .expect("taking the python build lock");

    let plugins = [NODE_CHECKS, HOSTILE];
    let dir = work.join(format!("{:016x}", sources_hash(&plugins)));
    if !dir.join("done").exists() {
        // Earlier builds and their 35 MB cache entries are stale now: only the lock stays.
        for entry in listed(&work) {
            if entry.file_name().is_some_and(|name| name != "lock") {
                std::fs::remove_dir_all(&entry).unwrap();
            }
        }
        let building = work.join("building");
        std::fs::create_dir_all(&building).unwrap();
        for plugin in plugins {
            build(plugin, &building.join(wasm_name(plugin)));
        }
        let marker = node_root().join(MARKER_DIR);
        std::fs::create_dir_all(&marker).unwrap();
        std::fs::write(marker.join("provisioned"), "profile=standard\n").unwrap();
        warm(&building, &plugins);
        std::fs::write(building.join("done"), "").unwrap();
        std::fs::rename(&building, &dir).unwrap();
    }
    dir
}

/// `plugins/py-node-checks` → `py_node_checks.wasm`.
pub fn wasm_name(plugin: &str) -> String {
    format!("{}.wasm", plugin.replace('-', "_"))
}

pub fn python_wasm(plugin: &str) -> PathBuf {
    python_plugin_dir().join(wasm_name(plugin))
}

fn build(plugin: &str, out: &Path) {
    let script = repo().join("plugins").join(plugin).join("build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(out)
        .env("COMPONENTIZE_PY", componentize_py())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success() && out.is_file(),
        "bash {} {} failed: {}",
        script.display(),
        out.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compiles each component into the node root's cache, so every later load is a cache hit.
fn warm(dir: &Path, plugins: &[&str]) {
    let config = HostConfig::new(
        node_cache(),
        Arc::new(FakeNode::default()),
        Events::discard(),
    );
    let host = PluginHost::new(config).expect("plugin host starts");
    for plugin in plugins {
        host.inspect(&dir.join(wasm_name(plugin)))
            .unwrap_or_else(|e| panic!("{plugin} cannot be inspected: {e}"));
    }
}

/// The plugins' sources, the WIT package and the tool's path: what a build depends on.
fn sources_hash(plugins: &[&str]) -> u64 {
    let mut files: Vec<PathBuf> = plugins
        .iter()
        .flat_map(|p| listed(&repo().join("plugins").join(p)))
        .chain(listed(&repo().join("wit")))
        .filter(|f| {
            f.extension()
                .is_some_and(|e| e == "py" || e == "sh" || e == "wit")
        })
        .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    componentize_py().hash(&mut hasher);
    for file in files {
        file.hash(&mut hasher);
        std::fs::read(&file).unwrap().hash(&mut hasher);
    }
    hasher.finish()
}

fn listed(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect()
}
