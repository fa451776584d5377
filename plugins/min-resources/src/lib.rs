//! Preflight plugin `min-resources`: enough CPUs and memory for a control-plane node, and
//! no swap. The defaults are kubeadm's control-plane minimums (2 CPUs, 1700 MiB); the
//! operator can raise them for nodes that will run more than the control plane.

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, Parameter, Params, PluginError, PreflightPlugin,
};

const DEFAULT_MIN_CPUS: u32 = 2;
const DEFAULT_MIN_MEMORY: u64 = 1700 << 20;
const MIB: u64 = 1 << 20;

pub struct MinResources;

impl PreflightPlugin for MinResources {
    const NAME: &'static str = "min-resources";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![
            Check::new("cpus", "the node has at least `min-cpus` CPUs"),
            Check::new("memory", "the node has at least `min-memory` of memory"),
            Check::new("swap", "swap is off, as the kubelet expects by default"),
        ]
    }

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new("min-cpus", "the fewest CPUs the node may have")
                .with_default(DEFAULT_MIN_CPUS.to_string()),
            Parameter::new(
                "min-memory",
                "the least memory the node may have (1700Mi, 4Gi)",
            )
            .with_default("1700Mi"),
            Parameter::new(
                "allow-swap",
                "accept swap (the kubelet runs with failSwapOn: false)",
            )
            .with_default("false"),
        ]
    }

    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let min_cpus = params.u32_or("min-cpus", DEFAULT_MIN_CPUS)?;
        let min_memory = params.bytes_or("min-memory", DEFAULT_MIN_MEMORY)?;
        let allow_swap = params.bool_or("allow-swap", false)?;
        let mut findings = Vec::new();

        let cpus = node.cpu_count()?;
        if cpus < min_cpus {
            findings.push(
                Finding::error(
                    "cpus",
                    format!("the node has {cpus} CPUs, the minimum is {min_cpus}"),
                )
                .remedy(format!(
                    "give the node at least {min_cpus} CPUs, or lower the `min-cpus` parameter"
                )),
            );
        }

        let memory = node.memory_bytes()?;
        if memory < min_memory {
            findings.push(
                Finding::error(
                    "memory",
                    format!(
                        "the node has {} MiB of memory, the minimum is {} MiB",
                        memory / MIB,
                        min_memory.div_ceil(MIB)
                    ),
                )
                .remedy("give the node more memory, or lower the `min-memory` parameter"),
            );
        }

        let swap = node.swap_bytes()?;
        if swap > 0 && !allow_swap {
            findings.push(
                Finding::warning("swap", format!("swap is on ({} MiB)", swap / MIB)).remedy(
                    "run `swapoff -a` and remove swap from /etc/fstab, or set `allow-swap: \"true\"` and the kubelet's failSwapOn: false",
                ),
            );
        }
        Ok(findings)
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: MinResources);

#[cfg(test)]
mod tests;
