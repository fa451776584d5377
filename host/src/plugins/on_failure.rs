//! What a plugin's `onFailure` does with its failure, decided in one place for loading a
//! plugin and for running it: `error` fails, `warn` shows a warning and goes on, `ignore`
//! only reports it as information.

use super::PluginError;
use crate::config::plugins::OnFailure;
use crate::events::Events;

/// When a plugin failed: what going on without it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Loading it before any phase runs: it is left out of the command.
    Load,
    /// Running its phase: the phase goes on without its result.
    Run,
}

/// Applies `on_failure` to `error`: the error back under `error`, else the warning or note
/// on `events` and `Ok`.
pub fn handle_failure(
    on_failure: OnFailure,
    stage: Stage,
    error: PluginError,
    events: &Events,
) -> Result<(), PluginError> {
    let consequence = match stage {
        Stage::Load => "; the plugin is left out",
        Stage::Run => "",
    };
    match on_failure {
        OnFailure::Error => Err(error),
        OnFailure::Warn => {
            events.warn(format!("{error}{consequence} (onFailure: warn)"));
            Ok(())
        }
        OnFailure::Ignore => {
            events.info(format!("{error}{consequence} (onFailure: ignore)"));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
