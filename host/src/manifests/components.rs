//! The component configs kubeadm hands to the kubelet and kube-proxy: the user's
//! document (if any) with the values kubeadm sets or recommends filled in.

use serde_json::{Map, Value, json};

use crate::config::constants::{KUBELET_HEALTHZ_PORT, MANIFESTS_DIR};
use crate::config::{
    ComponentConfig, InitConfig, KUBE_PROXY_CONFIG_GROUP_VERSION, KUBELET_CONFIG_GROUP_VERSION,
};

const KUBELET_KIND: &str = "KubeletConfiguration";
const KUBE_PROXY_KIND: &str = "KubeProxyConfiguration";
const KUBELET_HEALTHZ_BIND_ADDRESS: &str = "127.0.0.1";
/// The resolver file to use when systemd-resolved manages /etc/resolv.conf.
pub const SYSTEMD_RESOLVED_RESOLV_CONF: &str = "/run/systemd/resolve/resolv.conf";
const KUBE_PROXY_KUBECONFIG: &str = "/var/lib/kube-proxy/kubeconfig.conf";

/// A component config with kubeadm's values applied, and the warnings for user values
/// that differ from what kubeadm recommends.
#[derive(Clone, Debug, PartialEq)]
pub struct Defaulted {
    pub config: ComponentConfig,
    pub warnings: Vec<String>,
}

/// The KubeletConfiguration kubeadm writes for this cluster (see [`defaulted_kubelet_configuration`]).
pub fn kubelet_configuration(cfg: &InitConfig) -> ComponentConfig {
    defaulted_kubelet_configuration(cfg).config
}

/// The KubeProxyConfiguration kubeadm uses for this cluster (see [`defaulted_kube_proxy_configuration`]).
pub fn kube_proxy_configuration(cfg: &InitConfig) -> ComponentConfig {
    defaulted_kube_proxy_configuration(cfg).config
}

/// kubeadm's kubelet `Default`: static Pod path, cluster DNS and domain, client CA, no
/// anonymous access, webhook authn/authz, healthz on 127.0.0.1:10248, certificate
/// rotation (always), the systemd cgroup driver; then the fields kubeadm's serializer
/// always writes, at their zero values.
pub fn defaulted_kubelet_configuration(cfg: &InitConfig) -> Defaulted {
    let mut d = Defaulter::new(cfg.kubelet.clone(), KUBELET_GROUP_VERSION_KIND);
    d.default_str(&["staticPodPath"], MANIFESTS_DIR);
    let dns = cfg.dns_service_ip().to_string();
    match d.get(&["clusterDNS"]) {
        None => d.set(&["clusterDNS"], json!([dns])),
        Some(current) if *current != json!([dns]) => {
            let current = current.clone();
            d.warn("clusterDNS", &json!([dns]), &current);
        }
        Some(_) => {}
    }
    d.default_str(&["clusterDomain"], &cfg.cluster.networking.dns_domain);
    let ca = format!("{}/ca.crt", cfg.cert_dir().trim_end_matches('/'));
    d.default_str(&["authentication", "x509", "clientCAFile"], &ca);
    d.default_value(&["authentication", "anonymous", "enabled"], json!(false));
    d.default_str(&["authorization", "mode"], "Webhook");
    d.default_value(&["authentication", "webhook", "enabled"], json!(true));
    d.default_str(&["healthzBindAddress"], KUBELET_HEALTHZ_BIND_ADDRESS);
    d.default_value(&["healthzPort"], json!(KUBELET_HEALTHZ_PORT));
    if let Some(port) = d
        .get(&["readOnlyPort"])
        .filter(|p| **p != json!(0))
        .cloned()
    {
        d.warn("readOnlyPort", &json!(0), &port);
    }
    // kubeadm cannot tell an unset boolean from false here, so it always enables rotation.
    d.set(&["rotateCertificates"], json!(true));
    if d.get(&["cgroupDriver"]).is_none_or(is_unset) {
        d.set(&["cgroupDriver"], json!("systemd"));
    }
    fill_missing(&mut d.config, &kubelet_zero_values());
    d.finish()
}

