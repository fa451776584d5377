//! `reset` prepared without clap: the ResetConfiguration resolved and validated, the plan made
//! and the node root opened (read-only in dry-run: reset's dry-run looks at the real node and
//! lists what it would remove) before any phase runs.

use super::cleanup_node::manual_cleanup_instructions;
use super::{Prompt, ResetContext, ResetData, reset_workflow};
use crate::config::reset::{ResetOverrides, resolve_reset};
use crate::events::Events;
use crate::node::NodeRoot;
use crate::phases::common::{PrepareError, read_config};
use crate::system::System;
use crate::workflow::{PhaseFailed, Plan, Selection, Workflow};

/// What the operator asked `reset` (or `reset phase <path>`) to do.
#[derive(Clone, Debug, Default)]
pub struct ResetRequest {
    /// `--config`.
    pub config: Option<String>,
    pub overrides: ResetOverrides,
    /// `reset phase <path>`.
    pub phase: Option<String>,
    /// `--rootfs`.
    pub rootfs: Option<String>,
    /// `--kubeconfig`.
    pub kubeconfig: Option<String>,
}

/// A ready run.
pub struct PreparedReset {
    pub workflow: Workflow<dyn ResetContext>,
    pub plan: Plan,
    pub data: ResetData,
    whole: bool,
}

/// Resolves the configuration and opens the node root; changes nothing on the node.
pub fn prepare_reset(
    request: ResetRequest,
    system: Box<dyn System>,
    prompt: Box<dyn Prompt>,
    events: &Events,
) -> Result<PreparedReset, PrepareError> {
    let docs = read_config(request.config.as_deref())?;
    let (cfg, warnings) = resolve_reset(docs.as_ref(), &request.overrides)?;
    for w in warnings {
        events.warn(w);
    }
    let workflow = reset_workflow();
    let plan = workflow.plan(&Selection {
        filter: request.phase.clone(),
        skip: cfg.skip_phases.clone(),
    })?;
    let dir = request.rootfs.as_deref().unwrap_or("/");
    let root = if cfg.dry_run {
        NodeRoot::open_read_only(dir, events.clone())?
    } else {
        NodeRoot::open(dir, events.clone())?
    };
    let data = ResetData::new(cfg, root, system, prompt)
        .prepared_root(request.rootfs.is_some())
        .with_kubeconfig(request.kubeconfig)
        .with_plan(plan.clone());
    Ok(PreparedReset {
        workflow,
        plan,
        data,
        whole: request.phase.is_none(),
    })
}

impl PreparedReset {
    /// Runs the planned phases; a whole reset ends with what it leaves to the operator.
    pub fn run(mut self, events: &Events) -> Result<(), PhaseFailed> {
        let ctx: &mut dyn ResetContext = &mut self.data;
        self.workflow.execute(&self.plan, ctx, events)?;
        if self.whole {
            let cni = ctx.root().exists("/etc/cni/net.d").unwrap_or(false);
            events.output(manual_cleanup_instructions(cni));
        }
        Ok(())
    }
}
