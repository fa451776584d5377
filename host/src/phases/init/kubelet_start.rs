//! The `kubelet-start` phase.

use super::InitContext;
use crate::workflow::Phase;

pub fn kubelet_start_phase() -> Phase<dyn InitContext> {
    Phase::new("kubelet-start", "Write kubelet settings and (re)start the kubelet")
}
