//! The one place preflight findings are collected, reported and judged: every finding becomes
//! an event as it is found, `--ignore-preflight-errors` demotes errors, and only at the end does
//! the collection decide whether the remaining errors stop the run.

use std::collections::BTreeSet;
use std::fmt;

use crate::events::{Event, Events, Severity};

/// What one check found: a severity, a message and, when the check knows one, what to do
/// about it (the check's name is added when recorded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    pub message: String,
    pub remedy: Option<String>,
}

impl Issue {
    pub fn error(message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            message: message.into(),
            remedy: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Warning,
            message: message.into(),
            remedy: None,
        }
    }

    pub fn info(message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Info,
            message: message.into(),
            remedy: None,
        }
    }
}

/// An error of a named check that was not ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedCheck {
    pub check: String,
    pub message: String,
}

/// Preflight found errors that `--ignore-preflight-errors` does not cover.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub struct PreflightFailed {
    /// Every remaining error, in the order found.
    pub errors: Vec<FailedCheck>,
}

impl PreflightFailed {
    /// The names of the failed checks, each once, in the order found.
    pub fn check_names(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.errors
            .iter()
            .map(|e| e.check.as_str())
            .filter(|name| seen.insert(*name))
            .collect()
    }
}

impl fmt::Display for PreflightFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.check_names();
        let plural = if names.len() == 1 { "check" } else { "checks" };
        write!(f, "{} preflight {plural} failed: ", names.len())?;
        for (i, e) in self.errors.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}[ERROR {}]: {}", e.check, e.message)?;
        }
        write!(
            f,
            "; if you know what you are doing, make them non-fatal with --ignore-preflight-errors={}",
            names.join(",")
        )
    }
}

/// Collects the findings of one run of preflight checks.
pub struct Findings<'a> {
    events: &'a Events,
    ignored: &'a BTreeSet<String>,
    errors: Vec<FailedCheck>,
}

impl<'a> Findings<'a> {
    /// `ignored` holds `--ignore-preflight-errors` names; case does not matter and `all` covers every check.
    pub fn new(events: &'a Events, ignored: &'a BTreeSet<String>) -> Self {
        Findings {
            events,
            ignored,
            errors: Vec::new(),
        }
    }

    fn is_ignored(&self, check: &str) -> bool {
        self.ignored
            .iter()
            .any(|name| name.eq_ignore_ascii_case("all") || name.eq_ignore_ascii_case(check))
    }

    /// Reports one finding of `check` now and remembers it if it is an error that still counts.
    pub fn record(&mut self, check: &str, issue: Issue) {
        let demoted = issue.severity == Severity::Error && self.is_ignored(check);
        let severity = if demoted {
            Severity::Warning
        } else {
            issue.severity
        };
        if severity == Severity::Error {
            self.errors.push(FailedCheck {
                check: check.to_string(),
                message: issue.message.clone(),
            });
        }
        self.events.emit(Event::Finding {
            check: check.to_string(),
            severity,
            message: issue.message,
            remedy: issue.remedy,
            ignored: demoted,
        });
    }

    pub fn record_all(&mut self, check: &str, issues: impl IntoIterator<Item = Issue>) {
        for issue in issues {
            self.record(check, issue);
        }
    }

    /// The errors that still count, for a verdict given later over several collections.
    pub fn into_errors(self) -> Vec<FailedCheck> {
        self.errors
    }

    /// The verdict: `Ok` unless an error that is not ignored was recorded.
    pub fn finish(self) -> Result<(), PreflightFailed> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(PreflightFailed {
                errors: self.errors,
            })
        }
    }
}
