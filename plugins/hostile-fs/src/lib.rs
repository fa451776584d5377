//! Hostile preflight plugin: tries to reach files it was not granted. It declares one
//! read path, `/srv/hostile-fs`; each mode reports one `outcome` finding whose message
//! starts with `denied:` (info) or `allowed:` (error: the sandbox let it through).
//!
//! Modes: `read-granted` (control: reads `/srv/hostile-fs/granted.txt`), `read-outside`
//! (`/etc/hostname`), `dotdot` (`/srv/hostile-fs/../../etc/passwd`), `symlink`
//! (`/srv/hostile-fs/escape`, a symlink the test places to a file outside), `write`
//! (creates `/srv/hostile-fs/pwned`), `list-root` (lists `/`).

use std::fs;

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, ParamError, Parameter, Params, Permission, PermissionRequest,
    PluginError, PreflightPlugin,
};

const GRANTED: &str = "/srv/hostile-fs";

/// One `outcome` finding: what the attempt got, at most 200 characters of it.
fn outcome(result: std::io::Result<String>) -> Finding {
    match result {
        Ok(got) => Finding::error(
            "outcome",
            format!("allowed: {}", got.chars().take(200).collect::<String>()),
        ),
        Err(err) => Finding::info("outcome", format!("denied: {err}")),
    }
}

pub struct HostileFs;

impl PreflightPlugin for HostileFs {
    const NAME: &'static str = "hostile-fs";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![Check::new("outcome", "what the file-system attempt got")]
    }

    fn parameters() -> Vec<Parameter> {
        vec![Parameter::new(
            "mode",
            "read-granted, read-outside, dotdot, symlink, write or list-root",
        )]
    }

    fn permissions() -> Vec<PermissionRequest> {
        vec![Permission::read_path(GRANTED).because("the sandbox tests' fixture directory")]
    }

    fn run(_: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let result = match params.require("mode")? {
            "read-granted" => fs::read_to_string(format!("{GRANTED}/granted.txt")),
            "read-outside" => fs::read_to_string("/etc/hostname"),
            "dotdot" => fs::read_to_string(format!("{GRANTED}/../../etc/passwd")),
            "symlink" => fs::read_to_string(format!("{GRANTED}/escape")),
            "write" => {
                fs::write(format!("{GRANTED}/pwned"), "pwned").map(|()| "wrote pwned".to_owned())
            }
            "list-root" => fs::read_dir("/").and_then(|entries| {
                entries
                    .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect::<std::io::Result<Vec<_>>>()
                    .map(|names| names.join(","))
            }),
            other => return Err(unknown_mode(other).into()),
        };
        Ok(vec![outcome(result)])
    }
}

fn unknown_mode(mode: &str) -> ParamError {
    ParamError::Invalid {
        key: "mode".to_owned(),
        value: mode.to_owned(),
        expected: "read-granted, read-outside, dotdot, symlink, write or list-root".to_owned(),
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileFs);
