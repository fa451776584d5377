//! The `certs` phase.

use super::InitContext;
use crate::workflow::Phase;

pub fn certs_phase() -> Phase<dyn InitContext> {
    Phase::new("certs", "Certificate generation")
}
