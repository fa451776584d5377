//! What the cluster phases share: applying kubeadm's objects and waiting for this node's Node.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;

use crate::cluster::Cluster;
use crate::objects::ApiObject;

/// How often a missing Node is asked for again (kubeadm's API retry interval).
const NODE_POLL: Duration = Duration::from_millis(500);

/// Creates each object, or updates what exists, in order.
pub fn create_or_update_all(cluster: &Cluster, objects: &[ApiObject]) -> anyhow::Result<()> {
    for object in objects {
        cluster
            .create_or_update_value(&object.to_value())
            .with_context(|| format!("creating {object}"))?;
    }
    Ok(())
}

/// The Node named `name`, once its kubelet has registered it (within `timeout`).
pub fn wait_for_node(cluster: &Cluster, name: &str, timeout: Duration) -> anyhow::Result<Node> {
    let start = Instant::now();
    loop {
        if let Some(node) = cluster
            .get::<Node>("", name)
            .with_context(|| format!("getting Node {name:?}"))?
        {
            return Ok(node);
        }
        if start.elapsed() + NODE_POLL > timeout {
            anyhow::bail!(
                "the Node {name:?} did not register within {timeout:?}; is its kubelet running with kubelet.conf?"
            );
        }
        std::thread::sleep(NODE_POLL);
    }
}

/// A text file on the node (a kubeconfig), or an error saying which phase makes it.
pub fn read_text(ctx: &dyn super::InitContext, path: &str) -> anyhow::Result<String> {
    let bytes = ctx
        .root()
        .read(path)
        .with_context(|| format!("reading {path}"))?
        .with_context(|| format!("{path} does not exist; run the kubeconfig phase first"))?;
    String::from_utf8(bytes).with_context(|| format!("{path} is not UTF-8"))
}
