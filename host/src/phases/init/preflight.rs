//! The `preflight` phase.

use super::InitContext;
use crate::workflow::Phase;

pub fn preflight_phase() -> Phase<dyn InitContext> {
    Phase::new("preflight", "Run pre-flight checks")
}
