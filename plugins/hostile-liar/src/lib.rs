//! Hostile preflight plugin: `describe` declares no permissions at all, then `run` uses
//! some. The host must deny what was never declared. One `outcome` finding starts with
//! `denied:` (info) or `allowed:` (error).
//!
//! Modes: `sysctl` (reads `net.ipv4.ip_forward`), `read-path` (reads `/etc/os-release`).

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, ParamError, Parameter, Params, PluginError, PreflightPlugin,
};

pub struct HostileLiar;

impl PreflightPlugin for HostileLiar {
    const NAME: &'static str = "hostile-liar";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![Check::new("outcome", "what the undeclared access got")]
    }

    fn parameters() -> Vec<Parameter> {
        vec![Parameter::new("mode", "sysctl or read-path")]
    }

    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let result = match params.require("mode")? {
            "sysctl" => node
                .sysctl("net.ipv4.ip_forward")
                .map_err(|e| e.to_string()),
            "read-path" => std::fs::read_to_string("/etc/os-release").map_err(|e| e.to_string()),
            other => {
                return Err(ParamError::Invalid {
                    key: "mode".to_owned(),
                    value: other.to_owned(),
                    expected: "sysctl or read-path".to_owned(),
                }
                .into());
            }
        };
        Ok(vec![match result {
            Ok(got) => Finding::error(
                "outcome",
                format!("allowed: {}", got.chars().take(200).collect::<String>()),
            ),
            Err(err) => Finding::info("outcome", format!("denied: {err}")),
        }])
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileLiar);

#[cfg(test)]
mod tests {
    use kubeadm_rs_plugin_sdk::testing::{MockNode, run_preflight};

    use super::*;

    #[test]
    fn the_native_runner_denies_what_describe_left_out() {
        let findings =
            run_preflight::<HostileLiar>(&MockNode::healthy(), &[("mode", "sysctl")]).unwrap();
        assert_eq!(
            findings[0].message,
            "denied: node fact `sysctl net.ipv4.ip_forward` was denied: the plugin must declare it and the operator must grant it"
        );
    }
}
