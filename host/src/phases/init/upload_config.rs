//! `upload-config`: the ClusterConfiguration and the cluster-wide KubeletConfiguration, each in
//! a kube-system ConfigMap with the RBAC that lets joining nodes read it.

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;
use serde_json::json;

use super::InitContext;
use super::api::{create_or_update_all, wait_for_node};
use crate::cluster::{Cluster, PatchKind};
use crate::config::InitConfig;
use crate::manifests::kubelet_configuration;
use crate::objects::upload_config::{kubeadm_config_objects, kubelet_config_objects};
use crate::phases::common::NODE_LOCAL_CRI_SOCKET;
use crate::workflow::{Flag, Phase};

/// The Node annotation holding the CRI socket when NodeLocalCRISocket is off.
const CRI_SOCKET_ANNOTATION: &str = "kubeadm.alpha.kubernetes.io/cri-socket";
const FLAGS: [Flag; 3] = [Flag::Config, Flag::Kubeconfig, Flag::DryRun];

pub fn upload_config_phase() -> Phase<dyn InitContext> {
    Phase::new(
        "upload-config",
        "Upload the kubeadm and kubelet configuration to a ConfigMap",
    )
    .with_all()
    .flags(&FLAGS)
    .children([
        Phase::new("kubeadm", "Upload the kubeadm ClusterConfiguration to a ConfigMap")
            .long(
                "Upload the kubeadm ClusterConfiguration to a ConfigMap called kubeadm-config in the kube-system namespace. \
                 This enables correct configuration of system components and a seamless user experience when upgrading.\n\n\
                 Alternatively, you can use kubeadm config.",
            )
            .flags(&FLAGS)
            .run(|ctx| upload_kubeadm(ctx)),
        Phase::new("kubelet", "Upload the kubelet component config to a ConfigMap")
            .long(
                "Upload the kubelet configuration extracted from the kubeadm InitConfiguration object to a kubelet-config \
                 ConfigMap in the cluster",
            )
            .flags(&FLAGS)
            .run(|ctx| upload_kubelet(ctx)),
    ])
}

fn upload_kubeadm(ctx: &dyn InitContext) -> anyhow::Result<()> {
    ctx.events().info(
        "[upload-config] Storing the configuration used in ConfigMap \"kubeadm-config\" in the \"kube-system\" Namespace",
    );
    let objects = kubeadm_config_objects(ctx.cfg())?;
    create_or_update_all(&ctx.cluster()?, &objects)
}

fn upload_kubelet(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    ctx.events().info(
        "[kubelet] Creating a ConfigMap \"kubelet-config\" in namespace kube-system with the configuration for the kubelets in the cluster",
    );
    let cluster = ctx.cluster()?;
    let objects = kubelet_config_objects(cfg, &kubelet_configuration(cfg))?;
    create_or_update_all(&cluster, &objects)?;
    // Without NodeLocalCRISocket the Node carries its CRI socket for later kubeadm runs.
    if !cfg.feature_enabled(NODE_LOCAL_CRI_SOCKET) {
        let name = cfg.node_name();
        ctx.events().info(format!(
            "[upload-config] Preserving the CRISocket information for the control-plane node {name:?}"
        ));
        annotate_cri_socket(&cluster, cfg)?;
    }
    Ok(())
}

/// kubeadm's `AnnotateCRISocket` (init's `upload-config`, join's `kubelet-start`): once this
/// node's kubelet has registered its Node, the Node is annotated with the node's CRI socket.
pub(crate) fn annotate_cri_socket(cluster: &Cluster, cfg: &InitConfig) -> anyhow::Result<()> {
    let name = cfg.node_name();
    wait_for_node(cluster, name, cfg.api_call_timeout())?;
    let patch = json!({"metadata": {"annotations": {
        CRI_SOCKET_ANNOTATION: cfg.init.node_registration.cri_socket
    }}});
    cluster
        .patch::<Node>("", name, &PatchKind::Strategic(patch))
        .with_context(|| format!("annotating Node {name:?} with its CRI socket"))?;
    Ok(())
}