/// Points the kubelet at systemd-resolved's resolver file, as kubeadm does when that
/// service is active; a different user value is kept with a warning.
pub fn apply_systemd_resolved(defaulted: &mut Defaulted) {
    match defaulted.config.get("resolvConf") {
        None | Some(Value::Null) => {
            defaulted
                .config
                .insert("resolvConf".into(), json!(SYSTEMD_RESOLVED_RESOLV_CONF));
        }
        Some(Value::String(s)) if s == SYSTEMD_RESOLVED_RESOLV_CONF => {}
        Some(other) => {
            let message = recommendation(
                KUBELET_KIND,
                "resolvConf",
                &json!(SYSTEMD_RESOLVED_RESOLV_CONF),
                other,
            );
            defaulted.warnings.push(message);
        }
    }
}

/// kubeadm's kube-proxy `Default`: bind address by the advertise address's family, the
/// cluster CIDR from the pod subnet, and the kubeconfig kube-proxy's DaemonSet mounts.
pub fn defaulted_kube_proxy_configuration(cfg: &InitConfig) -> Defaulted {
    let mut d = Defaulter::new(cfg.kube_proxy.clone(), KUBE_PROXY_GROUP_VERSION_KIND);
    let bind = if cfg.advertise_address().is_ipv4() {
        "0.0.0.0"
    } else {
        "::"
    };
    d.default_str(&["bindAddress"], bind);
    let pod_subnet = &cfg.cluster.networking.pod_subnet;
    if !pod_subnet.is_empty() {
        d.default_str(&["clusterCIDR"], pod_subnet);
    }
    d.default_str(&["clientConnection", "kubeconfig"], KUBE_PROXY_KUBECONFIG);
    fill_missing(&mut d.config, &kube_proxy_zero_values());
    d.finish()
}

/// The KubeProxyConfiguration (v1alpha1) fields that Go serializes even when empty: kubeadm
/// prints them and writes them into the kube-proxy ConfigMap, so ours does too.
fn kube_proxy_zero_values() -> Map<String, Value> {
    let value = json!({
        "bindAddress": "",
        "bindAddressHardFail": false,
        "clientConnection": {
            "acceptContentTypes": "",
            "burst": 0,
            "contentType": "",
            "kubeconfig": "",
            "qps": 0
        },
        "clusterCIDR": "",
        "configSyncPeriod": "0s",
        "conntrack": {
            "maxPerCore": null,
            "min": null,
            "tcpBeLiberal": false,
            "tcpCloseWaitTimeout": null,
            "tcpEstablishedTimeout": null,
            "udpStreamTimeout": "0s",
            "udpTimeout": "0s"
        },
        "detectLocal": {"bridgeInterface": "", "interfaceNamePrefix": ""},
        "detectLocalMode": "",
        "enableProfiling": false,
        "healthzBindAddress": "",
        "hostnameOverride": "",
        "iptables": {
            "localhostNodePorts": null,
            "masqueradeAll": false,
            "masqueradeBit": null,
            "minSyncPeriod": "0s",
            "syncPeriod": "0s"
        },
        "ipvs": {
            "excludeCIDRs": null,
            "minSyncPeriod": "0s",
            "scheduler": "",
            "strictARP": false,
            "syncPeriod": "0s",
            "tcpFinTimeout": "0s",
            "tcpTimeout": "0s",
            "udpTimeout": "0s"
        },
        "logging": {
            "flushFrequency": 0,
            "options": {"json": {"infoBufferSize": "0"}, "text": {"infoBufferSize": "0"}},
            "verbosity": 0
        },
        "metricsBindAddress": "",
        "mode": "",
        "nftables": {
            "masqueradeAll": false,
            "masqueradeBit": null,
            "minSyncPeriod": "0s",
            "syncPeriod": "0s"
        },
        "nodePortAddresses": null,
        "oomScoreAdj": null,
        "portRange": "",
        "showHiddenMetricsForVersion": "",
        "winkernel": {
            "enableDSR": false,
            "forwardHealthCheckVip": false,
            "networkName": "",
            "rootHnsEndpointName": "",
            "sourceVip": ""
        }
    });
    value.as_object().cloned().expect("a JSON object literal")
}

const KUBELET_GROUP_VERSION_KIND: (&str, &str) = (KUBELET_CONFIG_GROUP_VERSION, KUBELET_KIND);
const KUBE_PROXY_GROUP_VERSION_KIND: (&str, &str) =
    (KUBE_PROXY_CONFIG_GROUP_VERSION, KUBE_PROXY_KIND);

