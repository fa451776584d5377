//! The kube-controller-manager controllers kubeadm relies on, run against the store:
//! tokencleaner, the garbage collector, bootstrapsigner, csrapproving and csrsigning. One
//! `sync` runs each once, in that order (so an expired token's dependents go, and a CSR is
//! approved and signed, in the same pass).

mod bootstrapsigner;
mod csr;
mod csrapproving;
mod csrsigning;
mod garbagecollector;
mod tokencleaner;

use time::OffsetDateTime;

use super::ControlPlaneError;
use super::meta;
use super::store::{Store, StoreError};
use super::tls::ClusterPki;

pub use bootstrapsigner::{CLUSTER_INFO, JWS_KEY_PREFIX, detached_jws};
pub use csr::{APISERVER_CLIENT_SIGNER, KUBELET_CLIENT_SIGNER};

/// The controllers and what they hold (the CA that signs).
pub struct Controllers {
    signer: csrsigning::Signer,
}

impl Controllers {
    pub fn new(pki: &ClusterPki) -> Result<Self, ControlPlaneError> {
        Ok(Controllers {
            signer: csrsigning::Signer::new(pki)?,
        })
    }

    /// One pass of every controller. A write that lost a race (409) is left to the next pass.
    pub fn sync(&self, store: &Store, now: OffsetDateTime) -> Result<(), StoreError> {
        let stamp = meta::rfc3339(now);
        let results = [
            tokencleaner::sync(store, now),
            garbagecollector::sync(store),
            bootstrapsigner::sync(store, now),
            csrapproving::sync(store, &stamp),
            csrsigning::sync(store, &self.signer, now),
        ];
        for result in results {
            match result {
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
