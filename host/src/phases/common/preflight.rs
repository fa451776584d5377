//! One preflight verdict per run: the built-in checks and every preflight plugin record their
//! errors in the context, and `preflight` judges them all once its children have run, so an
//! operator sees every problem at once.

use super::CommandContext;
use crate::preflight::{Findings, Issue, PreflightFailed};

/// The preflight phase that judges; a plugin phase run alone judges its own findings.
pub const PREFLIGHT: &str = "preflight";

/// The outcome of preflight: `Err` lists every error no `--ignore-preflight-errors` covers.
pub type PreflightVerdict = Result<(), PreflightFailed>;

/// Reports `findings` (each as an event as it is recorded) and keeps the errors that count for
/// the verdict; judges them at once when `preflight` itself is not part of this run.
pub fn record_findings<C: ?Sized + CommandContext>(
    ctx: &mut C,
    findings: impl IntoIterator<Item = (String, Issue)>,
) -> PreflightVerdict {
    let mut report = Findings::new(ctx.events(), ctx.ignored_preflight_errors());
    for (check, issue) in findings {
        report.record(&check, issue);
    }
    let errors = report.into_errors();
    ctx.preflight_errors().extend(errors);
    if ctx.plan().runs(PREFLIGHT) {
        Ok(())
    } else {
        verdict(ctx)
    }
}

/// The verdict over every error recorded so far; clears them, so a verdict is given once.
pub fn verdict<C: ?Sized + CommandContext>(ctx: &mut C) -> PreflightVerdict {
    let errors = std::mem::take(ctx.preflight_errors());
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PreflightFailed { errors })
    }
}
