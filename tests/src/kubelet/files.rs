//! The node files the kubelet reads and writes, as paths relative to the node root.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub const BOOTSTRAP_KUBECONFIG: &str = "etc/kubernetes/bootstrap-kubelet.conf";
pub const KUBELET_KUBECONFIG: &str = "etc/kubernetes/kubelet.conf";
pub const KUBELET_CONFIG: &str = "var/lib/kubelet/config.yaml";
const KUBEADM_FLAGS: &str = "var/lib/kubelet/kubeadm-flags.env";
const DEFAULT_STATIC_POD_PATH: &str = "/etc/kubernetes/manifests";

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A file's bytes, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// Writes `bytes` to `path` with `mode` through a temporary file and a rename, so a reader
/// never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FileError> {
    let dir = path.parent().expect("node files have a parent directory");
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path.file_name().expect("a file name").to_string_lossy();
    let temp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temp)
        .map_err(io(&temp))?;
    file.write_all(bytes).map_err(io(&temp))?;
    file.sync_all().map_err(io(&temp))?;
    std::fs::rename(&temp, path).map_err(io(path))
}

/// What the double takes from the KubeletConfiguration.
pub struct KubeletConfig {
    /// `healthzBindAddress:healthzPort`; `None` when the port is 0 (disabled).
    pub healthz: Option<SocketAddr>,
    /// `staticPodPath`, a node path.
    pub static_pod_path: String,
}

/// `var/lib/kubelet/config.yaml`, or `None` before kubeadm wrote it.
pub fn kubelet_config(root: &Path) -> Result<Option<KubeletConfig>, FileError> {
    let path = root.join(KUBELET_CONFIG);
    let Some(bytes) = read_optional(&path)? else {
        return Ok(None);
    };
    let invalid = |reason: String| FileError::Invalid {
        path: path.clone(),
        reason,
    };
    let text = String::from_utf8(bytes).map_err(|e| invalid(e.to_string()))?;
    let doc: Value = serde_saphyr::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let address = doc["healthzBindAddress"].as_str().unwrap_or("127.0.0.1");
    let ip: IpAddr = address
        .parse()
        .map_err(|e| invalid(format!("healthzBindAddress {address:?}: {e}")))?;
    let port = match &doc["healthzPort"] {
        Value::Null => 10248,
        v => v
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| invalid(format!("healthzPort {v} is not a port")))?,
    };
    Ok(Some(KubeletConfig {
        healthz: (port != 0).then(|| SocketAddr::new(ip, port)),
        static_pod_path: doc["staticPodPath"]
            .as_str()
            .unwrap_or(DEFAULT_STATIC_POD_PATH)
            .to_string(),
    }))
}

/// The value of `--<flag>=` in `kubeadm-flags.env`'s `KUBELET_KUBEADM_ARGS`, if set.
pub fn kubeadm_flag(root: &Path, flag: &str) -> Result<Option<String>, FileError> {
    let path = root.join(KUBEADM_FLAGS);
    let Some(bytes) = read_optional(&path)? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    let prefix = format!("--{flag}=");
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("KUBELET_KUBEADM_ARGS="))
        .flat_map(|args| args.trim_matches('"').split_whitespace())
        .find_map(|arg| arg.strip_prefix(&prefix).map(String::from)))
}

/// A node path (`/etc/kubernetes/pki`) under the root.
pub fn under(root: &Path, node_path: &str) -> PathBuf {
    root.join(node_path.trim_start_matches('/'))
}
