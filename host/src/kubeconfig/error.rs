//! What can go wrong with a kubeconfig file, naming the file.

use crate::node::NodeError;
use crate::pki::PkiError;

#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("kubeconfig file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
    #[error("a kubeconfig file {path:?} exists already but has got the wrong CA cert")]
    WrongCa { path: String },
    #[error(
        "a kubeconfig file {path:?} exists already but has an unexpected API Server URL: expected: {expected}, got: {found}"
    )]
    WrongServer {
        path: String,
        expected: String,
        found: String,
    },
    #[error(
        "external CA mode ({ca_key} is absent): {path} must be provided; kubeadm-rs cannot sign its client certificate without the CA key"
    )]
    ExternalCaFileMissing { path: String, ca_key: String },
}
