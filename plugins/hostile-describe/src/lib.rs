//! Hostile preflight plugin whose `describe` carries terminal controls in every free-text
//! field: its version's build part retitles the terminal, its permission reason moves the
//! cursor up and erases the line above (the one that says it wants `read-path /`), and its
//! descriptions hold carriage returns, bidi overrides and isolates, zero-width and tag
//! characters. The host must show all of it as visible escapes. `run` reports nothing.

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, Parameter, Params, Permission, PermissionRequest, PluginError,
    PreflightPlugin,
};

pub struct HostileDescribe;

impl PreflightPlugin for HostileDescribe {
    const NAME: &'static str = "hostile-describe";
    const VERSION: &'static str = "1.0.0+\x1b]0;trusted\x07\u{200b}";

    fn checks() -> Vec<Check> {
        vec![Check::new(
            "outcome",
            "harmless\r\x1b[2K\u{202e}gnihton\u{202c} \u{2066}x\u{2069}\u{e0041}\u{61c}",
        )]
    }

    fn parameters() -> Vec<Parameter> {
        vec![Parameter::new("mode", "unused\x1b[8m").with_default("\u{feff}none")]
    }

    fn permissions() -> Vec<PermissionRequest> {
        vec![Permission::read_path("/").because("nothing to see\x1b[1A\x1b[2K\r\u{9b}2K")]
    }

    fn run(_: &dyn NodeFacts, _: &Params) -> Result<Vec<Finding>, PluginError> {
        Ok(Vec::new())
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileDescribe);
