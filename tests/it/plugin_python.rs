//! Preflight plugins written in Python (componentize-py): `plugins/py-node-checks` runs
//! through the host and in `init --dry-run` like a Rust plugin, under the same sandbox and
//! limits; `plugins/py-hostile` links every WASI interface, sockets included, and still
//! reaches no network, no environment and no path outside its grant.

use crate::common;
use crate::plugin_support;

use std::path::Path;

use common::{kubeadm, stderr};
use kubeadm_rs::config::plugins::{ByteSize, PluginSource, PluginSpec};
use kubeadm_rs::events::Severity;
use kubeadm_rs::plugins::{Finding, PermissionRequest, PluginError, PluginKind};
use plugin_support::python::{
    HOSTILE, MARKER_DIR, NODE_CHECKS, node_cache, node_root, python_plugin_dir, python_wasm,
    wasm_name,
};
use plugin_support::{FakeNode, TestHost, err_text, grant_declared, network_attempts};

/// A host whose compile cache is the Python node root's, warmed by the build.
fn host(node: FakeNode) -> TestHost {
    python_plugin_dir();
    TestHost::with_cache(node, &node_cache())
}

fn python_spec(name: &str, plugin: &str, params: &[(&str, &str)]) -> PluginSpec {
    let mut spec = PluginSpec::new(
        name,
        PluginSource::path(python_wasm(plugin).to_string_lossy().into_owned()),
    );
    for (k, v) in params {
        spec.parameters.set(*k, *v);
    }
    spec
}

/// py-node-checks with its read-path granted, on a node root holding the marker.
fn node_checks(t: &TestHost, params: &[(&str, &str)]) -> Result<Vec<Finding>, PluginError> {
    let marker = t.files.path().join(MARKER_DIR);
    std::fs::create_dir_all(&marker).unwrap();
    std::fs::write(marker.join("provisioned"), "profile=standard\n").unwrap();
    let spec = grant_declared(&t.host, python_spec(NODE_CHECKS, NODE_CHECKS, params));
    t.host.load(&spec)?.run_preflight()
}

fn messages(findings: &[Finding]) -> Vec<(String, Severity, String)> {
    findings
        .iter()
        .map(|f| (f.check.clone(), f.severity, f.message.clone()))
        .collect()
}

#[test]
fn a_python_plugin_is_inspected_like_a_rust_one() {
    let t = host(FakeNode::default());
    let inspection = t.host.inspect(&python_wasm(NODE_CHECKS)).unwrap();
    assert_eq!(inspection.kind, PluginKind::Preflight);
    assert_eq!(inspection.wit_version.as_deref(), Some("0.1.0"));
    assert_eq!(inspection.info.name, "py-node-checks");
    let checks: Vec<&str> = inspection
        .info
        .checks
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(checks, ["os-release", "provisioned", "resources"]);
    let permissions: Vec<String> = inspection
        .info
        .permissions
        .iter()
        .map(|PermissionRequest { permission, .. }| permission.to_string())
        .collect();
    assert_eq!(permissions, ["read-path /var/lib/node-provisioner"]);
    // CPython links the sockets whether or not the plugin uses them: the audit lets them
    // through to a context with no network (the hostile tests below show it).
    assert!(
        inspection
            .imports
            .iter()
            .any(|i| i.starts_with("wasi:sockets/tcp@")),
        "{:?}",
        inspection.imports
    );
}

