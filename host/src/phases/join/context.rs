//! The narrow context `join` phases see, and the one value that provides it. Discovery and the
//! cluster's configuration are fetched lazily, once, whichever phase asks first, so a phase run
//! alone (`join phase kubelet-start`) and the whole join see the same thing.

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::ConfigMap;

use crate::cluster::{Cluster, DEFAULT_API_TIMEOUT};
use crate::config::constants::{ADMIN_KUBECONFIG, KUBERNETES_DIR, MANIFESTS_DIR};
use crate::config::{HostFacts, InitConfig, JoinConfig, JoinConfiguration, join_init_config};
use crate::discovery::{Discovered, DiscoveryOptions, discover};
use crate::events::Events;
use crate::kubeconfig::Kubeconfig;
use crate::node::NodeRoot;
use crate::objects::KUBE_SYSTEM;
use crate::objects::upload_config::{
    CLUSTER_CONFIGURATION_KEY, KUBEADM_CONFIG_CONFIG_MAP, KUBELET_CONFIG_CONFIG_MAP,
    KUBELET_CONFIG_KEY,
};
use crate::phases::common::{CommandContext, RunPlan};
use crate::pki::KeyPool;
use crate::preflight::FailedCheck;
use crate::system::System;
use crate::workflow::Plan;

/// How often `kubelet.conf` is looked for. kubeadm waits a second between looks, which was
/// most of a worker join here; a look is one local read, so it is cheap to look more often.
pub const TLS_BOOTSTRAP_RETRY_INTERVAL: Duration = Duration::from_millis(50);
/// kubeadm's default `timeouts.tlsBootstrap`.
pub const DEFAULT_TLS_BOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(300);

/// What a `join` phase may use, besides what every command's phases do.
pub trait JoinContext: CommandContext {
    /// The JoinConfiguration (and PluginConfiguration) the operator gave, resolved.
    fn cfg(&self) -> &JoinConfiguration;
    /// Whether this node becomes a control-plane instance (`--control-plane`).
    fn control_plane(&self) -> bool {
        self.cfg().control_plane.is_some()
    }
    /// Where kubeconfig files go (`/etc/kubernetes`).
    fn kubeconfig_dir(&self) -> &str;
    fn manifests_dir(&self) -> &str {
        MANIFESTS_DIR
    }
    /// Keys generated ahead for the files a control-plane join creates.
    fn key_pool(&self) -> &KeyPool;
    /// The cluster found and authenticated by discovery (run on first use).
    fn discovered(&self) -> anyhow::Result<&Discovered>;
    /// kubeadm's `discovery.For`: the kubeconfig that becomes `bootstrap-kubelet.conf` and
    /// that the join reads the cluster's configuration with.
    fn tls_bootstrap_kubeconfig(&self) -> anyhow::Result<&Kubeconfig>;
    /// A client with the TLS-bootstrap credentials (also in dry-run: it only reads).
    fn bootstrap_client(&self) -> anyhow::Result<Cluster>;
    /// The cluster's configuration as this node will run it (kubeadm's `InitCfg`): the
    /// `kubeadm-config` and `kubelet-config` ConfigMaps read with the bootstrap client, with this
    /// node's registration, API endpoint, patches and timeouts from the JoinConfiguration.
    fn init_cfg(&self) -> anyhow::Result<&InitConfig>;
    /// The client for what a control-plane join changes: `admin.conf` written by
    /// `control-plane-prepare`, or the dry-run recorder.
    fn admin_client(&self) -> anyhow::Result<Cluster>;
    /// How often `kubelet.conf` is looked for while the kubelet bootstraps.
    fn tls_bootstrap_interval(&self) -> Duration;
}

/// Settings that are not part of the kubeadm config API.
#[derive(Clone, Debug)]
pub struct JoinOptions {
    pub kubeconfig_dir: String,
    pub dry_run: bool,
    /// `--rootfs` was given.
    pub prepared_root: bool,
    pub discovery: DiscoveryOptions,
    pub tls_bootstrap_interval: Duration,
}

impl Default for JoinOptions {
    fn default() -> Self {
        JoinOptions {
            kubeconfig_dir: KUBERNETES_DIR.to_string(),
            dry_run: false,
            prepared_root: false,
            discovery: DiscoveryOptions::default(),
            tls_bootstrap_interval: TLS_BOOTSTRAP_RETRY_INTERVAL,
        }
    }
}

/// Everything `join` phases share, built once before the first phase runs.
pub struct JoinData {
    cfg: JoinConfig,
    root: NodeRoot,
    options: JoinOptions,
    ignored: BTreeSet<String>,
    system: Box<dyn System>,
    facts: Box<dyn HostFacts>,
    key_pool: KeyPool,
    plan: RunPlan,
    preflight_errors: Vec<FailedCheck>,
    discovered: OnceLock<Discovered>,
    tls_bootstrap: OnceLock<Kubeconfig>,
    init_cfg: OnceLock<InitConfig>,
    admin: OnceLock<Cluster>,
}

