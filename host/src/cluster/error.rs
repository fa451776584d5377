//! What can go wrong talking to the API server, in one line each.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("kubeconfig {file}: {reason}")]
    Kubeconfig { file: String, reason: String },
    #[error(
        "no successful answer from the API server at {endpoint} within {timeout:?}; last error: {cause}"
    )]
    Unreachable {
        endpoint: String,
        timeout: Duration,
        cause: String,
    },
    /// A transient failure of one attempt (connection refused, reset, timed out, 5xx, 429).
    #[error("the API server at {endpoint}: {cause}")]
    Transient { endpoint: String, cause: String },
    #[error("{what} already exists")]
    AlreadyExists { what: String },
    #[error("{what}: {message} (HTTP {code} {reason})")]
    Api {
        what: String,
        code: u16,
        reason: String,
        message: String,
    },
    #[error("{what}: {cause}")]
    Failed { what: String, cause: String },
    #[error("invalid object: {0}")]
    Object(String),
}

impl ClusterError {
    pub fn code(&self) -> Option<u16> {
        match self {
            ClusterError::Api { code, .. } => Some(*code),
            ClusterError::AlreadyExists { .. } => Some(409),
            _ => None,
        }
    }

    pub fn is_forbidden(&self) -> bool {
        self.code() == Some(403)
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404)
    }

    /// A resourceVersion conflict on update (worth re-reading and trying again).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ClusterError::Api { code: 409, .. })
    }
}
