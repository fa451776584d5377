//! The narrow context `init` phases see, and the one value that provides it.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use anyhow::Context as _;

use super::api::read_text;
use crate::cluster::{Cluster, ClusterError};
use crate::config::InitConfig;
use crate::config::constants::{
    ADMIN_KUBECONFIG, KUBERNETES_DIR, MANIFESTS_DIR, SUPER_ADMIN_KUBECONFIG,
};
use crate::events::Events;
use crate::node::NodeRoot;
use crate::phases::common::{CommandContext, RunPlan};
use crate::pki::KeyPool;
use crate::preflight::FailedCheck;
use crate::system::System;
use crate::workflow::Plan;

/// What an `init` phase may use, besides what every command's phases do. Phases never see how
/// the context was built.
pub trait InitContext: CommandContext {
    /// The resolved, validated configuration.
    fn cfg(&self) -> &InitConfig;
    /// `--kubeconfig-dir` (default `/etc/kubernetes`).
    fn kubeconfig_dir(&self) -> &str;
    /// Where static pod manifests go.
    fn manifests_dir(&self) -> &str {
        MANIFESTS_DIR
    }
    /// Keys generated ahead, in parallel, for the files this run creates (filled by parent phases).
    fn key_pool(&self) -> &KeyPool;
    /// The API client (the dry-run recorder in `--dry-run`), connected on first use.
    fn cluster(&self) -> anyhow::Result<Cluster>;
    /// The kubeconfig the cluster phases use (`--kubeconfig`, default `<kubeconfig-dir>/admin.conf`).
    fn kubeconfig_path(&self) -> String;
    /// `--upload-certs`.
    fn upload_certs(&self) -> bool;
    /// `--skip-token-print`.
    fn skip_token_print(&self) -> bool;
    /// `--skip-certificate-key-print`.
    fn skip_certificate_key_print(&self) -> bool;
}

/// Settings that are not part of the kubeadm config API.
#[derive(Clone, Debug)]
pub struct InitOptions {
    pub kubeconfig_dir: String,
    pub dry_run: bool,
    /// `--rootfs` was given.
    pub prepared_root: bool,
    /// `--kubeconfig` of the phase subcommands.
    pub kubeconfig: Option<String>,
    pub upload_certs: bool,
    pub skip_token_print: bool,
    pub skip_certificate_key_print: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            kubeconfig_dir: KUBERNETES_DIR.to_string(),
            dry_run: false,
            prepared_root: false,
            kubeconfig: None,
            upload_certs: false,
            skip_token_print: false,
            skip_certificate_key_print: false,
        }
    }
}

/// Everything `init` phases share, built once before the first phase runs.
pub struct InitData {
    cfg: InitConfig,
    root: NodeRoot,
    options: InitOptions,
    ignored: BTreeSet<String>,
    system: Box<dyn System>,
    key_pool: KeyPool,
    cluster: OnceLock<Cluster>,
    plan: RunPlan,
    preflight_errors: Vec<FailedCheck>,
}

impl InitData {
    pub fn new(
        cfg: InitConfig,
        root: NodeRoot,
        options: InitOptions,
        system: Box<dyn System>,
    ) -> Self {
        let ignored = cfg.ignore_preflight_errors().into_iter().collect();
        InitData {
            cfg,
            root,
            options,
            ignored,
            system,
            key_pool: KeyPool::new(),
            cluster: OnceLock::new(),
            plan: RunPlan::Everything,
            preflight_errors: Vec::new(),
        }
    }

    /// Runs only what `plan` selects: phases ask the context what runs.
    pub fn with_plan(mut self, plan: Plan) -> Self {
        self.plan = RunPlan::Selected(plan);
        self
    }

    pub fn into_root(self) -> NodeRoot {
        self.root
    }
}

impl CommandContext for InitData {
    fn root(&self) -> &NodeRoot {
        &self.root
    }

    fn events(&self) -> &Events {
        self.root.events()
    }

    fn dry_run(&self) -> bool {
        self.options.dry_run
    }

    fn prepared_root(&self) -> bool {
        self.options.prepared_root
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

impl InitContext for InitData {
    fn cfg(&self) -> &InitConfig {
        &self.cfg
    }

    fn kubeconfig_dir(&self) -> &str {
        &self.options.kubeconfig_dir
    }

    fn key_pool(&self) -> &KeyPool {
        &self.key_pool
    }

    fn cluster(&self) -> anyhow::Result<Cluster> {
        if let Some(cluster) = self.cluster.get() {
            return Ok(cluster.clone());
        }
        let cluster = if self.options.dry_run {
            Cluster::dry_run(self.events().clone())
        } else {
            self.connect()?
        };
        Ok(self.cluster.get_or_init(|| cluster).clone())
    }

    fn kubeconfig_path(&self) -> String {
        self.options
            .kubeconfig
            .clone()
            .unwrap_or_else(|| self.default_admin_kubeconfig())
    }

    fn upload_certs(&self) -> bool {
        self.options.upload_certs
    }

    fn skip_token_print(&self) -> bool {
        self.options.skip_token_print
    }

    fn skip_certificate_key_print(&self) -> bool {
        self.options.skip_certificate_key_print
    }
}

impl InitData {
    fn default_admin_kubeconfig(&self) -> String {
        format!("{}/{ADMIN_KUBECONFIG}", self.options.kubeconfig_dir)
    }

    /// Connects as kubeadm does: with the admin kubeconfig, first making sure its group is bound
    /// to cluster-admin — through super-admin.conf when admin.conf may not do that itself.
    fn connect(&self) -> anyhow::Result<Cluster> {
        let timeout = self.cfg.api_call_timeout();
        let path = self.kubeconfig_path();
        let admin = Cluster::from_kubeconfig(&read_text(self, &path)?, &path, timeout)?
            .reporting(self.events().clone());
        if path != self.default_admin_kubeconfig() {
            return Ok(admin);
        }
        let binding = crate::objects::bootstrap::cluster_admins_binding().to_value();
        match admin.create_or_update_value(&binding) {
            Ok(_) => {}
            Err(e) if e.is_forbidden() => {
                let super_admin =
                    format!("{}/{SUPER_ADMIN_KUBECONFIG}", self.options.kubeconfig_dir);
                self.events().info(format!(
                    "[init] Using {super_admin} to bind the group of {path} to cluster-admin"
                ));
                let privileged = Cluster::from_kubeconfig(
                    &read_text(self, &super_admin)?,
                    &super_admin,
                    timeout,
                )?
                .reporting(self.events().clone());
                privileged
                    .create_or_update_value(&binding)
                    .map_err(|e: ClusterError| anyhow::anyhow!(e))
                    .context("creating ClusterRoleBinding kubeadm:cluster-admins")?;
            }
            Err(e) => {
                return Err(anyhow::anyhow!(e)
                    .context("creating ClusterRoleBinding kubeadm:cluster-admins"));
            }
        }
        Ok(admin)
    }
}
