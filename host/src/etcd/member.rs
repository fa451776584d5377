//! etcd cluster members, and what a joining member's manifest and the client take from them.

use serde::Serialize;

use crate::manifests::EtcdMember;

/// One member of the etcd cluster, as `MemberList` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: u64,
    /// Empty until the member's etcd has started and joined.
    pub name: String,
    pub peer_urls: Vec<String>,
    /// Empty until the member's etcd has started.
    pub client_urls: Vec<String>,
    pub is_learner: bool,
}

impl Member {
    pub(super) fn from_etcd(m: &etcd_client::Member) -> Self {
        Member {
            id: m.id(),
            name: m.name().to_string(),
            peer_urls: m.peer_urls().to_vec(),
            client_urls: m.client_urls().to_vec(),
            is_learner: m.is_learner(),
        }
    }

    /// The first peer URL, the one kubeadm identifies a member by.
    pub fn peer_url(&self) -> &str {
        self.peer_urls.first().map_or("", String::as_str)
    }

    /// Whether its etcd has started (a member gets its name when it first joins).
    pub fn started(&self) -> bool {
        !self.name.is_empty()
    }

    /// The ID as etcd and etcdctl print it.
    pub fn hex_id(&self) -> String {
        format!("{:x}", self.id)
    }
}

/// The member this node added to the cluster as a learner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learner {
    pub id: u64,
    /// `https://<its advertise address>:2379`.
    pub client_url: String,
    /// The whole membership for the new member's `--initial-cluster`, this node included.
    pub initial_cluster: Vec<EtcdMember>,
}

/// `--initial-cluster` for the member `name` at `peer_url` joining `members` (which include
/// it): every member by name and first peer URL, the joining one under `name`. etcd checks
/// that this list matches the cluster's, so a member that has not started (and has no name
/// yet) is listed under its hex ID, as kubeadm does.
pub fn initial_cluster(members: &[Member], name: &str, peer_url: &str) -> Vec<EtcdMember> {
    members
        .iter()
        .map(|m| EtcdMember {
            name: if m.peer_url() == peer_url {
                name.to_string()
            } else if m.started() {
                m.name.clone()
            } else {
                m.hex_id()
            },
            peer_url: m.peer_url().to_string(),
        })
        .collect()
}

/// The client URLs of the started voting members: where requests can go (a learner serves no
/// member API calls, and an unstarted member serves nothing).
pub fn voting_client_urls(members: &[Member]) -> Vec<String> {
    members
        .iter()
        .filter(|m| m.started() && !m.is_learner)
        .flat_map(|m| m.client_urls.iter().cloned())
        .collect()
}
