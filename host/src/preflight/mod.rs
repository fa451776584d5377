//! kubeadm's preflight checks and the one place their findings are collected and judged.
//!
//! A check has kubeadm's name (which `--ignore-preflight-errors` matches) and returns what it
//! found as [`Issue`]s; [`Findings`] reports each as an event, demotes ignored errors and
//! decides at the end. Plugin checks (`preflight/<plugin>`) report through a [`Findings`] too.

mod checks;
mod findings;
mod hostname;
mod init;
mod join;
mod kubelet;
mod proxy;
mod system_verification;

pub use checks::{Host, NodeCheck};
pub use findings::{FailedCheck, Findings, Issue, PreflightFailed};
pub use init::{image_pull, init_node_checks, secondary_control_plane_checks};
pub use join::join_node_checks;

#[cfg(test)]
mod tests;
