//! kube-apiserver, kube-controller-manager and kube-scheduler static Pods
//! (kubeadm's `GetStaticPodSpecs` and the `get*Command` functions).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod};

use super::args::{arg, arguments_to_command, last_value, set_value};
use super::etcd::{client_url, loopback_like};
use super::pod::{
    ProbeTarget, component_pod, liveness_probe, merge_env, probe_host, probe_port, readiness_probe,
    resource_requests, startup_probe,
};
use super::volumes::control_plane_mounts;
use super::{
    ControlPlaneComponent, ManifestError, NodeEnvironment, health_check_timeout, join_path,
};
use crate::config::constants::{
    CONTROLLER_MANAGER_KUBECONFIG, CONTROLLER_MANAGER_PORT, KUBERNETES_DIR, SCHEDULER_KUBECONFIG,
    SCHEDULER_PORT,
};
use crate::config::v1beta4::{Arg, ClusterConfiguration};
use crate::config::{InitConfig, host_port};

/// The annotation recording where this node's API server is reachable.
pub const API_SERVER_ENDPOINT_ANNOTATION: &str =
    "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint";

/// The static Pod of one control-plane component, before patches.
pub fn control_plane_pod(
    component: ControlPlaneComponent,
    cfg: &InitConfig,
    node: &NodeEnvironment,
) -> Result<Pod, ManifestError> {
    let cluster = &cfg.cluster;
    let name = component.name();
    let mounts = control_plane_mounts(component, cluster, &node.ca_cert_dirs);
    let timeout = health_check_timeout(cfg);
    let mut container = Container {
        name: name.to_string(),
        image: Some(cfg.control_plane_image(name)),
        image_pull_policy: Some("IfNotPresent".into()),
        volume_mounts: Some(mounts.mounts()),
        ..Default::default()
    };
    let mut annotations = BTreeMap::new();
    let extra_envs = match component {
        ControlPlaneComponent::ApiServer => {
            let advertise = cfg.advertise_address();
            let target = ProbeTarget {
                host: probe_host(&advertise.to_string()),
                port: i32::from(cfg.bind_port()),
                scheme: "HTTPS",
            };
            container.command = Some(api_server_command(cfg));
            container.ports = Some(probe_port(&target));
            container.liveness_probe = Some(liveness_probe(&target, "/livez"));
            container.readiness_probe = Some(readiness_probe(&target, "/readyz"));
            container.startup_probe = Some(startup_probe(&target, "/livez", timeout));
            container.resources = Some(resource_requests(&[("cpu", "250m")]));
            annotations.insert(
                API_SERVER_ENDPOINT_ANNOTATION.to_string(),
                host_port(advertise, cfg.bind_port()),
            );
            &cluster.api_server.extra_envs
        }
        ControlPlaneComponent::ControllerManager => {
            let target = local_probe_target(
                &cluster.controller_manager.extra_args,
                CONTROLLER_MANAGER_PORT,
            );
            container.command = Some(controller_manager_command(cluster, node.external_ca));
            container.ports = Some(probe_port(&target));
            container.liveness_probe = Some(liveness_probe(&target, "/healthz"));
            container.startup_probe = Some(startup_probe(&target, "/healthz", timeout));
            container.resources = Some(resource_requests(&[("cpu", "200m")]));
            &cluster.controller_manager.extra_envs
        }
        ControlPlaneComponent::Scheduler => {
            let target = local_probe_target(&cluster.scheduler.extra_args, SCHEDULER_PORT);
            container.command = Some(scheduler_command(cluster));
            container.ports = Some(probe_port(&target));
            // kubeadm probes the scheduler's /livez and /readyz since v1.32.
            container.liveness_probe = Some(liveness_probe(&target, "/livez"));
            container.readiness_probe = Some(readiness_probe(&target, "/readyz"));
            container.startup_probe = Some(startup_probe(&target, "/livez", timeout));
            container.resources = Some(resource_requests(&[("cpu", "100m")]));
            &cluster.scheduler.extra_envs
        }
    };
    container.env = merge_env(name, &[&node.proxy_env, extra_envs])?;
    Ok(component_pod(container, mounts.volumes(), annotations))
}

/// The controller manager and scheduler listen on loopback unless `bind-address` says otherwise.
fn local_probe_target(extra_args: &[Arg], port: u16) -> ProbeTarget {
    ProbeTarget {
        host: last_value(extra_args, "bind-address")
            .map_or_else(|| "127.0.0.1".to_string(), probe_host),
        port: i32::from(port),
        scheme: "HTTPS",
    }
}

