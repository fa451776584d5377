//! The `etcd` phase.

use super::InitContext;
use crate::workflow::Phase;

pub fn etcd_phase() -> Phase<dyn InitContext> {
    Phase::new("etcd", "Generate static Pod manifest file for local etcd")
}
