//! The machine this process runs on.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6, ToSocketAddrs, UdpSocket};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};

use super::route::default_route;
use super::{Kernel, ServiceState, System};

const ROUTE_TABLE: &str = "/proc/net/route";

/// The machine this process runs on.
pub struct LiveSystem;

impl System for LiveSystem {
    fn euid(&self) -> u32 {
        rustix::process::geteuid().as_raw()
    }

    fn hostname(&self) -> String {
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned()
    }

    fn kernel(&self) -> Kernel {
        let uname = rustix::system::uname();
        Kernel {
            name: uname.sysname().to_string_lossy().into_owned(),
            release: uname.release().to_string_lossy().into_owned(),
        }
    }

    fn machine(&self) -> String {
        rustix::system::uname()
            .machine()
            .to_string_lossy()
            .into_owned()
    }

    fn cpu_count(&self) -> usize {
        match rustix::thread::sched_getaffinity(None) {
            Ok(set) => set.count() as usize,
            Err(_) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    fn total_memory_mb(&self) -> u64 {
        let info = rustix::system::sysinfo();
        info.totalram as u64 * u64::from(info.mem_unit) / 1024 / 1024
    }

    fn read_host_file(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn default_address(&self) -> Result<IpAddr, String> {
        let table = self
            .read_host_file(ROUTE_TABLE)
            .map_err(|e| format!("read {ROUTE_TABLE}: {e}"))?;
        let route = default_route(&String::from_utf8_lossy(&table))
            .ok_or_else(|| format!("{ROUTE_TABLE} has no IPv4 default route with a gateway"))?;
        // connect() on a UDP socket only chooses the route and source address; nothing is sent.
        let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
            .map_err(|e| format!("open a UDP socket: {e}"))?;
        probe.connect((route.gateway, 9)).map_err(|e| {
            format!(
                "no source address towards the default gateway {} via {}: {e}",
                route.gateway, route.interface
            )
        })?;
        let local = probe
            .local_addr()
            .map_err(|e| format!("read the UDP socket's address: {e}"))?;
        Ok(local.ip())
    }

    fn try_listen(&self, port: u16) -> io::Result<()> {
        // Go listens on [::] with IPV6_V6ONLY off, which also covers IPv4; without IPv6 it uses 0.0.0.0.
        match listen_v6(port) {
            Err(e) if e == rustix::io::Errno::AFNOSUPPORT => {
                listen_v4(port).map_err(io::Error::from)
            }
            other => other.map_err(io::Error::from),
        }
    }

    fn connect_unix(&self, path: &Path) -> io::Result<()> {
        std::os::unix::net::UnixStream::connect(path).map(drop)
    }

    fn lookup_host(&self, name: &str) -> io::Result<Vec<IpAddr>> {
        Ok((name, 0).to_socket_addrs()?.map(|a| a.ip()).collect())
    }

    fn env_var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn find_executable(&self, name: &str) -> Option<PathBuf> {
        find_in_path(&std::env::var_os("PATH")?, name)
    }

    fn systemd_running(&self) -> bool {
        Path::new("/run/systemd/system").is_dir()
    }

    fn service(&self, name: &str) -> ServiceState {
        // As kubeadm's systemd init system: `status` prints "Loaded: not-found" for unknown
        // units (and exits non-zero for inactive ones, so only its output counts).
        let status = systemctl(&["status", name]);
        let active = systemctl(&["is-active", name]);
        ServiceState {
            exists: status.is_some_and(|(_, out)| !out.contains("Loaded: not-found")),
            enabled: systemctl(&["is-enabled", name]).is_some_and(|(ok, _)| ok),
            active: active.is_some_and(|(_, out)| matches!(out.trim(), "active" | "activating")),
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let out = Command::new(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "{program} {} failed ({}): {}",
                args.join(" "),
                out.status,
                err.lines().next().unwrap_or("").trim()
            ))
        }
    }
}

/// The first executable regular file called `name` in the directories of a `PATH` value.
fn find_in_path(path: &std::ffi::OsStr, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Whether `systemctl <args>` succeeded, and its standard output; `None` if it could not start.
fn systemctl(args: &[&str]) -> Option<(bool, String)> {
    let out = Command::new("systemctl").args(args).output().ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn listen_v6(port: u16) -> rustix::io::Result<()> {
    let fd = rustix::net::socket_with(
        AddressFamily::INET6,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    sockopt::set_socket_reuseaddr(&fd, true)?;
    sockopt::set_ipv6_v6only(&fd, false)?;
    rustix::net::bind(&fd, &SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0))?;
    rustix::net::listen(&fd, 1)
}

fn listen_v4(port: u16) -> rustix::io::Result<()> {
    let fd = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    sockopt::set_socket_reuseaddr(&fd, true)?;
    rustix::net::bind(&fd, &SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))?;
    rustix::net::listen(&fd, 1)
}

#[cfg(test)]
mod tests;
