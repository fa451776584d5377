//! `reset`, kubeadm's best-effort revert of `init` and `join` on this node: `preflight`
//! (confirmation and the root check), `remove-etcd-member` (this node's member leaves the
//! stacked etcd cluster, its data directory is emptied) and `cleanup-node` (kubelet stopped,
//! its mounts undone, kubeadm's files removed through the node root).

mod cleanup_node;
mod etcd_manifest;
mod preflight;
mod prepare;
mod remove_etcd_member;
mod unmount;

use std::collections::BTreeSet;

pub use cleanup_node::{KUBECONFIG_FILES, cleanup_node_phase, manual_cleanup_instructions};
pub use etcd_manifest::{EtcdManifest, EtcdManifestError};
pub use preflight::{ConfirmError, Prompt, preflight_phase};
pub use prepare::{PreparedReset, ResetRequest, prepare_reset};
pub use remove_etcd_member::{MemberRemoval, remove_etcd_member_phase};

use crate::config::reset::ResetConfiguration;
use crate::events::Events;
use crate::node::NodeRoot;
use crate::phases::common::{CommandContext, RunPlan};
use crate::preflight::FailedCheck;
use crate::system::System;
use crate::workflow::{Plan, Workflow};

/// What a `reset` phase may use, besides what every command's phases do.
pub trait ResetContext: CommandContext {
    /// The resolved ResetConfiguration (flags over `--config`).
    fn reset_cfg(&self) -> &ResetConfiguration;
    /// Asks the operator to confirm; refuses when nobody can answer.
    fn prompt(&self) -> &dyn Prompt;
    /// `--kubeconfig`, when given: etcd's endpoints then come from the cluster, as kubeadm's.
    fn kubeconfig(&self) -> Option<&str>;
}

/// kubeadm's reset phases, in its order.
pub fn reset_workflow() -> Workflow<dyn ResetContext> {
    Workflow {
        phases: vec![
            preflight_phase(),
            remove_etcd_member_phase(),
            cleanup_node_phase(),
        ],
    }
}

/// Everything the reset phases share, built once before the first phase runs.
pub struct ResetData {
    cfg: ResetConfiguration,
    root: NodeRoot,
    system: Box<dyn System>,
    prompt: Box<dyn Prompt>,
    kubeconfig: Option<String>,
    prepared_root: bool,
    ignored: BTreeSet<String>,
    plan: RunPlan,
    preflight_errors: Vec<FailedCheck>,
}

impl ResetData {
    pub fn new(
        cfg: ResetConfiguration,
        root: NodeRoot,
        system: Box<dyn System>,
        prompt: Box<dyn Prompt>,
    ) -> Self {
        let ignored = cfg.ignored_preflight_errors().into_iter().collect();
        ResetData {
            cfg,
            root,
            system,
            prompt,
            kubeconfig: None,
            prepared_root: false,
            ignored,
            plan: RunPlan::Everything,
            preflight_errors: Vec::new(),
        }
    }

    /// The node root is a prepared directory (`--rootfs`), not this host.
    pub fn prepared_root(mut self, prepared: bool) -> Self {
        self.prepared_root = prepared;
        self
    }

    pub fn with_kubeconfig(mut self, kubeconfig: Option<String>) -> Self {
        self.kubeconfig = kubeconfig;
        self
    }

    pub fn with_plan(mut self, plan: Plan) -> Self {
        self.plan = RunPlan::Selected(plan);
        self
    }
}

impl CommandContext for ResetData {
    fn root(&self) -> &NodeRoot {
        &self.root
    }

    fn events(&self) -> &Events {
        self.root.events()
    }

    fn dry_run(&self) -> bool {
        self.cfg.dry_run
    }

    fn prepared_root(&self) -> bool {
        self.prepared_root
    }

    fn system(&self) -> &dyn System {
        self.system.as_ref()
    }

    fn ignored_preflight_errors(&self) -> &BTreeSet<String> {
        &self.ignored
    }

    fn plan(&self) -> &RunPlan {
        &self.plan
    }

    fn preflight_errors(&mut self) -> &mut Vec<FailedCheck> {
        &mut self.preflight_errors
    }
}

impl ResetContext for ResetData {
    fn reset_cfg(&self) -> &ResetConfiguration {
        &self.cfg
    }

    fn prompt(&self) -> &dyn Prompt {
        self.prompt.as_ref()
    }

    fn kubeconfig(&self) -> Option<&str> {
        self.kubeconfig.as_deref()
    }
}

#[cfg(test)]
mod tests;
