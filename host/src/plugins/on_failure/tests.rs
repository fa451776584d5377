use std::sync::Arc;

use super::*;
use crate::events::{Event, Recorder};

fn failure() -> PluginError {
    PluginError::HostTooOld {
        plugin: "net-sysctls".into(),
        needs: "9.0.0".into(),
    }
}

#[test]
fn each_policy_fails_warns_or_notes_with_what_going_on_means() {
    let cases = [
        (OnFailure::Error, Stage::Load, None),
        (OnFailure::Error, Stage::Run, None),
        (
            OnFailure::Warn,
            Stage::Load,
            Some(Event::Warning {
                message: format!("{}; the plugin is left out (onFailure: warn)", failure()),
            }),
        ),
        (
            OnFailure::Warn,
            Stage::Run,
            Some(Event::Warning {
                message: format!("{} (onFailure: warn)", failure()),
            }),
        ),
        (
            OnFailure::Ignore,
            Stage::Load,
            Some(Event::Info {
                message: format!("{}; the plugin is left out (onFailure: ignore)", failure()),
            }),
        ),
        (
            OnFailure::Ignore,
            Stage::Run,
            Some(Event::Info {
                message: format!("{} (onFailure: ignore)", failure()),
            }),
        ),
    ];
    for (policy, stage, event) in cases {
        let recorder = Arc::new(Recorder::default());
        let result = handle_failure(policy, stage, failure(), &Events::new(recorder.clone()));
        let events = recorder.take();
        match event {
            None => {
                assert!(
                    matches!(result, Err(PluginError::HostTooOld { .. })),
                    "{policy:?} {stage:?}"
                );
                assert!(events.is_empty(), "{policy:?} {stage:?}: {events:?}");
            }
            Some(event) => {
                assert!(result.is_ok(), "{policy:?} {stage:?}");
                assert_eq!(events, [event], "{policy:?} {stage:?}");
            }
        }
    }
}
