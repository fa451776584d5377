//! The error a plugin's work function returns; its message becomes the WIT `err` string
//! the host reports as the plugin failing.

use crate::describe::InvalidPluginInfo;
use crate::{ClusterError, FactError, ParamError};

/// Why a plugin could not do its work at all (a finding is not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// A node fact could not be read.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// A parameter is unknown, missing or invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A cluster object could not be read.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The plugin broke its own contract (`describe` wrong, a finding for an undeclared
    /// check); a bug in the plugin, not in the node.
    #[error("plugin bug: {0}")]
    Contract(String),
    /// Anything else, in the plugin's words.
    #[error("{0}")]
    Message(String),
}

impl PluginError {
    /// An error with this message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self::Message(message.into())
    }
}

impl From<InvalidPluginInfo> for PluginError {
    fn from(invalid: InvalidPluginInfo) -> Self {
        Self::Contract(invalid.to_string())
    }
}
