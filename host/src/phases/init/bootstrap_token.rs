//! `bootstrap-token`: the token Secrets, the RBAC that lets bootstrapping nodes post CSRs and
//! have them approved, and the `cluster-info` ConfigMap anonymous clients may read.

use anyhow::Context as _;
use k8s_openapi::jiff::Timestamp;

use super::InitContext;
use super::api::{create_or_update_all, read_text};
use crate::objects::ApiObject;
use crate::objects::bootstrap::{bootstrap_token_rbac, cluster_info_objects};
use crate::token::TokenSpec;
use crate::workflow::{Flag, Phase};

pub fn bootstrap_token_phase() -> Phase<dyn InitContext> {
    Phase::new(
        "bootstrap-token",
        "Generates bootstrap tokens used to join a node to a cluster",
    )
    .long(
        "Bootstrap tokens are used for establishing bidirectional trust between a node joining the cluster and a \
         control-plane node.\n\nThis command makes all the configurations required to make bootstrap tokens works \
         and then creates an initial token.",
    )
    .flags(&[Flag::Config, Flag::Kubeconfig, Flag::SkipTokenPrint, Flag::DryRun])
    .run(|ctx| run(ctx))
}

/// The RBAC objects in the order of kubeadm's messages, with the message each group ends.
const RBAC_MESSAGES: [(usize, &str); 4] = [
    (2, "allow Node Bootstrap tokens to get nodes"),
    (
        1,
        "allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials",
    ),
    (
        1,
        "allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token",
    ),
    (
        1,
        "allow certificate rotation for all node client certificates in the cluster",
    ),
];

fn run(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    let events = ctx.events();
    let specs = cfg
        .init
        .bootstrap_tokens
        .iter()
        .map(TokenSpec::from_config)
        .collect::<Result<Vec<_>, _>>()?;
    if !ctx.skip_token_print() {
        let tokens: Vec<String> = specs.iter().map(|s| s.token.expose()).collect();
        match tokens.as_slice() {
            [one] => events.output(format!("[bootstrap-token] Using token: {one}")),
            [] => {}
            many => events.output(format!(
                "[bootstrap-token] Using tokens: [{}]",
                many.join(" ")
            )),
        }
    }
    events
        .info("[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles");
    let cluster = ctx.cluster()?;
    let now = Timestamp::now();
    for spec in &specs {
        let secret = spec.to_secret(now)?;
        cluster
            .create_or_update(&secret)
            .with_context(|| format!("creating bootstrap token {}", spec.token.id().as_str()))?;
    }
    let mut rbac = bootstrap_token_rbac().into_iter();
    for (count, message) in RBAC_MESSAGES {
        let group: Vec<ApiObject> = rbac.by_ref().take(count).collect();
        create_or_update_all(&cluster, &group)?;
        events.info(format!(
            "[bootstrap-token] Configured RBAC rules to {message}"
        ));
    }
    // Anything the RBAC list gains beyond kubeadm's messages is still created.
    create_or_update_all(&cluster, &rbac.collect::<Vec<_>>())?;
    events.info("[bootstrap-token] Creating the \"cluster-info\" ConfigMap in the \"kube-public\" namespace");
    let admin = read_text(ctx, &ctx.kubeconfig_path())?;
    let mut objects = cluster_info_objects(&admin)?.into_iter();
    // cluster-info is created once; joining nodes hold signatures over its exact content.
    if let Some(config_map) = objects.next() {
        match config_map {
            ApiObject::ConfigMap(cm) => cluster
                .create_if_absent(&cm)
                .context("creating ConfigMap kube-public/cluster-info")?,
            other => create_or_update_all(&cluster, &[other])?,
        }
    }
    create_or_update_all(&cluster, &objects.collect::<Vec<_>>())
}
