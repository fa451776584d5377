//! What `init` and `join` (and later `reset` and `upgrade`) share: the context every command's
//! phases see, the plan-aware preflight verdict, plugin loading and plugin preflight phases.

mod kubelet;
mod plugins;
mod preflight;
mod prepare;

pub use kubelet::{NODE_LOCAL_CRI_SOCKET, start_kubelet, stop_kubelet, write_kubelet_files};
pub(crate) use plugins::plugin_short;
pub use plugins::{
    PluginLoadError, PluginOptions, configured_plugin_phases, load_enabled, preflight_plugin_phase,
};
pub use preflight::{PREFLIGHT, PreflightVerdict, record_findings, verdict};
pub use prepare::{
    Plugins, PrepareError, RunSetup, load_plugins, node_root, plan_run, read_config,
};

use std::collections::BTreeSet;

use crate::events::Events;
use crate::node::NodeRoot;
use crate::preflight::FailedCheck;
use crate::system::System;
use crate::workflow::Plan;

/// What any command's phases may use, whatever the command.
pub trait CommandContext {
    /// Where node files are written (`/`, `--rootfs`, or the dry-run directory).
    fn root(&self) -> &NodeRoot;
    fn events(&self) -> &Events;
    fn dry_run(&self) -> bool;
    /// Whether the node root is a prepared directory (`--rootfs`) rather than this host, whose
    /// services (the kubelet) are then not ours to stop or start.
    fn prepared_root(&self) -> bool;
    fn system(&self) -> &dyn System;
    /// Preflight check names to demote to warnings (lower-cased; may contain `all`).
    fn ignored_preflight_errors(&self) -> &BTreeSet<String>;
    /// The run plan: the phases this run executes, after `phase <path>` and `--skip-phases`.
    fn plan(&self) -> &RunPlan;
    /// Preflight errors found so far, judged once when `preflight` finishes.
    fn preflight_errors(&mut self) -> &mut Vec<FailedCheck>;
}

/// The phases a run executes, as the context knows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RunPlan {
    /// Every phase (a context built by a library caller without a plan).
    #[default]
    Everything,
    Selected(Plan),
}

impl RunPlan {
    /// Whether phase `path` runs.
    pub fn runs(&self, path: &str) -> bool {
        match self {
            RunPlan::Everything => true,
            RunPlan::Selected(plan) => plan.runs(path),
        }
    }
}
