//! The CoreDNS addon as kubeadm installs it: the `coredns` ConfigMap with kubeadm's Corefile, its
//! RBAC and ServiceAccount, a two-replica Deployment, and the `kube-dns` Service on the tenth
//! address of the service subnet.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMapVolumeSource, Container, ContainerPort, HTTPGetAction,
    KeyToPath, PodAffinityTerm, PodAntiAffinity, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec,
    Toleration, Volume, VolumeMount, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::config::InitConfig;
use crate::objects::control_plane_node::LABEL_CONTROL_PLANE;
use crate::objects::rbac::{cluster_role, cluster_role_binding, rule, service_account};
use crate::objects::{ApiObject, KUBE_SYSTEM, config_map, meta, string_map};

/// The name of the ConfigMap, ServiceAccount, Deployment and container.
pub const COREDNS: &str = "coredns";
pub const COREDNS_CLUSTER_ROLE: &str = "system:coredns";
pub const KUBE_DNS_SERVICE: &str = "kube-dns";
pub const COREFILE_KEY: &str = "Corefile";
/// The label that selects the DNS Pods; kube-dns's name, kept so clients that look for it work.
pub const K8S_APP_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
/// kubeadm's replica count for a new CoreDNS Deployment (kubeadm keeps the count of one already
/// in the cluster: the phase sets that on the Deployment before applying it).
pub const REPLICAS: i32 = 2;
const CONFIG_VOLUME: &str = "config-volume";
const LIVENESS_PORT: &str = "liveness-probe";
const READINESS_PORT: &str = "readiness-probe";

/// Whether `addon/coredns` installs anything (`dns.disabled` turns it off).
pub fn enabled(cfg: &InitConfig) -> bool {
    !cfg.cluster.dns.disabled
}

/// kubeadm's Corefile for the cluster domain `dns_domain`.
pub fn corefile(dns_domain: &str) -> String {
    // kubeadm keeps the cluster's own answers out of the cache only when a domain is set.
    let cache = if dns_domain.is_empty() {
        String::new()
    } else {
        format!(
            " {{\n       disable success {dns_domain}\n       disable denial {dns_domain}\n    }}"
        )
    };
    format!(
        ".:53 {{
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {dns_domain} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    prometheus :9153
    forward . /etc/resolv.conf {{
       max_concurrent 1000
    }}
    cache 30{cache}
    loop
    reload
    loadbalance
}}
"
    )
}

/// Every CoreDNS object, in the order kubeadm creates them: ConfigMap, ClusterRole,
/// ClusterRoleBinding, ServiceAccount, Deployment, Service.
pub fn coredns_objects(cfg: &InitConfig) -> Vec<ApiObject> {
    vec![
        config_map(
            COREDNS,
            KUBE_SYSTEM,
            &[(COREFILE_KEY, corefile(&cfg.cluster.networking.dns_domain))],
        )
        .into(),
        cluster_role(
            COREDNS_CLUSTER_ROLE,
            vec![
                rule(
                    "",
                    &["list", "watch"],
                    &["endpoints", "services", "pods", "namespaces"],
                    &[],
                ),
                rule(
                    "discovery.k8s.io",
                    &["list", "watch"],
                    &["endpointslices"],
                    &[],
                ),
            ],
        )
        .into(),
        cluster_role_binding(
            COREDNS_CLUSTER_ROLE,
            COREDNS_CLUSTER_ROLE,
            vec![service_account(KUBE_SYSTEM, COREDNS)],
        )
        .into(),
        ServiceAccount {
            metadata: meta(COREDNS, Some(KUBE_SYSTEM), &[]),
            ..Default::default()
        }
        .into(),
        deployment(cfg).into(),
        service(cfg).into(),
    ]
}

