//! Test doubles and fixtures shared by the unit tests of every module (one place, so no
//! module reaches into another's tests to build a configuration or a phase context).

use crate::config::{HostFacts, InitConfig, InitOverrides, resolve_init};

/// Host facts with fixed answers; `loopback` is what the loopback interface offers.
pub(crate) struct FakeHost {
    pub hostname: Result<&'static str, &'static str>,
    pub address: Result<&'static str, &'static str>,
    pub loopback: Option<&'static str>,
}

impl Default for FakeHost {
    fn default() -> Self {
        FakeHost {
            hostname: Ok("Node-1"),
            address: Ok("192.168.0.10"),
            loopback: None,
        }
    }
}

impl HostFacts for FakeHost {
    fn hostname(&self) -> Result<String, String> {
        self.hostname.map(str::to_string).map_err(str::to_string)
    }

    fn default_address(&self) -> Result<String, String> {
        self.address.map(str::to_string).map_err(str::to_string)
    }

    fn new_token(&self) -> String {
        "newtok.0123456789abcdef".to_string()
    }

    fn loopback_global_address(&self) -> Result<Option<String>, String> {
        Ok(self.loopback.map(str::to_string))
    }
}

struct Facts;

impl HostFacts for Facts {
    fn hostname(&self) -> Result<String, String> {
        Ok("node-a".into())
    }
    fn default_address(&self) -> Result<String, String> {
        Ok("192.168.1.10".into())
    }
    fn new_token(&self) -> String {
        "abcdef.0123456789abcdef".into()
    }
}

/// `init` flags applied to defaults, on node `node-a` advertising 192.168.1.10.
pub fn init_config(flags: InitOverrides) -> InitConfig {
    resolve_init(None, &flags, &Facts)
        .expect("test configuration resolves")
        .0
}

/// A configuration file's documents on top of the defaults.
pub fn init_config_from_yaml(text: &str) -> InitConfig {
    let docs = crate::config::load_documents(text, "test.yaml").expect("test document loads");
    resolve_init(Some(&docs), &InitOverrides::default(), &Facts)
        .expect("test configuration resolves")
        .0
}

/// The defaults with one `encryptionAlgorithm` (set through a config document, as users do).
pub fn init_config_with_algorithm(algorithm: &str) -> InitConfig {
    init_config_from_yaml(&format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: {algorithm}\n"
    ))
}

/// The data `init` phases run with, on a node root in `dir`, reporting to `events`.
pub fn init_data(
    cfg: InitConfig,
    dir: &std::path::Path,
    kubeconfig_dir: &str,
    events: crate::events::Events,
) -> crate::phases::init::InitData {
    let root = crate::node::NodeRoot::open(dir, events).expect("test root opens");
    let options = crate::phases::init::InitOptions {
        kubeconfig_dir: kubeconfig_dir.to_string(),
        ..Default::default()
    };
    crate::phases::init::InitData::new(cfg, root, options, Box::new(crate::system::LiveSystem))
}
