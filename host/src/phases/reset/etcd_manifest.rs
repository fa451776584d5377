//! What reset reads from this node's etcd static Pod manifest: where the member keeps its data
//! (the `etcd-data` hostPath volume, as kubeadm's `getEtcdDataDir`), the peer URL that names the
//! member, and where the cluster serves clients.

use k8s_openapi::api::core::v1::Pod;

use crate::config::constants::ETCD_CLIENT_PORT;

/// The volume kubeadm mounts the data directory as.
const DATA_VOLUME: &str = "etcd-data";

#[derive(Debug, thiserror::Error)]
pub enum EtcdManifestError {
    #[error("not a Pod manifest: {0}")]
    Yaml(String),
    #[error("has no {0}")]
    Missing(String),
}

/// This node's local etcd member, as its manifest describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdManifest {
    pub data_dir: String,
    /// `--initial-advertise-peer-urls`: the member's identity in the cluster.
    pub peer_url: String,
    /// `--advertise-client-urls`, then the client URLs of the other `--initial-cluster` members.
    pub endpoints: Vec<String>,
}

impl EtcdManifest {
    pub fn parse(text: &str) -> Result<Self, EtcdManifestError> {
        let pod: Pod =
            serde_saphyr::from_str(text).map_err(|e| EtcdManifestError::Yaml(e.to_string()))?;
        let spec = pod
            .spec
            .ok_or_else(|| EtcdManifestError::Missing("spec".into()))?;
        let data_dir = spec
            .volumes
            .unwrap_or_default()
            .into_iter()
            .find(|v| v.name == DATA_VOLUME)
            .and_then(|v| v.host_path)
            .map(|h| h.path)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| EtcdManifestError::Missing(format!("{DATA_VOLUME} hostPath volume")))?;
        let command: Vec<String> = spec
            .containers
            .into_iter()
            .find(|c| c.name == "etcd")
            .and_then(|c| c.command)
            .ok_or_else(|| EtcdManifestError::Missing("etcd container command".into()))?;
        let flag = |name: &str| {
            let prefix = format!("--{name}=");
            command
                .iter()
                .rev()
                .find_map(|a| a.strip_prefix(&prefix).map(str::to_string))
        };
        let peer_url = flag("initial-advertise-peer-urls")
            .and_then(|v| v.split(',').next().map(str::to_string))
            .ok_or_else(|| EtcdManifestError::Missing("--initial-advertise-peer-urls".into()))?;
        let mut endpoints: Vec<String> = flag("advertise-client-urls")
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        for member in flag("initial-cluster").unwrap_or_default().split(',') {
            let Some((_, peer)) = member.split_once('=') else {
                continue;
            };
            if let Some(url) = client_url_of_peer(peer)
                && peer != peer_url
                && !endpoints.contains(&url)
            {
                endpoints.push(url);
            }
        }
        if endpoints.is_empty() {
            return Err(EtcdManifestError::Missing("--advertise-client-urls".into()));
        }
        Ok(EtcdManifest {
            data_dir,
            peer_url,
            endpoints,
        })
    }
}

/// `https://<host>:2379` for a member's `https://<host>:2380`.
fn client_url_of_peer(peer: &str) -> Option<String> {
    let authority = peer.strip_prefix("https://")?.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(rest) => &authority[..rest.find(']')? + 2],
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    (!host.is_empty()).then(|| format!("https://{host}:{ETCD_CLIENT_PORT}"))
}
