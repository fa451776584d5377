//! A control-plane join runs some of `init`'s own steps (the static Pods, marking the node,
//! waiting for the control plane) on the configuration it fetched from the cluster: this view
//! shows a join context to them as the `InitContext` they take, so the code is shared, not copied.

use std::collections::BTreeSet;

use super::JoinContext;
use crate::cluster::Cluster;
use crate::config::InitConfig;
use crate::config::constants::ADMIN_KUBECONFIG;
use crate::events::Events;
use crate::node::NodeRoot;
use crate::phases::common::{CommandContext, RunPlan};
use crate::phases::init::InitContext;
use crate::pki::KeyPool;
use crate::preflight::FailedCheck;
use crate::system::System;

pub(super) struct InitView<'a, C: ?Sized> {
    join: &'a C,
    cfg: &'a InitConfig,
    /// `init`'s steps run here give no preflight verdict; this only satisfies the trait.
    no_errors: Vec<FailedCheck>,
}

impl<'a, C: ?Sized + JoinContext> InitView<'a, C> {
    /// The view of `join` with the cluster's configuration (discovered and fetched on first use).
    pub fn of(join: &'a C) -> anyhow::Result<Self> {
        Ok(InitView {
            join,
            cfg: join.init_cfg()?,
            no_errors: Vec::new(),
        })
    }
}

impl<C: ?Sized + JoinContext> CommandContext for InitView<'_, C> {
    fn root(&self) -> &NodeRoot {
        self.join.root()
    }

    fn events(&self) -> &Events {
        self.join.events()
    }

    fn dry_run(&self) -> bool {
        self.join.dry_run()
    }

    fn prepared_root(&self) -> bool {
        self.join.prepared_root()
    }

    fn system(&self) -> &dyn System {
        self.join.system()
    }

    fn ignored_preflight_errors(&self) -> &BTreeSet<String> {
        self.join.ignored_preflight_errors()
    }

    fn plan(&self) -> &RunPlan {
        // init's phase paths mean nothing in join's plan; the step asked for runs whole.
        static WHOLE: RunPlan = RunPlan::Everything;
        &WHOLE
    }

    fn preflight_errors(&mut self) -> &mut Vec<FailedCheck> {
        &mut self.no_errors
    }
}

impl<C: ?Sized + JoinContext> InitContext for InitView<'_, C> {
    fn cfg(&self) -> &InitConfig {
        self.cfg
    }

    fn kubeconfig_dir(&self) -> &str {
        self.join.kubeconfig_dir()
    }

    fn manifests_dir(&self) -> &str {
        self.join.manifests_dir()
    }

    fn key_pool(&self) -> &KeyPool {
        self.join.key_pool()
    }

    fn cluster(&self) -> anyhow::Result<Cluster> {
        self.join.admin_client()
    }

    fn kubeconfig_path(&self) -> String {
        format!("{}/{ADMIN_KUBECONFIG}", self.join.kubeconfig_dir())
    }

    fn upload_certs(&self) -> bool {
        false
    }

    fn skip_token_print(&self) -> bool {
        true
    }

    fn skip_certificate_key_print(&self) -> bool {
        true
    }
}
