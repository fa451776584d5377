//! The kubelet's Node: registered with kubelet.conf's identity (with the taints kubeadm put
//! in `kubeadm-flags.env`), its Ready condition renewed every heartbeat, and registered again
//! if it disappears.

use std::time::Instant;

use serde_json::{Value, json};

use super::files::{self, FileError};
use super::{Options, log};
use crate::control_plane::client::{ClientError, KubeClient};
use crate::control_plane::doubles::node_object;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("--register-with-taints {0:?}: expected key[=value]:Effect")]
    Taint(String),
    #[error("{action} node {node}: HTTP {status}: {message}")]
    Api {
        action: &'static str,
        node: String,
        status: u16,
        message: String,
    },
}

pub struct NodeState {
    name: String,
    /// When the Node was last seen registered (created, found, or its status renewed).
    last_beat: Option<Instant>,
}

/// `key=value:Effect` / `key:Effect` taints of `--register-with-taints`.
fn parse_taints(flag: &str) -> Result<Vec<Value>, NodeError> {
    flag.split(',')
        .filter(|t| !t.is_empty())
        .map(|taint| {
            let (key_value, effect) = taint
                .rsplit_once(':')
                .ok_or_else(|| NodeError::Taint(taint.to_string()))?;
            let mut t = json!({"effect": effect});
            match key_value.split_once('=') {
                Some((key, value)) => {
                    t["key"] = json!(key);
                    t["value"] = json!(value);
                }
                None => t["key"] = json!(key_value),
            }
            Ok(t)
        })
        .collect()
}

fn message(body: &Value) -> String {
    body["message"]
        .as_str()
        .map_or_else(|| body.to_string(), String::from)
}

impl NodeState {
    pub fn new(name: &str) -> Self {
        NodeState {
            name: name.to_string(),
            last_beat: None,
        }
    }

    /// Registers the Node if it is not known to be there, and renews its status when a
    /// heartbeat is due.
    pub async fn sync(
        &mut self,
        client: &KubeClient,
        options: &Options,
        now: Instant,
    ) -> Result<(), NodeError> {
        match self.last_beat {
            None => self.register(client, &options.root).await?,
            Some(beat) if now.duration_since(beat) >= options.heartbeat => {
                if !self.heartbeat(client).await? {
                    log(&format!("node {} is gone; registering again", self.name));
                    self.register(client, &options.root).await?;
                }
            }
            Some(_) => return Ok(()),
        }
        self.last_beat = Some(now);
        Ok(())
    }

    async fn register(
        &mut self,
        client: &KubeClient,
        root: &std::path::Path,
    ) -> Result<(), NodeError> {
        let mut node = node_object(&self.name);
        if let Some(flag) = files::kubeadm_flag(root, "register-with-taints")? {
            node["spec"]["taints"] = Value::Array(parse_taints(&flag)?);
        }
        let created = client.post("/api/v1/nodes", &node).await?;
        match created.status {
            201 => log(&format!("node {} registered", self.name)),
            // Registered before (a restart, or a Node the operator made): kept as it is.
            409 => {}
            status => {
                return Err(NodeError::Api {
                    action: "registering",
                    node: self.name.clone(),
                    status,
                    message: message(&created.body),
                });
            }
        }
        Ok(())
    }

    /// Renews the Ready condition; `false` when the Node no longer exists.
    async fn heartbeat(&mut self, client: &KubeClient) -> Result<bool, NodeError> {
        let fresh = node_object(&self.name);
        let patch = json!({"status": {"conditions": fresh["status"]["conditions"]}});
        let reply = client
            .request(
                "PATCH",
                &format!("/api/v1/nodes/{}/status", self.name),
                "application/merge-patch+json",
                Some(&patch),
            )
            .await?;
        match reply.status {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(NodeError::Api {
                action: "renewing the status of",
                node: self.name.clone(),
                status,
                message: message(&reply.body),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taints_are_read_as_the_kubelet_reads_register_with_taints() {
        assert_eq!(
            parse_taints("node-role.kubernetes.io/control-plane:NoSchedule,a=b:NoExecute").unwrap(),
            vec![
                json!({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}),
                json!({"key": "a", "value": "b", "effect": "NoExecute"}),
            ]
        );
        assert!(parse_taints("no-effect").is_err());
        assert!(parse_taints("").unwrap().is_empty());
    }
}
