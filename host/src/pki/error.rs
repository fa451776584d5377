//! What can go wrong with keys and certificates, each naming the file and the problem.

use crate::node::NodeError;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("{path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{present} exists but {missing} does not; provide both files or remove {present}")]
    Incomplete { present: String, missing: String },
    #[error("{missing} does not exist; run `kubeadm-rs init phase certs {phase}` first")]
    CaMissing { missing: String, phase: String },
    #[error("certificate {path} is not a CA (basicConstraints CA:TRUE is missing)")]
    NotCa { path: String },
    #[error("private key {key} does not match the public key in certificate {cert}")]
    KeyMismatch { cert: String, key: String },
    #[error("certificate {path} is not signed by corresponding CA {ca}")]
    NotSignedByCa { path: String, ca: String },
    #[error("certificate {path} has expired (NotAfter {not_after})")]
    Expired { path: String, not_after: String },
    #[error("certificate {path} is not valid yet (NotBefore {not_before})")]
    NotYetValid { path: String, not_before: String },
    #[error("certificate {path} is invalid: it is not valid for {name}")]
    MissingSan { path: String, name: String },
    #[error(
        "external CA mode ({ca_key} is absent): {path} must be provided, signed by {ca_cert}; \
         kubeadm-rs cannot sign it without the CA key"
    )]
    ExternalCaLeafMissing {
        path: String,
        ca_cert: String,
        ca_key: String,
    },
    #[error(
        "{path} exists but {missing} does not; provide both service account key files or remove {path}"
    )]
    ServiceAccountIncomplete { path: String, missing: String },
    #[error("service account key {key} does not match public key {public}")]
    ServiceAccountMismatch { key: String, public: String },
    #[error("generating a {algorithm} key: {reason}")]
    Generate {
        algorithm: &'static str,
        reason: String,
    },
    #[error("signing certificate {name}: {reason}")]
    Sign { name: String, reason: String },
    #[error("{input:?} is not a CA pin: expected sha256:<64 hex digits>")]
    BadPin { input: String },
}