#[test]
fn the_checks_report_through_the_host_with_the_typed_facts_and_the_granted_marker() {
    let t = host(FakeNode::default());
    // The fake node's os-release has ID=debian and no VERSION_ID.
    let supported = [("supported-os", "debian")];
    assert_eq!(messages(&node_checks(&t, &supported).unwrap()), []);
    assert_eq!(
        messages(&node_checks(&t, &[]).unwrap()),
        [(
            "os-release".into(),
            Severity::Error,
            "the node runs debian; supported: debian:12, debian:13, ubuntu:24.04".into()
        )]
    );
    assert_eq!(
        messages(&node_checks(&t, &[("supported-os", "debian"), ("marker", "ready")]).unwrap()),
        [(
            "provisioned".into(),
            Severity::Error,
            "no provisioning marker at /var/lib/node-provisioner/ready".into()
        )]
    );

    let small = host(FakeNode {
        cpus: 1,
        memory: 1 << 30,
        ..FakeNode::default()
    });
    let role = |role| [("supported-os", "debian"), ("role", role)];
    assert_eq!(messages(&node_checks(&small, &role("worker")).unwrap()), []);
    assert_eq!(
        messages(&node_checks(&small, &role("control-plane")).unwrap()),
        [
            (
                "resources".into(),
                Severity::Error,
                "a control-plane node needs 2 CPUs, this one has 1".into()
            ),
            (
                "resources".into(),
                Severity::Error,
                "a control-plane node needs 1700 MiB of memory, this one has 1024 MiB".into()
            ),
        ]
    );
}

#[test]
fn a_bad_parameter_fails_the_plugin_with_its_one_line() {
    let t = host(FakeNode::default());
    let (err, text) = err_text(node_checks(&t, &[("role", "etcd")]));
    assert!(matches!(err, PluginError::Failed { .. }), "{text}");
    assert!(
        text.ends_with(
            r#"run failed: parameter role: "etcd" is invalid; expected control-plane or worker"#
        ),
        "{text}"
    );
}

#[test]
fn its_read_path_must_be_granted_like_any_plugins() {
    let t = host(FakeNode::default());
    let (err, text) = err_text(t.host.load(&python_spec(NODE_CHECKS, NODE_CHECKS, &[])));
    assert!(
        matches!(err, PluginError::PermissionDenied { .. }),
        "{text}"
    );
    assert!(
        text.contains(
            "add to plugins[py-node-checks].grants: readPaths: [/var/lib/node-provisioner]"
        ),
        "{text}"
    );
}

#[test]
fn the_default_memory_limit_fits_cpython_and_a_smaller_one_is_enforced() {
    let t = host(FakeNode::default());
    // The runs above use the 64Mi default; this one is explicit, then below the ~12.3 MiB of
    // linear memory this plugin's CPython grows to.
    let mut spec = grant_declared(
        &t.host,
        python_spec(NODE_CHECKS, NODE_CHECKS, &[("supported-os", "debian")]),
    );
    let marker = t.files.path().join(MARKER_DIR);
    std::fs::create_dir_all(&marker).unwrap();
    std::fs::write(marker.join("provisioned"), "").unwrap();
    spec.limits.memory = Some(ByteSize::mib(64));
    assert_eq!(t.host.load(&spec).unwrap().run_preflight().unwrap(), []);
    spec.limits.memory = Some(ByteSize::mib(8));
    let (err, text) = err_text(t.host.load(&spec).and_then(|p| p.run_preflight()));
    assert!(matches!(err, PluginError::OutOfMemory { .. }), "{text}");
}

#[test]
fn an_exception_that_escapes_run_traps_with_its_message() {
    let t = host(FakeNode::default());
    let spec = grant_declared(&t.host, python_spec(HOSTILE, HOSTILE, &[("mode", "raise")]));
    let (err, text) = err_text(t.host.load(&spec).and_then(|p| p.run_preflight()));
    assert!(matches!(err, PluginError::Trapped { .. }), "{text}");
    assert!(text.contains("RuntimeError: raised on purpose"), "{text}");
}

// --- the hostile Python plugin: sockets linked, nothing reachable ---------------------------

fn hostile(t: &TestHost, params: &[(&str, &str)]) -> String {
    let spec = grant_declared(&t.host, python_spec(HOSTILE, HOSTILE, params));
    let findings = t.host.load(&spec).unwrap().run_preflight().unwrap();
    assert_eq!(findings.len(), 1, "{params:?}: {findings:?}");
    findings[0].message.clone()
}

#[test]
fn python_sockets_reach_no_network() {
    let t = host(FakeNode::default());
    let messages = network_attempts(|mode, addr| hostile(&t, &[("mode", mode), ("addr", addr)]));
    for (mode, message) in messages {
        assert!(message.starts_with("denied:"), "{mode}: {message}");
    }
}