impl JoinData {
    pub fn new(
        cfg: JoinConfig,
        root: NodeRoot,
        options: JoinOptions,
        system: Box<dyn System>,
        facts: Box<dyn HostFacts>,
    ) -> Self {
        let ignored = cfg
            .join
            .node_registration
            .ignore_preflight_errors
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        JoinData {
            cfg,
            root,
            options,
            ignored,
            system,
            facts,
            key_pool: KeyPool::new(),
            plan: RunPlan::Everything,
            preflight_errors: Vec::new(),
            discovered: OnceLock::new(),
            tls_bootstrap: OnceLock::new(),
            init_cfg: OnceLock::new(),
            admin: OnceLock::new(),
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

    fn api_timeout(&self) -> Duration {
        self.cfg
            .join
            .timeouts
            .as_ref()
            .and_then(|t| t.kubernetes_api_call.as_ref())
            .map_or(DEFAULT_API_TIMEOUT, |d| d.0)
    }

    /// A ConfigMap's key, read with the bootstrap credentials (the RBAC `init` created allows it).
    fn config_map_key(&self, client: &Cluster, name: &str, key: &str) -> anyhow::Result<String> {
        let cm: ConfigMap = client
            .get(KUBE_SYSTEM, name)
            .with_context(|| format!("reading ConfigMap {KUBE_SYSTEM}/{name}"))?
            .with_context(|| {
                format!("ConfigMap {KUBE_SYSTEM}/{name} does not exist: was this cluster set up with `kubeadm init`?")
            })?;
        cm.data
            .and_then(|mut d| d.remove(key))
            .with_context(|| format!("ConfigMap {KUBE_SYSTEM}/{name} has no {key:?} key"))
    }
}

/// Gets a lazily computed value, computing it once on first use.
fn once<T>(cell: &OnceLock<T>, make: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<&T> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = make()?;
    Ok(cell.get_or_init(|| v))
}

impl CommandContext for JoinData {
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

impl JoinContext for JoinData {
    fn cfg(&self) -> &JoinConfiguration {
        &self.cfg.join
    }

    fn kubeconfig_dir(&self) -> &str {
        &self.options.kubeconfig_dir
    }

    fn key_pool(&self) -> &KeyPool {
        &self.key_pool
    }

    fn discovered(&self) -> anyhow::Result<&Discovered> {
        once(&self.discovered, || {
            self.events()
                .info("[preflight] Discovering the cluster and authenticating its API server");
            Ok(discover(
                &self.cfg.join,
                &self.options.discovery,
                self.events(),
            )?)
        })
    }

    fn tls_bootstrap_kubeconfig(&self) -> anyhow::Result<&Kubeconfig> {
        once(&self.tls_bootstrap, || {
            Ok(self
                .discovered()?
                .tls_bootstrap_kubeconfig(&self.cfg.join.discovery.tls_bootstrap_token)?)
        })
    }

    fn bootstrap_client(&self) -> anyhow::Result<Cluster> {
        let kubeconfig = self.tls_bootstrap_kubeconfig()?;
        Ok(Cluster::from_kubeconfig(
            &kubeconfig.to_yaml(),
            "the TLS-bootstrap kubeconfig",
            self.api_timeout(),
        )?)
    }

    fn init_cfg(&self) -> anyhow::Result<&InitConfig> {
        once(&self.init_cfg, || {
            let client = self.bootstrap_client()?;
            self.events().info(format!(
                "[preflight] Reading configuration from the {KUBEADM_CONFIG_CONFIG_MAP:?} ConfigMap in namespace {KUBE_SYSTEM:?}..."
            ));
            self.events().info(
                "[preflight] Use 'kubeadm-rs init phase upload-config kubeadm --config your-config-file' to re-upload it.",
            );
            let cluster = self.config_map_key(
                &client,
                KUBEADM_CONFIG_CONFIG_MAP,
                CLUSTER_CONFIGURATION_KEY,
            )?;
            let kubelet =
                self.config_map_key(&client, KUBELET_CONFIG_CONFIG_MAP, KUBELET_CONFIG_KEY)?;
            Ok(join_init_config(
                &self.cfg,
                &cluster,
                &kubelet,
                self.facts.as_ref(),
            )?)
        })
    }

    fn admin_client(&self) -> anyhow::Result<Cluster> {
        if self.options.dry_run {
            return Ok(Cluster::dry_run(self.events().clone()));
        }
        once(&self.admin, || {
            let path = format!("{}/{ADMIN_KUBECONFIG}", self.options.kubeconfig_dir);
            let text = self
                .root
                .read(&path)?
                .with_context(|| format!("{path} does not exist; run `kubeadm-rs join phase control-plane-prepare kubeconfig` first"))?;
            Ok(Cluster::from_kubeconfig(
                &String::from_utf8_lossy(&text),
                &path,
                self.api_timeout(),
            )?
            .reporting(self.events().clone()))
        })
        .cloned()
    }

    fn tls_bootstrap_interval(&self) -> Duration {
        self.options.tls_bootstrap_interval
    }
}
