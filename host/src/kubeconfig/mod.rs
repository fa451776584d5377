//! kubeconfig files: the ones `init` writes for the admin and the control-plane components, each
//! with a client certificate signed by the cluster CA, and a reader for them (admin.conf is read
//! back by `token` and `join`).

mod document;
mod error;
mod files;

pub use document::{Cluster, Context, Kubeconfig, NamedCluster, NamedContext, NamedUser, User};
pub use error::KubeconfigError;
pub use files::{KUBECONFIG_MODE, KubeconfigFile, KubeconfigSpec, KubeconfigWriter};

use std::path::Path;

use crate::node::NodeRoot;

/// Reads and parses a kubeconfig file on the node; `None` if it does not exist.
pub fn read_kubeconfig(
    root: &NodeRoot,
    path: impl AsRef<Path>,
) -> Result<Option<Kubeconfig>, KubeconfigError> {
    let path = path.as_ref();
    let Some(bytes) = root.read(path)? else {
        return Ok(None);
    };
    Kubeconfig::parse(&String::from_utf8_lossy(&bytes))
        .map(Some)
        .map_err(|reason| KubeconfigError::Invalid {
            path: path.display().to_string(),
            reason,
        })
}

#[cfg(test)]
mod tests;