#[test]
fn python_sees_no_environment_arguments_or_working_directory() {
    let t = host(FakeNode::default());
    let message = hostile(&t, &[("mode", "env")]);
    assert!(
        message.starts_with("denied: PermissionError: env: none; args: none"),
        "{message}"
    );
}

#[test]
fn python_reads_only_its_granted_directory() {
    let t = host(FakeNode::default());
    let granted = t.files.path().join("srv/py-hostile");
    std::fs::create_dir_all(&granted).unwrap();
    std::fs::write(granted.join("granted.txt"), "granted content").unwrap();
    let secret = t.files.path().join("secret.txt");
    std::fs::write(&secret, "outside the grant").unwrap();
    std::os::unix::fs::symlink(&secret, granted.join("escape")).unwrap();

    assert_eq!(
        hostile(&t, &[("mode", "read-granted")]),
        "allowed: granted content"
    );
    for mode in ["read-outside", "dotdot", "symlink", "write", "list-root"] {
        let message = hostile(&t, &[("mode", mode)]);
        assert!(message.starts_with("denied:"), "{mode}: {message}");
    }
    assert!(
        !granted.join("pwned").exists(),
        "the write left nothing behind"
    );
}

// --- in init --dry-run ----------------------------------------------------------------------

/// The node's own `ID` from its os-release: `init` reads the live node's facts.
fn live_os_id() -> String {
    let text = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .expect("the test machine has an os-release");
    text.lines()
        .find_map(|l| l.strip_prefix("ID="))
        .map(|v| v.trim_matches('"').to_string())
        .expect("os-release has an ID")
}

fn config(dir: &Path, supported_os: &str) -> std::path::PathBuf {
    let plugins = python_plugin_dir();
    let wasm = plugins.join(wasm_name(NODE_CHECKS));
    let sum = common::stdout(&common::run_ok(common::tool("sha256sum").arg(&wasm)));
    let sha256 = sum.split(' ').next().unwrap();
    let text = format!(
        "apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
---
apiVersion: kubeadm-rs.io/v1alpha1
kind: PluginConfiguration
pluginDir: {}
plugins:
- name: py-node-checks
  source: {{name: py_node_checks}}
  sha256: {sha256}
  grants:
    readPaths: [/{MARKER_DIR}]
  parameters: {{supported-os: \"{supported_os}\", role: worker, worker-cpus: \"1\", worker-memory: 1Mi}}
",
        plugins.display()
    );
    let path = dir.join("kubeadm.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `init --dry-run` on the shared node root (it holds the marker and the warm cache; a dry
/// run writes nothing there). Built-in checks depend on the machine: they are ignored.
fn init_dry_run(config: &Path) -> std::process::Output {
    kubeadm()
        .args(["init", "--dry-run", "--node-name", "node-1", "--config"])
        .arg(config)
        .arg("--rootfs")
        .arg(node_root())
        .args([
            "--ignore-preflight-errors",
            "all",
            "--skip-phases",
            "addon/coredns,addon/kube-proxy",
        ])
        .output()
        .unwrap()
}

#[test]
fn init_dry_run_runs_the_python_plugin_as_a_preflight_phase() {
    let dir = tempfile::tempdir().unwrap();
    let passing = init_dry_run(&config(dir.path(), &live_os_id()));
    let log = stderr(&passing);
    assert!(passing.status.success(), "{log}");
    assert!(log.contains("preflight/py-node-checks"), "{log}");
    assert!(
        !log.contains("py-node-checks/"),
        "no finding expected:\n{log}"
    );

    let failing = init_dry_run(&config(dir.path(), "plan9"));
    let log = stderr(&failing);
    assert!(
        failing.status.success(),
        "ignored by --ignore-preflight-errors=all: {log}"
    );
    assert!(
        log.contains("[WARNING py-node-checks/os-release]") && log.contains("supported: plan9"),
        "{log}"
    );
}
