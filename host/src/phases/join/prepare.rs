//! `join` prepared without clap: the JoinConfiguration resolved from the file or the flags,
//! preflight plugins loaded, the run plan made and the node root chosen — before any phase runs
//! or any request is sent, so bad input fails with nothing written.

use super::{JoinContext, JoinData, JoinOptions, join_workflow_with};
use crate::config::{HostFacts, JoinOverrides, resolve_join};
use crate::events::Events;
use crate::node::NodeRoot;
use crate::phases::common::{
    CommandContext, PluginOptions, PrepareError, RunSetup, plan_run, read_config,
};
use crate::system::System;
use crate::workflow::{PhaseFailed, Plan, Selection, Workflow};

/// What the operator asked `join` (or `join phase <path>`) to do.
#[derive(Clone, Debug, Default)]
pub struct JoinRequest {
    /// `--config`.
    pub config: Option<String>,
    /// The config-bound flags and the `[api-server-endpoint]` argument that were given.
    pub overrides: JoinOverrides,
    /// `join phase <path>`: run only this subtree.
    pub phase: Option<String>,
    /// `--rootfs`.
    pub rootfs: Option<String>,
    /// Settings outside the config API; `dry_run` and `prepared_root` are derived here.
    pub options: JoinOptions,
    /// Where plugins come from (`--plugin-dir`, `--allow-unsigned-plugins`).
    pub plugins: PluginOptions,
}

/// A ready run: the phase tree (with its plugins), the plan and the context the phases see.
pub struct PreparedJoin {
    pub workflow: Workflow<dyn JoinContext>,
    pub plan: Plan,
    pub data: JoinData,
    /// A whole join (not `join phase <path>`): kubeadm's closing message follows.
    pub whole: bool,
}

/// Resolves the configuration and everything the phases need; writes nothing on the node and
/// sends nothing (discovery runs in the first phase that needs the cluster).
pub fn prepare_join(
    request: JoinRequest,
    facts: Box<dyn HostFacts>,
    system: Box<dyn System>,
    events: &Events,
) -> Result<PreparedJoin, PrepareError> {
    let docs = read_config(request.config.as_deref())?;
    let (cfg, warnings) = resolve_join(docs.as_ref(), &request.overrides, facts.as_ref())?;
    for w in warnings {
        events.warn(w);
    }
    // resolve_join put a non-empty --skip-phases over the config's skipPhases.
    let selection = Selection {
        filter: request.phase.clone(),
        skip: cfg.join.skip_phases.clone(),
    };
    // join runs preflight plugins only.
    let dry_run = cfg.join.dry_run;
    let (workflow, plan, root) = plan_run(
        join_workflow_with,
        RunSetup {
            selection: &selection,
            plugins: cfg.plugins.as_ref(),
            plugin_parents: &["preflight"],
            plugin_options: &request.plugins,
            dry_run,
            rootfs: request.rootfs.as_deref(),
            dry_run_prefix: "kubeadm-join-dryrun",
        },
        events,
    )?;
    let options = JoinOptions {
        dry_run,
        prepared_root: request.rootfs.is_some(),
        ..request.options
    };
    let data = JoinData::new(cfg, root, options, system, facts).with_plan(plan.clone());
    Ok(PreparedJoin {
        workflow,
        plan,
        data,
        whole: request.phase.is_none(),
    })
}

impl PreparedJoin {
    /// Runs the planned phases; after a whole join, kubeadm's closing message. Returns the
    /// node root (kept on disk in dry-run).
    pub fn run(mut self, events: &Events) -> Result<NodeRoot, PhaseFailed> {
        let ctx: &mut dyn JoinContext = &mut self.data;
        self.workflow.execute(&self.plan, ctx, events)?;
        let dry_run = self.data.dry_run();
        let control_plane = self.data.control_plane();
        let mut root = self.data.into_root();
        if dry_run {
            root.keep();
            events.info(format!(
                "[dryrun] Wrote the files this node would get to the {:?} directory",
                root.host_path().display().to_string()
            ));
        }
        if self.whole {
            events.output(if control_plane {
                CONTROL_PLANE_JOINED
            } else {
                WORKER_JOINED
            });
        }
        Ok(root)
    }
}

const WORKER_JOINED: &str = "
This node has joined the cluster:
* Certificate signing request was sent to apiserver and a response was received.
* The Kubelet was informed of the new secure connection details.

Run 'kubectl get nodes' on the control-plane to see this node join the cluster.
";

const CONTROL_PLANE_JOINED: &str = "
This node has joined the cluster and a new control plane instance was created:

* Certificate signing request was sent to apiserver and approval was received.
* The Kubelet was informed of the new secure connection details.
* Control plane label and taint were applied to the new node.
* The Kubernetes control plane instances scaled up.
* A new etcd member was added to the local/stacked etcd cluster.

To start administering your cluster from this node, you need to run the following as a regular user:

\tmkdir -p $HOME/.kube
\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
\tsudo chown $(id -u):$(id -g) $HOME/.kube/config

Run 'kubectl get nodes' to see this node join the cluster.
";