fn deployment(cfg: &InitConfig) -> Deployment {
    let selector = LabelSelector {
        match_labels: Some(string_map(&[K8S_APP_LABEL])),
        ..Default::default()
    };
    Deployment {
        metadata: meta(COREDNS, Some(KUBE_SYSTEM), &[K8S_APP_LABEL]),
        spec: Some(DeploymentSpec {
            replicas: Some(REPLICAS),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString::Int(1)),
                    ..Default::default()
                }),
            }),
            selector,
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(string_map(&[K8S_APP_LABEL])),
                    ..Default::default()
                }),
                spec: Some(pod_spec(cfg)),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod_spec(cfg: &InitConfig) -> PodSpec {
    PodSpec {
        priority_class_name: Some("system-cluster-critical".into()),
        service_account_name: Some(COREDNS.into()),
        affinity: Some(spread_over_hosts()),
        tolerations: Some(vec![
            Toleration {
                key: Some("CriticalAddonsOnly".into()),
                operator: Some("Exists".into()),
                ..Default::default()
            },
            Toleration {
                key: Some(LABEL_CONTROL_PLANE.into()),
                effect: Some("NoSchedule".into()),
                ..Default::default()
            },
        ]),
        node_selector: Some(string_map(&[("kubernetes.io/os", "linux")])),
        containers: vec![container(cfg)],
        dns_policy: Some("Default".into()),
        volumes: Some(vec![Volume {
            name: CONFIG_VOLUME.into(),
            config_map: Some(ConfigMapVolumeSource {
                name: COREDNS.into(),
                items: Some(vec![KeyToPath {
                    key: COREFILE_KEY.into(),
                    path: COREFILE_KEY.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

/// Prefer one DNS Pod per host, so one node going down leaves DNS up.
fn spread_over_hosts() -> Affinity {
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: PodAffinityTerm {
                        label_selector: Some(LabelSelector {
                            match_expressions: Some(vec![LabelSelectorRequirement {
                                key: K8S_APP_LABEL.0.into(),
                                operator: "In".into(),
                                values: Some(vec![K8S_APP_LABEL.1.into()]),
                            }]),
                            ..Default::default()
                        }),
                        topology_key: "kubernetes.io/hostname".into(),
                        ..Default::default()
                    },
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn container(cfg: &InitConfig) -> Container {
    let quantities = |pairs: &[(&str, &str)]| -> BTreeMap<String, Quantity> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
            .collect()
    };
    Container {
        name: COREDNS.into(),
        image: Some(cfg.coredns_image()),
        image_pull_policy: Some("IfNotPresent".into()),
        resources: Some(ResourceRequirements {
            limits: Some(quantities(&[("memory", "170Mi")])),
            requests: Some(quantities(&[("cpu", "100m"), ("memory", "70Mi")])),
            ..Default::default()
        }),
        args: Some(vec!["-conf".into(), "/etc/coredns/Corefile".into()]),
        volume_mounts: Some(vec![VolumeMount {
            name: CONFIG_VOLUME.into(),
            mount_path: "/etc/coredns".into(),
            read_only: Some(true),
            ..Default::default()
        }]),
        ports: Some(vec![
            port(53, "dns", "UDP"),
            port(53, "dns-tcp", "TCP"),
            port(9153, "metrics", "TCP"),
            port(8080, LIVENESS_PORT, "TCP"),
            port(8181, READINESS_PORT, "TCP"),
        ]),
        liveness_probe: Some(Probe {
            initial_delay_seconds: Some(60),
            timeout_seconds: Some(5),
            success_threshold: Some(1),
            failure_threshold: Some(5),
            ..http_probe("/health", LIVENESS_PORT)
        }),
        readiness_probe: Some(http_probe("/ready", READINESS_PORT)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                add: Some(vec!["NET_BIND_SERVICE".into()]),
                drop: Some(vec!["ALL".into()]),
            }),
            read_only_root_filesystem: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn port(number: i32, name: &str, protocol: &str) -> ContainerPort {
    ContainerPort {
        container_port: number,
        name: Some(name.into()),
        protocol: Some(protocol.into()),
        ..Default::default()
    }
}

fn http_probe(path: &str, port_name: &str) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String(port_name.into()),
            scheme: Some("HTTP".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `kube-dns`: the cluster DNS address every kubelet hands to its Pods (`clusterDNS`).
fn service(cfg: &InitConfig) -> Service {
    let service_port = |name: &str, number: i32, protocol: &str| ServicePort {
        name: Some(name.into()),
        port: number,
        protocol: Some(protocol.into()),
        target_port: Some(IntOrString::Int(number)),
        ..Default::default()
    };
    let mut metadata = meta(
        KUBE_DNS_SERVICE,
        Some(KUBE_SYSTEM),
        &[
            K8S_APP_LABEL,
            ("kubernetes.io/cluster-service", "true"),
            ("kubernetes.io/name", "CoreDNS"),
        ],
    );
    metadata.annotations = Some(string_map(&[
        ("prometheus.io/port", "9153"),
        ("prometheus.io/scrape", "true"),
    ]));
    Service {
        metadata,
        spec: Some(ServiceSpec {
            cluster_ip: Some(cfg.dns_service_ip().to_string()),
            ports: Some(vec![
                service_port("dns", 53, "UDP"),
                service_port("dns-tcp", 53, "TCP"),
                service_port("metrics", 9153, "TCP"),
            ]),
            selector: Some(string_map(&[K8S_APP_LABEL])),
            ..Default::default()
        }),
        ..Default::default()
    }
}
