//! The narrow context `init` phases see, and the one value that provides it.

use std::collections::BTreeSet;

use crate::config::InitConfig;
use crate::config::constants::{KUBERNETES_DIR, MANIFESTS_DIR};
use crate::node::NodeRoot;
use crate::pki::KeyPool;
use crate::system::System;
use crate::workflow::Events;

/// What an `init` phase may use. Phases never see how the context was built.
pub trait InitContext {
    /// The resolved, validated configuration.
    fn cfg(&self) -> &InitConfig;
    /// Where node files are written (`/`, `--rootfs`, or the dry-run directory).
    fn root(&self) -> &NodeRoot;
    fn events(&self) -> &Events;
    fn dry_run(&self) -> bool;
    /// Whether the node root is a prepared directory (`--rootfs`) rather than this host, whose
    /// services (the kubelet) are then not ours to stop or start.
    fn prepared_root(&self) -> bool;
    /// `--kubeconfig-dir` (default `/etc/kubernetes`).
    fn kubeconfig_dir(&self) -> &str;
    /// Where static pod manifests go.
    fn manifests_dir(&self) -> &str {
        MANIFESTS_DIR
    }
    /// Preflight check names to demote to warnings (lower-cased; may contain `all`).
    fn ignored_preflight_errors(&self) -> &BTreeSet<String>;
    fn system(&self) -> &dyn System;
    /// Keys generated ahead, in parallel, for the files this run creates (filled by parent phases).
    fn key_pool(&self) -> &KeyPool;
}

/// Settings that are not part of the kubeadm config API.
#[derive(Clone, Debug)]
pub struct InitOptions {
    pub kubeconfig_dir: String,
    pub dry_run: bool,
    /// `--rootfs` was given.
    pub prepared_root: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            kubeconfig_dir: KUBERNETES_DIR.to_string(),
            dry_run: false,
            prepared_root: false,
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
        }
    }

    pub fn into_root(self) -> NodeRoot {
        self.root
    }
}

impl InitContext for InitData {
    fn cfg(&self) -> &InitConfig {
        &self.cfg
    }

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

    fn kubeconfig_dir(&self) -> &str {
        &self.options.kubeconfig_dir
    }

    fn ignored_preflight_errors(&self) -> &BTreeSet<String> {
        &self.ignored
    }

    fn system(&self) -> &dyn System {
        self.system.as_ref()
    }

    fn key_pool(&self) -> &KeyPool {
        &self.key_pool
    }
}
