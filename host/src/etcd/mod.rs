//! The stacked etcd cluster, as `join --control-plane` and `reset` talk to it over the etcd
//! v3 API (kubeadm's `util/etcd`): where the members are (the etcd mirror Pods'
//! annotation), their health, adding this node as a learner, promoting it once it caught up,
//! and removing a member.
//!
//! A control-plane join runs, in kubeadm's order:
//! [`EtcdClient::from_cluster`] → [`EtcdClient::check_health`] (`check-etcd`) →
//! [`EtcdClient::add_learner`] → write `etcd.yaml` from [`Learner::initial_cluster`]
//! (`manifests::etcd_pod`) → [`EtcdClient::promote`] → [`EtcdClient::wait_available`].

mod client;
mod credentials;
mod endpoints;
mod error;
mod member;

pub use client::{AVAILABLE_INTERVAL, AVAILABLE_RETRIES, EtcdClient, Timeouts};
pub use credentials::EtcdCredentials;
pub use endpoints::{ETCD_POD_SELECTOR, endpoints_from_cluster, endpoints_from_pods};
pub use error::EtcdError;
pub use member::{Learner, Member, initial_cluster, voting_client_urls};

#[cfg(test)]
mod tests;
