//! What can go wrong talking to etcd, in one line each that names the endpoint and the operation.

use std::time::Duration;

use crate::cluster::ClusterError;

#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// A client credential file is missing, unreadable or not PEM.
    #[error("etcd client credentials: {file}: {reason}")]
    Credentials { file: String, reason: String },
    /// An endpoint or peer URL that is not `https://<host>:<port>`.
    #[error("{what} {value:?} is not valid: expected https://<host>:<port>")]
    InvalidUrl { what: &'static str, value: String },
    /// etcd refused the operation for good (not worth retrying).
    #[error("etcd at {endpoints}: {operation}: {cause}")]
    Refused {
        operation: String,
        endpoints: String,
        cause: String,
    },
    /// The operation kept failing until its time ran out.
    #[error("etcd at {endpoints}: {operation}: no success within {timeout:?}; last error: {cause}")]
    TimedOut {
        operation: String,
        endpoints: String,
        timeout: Duration,
        cause: String,
    },
    /// No member has this ID (promote) or peer URL.
    #[error("etcd at {endpoints}: no member {member} in the cluster")]
    NoSuchMember { endpoints: String, member: String },
    /// The etcd Pods in kube-system do not say where etcd listens.
    #[error("could not retrieve the list of etcd endpoints: {reason}")]
    NoEndpoints { reason: String },
    #[error("reading the etcd Pods in kube-system: {0}")]
    Cluster(#[from] ClusterError),
    #[error("starting the etcd client runtime: {0}")]
    Runtime(std::io::Error),
}
