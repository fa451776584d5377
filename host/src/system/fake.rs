//! A host made of plain data, for tests: every fact is a field to set.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::{Kernel, ServiceState, System};

/// A host whose facts are fields. [`FakeSystem::default`] knows nothing (no files, no
/// executables, nothing resolves); [`FakeSystem::kubeadm_ready`] passes every `init` check.
#[derive(Clone, Debug, Default)]
pub struct FakeSystem {
    pub euid: u32,
    pub hostname: String,
    pub kernel: Option<Kernel>,
    /// `uname -m`; empty means `x86_64`.
    pub machine: String,
    /// The default route's source address; `None`: the host has no default route.
    pub address: Option<IpAddr>,
    pub cpus: usize,
    pub memory_mb: u64,
    /// Kernel-provided files by absolute path (`/proc/...`, `/sys/...`).
    pub files: BTreeMap<String, Vec<u8>>,
    pub busy_ports: BTreeSet<u16>,
    /// Unix socket paths something listens on.
    pub sockets: BTreeSet<PathBuf>,
    pub dns: BTreeMap<String, Vec<IpAddr>>,
    pub env: BTreeMap<String, String>,
    /// Executables on `PATH`, by name.
    pub executables: BTreeSet<String>,
    pub systemd: bool,
    pub services: BTreeMap<String, ServiceState>,
    /// Results of `run`, keyed by the command line joined with spaces.
    pub commands: BTreeMap<String, Result<String, String>>,
}

impl FakeSystem {
    /// A node on which `kubeadm init` preflight finds nothing to complain about.
    pub fn kubeadm_ready() -> Self {
        let files = [
            ("/proc/sys/net/ipv4/ip_forward", "1\n"),
            ("/proc/sys/net/ipv6/conf/default/forwarding", "1\n"),
            (
                "/proc/swaps",
                "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
            ),
            (
                "/proc/mounts",
                "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n",
            ),
            (
                "/sys/fs/cgroup/cgroup.controllers",
                "cpuset cpu io memory hugetlb pids rdma misc\n",
            ),
        ];
        FakeSystem {
            euid: 0,
            hostname: "node-1".into(),
            kernel: Some(Kernel {
                name: "Linux".into(),
                release: "6.8.0-45-generic".into(),
            }),
            cpus: 4,
            memory_mb: 8192,
            files: files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
                .collect(),
            sockets: [PathBuf::from("/var/run/containerd/containerd.sock")].into(),
            dns: [("node-1".to_string(), vec!["192.0.2.10".parse().unwrap()])].into(),
            executables: [
                "ip", "iptables", "mount", "nsenter", "ebtables", "ethtool", "socat", "tc",
                "touch", "kubelet",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            systemd: true,
            services: [(
                "kubelet".to_string(),
                ServiceState {
                    exists: true,
                    enabled: true,
                    active: false,
                },
            )]
            .into(),
            commands: [(
                "kubelet --version".to_string(),
                Ok("Kubernetes v1.34.2\n".to_string()),
            )]
            .into(),
            ..FakeSystem::default()
        }
    }

    pub fn file(mut self, path: &str, contents: &str) -> Self {
        self.files.insert(path.into(), contents.as_bytes().to_vec());
        self
    }
}

/// ENOENT, as the kernel reports it.
fn not_found() -> io::Error {
    io::Error::from_raw_os_error(2)
}

impl System for FakeSystem {
    fn euid(&self) -> u32 {
        self.euid
    }

    fn hostname(&self) -> String {
        self.hostname.clone()
    }

    fn kernel(&self) -> Kernel {
        self.kernel.clone().unwrap_or(Kernel {
            name: "Linux".into(),
            release: "6.8.0".into(),
        })
    }

    fn machine(&self) -> String {
        if self.machine.is_empty() {
            "x86_64".into()
        } else {
            self.machine.clone()
        }
    }

    fn default_address(&self) -> Result<IpAddr, String> {
        self.address
            .ok_or_else(|| "/proc/net/route has no IPv4 default route with a gateway".into())
    }

    fn cpu_count(&self) -> usize {
        self.cpus
    }

    fn total_memory_mb(&self) -> u64 {
        self.memory_mb
    }

    fn read_host_file(&self, path: &str) -> io::Result<Vec<u8>> {
        self.files.get(path).cloned().ok_or_else(not_found)
    }

    fn try_listen(&self, port: u16) -> io::Result<()> {
        if self.busy_ports.contains(&port) {
            // EADDRINUSE
            Err(io::Error::from_raw_os_error(98))
        } else {
            Ok(())
        }
    }

    fn connect_unix(&self, path: &Path) -> io::Result<()> {
        if self.sockets.contains(path) {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    fn lookup_host(&self, name: &str) -> io::Result<Vec<IpAddr>> {
        self.dns
            .get(name)
            .cloned()
            .ok_or_else(|| io::Error::other(format!("lookup {name}: no such host")))
    }

    fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    fn find_executable(&self, name: &str) -> Option<PathBuf> {
        self.executables
            .contains(name)
            .then(|| PathBuf::from("/usr/bin").join(name))
    }

    fn systemd_running(&self) -> bool {
        self.systemd
    }

    fn service(&self, name: &str) -> ServiceState {
        self.services.get(name).copied().unwrap_or_default()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let line = std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        self.commands
            .get(&line)
            .cloned()
            .unwrap_or_else(|| Err(format!("{program}: No such file or directory (os error 2)")))
    }
}
