//! kubeadm's node checks as data: each knows its kubeadm name and what it looks at.
//!
//! Where a check looks decides what `--rootfs` and `--dry-run` mean for it: files kubeadm itself
//! writes or is given (static Pod manifests, the etcd data directory, external etcd
//! certificates) are node files and are checked through the node root; kernel facts (`/proc`,
//! cgroups), ports, sockets, `PATH` and the environment belong to the live host and are
//! reached through [`System`], so tests can replace them.

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;

use super::Issue;
use super::hostname::hostname_check;
use super::kubelet::{SemVer, kubelet_version_check};
use super::proxy::ProxyEnv;
use super::system_verification::system_verification;
use crate::config::constants::KUBERNETES_VERSION;
use crate::config::nth_address;
use crate::node::NodeRoot;
use crate::system::System;

/// What checks may look at: the live host and the node root.
pub struct Host<'a> {
    pub system: &'a dyn System,
    pub root: &'a NodeRoot,
}

/// One of kubeadm's node checks, with what it needs to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeCheck {
    /// The effective user is root.
    IsPrivilegedUser,
    NumCpu {
        min: usize,
    },
    Mem {
        min_mb: u64,
    },
    /// The Kubernetes version to install is not newer than this kubeadm.
    KubernetesVersion {
        version: String,
    },
    /// firewalld is not active, or these ports may be blocked.
    Firewalld {
        ports: Vec<u16>,
    },
    /// Nothing listens on the TCP port.
    Port(u16),
    /// The node file must not exist yet.
    FileAvailable {
        path: String,
    },
    /// The node directory is missing or empty.
    DirAvailable {
        path: String,
    },
    /// A node file kubeadm is given must exist.
    ExternalEtcdClientCertificates {
        path: String,
    },
    /// A kernel file (`/proc/sys/...`) starts with `content`.
    FileContent {
        path: &'static str,
        content: &'static str,
    },
    /// An executable is on `PATH`; missing mandatory ones are errors.
    InPath {
        executable: &'static str,
        mandatory: bool,
    },
    /// https to the API server's address would not go through a proxy.
    HttpProxy {
        host: String,
    },
    /// https to the first address of a service or Pod CIDR would not go through a proxy.
    HttpProxyCidr {
        cidr: String,
    },
    /// The container runtime's socket accepts connections.
    Cri {
        socket: String,
    },
    Swap,
    SystemVerification,
    Hostname {
        node_name: String,
    },
    KubeletVersion {
        control_plane_version: String,
    },
    ServiceKubelet,
}

impl NodeCheck {
    /// The name kubeadm gives the check, which `--ignore-preflight-errors` matches.
    pub fn name(&self) -> String {
        // kubeadm derives names from paths by replacing every `/` with `-`.
        let from_path = |prefix: &str, path: &str| format!("{prefix}-{}", path.replace('/', "-"));
        match self {
            NodeCheck::IsPrivilegedUser => "IsPrivilegedUser".into(),
            NodeCheck::NumCpu { .. } => "NumCPU".into(),
            NodeCheck::Mem { .. } => "Mem".into(),
            NodeCheck::KubernetesVersion { .. } => "KubernetesVersion".into(),
            NodeCheck::Firewalld { .. } => "Firewalld".into(),
            NodeCheck::Port(port) => format!("Port-{port}"),
            NodeCheck::FileAvailable { path } => from_path("FileAvailable", path),
            NodeCheck::DirAvailable { path } => from_path("DirAvailable", path),
            NodeCheck::ExternalEtcdClientCertificates { .. } => {
                "ExternalEtcdClientCertificates".into()
            }
            NodeCheck::FileContent { path, .. } => from_path("FileContent", path),
            NodeCheck::InPath { executable, .. } => from_path("FileExisting", executable),
            NodeCheck::HttpProxy { .. } => "HTTPProxy".into(),
            NodeCheck::HttpProxyCidr { .. } => "HTTPProxyCIDR".into(),
            NodeCheck::Cri { .. } => "CRI".into(),
            NodeCheck::Swap => "Swap".into(),
            NodeCheck::SystemVerification => "SystemVerification".into(),
            NodeCheck::Hostname { .. } => "Hostname".into(),
            NodeCheck::KubeletVersion { .. } => "KubeletVersion".into(),
            NodeCheck::ServiceKubelet => "Service-Kubelet".into(),
        }
    }

