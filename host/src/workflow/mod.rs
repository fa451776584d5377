//! The phase runner, modelled on kubeadm's workflow package: phases as data in a tree,
//! selection by path, dependency checks before anything runs, one event stream.

mod flag;
mod phase;
mod runner;

// The event types moved to `crate::events` and the renderers to `crate::cli::render`; these
// re-exports keep this session's parallel branches compiling until they are merged.
pub use crate::events::{Event, Events, Recorder, RemovedKind, Reporter, Severity};
pub mod render {
    pub use crate::cli::render::{HumanRenderer, JsonRenderer, OutputFormat, human_duration};
}
pub use flag::Flag;
pub use phase::{Phase, RunFn, RunIfFn};
pub use runner::{Flat, PhaseFailed, Plan, PlanError, Selection, Workflow};

#[cfg(test)]
mod tests;
