//! Node facts: the typed, read-only view of the node that preflight plugins check.
//! On wasm the host answers ([`NodeFacts`] over the WIT `node` import); in native tests
//! [`MockNode`](crate::testing::MockNode) does.

/// Why a node fact could not be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactError {
    /// The plugin did not declare it or the operator did not grant it.
    #[error(
        "node fact `{fact}` was denied: the plugin must declare it and the operator must grant it"
    )]
    Denied {
        /// The fact asked for (`sysctl net.ipv4.ip_forward`).
        fact: String,
    },
    /// The fact does not exist on this node (a sysctl key with no file).
    #[error("node fact `{fact}` does not exist on this node")]
    NotFound {
        /// The fact asked for.
        fact: String,
    },
    /// The host could not read it.
    #[error("node fact `{fact}` is unavailable: {reason}")]
    Unavailable {
        /// The fact asked for.
        fact: String,
        /// Why, as the host says.
        reason: String,
    },
}

/// Which cgroup hierarchy the node uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// Legacy (v1 or hybrid).
    V1,
    /// Unified (`cgroup2fs`).
    V2,
}

/// The fields of `/etc/os-release`, values unquoted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    fields: Vec<(String, String)>,
}

impl OsRelease {
    /// Wraps `KEY=value` pairs as the host reports them.
    pub fn new(fields: Vec<(String, String)>) -> Self {
        Self { fields }
    }

    /// The value of `key` (`VERSION_CODENAME`), if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `ID` (`debian`, `ubuntu`); os-release(5) defaults it to `linux`.
    pub fn id(&self) -> &str {
        self.get("ID").unwrap_or("linux")
    }

    /// `VERSION_ID` (`12`), if present.
    pub fn version_id(&self) -> Option<&str> {
        self.get("VERSION_ID")
    }

    /// `PRETTY_NAME`; os-release(5) defaults it to `Linux`.
    pub fn pretty_name(&self) -> &str {
        self.get("PRETTY_NAME").unwrap_or("Linux")
    }

    /// Every field in file order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// Facts about the node. Every fact can fail with a [`FactError`]; `?` turns it into a
/// [`PluginError`](crate::PluginError) that names the fact.
pub trait NodeFacts {
    /// The hostname (`uname -n`).
    fn hostname(&self) -> Result<String, FactError>;
    /// The kernel release (`uname -r`).
    fn kernel_release(&self) -> Result<String, FactError>;
    /// `/etc/os-release`.
    fn os_release(&self) -> Result<OsRelease, FactError>;
    /// The architecture in Go's naming (`amd64`, `arm64`).
    fn architecture(&self) -> Result<String, FactError>;
    /// The number of usable CPUs.
    fn cpu_count(&self) -> Result<u32, FactError>;
    /// Total memory in bytes.
    fn memory_bytes(&self) -> Result<u64, FactError>;
    /// Total swap in bytes (0 when swap is off).
    fn swap_bytes(&self) -> Result<u64, FactError>;
    /// The cgroup hierarchy in use.
    fn cgroup_version(&self) -> Result<CgroupVersion, FactError>;
    /// Loaded and built-in kernel modules, sorted.
    fn kernel_modules(&self) -> Result<Vec<String>, FactError>;
    /// TCP ports something listens on, sorted.
    fn listening_tcp_ports(&self) -> Result<Vec<u16>, FactError>;
    /// The trimmed value of sysctl `key`; only keys the plugin declared and the operator
    /// granted are answered.
    fn sysctl(&self, key: &str) -> Result<String, FactError>;

    /// Whether module `name` is loaded or built in; `-` and `_` are the same, as for
    /// the kernel (`br-netfilter` is `br_netfilter`).
    fn module_loaded(&self, name: &str) -> Result<bool, FactError> {
        let wanted = name.replace('-', "_");
        Ok(self
            .kernel_modules()?
            .iter()
            .any(|module| module.replace('-', "_") == wanted))
    }

    /// Whether something listens on TCP `port`.
    fn port_in_use(&self, port: u16) -> Result<bool, FactError> {
        Ok(self.listening_tcp_ports()?.contains(&port))
    }

    /// Sysctl `key`, or `None` when the key does not exist on this node.
    fn sysctl_opt(&self, key: &str) -> Result<Option<String>, FactError> {
        match self.sysctl(key) {
            Ok(value) => Ok(Some(value)),
            Err(FactError::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }
}
