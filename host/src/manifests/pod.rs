//! The parts every kubeadm static Pod shares: metadata, pod-level settings, probes,
//! resource requests, hostPath volumes and environment.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, HostPathVolumeSource, Pod, PodSecurityContext,
    PodSpec, PodStatus, Probe, ResourceRequirements, SeccompProfile, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::ManifestError;
use crate::config::v1beta4;

/// The priority value of the `system-node-critical` class, which kubeadm sets explicitly.
const SYSTEM_NODE_CRITICAL_PRIORITY: i32 = 2_000_001_000;
/// kubeadm probes every 10s; the startup probe's failure threshold covers the whole health-check timeout.
const PROBE_PERIOD_SECONDS: i32 = 10;
const PROBE_TIMEOUT_SECONDS: i32 = 15;
/// kubeadm names the port its probes use, so a patch that moves the port moves the probes too.
pub const PROBE_PORT_NAME: &str = "probe-port";

/// A static Pod in `kube-system` for one control-plane component: labels `component` and
/// `tier`, host network, `system-node-critical`, and the runtime's default seccomp profile.
pub fn component_pod(
    container: Container,
    volumes: Vec<Volume>,
    annotations: BTreeMap<String, String>,
) -> Pod {
    let name = container.name.clone();
    Pod {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some("kube-system".into()),
            labels: Some(BTreeMap::from([
                ("component".to_string(), name),
                ("tier".to_string(), "control-plane".to_string()),
            ])),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![container],
            host_network: Some(true),
            priority: Some(SYSTEM_NODE_CRITICAL_PRIORITY),
            priority_class_name: Some("system-node-critical".into()),
            security_context: Some(PodSecurityContext {
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            volumes: (!volumes.is_empty()).then_some(volumes),
            ..Default::default()
        }),
        // kubeadm's Go types always serialize an empty status.
        status: Some(PodStatus::default()),
    }
}

/// Where a probe connects. An empty host means "the Pod IP", as kubelet does for probes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTarget {
    pub host: String,
    pub port: i32,
    pub scheme: &'static str,
}

fn http_probe(
    target: &ProbeTarget,
    path: &str,
    initial_delay: i32,
    failure_threshold: i32,
    period: i32,
) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            host: (!target.host.is_empty()).then(|| target.host.clone()),
            path: Some(path.to_string()),
            port: IntOrString::String(PROBE_PORT_NAME.to_string()),
            scheme: Some(target.scheme.to_string()),
            ..Default::default()
        }),
        initial_delay_seconds: (initial_delay != 0).then_some(initial_delay),
        timeout_seconds: Some(PROBE_TIMEOUT_SECONDS),
        failure_threshold: Some(failure_threshold),
        period_seconds: Some(period),
        ..Default::default()
    }
}

/// The container port the probes refer to by name.
pub fn probe_port(target: &ProbeTarget) -> Vec<ContainerPort> {
    vec![ContainerPort {
        name: Some(PROBE_PORT_NAME.to_string()),
        container_port: target.port,
        protocol: Some("TCP".into()),
        ..Default::default()
    }]
}

pub fn liveness_probe(target: &ProbeTarget, path: &str) -> Probe {
    http_probe(target, path, PROBE_PERIOD_SECONDS, 8, PROBE_PERIOD_SECONDS)
}

/// Readiness starts at once and checks every second, so "ready" shows up without delay.
pub fn readiness_probe(target: &ProbeTarget, path: &str) -> Probe {
    http_probe(target, path, 0, 3, 1)
}

/// A startup probe whose failure threshold lets the component take the whole
/// `controlPlaneComponentHealthCheck` timeout to come up.
pub fn startup_probe(
    target: &ProbeTarget,
    path: &str,
    health_check_timeout: std::time::Duration,
) -> Probe {
    let threshold =
        (health_check_timeout.as_secs_f64() / f64::from(PROBE_PERIOD_SECONDS)).ceil() as i32;
    http_probe(
        target,
        path,
        PROBE_PERIOD_SECONDS,
        threshold,
        PROBE_PERIOD_SECONDS,
    )
}

/// An address a component binds to, as a probe host: the unspecified addresses cannot be
/// probed, so they become "" (the Pod IP).
pub fn probe_host(bind_address: &str) -> String {
    if bind_address == "0.0.0.0" || bind_address == "::" {
        String::new()
    } else {
        bind_address.to_string()
    }
}

pub fn resource_requests(requests: &[(&str, &str)]) -> ResourceRequirements {
    ResourceRequirements {
        requests: Some(
            requests
                .iter()
                .map(|(name, amount)| (name.to_string(), Quantity(amount.to_string())))
                .collect(),
        ),
        ..Default::default()
    }
}

pub fn host_path_volume(name: &str, path: &str, path_type: &str) -> Volume {
    Volume {
        name: name.to_string(),
        host_path: Some(HostPathVolumeSource {
            path: path.to_string(),
            type_: Some(path_type.to_string()),
        }),
        ..Default::default()
    }
}

pub fn volume_mount(name: &str, mount_path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: mount_path.to_string(),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}

/// The `*_proxy` variables of this process with a value, which kubeadm hands to the
/// control-plane containers so they reach the network the way kubeadm does.
pub fn proxy_env_from_process() -> Vec<v1beta4::EnvVar> {
    std::env::vars()
        .filter(|(name, value)| name.to_ascii_lowercase().ends_with("_proxy") && !value.is_empty())
        .map(|(name, value)| v1beta4::EnvVar {
            name,
            value,
            value_from: None,
        })
        .collect()
}

/// kubeadm's `MergeKubeadmEnvVars`: later lists win by name; the result is sorted by name.
pub fn merge_env(
    component: &str,
    lists: &[&[v1beta4::EnvVar]],
) -> Result<Option<Vec<EnvVar>>, ManifestError> {
    let mut merged: BTreeMap<&str, &v1beta4::EnvVar> = BTreeMap::new();
    for list in lists {
        for env in *list {
            merged.insert(&env.name, env);
        }
    }
    let env = merged
        .into_values()
        .map(|env| {
            let json = serde_json::to_value(env).expect("config EnvVar serializes");
            serde_json::from_value(json).map_err(|e| ManifestError::InvalidEnv {
                component: component.to_string(),
                name: env.name.clone(),
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<EnvVar>, _>>()?;
    Ok((!env.is_empty()).then_some(env))
}
