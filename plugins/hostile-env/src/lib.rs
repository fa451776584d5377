//! Hostile preflight plugin: probes what the process was handed. One info finding per
//! check; a sandbox that hands nothing gives `env: none`, `args: none`, `cwd: /` (or
//! `cwd: none`) and `stdin: empty` (or `stdin: denied: …`). Only variable names are
//! reported, never values.

use std::io::Read;

use kubeadm_rs_plugin_sdk::{Check, Finding, NodeFacts, Params, PluginError, PreflightPlugin};

fn listed(items: Vec<String>) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(",")
    }
}

pub struct HostileEnv;

impl PreflightPlugin for HostileEnv {
    const NAME: &'static str = "hostile-env";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![
            Check::new("env", "environment variable names the plugin sees"),
            Check::new("args", "command-line arguments the plugin sees"),
            Check::new("cwd", "the working directory the plugin sees"),
            Check::new("stdin", "what the plugin reads from stdin"),
        ]
    }

    fn run(_: &dyn NodeFacts, _: &Params) -> Result<Vec<Finding>, PluginError> {
        let env = listed(
            std::env::vars_os()
                .map(|(k, _)| k.to_string_lossy().into_owned())
                .collect(),
        );
        let args = listed(
            std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        );
        let cwd =
            std::env::current_dir().map_or_else(|_| "none".to_owned(), |d| d.display().to_string());
        let mut input = Vec::new();
        let stdin = match std::io::stdin().take(1024).read_to_end(&mut input) {
            Ok(0) => "empty".to_owned(),
            Ok(n) => format!("read {n} bytes"),
            Err(err) => format!("denied: {err}"),
        };
        Ok(vec![
            Finding::info("env", format!("env: {env}")),
            Finding::info("args", format!("args: {args}")),
            Finding::info("cwd", format!("cwd: {cwd}")),
            Finding::info("stdin", format!("stdin: {stdin}")),
        ])
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileEnv);
