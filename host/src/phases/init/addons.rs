//! `addon`: CoreDNS and kube-proxy as kubeadm installs them, then each enabled addon plugin's
//! manifests, applied with server-side apply.

use super::InitContext;
use super::api::create_or_update_all;
use crate::manifests::kube_proxy_configuration;
use crate::manifests::proxy_env_from_process;
use crate::objects::addons::{coredns, kube_proxy};
use crate::objects::{ApiObject, KUBE_SYSTEM};
use crate::workflow::{Flag, Phase};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;

/// Flags of the addon phases, as kubeadm lists them.
const FLAGS: [Flag; 11] = [
    Flag::Config,
    Flag::Kubeconfig,
    Flag::KubernetesVersion,
    Flag::ImageRepository,
    Flag::DryRun,
    Flag::ApiserverAdvertiseAddress,
    Flag::ControlPlaneEndpoint,
    Flag::ApiserverBindPort,
    Flag::PodNetworkCidr,
    Flag::ServiceDnsDomain,
    Flag::ServiceCidr,
];

/// The `addon` phase with its built-in children; plugin phases are appended after them.
pub fn addon_phase(plugins: Vec<Phase<dyn InitContext>>) -> Phase<dyn InitContext> {
    Phase::new(
        "addon",
        "Install required addons for passing conformance tests",
    )
    .with_all()
    .flags(&FLAGS)
    .children(
        [
            Phase::new("coredns", "Install the CoreDNS addon to a Kubernetes cluster")
                .long("Install the CoreDNS addon components via the API server. Please note that although the DNS server is deployed, it will not be scheduled until CNI is installed.")
                .flags(&FLAGS)
                .run(|ctx| install_coredns(ctx)),
            Phase::new("kube-proxy", "Install the kube-proxy addon to a Kubernetes cluster")
                .long("Install the kube-proxy addon components via the API server.")
                .flags(&FLAGS)
                .run(|ctx| install_kube_proxy(ctx)),
        ]
        .into_iter()
        .chain(plugins),
    )
}

fn install_coredns(ctx: &dyn InitContext) -> anyhow::Result<()> {
    if !coredns::enabled(ctx.cfg()) {
        ctx.events()
            .info("[addons] Not installing the CoreDNS addon: dns.disabled is set");
        return Ok(());
    }
    let cluster = ctx.cluster()?;
    let mut objects = coredns::coredns_objects(ctx.cfg());
    // As kubeadm: a CoreDNS Deployment already scaled keeps its replica count.
    let existing = cluster.get::<Deployment>(KUBE_SYSTEM, coredns::COREDNS)?;
    if let Some(replicas) = existing.and_then(|d| d.spec).and_then(|s| s.replicas) {
        for object in &mut objects {
            if let ApiObject::Deployment(d) = object
                && let Some(spec) = d.spec.as_mut()
            {
                spec.replicas = Some(replicas);
            }
        }
    }
    // As kubeadm: a Corefile the user changed is kept; only a missing, empty or default one
    // is written.
    let current = cluster.get::<ConfigMap>(KUBE_SYSTEM, coredns::COREDNS)?;
    let ours = coredns::corefile(&ctx.cfg().cluster.networking.dns_domain);
    let customised = current
        .and_then(|cm| cm.data)
        .and_then(|data| data.get(coredns::COREFILE_KEY).cloned())
        .is_some_and(|corefile| !corefile.trim().is_empty() && corefile != ours);
    if customised {
        ctx.events().info(
            "[addons] The Corefile in ConfigMap kube-system/coredns was changed by a user; it is retained",
        );
        objects.retain(|o| !matches!(o, ApiObject::ConfigMap(_)));
    }
    create_or_update_all(&cluster, &objects)?;
    ctx.events()
        .info("[addons] Applied essential addon: CoreDNS");
    Ok(())
}

fn install_kube_proxy(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    if !kube_proxy::enabled(cfg) {
        ctx.events()
            .info("[addons] Not installing the kube-proxy addon: proxy.disabled is set");
        return Ok(());
    }
    let objects = kube_proxy::kube_proxy_objects(
        cfg,
        &kube_proxy_configuration(cfg),
        &proxy_env_from_process(),
    )?;
    create_or_update_all(&ctx.cluster()?, &objects)?;
    ctx.events()
        .info("[addons] Applied essential addon: kube-proxy");
    Ok(())
}
