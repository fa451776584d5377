//! What the plugin host tests share: the real components built by `tests/build.rs`, a node
//! with fixed facts, a host whose events are recorded, and one compile cache for all tests.
#![allow(dead_code)]

pub mod python;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeadm_rs::config::plugins::{PluginSource, PluginSpec};
use kubeadm_rs::events::{Event, Events, Recorder};
use kubeadm_rs::plugins::{
    CgroupVersion, FactError, HostConfig, NodeFacts, PluginError, PluginHost,
};

/// A component built from the plugin workspace: `net_sysctls`, `hostile_limits`, ...
pub fn wasm(file: &str) -> PathBuf {
    PathBuf::from(env!("KUBEADM_RS_PLUGIN_DIR")).join(format!("{file}.wasm"))
}

/// One compile cache for every test, so a debug-built host compiles each plugin once.
pub fn shared_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// A node whose facts the test chooses; a healthy one by default.
#[derive(Clone)]
pub struct FakeNode {
    pub sysctls: BTreeMap<String, String>,
    pub modules: Vec<String>,
    pub cpus: u32,
    pub memory: u64,
    pub swap: u64,
}

impl Default for FakeNode {
    fn default() -> Self {
        FakeNode {
            sysctls: [
                ("net.ipv4.ip_forward", "1"),
                ("net.bridge.bridge-nf-call-iptables", "1"),
                ("net.ipv4.conf.all.forwarding", "1"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            modules: vec!["br_netfilter".into(), "overlay".into()],
            cpus: 4,
            memory: 8 << 30,
            swap: 0,
        }
    }
}

impl NodeFacts for FakeNode {
    fn hostname(&self) -> Result<String, FactError> {
        Ok("node-1".into())
    }
    fn kernel_release(&self) -> Result<String, FactError> {
        Ok("6.12.0-1-amd64".into())
    }
    fn os_release(&self) -> Result<Vec<(String, String)>, FactError> {
        Ok(vec![("ID".into(), "debian".into())])
    }
    fn architecture(&self) -> Result<String, FactError> {
        Ok("amd64".into())
    }
    fn cpu_count(&self) -> Result<u32, FactError> {
        Ok(self.cpus)
    }
    fn memory_bytes(&self) -> Result<u64, FactError> {
        Ok(self.memory)
    }
    fn swap_bytes(&self) -> Result<u64, FactError> {
        Ok(self.swap)
    }
    fn cgroup_version(&self) -> Result<CgroupVersion, FactError> {
        Ok(CgroupVersion::V2)
    }
    fn kernel_modules(&self) -> Result<Vec<String>, FactError> {
        Ok(self.modules.clone())
    }
    fn listening_tcp_ports(&self) -> Result<Vec<u16>, FactError> {
        Ok(vec![22])
    }
    fn sysctl(&self, key: &str) -> Result<String, FactError> {
        self.sysctls.get(key).cloned().ok_or(FactError::NotFound)
    }
}

/// A plugin host over a fake node, with its events recorded and `files_root` a fresh
/// directory (the hostile-fs fixture lives in it).
pub struct TestHost {
    pub host: PluginHost,
    pub events: Arc<Recorder>,
    pub files: tempfile::TempDir,
}

pub fn config(cache: &Path, node: FakeNode, events: &Arc<Recorder>, files: &Path) -> HostConfig {
    let mut config = HostConfig::new(cache, Arc::new(node), Events::new(events.clone()));
    config.files_root = files.to_path_buf();
    config
}

impl TestHost {
    /// Unsigned plugins allowed: the sandbox tests are not about integrity.
    pub fn new(node: FakeNode) -> Self {
        Self::with_cache(node, &shared_cache())
    }

    pub fn with_cache(node: FakeNode, cache: &Path) -> Self {
        let events = Arc::new(Recorder::default());
        let files = tempfile::tempdir().expect("temporary files root");
        let mut config = config(cache, node, &events, files.path());
        config.allow_unsigned = true;
        TestHost {
            host: PluginHost::new(config).expect("plugin host starts"),
            events,
            files,
        }
    }

    /// The texts of the info, warning and plugin log events so far (a log record as the
    /// terminal shows it: `plugin: message key=value`).
    pub fn messages(&self) -> Vec<String> {
        self.events
            .take()
            .into_iter()
            .filter_map(|e| match e {
                Event::Info { message } | Event::Warning { message } => Some(message),
                Event::PluginLog {
                    plugin,
                    message,
                    fields,
                    ..
                } => Some(
                    fields
                        .iter()
                        .fold(format!("{plugin}: {message}"), |line, (k, v)| {
                            format!("{line} {k}={v}")
                        }),
                ),
                _ => None,
            })
            .collect()
    }
}

/// An enabled plugin `name` from the component `file`.
pub fn spec(name: &str, file: &str) -> PluginSpec {
    PluginSpec::new(
        name,
        PluginSource::path(wasm(file).to_string_lossy().into_owned()),
    )
}

/// `spec` with `mode` (and other parameters) set.
pub fn with_params(mut spec: PluginSpec, params: &[(&str, &str)]) -> PluginSpec {
    for (k, v) in params {
        spec.parameters.set(*k, *v);
    }
    spec
}

/// The error's text, for `contains` checks; panics on success.
pub fn err_text<T: std::fmt::Debug>(result: Result<T, PluginError>) -> (PluginError, String) {
    match result {
        Ok(value) => panic!("expected a plugin error, got {value:?}"),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "error spans lines: {text}");
            (e, text)
        }
    }
}

