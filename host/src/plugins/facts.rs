//! The node facts plugins may ask for, behind a trait so tests give fixed answers. On a real
//! host they are a view of [`System`] (uname, `/proc`, `/sys`, os-release), typed as the WIT
//! `node` interface wants them.

use std::collections::BTreeSet;

use crate::system::{LiveSystem, System};
use kubeadm_rs_plugin_contract::names::is_sysctl_key;

/// Why a fact could not be given (the host adds `denied` for ungranted sysctls itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactError {
    NotFound,
    Unavailable(String),
}

/// The cgroup hierarchy mounted at `/sys/fs/cgroup`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupVersion {
    V1,
    V2,
}

/// Typed, read-only facts about the node.
pub trait NodeFacts: Send + Sync {
    fn hostname(&self) -> Result<String, FactError>;
    fn kernel_release(&self) -> Result<String, FactError>;
    /// The fields of os-release, keys as written, values unquoted.
    fn os_release(&self) -> Result<Vec<(String, String)>, FactError>;
    /// Go's name of the machine architecture (`amd64`, `arm64`).
    fn architecture(&self) -> Result<String, FactError>;
    fn cpu_count(&self) -> Result<u32, FactError>;
    fn memory_bytes(&self) -> Result<u64, FactError>;
    fn swap_bytes(&self) -> Result<u64, FactError>;
    fn cgroup_version(&self) -> Result<CgroupVersion, FactError>;
    /// Loaded and built-in kernel modules, sorted.
    fn kernel_modules(&self) -> Result<Vec<String>, FactError>;
    /// TCP ports in LISTEN state (IPv4 and IPv6), sorted, unique.
    fn listening_tcp_ports(&self) -> Result<Vec<u16>, FactError>;
    /// The trimmed value of a sysctl key; the host has already checked it is granted.
    fn sysctl(&self, key: &str) -> Result<String, FactError>;
}

/// The host as plugins see it: [`System`]'s facts, typed for the WIT `node` interface.
pub struct NodeView<S>(pub S);

/// The machine this process runs on, as plugins see it.
pub const LIVE_NODE: NodeView<LiveSystem> = NodeView(LiveSystem);

fn read(system: &impl System, path: &str) -> Result<String, FactError> {
    match system.read_host_file(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FactError::NotFound),
        Err(e) => Err(FactError::Unavailable(format!("read {path}: {e}"))),
    }
}

/// A `Key: N kB` line of `/proc/meminfo`, in bytes.
pub(crate) fn meminfo_bytes(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    })
}

/// `KEY=value` lines of os-release, quotes removed.
pub(crate) fn parse_os_release(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let unquoted = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_string(), unquoted.replace("\\\"", "\""))
        })
        .collect()
}

/// Local ports in state LISTEN (`0A`) of a `/proc/net/tcp{,6}` table.
pub(crate) fn listening_ports(table: &str, ports: &mut BTreeSet<u16>) {
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(3) == Some(&"0A")
            && let Some(port) = fields
                .get(1)
                .and_then(|local| local.rsplit_once(':'))
                .and_then(|(_, port)| u16::from_str_radix(port, 16).ok())
        {
            ports.insert(port);
        }
    }
}

/// Module names of `/proc/modules`, and of `modules.builtin` paths (`kernel/.../br_netfilter.ko`).
pub(crate) fn module_names(proc_modules: &str, builtin: &str, names: &mut BTreeSet<String>) {
    names.extend(
        proc_modules
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string),
    );
    names.extend(builtin.lines().filter_map(|l| {
        let file = l.trim().rsplit('/').next()?;
        let name = file.split(".ko").next()?;
        (!name.is_empty()).then(|| name.replace('-', "_"))
    }));
}

/// Go's GOARCH for a `uname -m` machine.
pub(crate) fn go_arch(machine: &str) -> String {
    match machine {
        "x86_64" => "amd64",
        "aarch64" | "arm64" => "arm64",
        "i386" | "i686" => "386",
        "ppc64le" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        m if m.starts_with("armv") => "arm",
        other => other,
    }
    .to_string()
}

impl<S: System> NodeFacts for NodeView<S> {
    fn hostname(&self) -> Result<String, FactError> {
        Ok(self.0.hostname())
    }

    fn kernel_release(&self) -> Result<String, FactError> {
        Ok(self.0.kernel().release)
    }

    fn os_release(&self) -> Result<Vec<(String, String)>, FactError> {
        let text = match read(&self.0, "/etc/os-release") {
            Err(FactError::NotFound) => read(&self.0, "/usr/lib/os-release")?,
            other => other?,
        };
        Ok(parse_os_release(&text))
    }

    fn architecture(&self) -> Result<String, FactError> {
        Ok(go_arch(&self.0.machine()))
    }

    fn cpu_count(&self) -> Result<u32, FactError> {
        Ok(self.0.cpu_count() as u32)
    }

    fn memory_bytes(&self) -> Result<u64, FactError> {
        meminfo_bytes(&read(&self.0, "/proc/meminfo")?, "MemTotal")
            .ok_or_else(|| FactError::Unavailable("/proc/meminfo has no MemTotal line".into()))
    }

    fn swap_bytes(&self) -> Result<u64, FactError> {
        meminfo_bytes(&read(&self.0, "/proc/meminfo")?, "SwapTotal")
            .ok_or_else(|| FactError::Unavailable("/proc/meminfo has no SwapTotal line".into()))
    }

    fn cgroup_version(&self) -> Result<CgroupVersion, FactError> {
        let mounts = read(&self.0, "/proc/mounts")?;
        let fstype = mounts.lines().find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(1) == Some(&"/sys/fs/cgroup")).then(|| fields.get(2).copied())?
        });
        match fstype {
            Some("cgroup2") => Ok(CgroupVersion::V2),
            Some(_) => Ok(CgroupVersion::V1),
            None => Err(FactError::Unavailable(
                "nothing is mounted at /sys/fs/cgroup".into(),
            )),
        }
    }

    fn kernel_modules(&self) -> Result<Vec<String>, FactError> {
        let loaded = read(&self.0, "/proc/modules")?;
        let release = self.0.kernel().release;
        let builtin = match read(&self.0, &format!("/lib/modules/{release}/modules.builtin")) {
            Err(FactError::NotFound) => String::new(),
            other => other?,
        };
        let mut names = BTreeSet::new();
        module_names(&loaded, &builtin, &mut names);
        Ok(names.into_iter().collect())
    }

    fn listening_tcp_ports(&self) -> Result<Vec<u16>, FactError> {
        let mut ports = BTreeSet::new();
        listening_ports(&read(&self.0, "/proc/net/tcp")?, &mut ports);
        match read(&self.0, "/proc/net/tcp6") {
            Ok(table) => listening_ports(&table, &mut ports),
            Err(FactError::NotFound) => {}
            Err(e) => return Err(e),
        }
        Ok(ports.into_iter().collect())
    }

    fn sysctl(&self, key: &str) -> Result<String, FactError> {
        if !is_sysctl_key(key) {
            return Err(FactError::NotFound);
        }
        Ok(
            read(&self.0, &format!("/proc/sys/{}", key.replace('.', "/")))?
                .trim()
                .to_string(),
        )
    }
}

#[cfg(test)]
mod tests;
