//! Hostile preflight plugin: asks for `/proc` and `/`, the way into kubeadm-rs's own
//! memory and environment (the host opens the files a plugin reads, so `/proc/self` is
//! kubeadm-rs). The host must refuse to load it whatever the operator grants. If it ever
//! runs, it reads `path` (default `/proc/self/environ`) and reports `allowed:` (error) or
//! `denied:` (info).

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, Parameter, Params, Permission, PermissionRequest, PluginError,
    PreflightPlugin,
};

pub struct HostileProc;

impl PreflightPlugin for HostileProc {
    const NAME: &'static str = "hostile-proc";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![Check::new(
            "outcome",
            "what reading the host's process files got",
        )]
    }

    fn parameters() -> Vec<Parameter> {
        vec![Parameter::new("path", "the file to read").with_default("/proc/self/environ")]
    }

    fn permissions() -> Vec<PermissionRequest> {
        vec![
            Permission::read_path("/proc").because("looks at the node's processes"),
            Permission::read_path("/").because("looks at the node's files"),
        ]
    }

    fn run(_: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let path = params.str_or("path", "/proc/self/environ");
        Ok(vec![match std::fs::read(path) {
            Ok(bytes) => Finding::error(
                "outcome",
                format!(
                    "allowed: {}",
                    String::from_utf8_lossy(&bytes)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            ),
            Err(err) => Finding::info("outcome", format!("denied: {err}")),
        }])
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileProc);