    /// Looks at the host and returns everything found (nothing when all is well).
    pub fn run(&self, host: &Host<'_>) -> Vec<Issue> {
        let system = host.system;
        match self {
            NodeCheck::IsPrivilegedUser => {
                error_if(system.euid() != 0, || "user is not running as root".into())
            }
            NodeCheck::NumCpu { min } => {
                let n = system.cpu_count();
                error_if(n < *min, || {
                    format!("the number of available CPUs {n} is less than the required {min}")
                })
            }
            NodeCheck::Mem { min_mb } => {
                let mb = system.total_memory_mb();
                error_if(mb < *min_mb, || {
                    format!("the system RAM ({mb} MB) is less than the minimum {min_mb} MB")
                })
            }
            NodeCheck::KubernetesVersion { version } => kubernetes_version(version),
            NodeCheck::Firewalld { ports } => firewalld(system, ports),
            NodeCheck::Port(port) => error_if(system.try_listen(*port).is_err(), || {
                format!("Port {port} is in use")
            }),
            NodeCheck::FileAvailable { path } => match host.root.exists(path) {
                Ok(false) => Vec::new(),
                Ok(true) => vec![Issue::error(format!("{path} already exists"))],
                Err(e) => vec![Issue::error(e.to_string())],
            },
            NodeCheck::DirAvailable { path } => dir_available(host.root, path),
            NodeCheck::ExternalEtcdClientCertificates { path } => {
                error_if(!host.root.exists(path).unwrap_or(false), || {
                    format!("{path} doesn't exist")
                })
            }
            NodeCheck::FileContent { path, content } => match system.read_host_file(path) {
                Err(_) => vec![Issue::error(format!("{path} does not exist"))],
                Ok(bytes) => error_if(!bytes.starts_with(content.as_bytes()), || {
                    format!("{path} contents are not set to {content}")
                }),
            },
            NodeCheck::InPath {
                executable,
                mandatory,
            } => {
                if system.find_executable(executable).is_some() {
                    Vec::new()
                } else if *mandatory {
                    vec![Issue::error(format!(
                        "{executable} not found in system path"
                    ))]
                } else {
                    vec![Issue::warning(format!(
                        "{executable} not found in system path"
                    ))]
                }
            }
            NodeCheck::HttpProxy { host } => http_proxy(system, host),
            NodeCheck::HttpProxyCidr { cidr } => http_proxy_cidr(system, cidr),
            NodeCheck::Cri { socket } => container_runtime(system, socket),
            NodeCheck::Swap => swap(system),
            NodeCheck::SystemVerification => system_verification(system),
            NodeCheck::Hostname { node_name } => hostname_check(system, node_name),
            NodeCheck::KubeletVersion {
                control_plane_version,
            } => kubelet_version_check(system, control_plane_version),
            NodeCheck::ServiceKubelet => service_kubelet(system),
        }
    }
}

fn error_if(failed: bool, message: impl FnOnce() -> String) -> Vec<Issue> {
    if failed {
        vec![Issue::error(message())]
    } else {
        Vec::new()
    }
}

/// Parses `v1.34.2` or `1.34.2`, as apimachinery's `ParseSemantic`.
fn semantic(version: &str) -> Option<SemVer> {
    SemVer::parse(version.strip_prefix('v').unwrap_or(version))
}

fn kubernetes_version(version: &str) -> Vec<Issue> {
    let Some(target) = semantic(version) else {
        return vec![Issue::error(format!(
            "couldn't parse Kubernetes version {version:?}"
        ))];
    };
    let ours = semantic(KUBERNETES_VERSION).expect("the built-in version parses");
    // Every release and pre-release of the next minor is unsupported.
    if (target.major, target.minor) >= (ours.major, ours.minor + 1) {
        return vec![Issue::warning(format!(
            "Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes \
             version: {target}. Kubeadm version: {}.{}.x",
            ours.major, ours.minor
        ))];
    }
    Vec::new()
}

