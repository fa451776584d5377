//! Preflight plugin `net-sysctls`: the sysctls pod networking needs. Pods are routed
//! through the node (`net.ipv4.ip_forward`) and bridged pod traffic must pass iptables
//! (`net.bridge.bridge-nf-call-iptables`, which exists only with `br_netfilter` loaded).
//! With `ipv6=true` the IPv6 counterparts are checked too.

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, Parameter, Params, Permission, PermissionRequest, PluginError,
    PreflightPlugin,
};

/// One sysctl that must be `1`.
struct Wanted {
    check: &'static str,
    key: &'static str,
    /// What the setting is for, in the check description and the permission reason.
    purpose: &'static str,
    /// The module that creates the key, when it is not always there.
    module: Option<&'static str>,
    ipv6: bool,
}

const WANTED: &[Wanted] = &[
    Wanted {
        check: "ip-forward",
        key: "net.ipv4.ip_forward",
        purpose: "the node routes IPv4 pod traffic",
        module: None,
        ipv6: false,
    },
    Wanted {
        check: "bridge-nf-call-iptables",
        key: "net.bridge.bridge-nf-call-iptables",
        purpose: "bridged pod traffic passes iptables (kube-proxy Services)",
        module: Some("br_netfilter"),
        ipv6: false,
    },
    Wanted {
        check: "ipv6-forwarding",
        key: "net.ipv6.conf.all.forwarding",
        purpose: "the node routes IPv6 pod traffic",
        module: None,
        ipv6: true,
    },
    Wanted {
        check: "bridge-nf-call-ip6tables",
        key: "net.bridge.bridge-nf-call-ip6tables",
        purpose: "bridged IPv6 pod traffic passes ip6tables",
        module: Some("br_netfilter"),
        ipv6: true,
    },
];

/// The remedy for a key that is not 1: set it now and on every boot.
fn set_remedy(key: &str) -> String {
    format!(
        "run `sysctl -w {key}=1` and persist it with `echo '{key} = 1' > /etc/sysctl.d/99-kubernetes.conf`"
    )
}

pub struct NetSysctls;

impl PreflightPlugin for NetSysctls {
    const NAME: &'static str = "net-sysctls";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        WANTED
            .iter()
            .map(|w| Check::new(w.check, format!("{} is 1: {}", w.key, w.purpose)))
            .collect()
    }

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new("ipv6", "also check the IPv6 forwarding and bridge sysctls")
                .with_default("false"),
        ]
    }

    fn permissions() -> Vec<PermissionRequest> {
        WANTED
            .iter()
            .map(|w| Permission::sysctl(w.key).because(format!("checks that {}", w.purpose)))
            .collect()
    }

    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let ipv6 = params.bool_or("ipv6", false)?;
        let mut findings = Vec::new();
        for wanted in WANTED.iter().filter(|w| ipv6 || !w.ipv6) {
            match (node.sysctl_opt(wanted.key)?, wanted.module) {
                (Some(value), _) if value == "1" => {}
                (Some(value), _) => findings.push(
                    Finding::error(wanted.check, format!("{} is {value}, want 1", wanted.key))
                        .remedy(set_remedy(wanted.key)),
                ),
                (None, Some(module)) => findings.push(
                    Finding::error(
                        wanted.check,
                        format!(
                            "{} does not exist: the {module} module is not loaded",
                            wanted.key
                        ),
                    )
                    .remedy(format!(
                        "run `modprobe {module}`, list it in /etc/modules-load.d/k8s.conf, then {}",
                        set_remedy(wanted.key)
                    )),
                ),
                (None, None) => findings.push(Finding::error(
                    wanted.check,
                    format!("{} does not exist on this kernel", wanted.key),
                )),
            }
        }
        Ok(findings)
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: NetSysctls);

#[cfg(test)]
mod tests;
