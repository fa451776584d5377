//! Structured logging through the host's `log` import: the host tags each record with
//! the plugin and phase, and bounds and sanitises it. In native tests records go to
//! stderr, where the test harness shows them for failing tests.
//!
//! ```
//! kubeadm_rs_plugin_sdk::log::info("checked sysctls", &[("count", "2")]);
//! ```

// Outside wasm (a plugin's own tests) the log records are rendered to stderr.
#![allow(clippy::print_stderr)]

use std::fmt;

/// How important a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Step-by-step detail.
    Trace,
    /// Detail for when something goes wrong.
    Debug,
    /// What the plugin is doing.
    Info,
    /// Something odd that does not stop the plugin.
    Warn,
    /// Something failed.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        })
    }
}

/// Emits one record: a one-line `message` and `key=value` fields.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    emit(level, message, fields);
}

/// Emits a [`Level::Trace`] record.
pub fn trace(message: &str, fields: &[(&str, &str)]) {
    log(Level::Trace, message, fields);
}

/// Emits a [`Level::Debug`] record.
pub fn debug(message: &str, fields: &[(&str, &str)]) {
    log(Level::Debug, message, fields);
}

/// Emits a [`Level::Info`] record.
pub fn info(message: &str, fields: &[(&str, &str)]) {
    log(Level::Info, message, fields);
}

/// Emits a [`Level::Warn`] record.
pub fn warn(message: &str, fields: &[(&str, &str)]) {
    log(Level::Warn, message, fields);
}

/// Emits a [`Level::Error`] record.
pub fn error(message: &str, fields: &[(&str, &str)]) {
    log(Level::Error, message, fields);
}

#[cfg(target_arch = "wasm32")]
fn emit(level: Level, message: &str, fields: &[(&str, &str)]) {
    use crate::export::preflight::kubeadm_rs::plugin::log as wit_log;
    let level = match level {
        Level::Trace => wit_log::Level::Trace,
        Level::Debug => wit_log::Level::Debug,
        Level::Info => wit_log::Level::Info,
        Level::Warn => wit_log::Level::Warn,
        Level::Error => wit_log::Level::Error,
    };
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    wit_log::log(level, message, &fields);
}

#[cfg(not(target_arch = "wasm32"))]
fn emit(level: Level, message: &str, fields: &[(&str, &str)]) {
    eprintln!("{}", format_record(level, message, fields));
}

/// `[info] message key=value …`, the native rendering of a record.
#[cfg(not(target_arch = "wasm32"))]
fn format_record(level: Level, message: &str, fields: &[(&str, &str)]) -> String {
    let mut line = format!("[{level}] {message}");
    for (key, value) in fields {
        line.push_str(&format!(" {key}={value}"));
    }
    line
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn native_records_read_as_level_message_and_fields() {
        assert_eq!(
            format_record(
                Level::Warn,
                "slow disk",
                &[("device", "sda"), ("ms", "120")]
            ),
            "[warn] slow disk device=sda ms=120"
        );
        assert_eq!(format_record(Level::Info, "done", &[]), "[info] done");
    }
}
