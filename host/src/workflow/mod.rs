//! The phase runner, modelled on kubeadm's workflow package: phases as data in a tree,
//! selection by path, dependency checks before anything runs, one event stream.

mod flag;
mod phase;
mod runner;

pub use flag::Flag;
pub use phase::{Phase, RunFn, RunIfFn};
pub use runner::{Flat, PhaseFailed, Plan, PlanError, Selection, Workflow};

#[cfg(test)]
mod tests;
