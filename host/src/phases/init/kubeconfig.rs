//! The `kubeconfig` phase.

use super::InitContext;
use crate::workflow::Phase;

pub fn kubeconfig_phase() -> Phase<dyn InitContext> {
    Phase::new("kubeconfig", "Generate all kubeconfig files necessary to establish the control plane and the admin kubeconfig file")
}
