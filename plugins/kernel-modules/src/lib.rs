//! Preflight plugin `kernel-modules`: `overlay` (the container runtime's overlayfs
//! snapshotter) and `br_netfilter` (iptables sees bridged pod traffic) are loaded or
//! built in, plus any modules the operator lists in the `modules` parameter.

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, ParamError, Parameter, Params, PluginError, PreflightPlugin,
};

/// The modules every node needs: (check, module, what for).
const REQUIRED: &[(&str, &str, &str)] = &[
    (
        "overlay",
        "overlay",
        "container images are mounted with overlayfs",
    ),
    (
        "br-netfilter",
        "br_netfilter",
        "iptables sees bridged pod traffic",
    ),
];

/// The check that reports modules from the `modules` parameter.
const EXTRA: &str = "extra";

fn remedy(module: &str) -> String {
    format!(
        "run `modprobe {module}` and list it in /etc/modules-load.d/k8s.conf so it loads on boot"
    )
}

/// The `modules` parameter: names the kernel could load (letters, digits, `_`, `-`).
fn extra_modules(params: &Params) -> Result<Vec<String>, ParamError> {
    let modules = params.list_or("modules", &[]);
    match modules.iter().find(|m| {
        !m.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }) {
        Some(bad) => Err(ParamError::Invalid {
            key: "modules".to_owned(),
            value: bad.clone(),
            expected: "a kernel module name (letters, digits, `_` and `-`)".to_owned(),
        }),
        None => Ok(modules),
    }
}

pub struct KernelModules;

impl PreflightPlugin for KernelModules {
    const NAME: &'static str = "kernel-modules";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        let mut checks: Vec<Check> = REQUIRED
            .iter()
            .map(|(check, module, why)| Check::new(*check, format!("{module} is loaded: {why}")))
            .collect();
        checks.push(Check::new(
            EXTRA,
            "every module in the `modules` parameter is loaded",
        ));
        checks
    }

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new(
                "modules",
                "more modules that must be loaded, comma-separated (ip_vs,nf_conntrack)",
            )
            .with_default(""),
        ]
    }

    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let extra = extra_modules(params)?;
        let wanted = REQUIRED
            .iter()
            .map(|(check, module, _)| (*check, (*module).to_owned()))
            .chain(extra.into_iter().map(|module| (EXTRA, module)));
        let mut findings = Vec::new();
        for (check, module) in wanted {
            if !node.module_loaded(&module)? {
                findings.push(
                    Finding::error(check, format!("kernel module {module} is not loaded"))
                        .remedy(remedy(&module)),
                );
            }
        }
        Ok(findings)
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: KernelModules);

#[cfg(test)]
mod tests;
