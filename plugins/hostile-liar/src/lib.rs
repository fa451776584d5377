//! Hostile preflight plugin whose `describe` lies: it declares one sysctl,
//! `net.ipv4.conf.all.forwarding`, and reads another, `net.ipv4.ip_forward`. The host
//! must deny the undeclared key even when the operator granted it (a grant only covers
//! what the plugin declared). One `outcome` finding starts with `denied:` (info) or
//! `allowed:` (error).
//!
//! Modes: `undeclared` (reads `net.ipv4.ip_forward`), `declared` (control: reads
//! `net.ipv4.conf.all.forwarding`).

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, ParamError, Parameter, Params, Permission, PermissionRequest,
    PluginError, PreflightPlugin,
};

pub struct HostileLiar;

impl PreflightPlugin for HostileLiar {
    const NAME: &'static str = "hostile-liar";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![Check::new("outcome", "what the sysctl read got")]
    }

    fn parameters() -> Vec<Parameter> {
        vec![Parameter::new("mode", "undeclared or declared")]
    }

    fn permissions() -> Vec<PermissionRequest> {
        vec![Permission::sysctl("net.ipv4.conf.all.forwarding").because("the one key it admits to")]
    }

    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let key = match params.require("mode")? {
            "undeclared" => "net.ipv4.ip_forward",
            "declared" => "net.ipv4.conf.all.forwarding",
            other => {
                return Err(ParamError::Invalid {
                    key: "mode".to_owned(),
                    value: other.to_owned(),
                    expected: "undeclared or declared".to_owned(),
                }
                .into());
            }
        };
        Ok(vec![match node.sysctl(key) {
            Ok(value) => Finding::error("outcome", format!("allowed: {key} = {value}")),
            Err(err) => Finding::info("outcome", format!("denied: {err}")),
        }])
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileLiar);

#[cfg(test)]
mod tests {
    use kubeadm_rs_plugin_sdk::testing::{MockNode, run_preflight};

    use super::*;

    fn outcome(mode: &str) -> String {
        let node = MockNode::healthy().with_sysctl("net.ipv4.conf.all.forwarding", "1");
        let findings = run_preflight::<HostileLiar>(&node, &[("mode", mode)]).unwrap();
        findings[0].message.clone()
    }

    #[test]
    fn the_native_runner_denies_what_describe_left_out() {
        assert_eq!(
            outcome("undeclared"),
            "denied: node fact `sysctl net.ipv4.ip_forward` was denied: the plugin must declare it and the operator must grant it"
        );
        assert_eq!(
            outcome("declared"),
            "allowed: net.ipv4.conf.all.forwarding = 1"
        );
    }
}
