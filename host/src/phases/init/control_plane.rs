//! The `control-plane` phase.

use super::InitContext;
use crate::workflow::Phase;

pub fn control_plane_phase() -> Phase<dyn InitContext> {
    Phase::new("control-plane", "Generate all static Pod manifest files necessary to establish the control plane")
}