/// `kube-apiserver` and its flags.
pub fn api_server_command(cfg: &InitConfig) -> Vec<String> {
    let cluster = &cfg.cluster;
    let pki = |name: &str| join_path(&cluster.certificates_dir, name);
    let advertise = cfg.advertise_address();
    let mut args = vec![
        arg("advertise-address", advertise.to_string()),
        arg("enable-admission-plugins", "NodeRestriction"),
        arg(
            "service-cluster-ip-range",
            &cluster.networking.service_subnet,
        ),
        arg("service-account-key-file", pki("sa.pub")),
        arg("service-account-signing-key-file", pki("sa.key")),
        arg(
            "service-account-issuer",
            format!(
                "https://kubernetes.default.svc.{}",
                cluster.networking.dns_domain
            ),
        ),
        arg("client-ca-file", pki("ca.crt")),
        arg("tls-cert-file", pki("apiserver.crt")),
        arg("tls-private-key-file", pki("apiserver.key")),
        arg(
            "kubelet-client-certificate",
            pki("apiserver-kubelet-client.crt"),
        ),
        arg("kubelet-client-key", pki("apiserver-kubelet-client.key")),
        arg("enable-bootstrap-token-auth", "true"),
        arg("secure-port", cfg.bind_port().to_string()),
        arg("allow-privileged", "true"),
        arg(
            "kubelet-preferred-address-types",
            "InternalIP,ExternalIP,Hostname",
        ),
        arg("requestheader-username-headers", "X-Remote-User"),
        arg("requestheader-group-headers", "X-Remote-Group"),
        arg("requestheader-extra-headers-prefix", "X-Remote-Extra-"),
        arg("requestheader-client-ca-file", pki("front-proxy-ca.crt")),
        arg("requestheader-allowed-names", "front-proxy-client"),
        arg("proxy-client-cert-file", pki("front-proxy-client.crt")),
        arg("proxy-client-key-file", pki("front-proxy-client.key")),
    ];
    if let Some(external) = &cluster.etcd.external {
        set_value(&mut args, "etcd-servers", external.endpoints.join(","));
        if !external.ca_file.is_empty() {
            set_value(&mut args, "etcd-cafile", &external.ca_file);
        }
        if !external.cert_file.is_empty() && !external.key_file.is_empty() {
            set_value(&mut args, "etcd-certfile", &external.cert_file);
            set_value(&mut args, "etcd-keyfile", &external.key_file);
        }
    } else {
        // Same IP family as the advertise address, so the API server reaches its local etcd.
        let local_url = client_url(loopback_like(advertise));
        let servers = cluster
            .etcd
            .local
            .as_ref()
            .and_then(|l| last_value(&l.extra_args, "advertise-client-urls"))
            .map_or(local_url, str::to_string);
        set_value(&mut args, "etcd-servers", servers);
        set_value(&mut args, "etcd-cafile", pki("etcd/ca.crt"));
        set_value(&mut args, "etcd-certfile", pki("apiserver-etcd-client.crt"));
        set_value(&mut args, "etcd-keyfile", pki("apiserver-etcd-client.key"));
    }
    let extra = &cluster.api_server.extra_args;
    // A structured authorization config replaces the mode flag; a user's mode replaces ours.
    if last_value(extra, "authorization-config").is_none() {
        set_value(&mut args, "authorization-mode", "Node,RBAC");
    }
    command("kube-apiserver", &args, extra)
}

/// `kube-controller-manager` and its flags. With an external CA (ca.key absent) the
/// signing files are empty so the CSR signer does not start.
pub fn controller_manager_command(
    cluster: &ClusterConfiguration,
    external_ca: bool,
) -> Vec<String> {
    let pki = |name: &str| join_path(&cluster.certificates_dir, name);
    let kubeconfig = format!("{KUBERNETES_DIR}/{CONTROLLER_MANAGER_KUBECONFIG}");
    let mut args = vec![
        arg("bind-address", "127.0.0.1"),
        arg("leader-elect", "true"),
        arg("kubeconfig", &kubeconfig),
        arg("authentication-kubeconfig", &kubeconfig),
        arg("authorization-kubeconfig", &kubeconfig),
        arg("client-ca-file", pki("ca.crt")),
        arg("requestheader-client-ca-file", pki("front-proxy-ca.crt")),
        arg("root-ca-file", pki("ca.crt")),
        arg("service-account-private-key-file", pki("sa.key")),
        arg("cluster-signing-cert-file", pki("ca.crt")),
        arg("cluster-signing-key-file", pki("ca.key")),
        arg("use-service-account-credentials", "true"),
        arg("controllers", "*,bootstrapsigner,tokencleaner"),
    ];
    if external_ca {
        set_value(&mut args, "cluster-signing-key-file", "");
        set_value(&mut args, "cluster-signing-cert-file", "");
    }
    let networking = &cluster.networking;
    if !networking.pod_subnet.is_empty() {
        set_value(&mut args, "allocate-node-cidrs", "true");
        set_value(&mut args, "cluster-cidr", &networking.pod_subnet);
        if !networking.service_subnet.is_empty() {
            set_value(
                &mut args,
                "service-cluster-ip-range",
                &networking.service_subnet,
            );
        }
    }
    if !cluster.cluster_name.is_empty() {
        set_value(&mut args, "cluster-name", &cluster.cluster_name);
    }
    command(
        "kube-controller-manager",
        &args,
        &cluster.controller_manager.extra_args,
    )
}

/// `kube-scheduler` and its flags.
pub fn scheduler_command(cluster: &ClusterConfiguration) -> Vec<String> {
    let kubeconfig = format!("{KUBERNETES_DIR}/{SCHEDULER_KUBECONFIG}");
    let args = vec![
        arg("bind-address", "127.0.0.1"),
        arg("leader-elect", "true"),
        arg("kubeconfig", &kubeconfig),
        arg("authentication-kubeconfig", &kubeconfig),
        arg("authorization-kubeconfig", &kubeconfig),
    ];
    command("kube-scheduler", &args, &cluster.scheduler.extra_args)
}

fn command(binary: &str, defaults: &[Arg], extra: &[Arg]) -> Vec<String> {
    std::iter::once(binary.to_string())
        .chain(arguments_to_command(defaults, extra))
        .collect()
}
