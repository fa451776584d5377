//! Facts about the live host, behind one trait so tests can substitute a host of their own.
//! Preflight and kubelet-start use [`System`] directly; configuration defaults and plugins see
//! narrower views of it ([`ConfigView`], `plugins::NodeView`).
//!
//! Node files (manifests, the etcd data directory, PKI) are not here: they go through
//! [`crate::node::NodeRoot`]. What is here describes the running kernel, its network stack and
//! this process (`/proc`, `/sys`, ports, `PATH`, environment), which `--rootfs` does not change.

mod live;
mod route;

#[cfg(test)]
pub mod fake;

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub use live::LiveSystem;

use crate::config::HostFacts;

/// The running kernel, as `uname` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kernel {
    /// The operating system name (`uname -s`), `Linux` on Linux.
    pub name: String,
    /// The kernel release (`uname -r`), e.g. `6.8.0-45-generic`.
    pub release: String,
}

/// What the init system knows about one service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceState {
    /// A unit file for the service is installed.
    pub exists: bool,
    /// The service starts at boot.
    pub enabled: bool,
    /// The service is running or starting.
    pub active: bool,
}

/// What phases may ask of the host beyond the node root.
pub trait System: Send + Sync {
    /// The effective user id.
    fn euid(&self) -> u32;
    /// The host name, as the kernel reports it.
    fn hostname(&self) -> String;
    fn kernel(&self) -> Kernel;
    /// The machine hardware name (`uname -m`, `x86_64`).
    fn machine(&self) -> String;
    /// Logical CPUs this process may run on (its affinity mask, as Go's `runtime.NumCPU`).
    fn cpu_count(&self) -> usize;
    /// Total usable RAM in MiB, as `sysinfo(2)` reports it.
    fn total_memory_mb(&self) -> u64;
    /// Reads a file the kernel provides (under `/proc` or `/sys`) on the live host.
    fn read_host_file(&self, path: &str) -> io::Result<Vec<u8>>;
    /// The source address of the route towards the IPv4 default gateway, or why there is none.
    fn default_address(&self) -> Result<IpAddr, String>;
    /// Listens on TCP `:port` (every address, IPv4 and IPv6) and closes the socket again,
    /// as Go's `net.Listen("tcp", ":port")`; fails if the port is taken.
    fn try_listen(&self, port: u16) -> io::Result<()>;
    /// Connects to a unix socket and closes the connection.
    fn connect_unix(&self, path: &Path) -> io::Result<()>;
    /// Resolves a host name the way the C library does (`/etc/hosts`, then DNS).
    fn lookup_host(&self, name: &str) -> io::Result<Vec<IpAddr>>;
    /// An environment variable of this process; unset and non-UTF-8 values are `None`.
    fn env_var(&self, name: &str) -> Option<String>;
    /// Looks up an executable on `PATH`.
    fn find_executable(&self, name: &str) -> Option<PathBuf>;
    /// Whether systemd is running as the init system.
    fn systemd_running(&self) -> bool;
    /// What systemd knows about a service; ask only when systemd runs.
    fn service(&self, name: &str) -> ServiceState;
    /// Runs a program and returns its standard output, or a one-line error.
    fn run(&self, program: &str, args: &[&str]) -> Result<String, String>;
}

/// The host as configuration defaults see it ([`HostFacts`]): the node name kubeadm picks,
/// the default advertise address and fresh bootstrap tokens.
pub struct ConfigView<S>(pub S);

impl<S: System> HostFacts for ConfigView<S> {
    fn hostname(&self) -> Result<String, String> {
        let name = self.0.hostname().trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err("empty hostname is invalid".into());
        }
        Ok(name)
    }

    fn default_address(&self) -> Result<String, String> {
        self.0.default_address().map(|ip| ip.to_string())
    }

    fn new_token(&self) -> String {
        crate::token::BootstrapToken::generate()
            .expect("the operating system's random number generator failed")
            .expose()
    }
}

/// The live host as configuration defaults see it.
pub const LIVE_CONFIG: ConfigView<LiveSystem> = ConfigView(LiveSystem);