/// The KubeletConfiguration (v1beta1) fields that Go serializes even when empty: kubeadm's
/// config.yaml always carries them, so ours does too.
fn kubelet_zero_values() -> Map<String, Value> {
    let value = json!({
        "authentication": {"webhook": {"cacheTTL": "0s"}},
        "authorization": {"webhook": {"cacheAuthorizedTTL": "0s", "cacheUnauthorizedTTL": "0s"}},
        "containerRuntimeEndpoint": "",
        "cpuManagerReconcilePeriod": "0s",
        "crashLoopBackOff": {},
        "evictionPressureTransitionPeriod": "0s",
        "fileCheckFrequency": "0s",
        "httpCheckFrequency": "0s",
        "imageMaximumGCAge": "0s",
        "imageMinimumGCAge": "0s",
        "logging": {
            "flushFrequency": 0,
            "options": {"json": {"infoBufferSize": "0"}, "text": {"infoBufferSize": "0"}},
            "verbosity": 0
        },
        "memorySwap": {},
        "nodeStatusReportFrequency": "0s",
        "nodeStatusUpdateFrequency": "0s",
        "runtimeRequestTimeout": "0s",
        "shutdownGracePeriod": "0s",
        "shutdownGracePeriodCriticalPods": "0s",
        "streamingConnectionIdleTimeout": "0s",
        "syncFrequency": "0s",
        "volumeStatsAggPeriod": "0s"
    });
    value.as_object().cloned().expect("a JSON object literal")
}

/// Adds every key of `defaults` that `config` lacks, recursing into objects both have.
fn fill_missing(config: &mut Map<String, Value>, defaults: &Map<String, Value>) {
    for (key, default) in defaults {
        match (config.get_mut(key), default) {
            (Some(Value::Object(existing)), Value::Object(nested)) => {
                fill_missing(existing, nested)
            }
            (Some(_), _) => {}
            (None, _) => {
                config.insert(key.clone(), default.clone());
            }
        }
    }
}

fn is_unset(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

/// `%v`-style rendering of a value for warnings: strings bare, lists in brackets.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    }
}

fn recommendation(kind: &str, field: &str, recommended: &Value, provided: &Value) -> String {
    format!(
        "The recommended value for {field:?} in {kind:?} is: {}; the provided value is: {}",
        show(recommended),
        show(provided)
    )
}

/// Sets kubeadm's values on a component config, collecting warnings.
struct Defaulter {
    config: ComponentConfig,
    kind: &'static str,
    warnings: Vec<String>,
}

impl Defaulter {
    fn new(user: Option<ComponentConfig>, (api_version, kind): (&str, &'static str)) -> Self {
        let mut config = user.unwrap_or_default();
        config.insert("apiVersion".into(), json!(api_version));
        config.insert("kind".into(), json!(kind));
        Defaulter {
            config,
            kind,
            warnings: Vec::new(),
        }
    }

    fn get(&self, path: &[&str]) -> Option<&Value> {
        let (last, parents) = path.split_last()?;
        let mut map = &self.config;
        for p in parents {
            map = map.get(*p)?.as_object()?;
        }
        map.get(*last).filter(|v| !v.is_null())
    }

    fn set(&mut self, path: &[&str], value: Value) {
        let (last, parents) = path.split_last().expect("a field path");
        let mut map = &mut self.config;
        for p in parents {
            let entry = map.entry(p.to_string()).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            map = entry.as_object_mut().expect("made an object above");
        }
        map.insert(last.to_string(), value);
    }

    fn warn(&mut self, field: &str, recommended: &Value, provided: &Value) {
        self.warnings
            .push(recommendation(self.kind, field, recommended, provided));
    }

    /// Sets an unset (missing, null or empty) string field; warns if the user chose another value.
    fn default_str(&mut self, path: &[&str], value: &str) {
        self.default_if(path, json!(value), is_unset);
    }

    /// Sets a missing field; warns if the user chose another value.
    fn default_value(&mut self, path: &[&str], value: Value) {
        self.default_if(path, value, Value::is_null);
    }

    fn default_if(&mut self, path: &[&str], value: Value, unset: fn(&Value) -> bool) {
        match self.get(path).cloned() {
            Some(current) if !unset(&current) => {
                if current != value {
                    self.warn(&path.join("."), &value, &current);
                }
            }
            _ => self.set(path, value),
        }
    }

    fn finish(self) -> Defaulted {
        Defaulted {
            config: self.config,
            warnings: self.warnings,
        }
    }
}
