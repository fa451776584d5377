//! Preflight findings: what a check reports when the node is not as it should be.

use std::fmt;

/// How bad a finding is, as in kubeadm preflight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops `init` unless `--ignore-preflight-errors=<plugin>/<check>` names it.
    Error,
    /// Printed; `init` goes on.
    Warning,
    /// Shown only; never affects the outcome.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        })
    }
}

/// One problem found by a check: `Finding::error("ip-forward", "net.ipv4.ip_forward is 0, want 1")
/// .remedy("sysctl -w net.ipv4.ip_forward=1")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The declared check that found it.
    pub check: String,
    /// How bad it is.
    pub severity: Severity,
    /// What was found, one line, naming the values.
    pub message: String,
    /// What the operator can do about it.
    pub remedy: Option<String>,
}

impl Finding {
    /// A finding of `severity` from `check`.
    pub fn new(check: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            severity,
            message: message.into(),
            remedy: None,
        }
    }

    /// An error: the node is not fit.
    pub fn error(check: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(check, Severity::Error, message)
    }

    /// A warning: worth fixing, `init` goes on.
    pub fn warning(check: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(check, Severity::Warning, message)
    }

    /// Information only.
    pub fn info(check: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(check, Severity::Info, message)
    }

    /// Says what the operator can do about it.
    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }
}

impl fmt::Display for Finding {
    /// `[error] ip-forward: net.ipv4.ip_forward is 0, want 1 (fix: sysctl -w …)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.severity, self.check, self.message)?;
        if let Some(remedy) = &self.remedy {
            write!(f, " (fix: {remedy})")?;
        }
        Ok(())
    }
}