fn firewalld(system: &dyn System, ports: &[u16]) -> Vec<Issue> {
    let state = system.service("firewalld");
    if !(state.exists && state.active) {
        return Vec::new();
    }
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    vec![Issue::warning(format!(
        "firewalld is active, please ensure ports [{}] are open or your cluster may not function correctly",
        ports.join(" ")
    ))]
}

fn dir_available(root: &NodeRoot, path: &str) -> Vec<Issue> {
    match root.exists(path) {
        Ok(false) => return Vec::new(),
        Ok(true) => {}
        Err(e) => {
            return vec![Issue::error(format!(
                "unable to check if {path} is empty: {e}"
            ))];
        }
    }
    match root.list(path) {
        Ok(entries) if entries.is_empty() => Vec::new(),
        Ok(_) => vec![Issue::error(format!("{path} is not empty"))],
        Err(e) => vec![Issue::error(format!(
            "unable to check if {path} is empty: {e}"
        ))],
    }
}

fn proxy_env(system: &dyn System) -> ProxyEnv {
    ProxyEnv::from_env(|name| system.env_var(name))
}

fn http_proxy(system: &dyn System, host: &str) -> Vec<Issue> {
    // As kubeadm: an IPv6 host gets an explicit port, so the URL can hold it.
    let (url, port) = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => (format!("https://[{host}]:1234"), 1234),
        _ => (format!("https://{host}"), 443),
    };
    match proxy_env(system).https_proxy_for(host, port) {
        Some(proxy) => vec![Issue::warning(format!(
            "Connection to {url:?} uses proxy {proxy:?}. If that is not intended, adjust your proxy settings"
        ))],
        None => Vec::new(),
    }
}

fn http_proxy_cidr(system: &dyn System, cidr: &str) -> Vec<Issue> {
    let net: IpNet = match cidr.parse() {
        Ok(net) => net,
        Err(_) => {
            return vec![Issue::error(format!(
                "error parsing CIDR {cidr:?}: invalid CIDR address: {cidr}"
            ))];
        }
    };
    let first = nth_address(&net, 1);
    if !net.contains(&first) {
        let net = net.trunc();
        return vec![Issue::error(format!(
            "unable to get first IP address from the given CIDR ({net}): can't generate IP with index 1 from \
             subnet. subnet too small. subnet: \"{net}\""
        ))];
    }
    match proxy_env(system).https_proxy_for(&first.to_string(), 1234) {
        Some(proxy) => vec![Issue::warning(format!(
            "connection to {cidr:?} uses proxy {proxy:?}. This may lead to malfunctional cluster setup. Make sure \
             that Pod and Services IP ranges specified correctly as exceptions in proxy configuration"
        ))],
        None => Vec::new(),
    }
}

fn container_runtime(system: &dyn System, socket: &str) -> Vec<Issue> {
    // kubeadm accepts a bare absolute path as a unix socket (it warns and adds the scheme).
    let path = match socket.strip_prefix("unix://") {
        Some(path) => path,
        None if socket.starts_with('/') => socket,
        None => {
            return vec![Issue::error(format!(
                "could not connect to the container runtime: unsupported CRI endpoint {socket:?}: kubeadm-rs \
                 connects only to unix:// sockets"
            ))];
        }
    };
    match system.connect_unix(Path::new(path)) {
        Ok(()) => Vec::new(),
        Err(e) => vec![Issue::error(format!(
            "could not connect to the container runtime: dial unix {path}: {e}"
        ))],
    }
}

fn swap(system: &dyn System) -> Vec<Issue> {
    // No /proc/swaps means no swap to warn about.
    let Ok(swaps) = system.read_host_file("/proc/swaps") else {
        return Vec::new();
    };
    // The first line is the header; any other line is an active swap area.
    if String::from_utf8_lossy(&swaps).lines().count() > 1 {
        return vec![Issue::warning(
            "swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please \
             refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the \
             node",
        )];
    }
    Vec::new()
}

fn service_kubelet(system: &dyn System) -> Vec<Issue> {
    let state = system.service("kubelet");
    if !state.exists {
        return vec![Issue::warning("kubelet service does not exist")];
    }
    if !state.enabled {
        return vec![Issue::warning(
            "kubelet service is not enabled, please run 'systemctl enable kubelet.service'",
        )];
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
