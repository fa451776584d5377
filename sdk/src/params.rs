//! Operator parameters (`plugins[].parameters` in `PluginConfiguration`): typed getters
//! with defaults, and errors that name the parameter, the value and what was expected.

use std::str::FromStr;

use kubeadm_rs_plugin_contract::quantity;

use crate::Parameter;

/// The parameters a plugin was called with, checked against the ones it declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(String, String)>,
}

/// A parameter the plugin cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The operator gave a parameter the plugin does not declare (often a typo).
    #[error("unknown parameter `{key}`; {}", known_list(.known))]
    Unknown {
        /// The key given.
        key: String,
        /// The keys the plugin declares.
        known: Vec<String>,
    },
    /// The same key was given twice.
    #[error("parameter `{key}` is given twice")]
    Duplicate {
        /// The key given twice.
        key: String,
    },
    /// A required parameter is missing.
    #[error("parameter `{key}` is required")]
    Missing {
        /// The missing key.
        key: String,
    },
    /// The value cannot be used.
    #[error("parameter `{key}`: `{value}` is not {expected}")]
    Invalid {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// What the plugin expected (`an unsigned integer`).
        expected: String,
    },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "this plugin takes no parameters".to_owned()
    } else {
        format!("this plugin understands: {}", known.join(", "))
    }
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key=value` (for tests; the SDK checks for duplicates before `run`).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.entries.push((key.into(), value.into()));
        self
    }

    /// Accepts `entries` only if every key is declared and none is repeated.
    pub(crate) fn checked(
        entries: Vec<(String, String)>,
        declared: &[Parameter],
    ) -> Result<Self, ParamError> {
        for (index, (key, _)) in entries.iter().enumerate() {
            if !declared.iter().any(|p| &p.name == key) {
                return Err(ParamError::Unknown {
                    key: key.clone(),
                    known: declared.iter().map(|p| p.name.clone()).collect(),
                });
            }
            if entries[..index].iter().any(|(earlier, _)| earlier == key) {
                return Err(ParamError::Duplicate { key: key.clone() });
            }
        }
        Ok(Self { entries })
    }

    /// Every `(key, value)` in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The raw value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key`, or an error naming it when it is not given.
    pub fn require(&self, key: &str) -> Result<&str, ParamError> {
        self.get(key).ok_or_else(|| ParamError::Missing {
            key: key.to_owned(),
        })
    }

    /// The value of `key`, or `default`.
    pub fn str_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.get(key).unwrap_or(default)
    }

    /// The value of `key` parsed as `T`, or `default`; `expected` says what a valid value
    /// looks like in the error (`"a port number"`).
    pub fn parse_or<T: FromStr>(
        &self,
        key: &str,
        default: T,
        expected: &str,
    ) -> Result<T, ParamError> {
        match self.get(key) {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| invalid(key, value, expected)),
        }
    }

    /// An unsigned integer, or `default`.
    pub fn u64_or(&self, key: &str, default: u64) -> Result<u64, ParamError> {
        self.parse_or(key, default, "an unsigned integer")
    }

    /// An unsigned 32-bit integer, or `default`.
    pub fn u32_or(&self, key: &str, default: u32) -> Result<u32, ParamError> {
        self.parse_or(key, default, "an unsigned integer below 2^32")
    }

    /// `true` or `false`, or `default`.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ParamError> {
        self.parse_or(key, default, "`true` or `false`")
    }

    /// A size in bytes written as a Kubernetes quantity (`1700Mi`, `2Gi`, `1.5G`,
    /// `1048576`), or `default` bytes: the units the host takes for `limits.memory`
    /// (`Ki Mi Gi Ti`, `k M G T`), read by the same parser.
    pub fn bytes_or(&self, key: &str, default: u64) -> Result<u64, ParamError> {
        match self.get(key) {
            None => Ok(default),
            Some(value) => {
                quantity::parse_bytes(value).map_err(|_| invalid(key, value, quantity::EXPECTED))
            }
        }
    }

    /// A comma-separated list (items trimmed, empty items dropped), or `default`.
    pub fn list_or(&self, key: &str, default: &[&str]) -> Vec<String> {
        match self.get(key) {
            None => default.iter().map(|s| (*s).to_owned()).collect(),
            Some(value) => value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

fn invalid(key: &str, value: &str, expected: &str) -> ParamError {
    ParamError::Invalid {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

#[cfg(test)]
mod tests;