/// Grants everything the plugin declares, as an operator who read `plugin inspect` would.
pub fn grant_declared(host: &PluginHost, mut spec: PluginSpec) -> PluginSpec {
    use kubeadm_rs::config::plugins::GrantScope;
    use kubeadm_rs::plugins::Permission;
    let info = host
        .inspect(&host.plugin_file(&spec))
        .expect("the plugin can be inspected")
        .info;
    let grant = |scope: kubeadm_rs::config::plugins::ObjectScope| GrantScope {
        kind: scope.kind,
        namespaces: scope.namespace.into_iter().collect(),
    };
    for request in info.permissions {
        match request.permission {
            Permission::ReadPath(path) => spec.grants.read_paths.push(path),
            Permission::Sysctl(key) => spec.grants.sysctls.push(key),
            Permission::ClusterRead(scope) => spec.grants.cluster_read.push(grant(scope)),
            Permission::ClusterApply(scope) => spec.grants.cluster_apply.push(grant(scope)),
        }
    }
    spec
}

/// Runs `attempt(mode, addr)` for the hostile network modes (`tcp-connect`, `udp-send`,
/// `dns`) against a TCP listener and a UDP socket of the test's own on loopback, then checks
/// that neither was reached. Returns each mode's message.
pub fn network_attempts(mut attempt: impl FnMut(&str, &str) -> String) -> Vec<(String, String)> {
    use std::io::ErrorKind::WouldBlock;
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback listener");
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("loopback udp socket");
    tcp.set_nonblocking(true).unwrap();
    udp.set_nonblocking(true).unwrap();
    let tcp_addr = tcp.local_addr().unwrap().to_string();
    let udp_addr = udp.local_addr().unwrap().to_string();
    let messages = [
        ("tcp-connect", &tcp_addr),
        ("udp-send", &udp_addr),
        ("dns", &tcp_addr),
    ]
    .into_iter()
    .map(|(mode, addr)| (mode.to_string(), attempt(mode, addr)))
    .collect();
    assert_eq!(
        tcp.accept().map(|(_, peer)| peer).map_err(|e| e.kind()),
        Err(WouldBlock),
        "a connection reached the test's listener"
    );
    let mut buf = [0u8; 64];
    assert_eq!(
        udp.recv_from(&mut buf)
            .map(|(n, _)| n)
            .map_err(|e| e.kind()),
        Err(WouldBlock),
        "a datagram reached the test's socket"
    );
    messages
}
