//! Hostile preflight plugin: opens files that are not regular files (a FIFO with no writer,
//! a socket, a device node) under its granted directory, `/tmp`, which would block a host
//! thread for good if the host opened them. One `outcome` finding says what the open and
//! read got: `denied:` (info) or `allowed:` (error).
//!
//! The test places the file and passes its path as `path` (under `/tmp`). With `times`, it
//! reads the path that many times while the test swaps a FIFO in and out under it, and one
//! `outcome` finding (info) counts what the reads got.

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, Parameter, Params, Permission, PermissionRequest, PluginError,
    PreflightPlugin,
};

pub struct HostileSpecial;

impl PreflightPlugin for HostileSpecial {
    const NAME: &'static str = "hostile-special";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![Check::new("outcome", "what opening the special file got")]
    }

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new("path", "the file to open, under /tmp"),
            Parameter::new("times", "how often to read it (default: once)"),
        ]
    }

    fn permissions() -> Vec<PermissionRequest> {
        vec![Permission::read_path("/tmp").because("the sandbox tests' special files")]
    }

    fn run(_: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let path = params.require("path")?;
        if let Some(times) = params.get("times") {
            let times: u32 = times.parse().unwrap_or(1);
            let read = (0..times).filter(|_| std::fs::read(path).is_ok()).count();
            return Ok(vec![Finding::info(
                "outcome",
                format!("read {read} of {times} times"),
            )]);
        }
        Ok(vec![match std::fs::read(path) {
            Ok(bytes) => Finding::error("outcome", format!("allowed: read {} bytes", bytes.len())),
            Err(err) => Finding::info("outcome", format!("denied: {err}")),
        }])
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileSpecial);
