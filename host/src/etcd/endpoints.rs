//! Where the cluster's etcd members serve clients, as kubeadm finds out: from the
//! `kubeadm.kubernetes.io/etcd.advertise-client-urls` annotation of the etcd static Pods'
//! mirror Pods in kube-system.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;

use super::EtcdError;
use crate::cluster::Cluster;
use crate::manifests::ETCD_CLIENT_URLS_ANNOTATION;
use crate::objects::KUBE_SYSTEM;

/// The labels every kubeadm etcd static Pod carries.
pub const ETCD_POD_SELECTOR: &str = "component=etcd,tier=control-plane";

/// How often the mirror Pods are looked for again while none exist yet.
const MIRROR_POLL: Duration = Duration::from_millis(500);

/// The client URLs the etcd Pods announce, in the Pods' order. No Pods at all is
/// [`EtcdError::NoEndpoints`] (the mirror Pods may not be there yet); Pods without the
/// annotation are skipped, and if none has it that is an error too.
pub fn endpoints_from_pods(pods: &[Pod]) -> Result<Vec<String>, EtcdError> {
    if pods.is_empty() {
        return Err(EtcdError::NoEndpoints {
            reason: format!("no Pods labelled {ETCD_POD_SELECTOR} in {KUBE_SYSTEM}"),
        });
    }
    let endpoints: Vec<String> = pods
        .iter()
        .filter_map(|pod| {
            pod.metadata
                .annotations
                .as_ref()?
                .get(ETCD_CLIENT_URLS_ANNOTATION)
        })
        .cloned()
        .collect();
    if endpoints.is_empty() {
        return Err(EtcdError::NoEndpoints {
            reason: format!(
                "etcd Pods exist, but none has the {ETCD_CLIENT_URLS_ANNOTATION} annotation"
            ),
        });
    }
    Ok(endpoints)
}

/// Lists the etcd mirror Pods through the API and reads their endpoints, waiting up to
/// `budget` for the first Pod to be mirrored; Pods without the annotation fail at once.
pub fn endpoints_from_cluster(
    cluster: &Cluster,
    budget: Duration,
) -> Result<Vec<String>, EtcdError> {
    let deadline = Instant::now() + budget;
    loop {
        let pods: Vec<Pod> = cluster.list(KUBE_SYSTEM, Some(ETCD_POD_SELECTOR))?;
        match endpoints_from_pods(&pods) {
            Err(_) if pods.is_empty() && Instant::now() + MIRROR_POLL < deadline => {
                std::thread::sleep(MIRROR_POLL);
            }
            other => return other,
        }
    }
}
