//! The KubeletConfiguration and KubeProxyConfiguration fields kubeadm users set, typed as their
//! upstream Go types (`k8s.io/kubelet/config/v1beta1`, `k8s.io/kube-proxy/config/v1alpha1`).
//! kubeadm decodes component configs into those types, so `maxPods: lots` or a quoted
//! `port: "10250"` fails there; the documents stay JSON maps here, checked against this table.

use serde_json::Value;

use super::{ComponentConfig, ConfigError};

/// A Go field type, as JSON decoding sees it.
#[derive(Clone, Copy)]
enum Kind {
    /// `int32`, `int64`, `*int32`: a JSON integer.
    Int,
    /// `float32` (`clientConnection.qps`).
    Number,
    Bool,
    /// `string` and `metav1.Duration` (written as "10s").
    Text,
    TextList,
    TextMap,
    /// `featureGates`: `map[string]bool`.
    BoolMap,
}

use Kind::*;

const KUBELET: &[(&str, Kind)] = &[
    ("enableServer", Bool),
    ("staticPodPath", Text),
    ("podLogsDir", Text),
    ("syncFrequency", Text),
    ("fileCheckFrequency", Text),
    ("httpCheckFrequency", Text),
    ("address", Text),
    ("port", Int),
    ("readOnlyPort", Int),
    ("tlsCertFile", Text),
    ("tlsPrivateKeyFile", Text),
    ("tlsCipherSuites", TextList),
    ("tlsMinVersion", Text),
    ("rotateCertificates", Bool),
    ("serverTLSBootstrap", Bool),
    ("authentication.anonymous.enabled", Bool),
    ("authentication.webhook.enabled", Bool),
    ("authentication.webhook.cacheTTL", Text),
    ("authentication.x509.clientCAFile", Text),
    ("authorization.mode", Text),
    ("authorization.webhook.cacheAuthorizedTTL", Text),
    ("authorization.webhook.cacheUnauthorizedTTL", Text),
    ("registryPullQPS", Int),
    ("registryBurst", Int),
    ("eventRecordQPS", Int),
    ("eventBurst", Int),
    ("enableDebuggingHandlers", Bool),
    ("enableContentionProfiling", Bool),
    ("healthzPort", Int),
    ("healthzBindAddress", Text),
    ("oomScoreAdj", Int),
    ("clusterDomain", Text),
    ("clusterDNS", TextList),
    ("streamingConnectionIdleTimeout", Text),
    ("nodeStatusUpdateFrequency", Text),
    ("nodeStatusReportFrequency", Text),
    ("nodeLeaseDurationSeconds", Int),
    ("imageMinimumGCAge", Text),
    ("imageMaximumGCAge", Text),
    ("imageGCHighThresholdPercent", Int),
    ("imageGCLowThresholdPercent", Int),
    ("volumeStatsAggPeriod", Text),
    ("kubeletCgroups", Text),
    ("systemCgroups", Text),
    ("cgroupRoot", Text),
    ("cgroupsPerQOS", Bool),
    ("cgroupDriver", Text),
    ("cpuManagerPolicy", Text),
    ("cpuManagerReconcilePeriod", Text),
    ("memoryManagerPolicy", Text),
    ("topologyManagerPolicy", Text),
    ("topologyManagerScope", Text),
    ("runtimeRequestTimeout", Text),
    ("hairpinMode", Text),
    ("maxPods", Int),
    ("podCIDR", Text),
    ("podPidsLimit", Int),
    ("resolvConf", Text),
    ("cpuCFSQuota", Bool),
    ("maxOpenFiles", Int),
    ("kubeAPIQPS", Int),
    ("kubeAPIBurst", Int),
    ("nodeStatusMaxImages", Int),
    ("mergeDefaultEvictionSettings", Bool),
    ("reservedSystemCPUs", Text),
    ("systemReservedCgroup", Text),
    ("topologyManagerPolicyOptions", TextMap),
    ("cpuManagerPolicyOptions", TextMap),
    ("qosReserved", TextMap),
    ("serializeImagePulls", Bool),
    ("maxParallelImagePulls", Int),
    ("evictionHard", TextMap),
    ("evictionSoft", TextMap),
    ("evictionSoftGracePeriod", TextMap),
    ("evictionPressureTransitionPeriod", Text),
    ("evictionMaxPodGracePeriod", Int),
    ("evictionMinimumReclaim", TextMap),
    ("podsPerCore", Int),
    ("enableControllerAttachDetach", Bool),
    ("protectKernelDefaults", Bool),
    ("makeIPTablesUtilChains", Bool),
    ("featureGates", BoolMap),
    ("failSwapOn", Bool),
    ("containerLogMaxSize", Text),
    ("containerLogMaxFiles", Int),
    ("containerLogMaxWorkers", Int),
    ("systemReserved", TextMap),
    ("kubeReserved", TextMap),
    ("enforceNodeAllocatable", TextList),
    ("allowedUnsafeSysctls", TextList),
    ("volumePluginDir", Text),
    ("providerID", Text),
    ("kernelMemcgNotification", Bool),
    ("logging.format", Text),
    ("logging.verbosity", Int),
    ("enableSystemLogHandler", Bool),
    ("enableSystemLogQuery", Bool),
    ("shutdownGracePeriod", Text),
    ("shutdownGracePeriodCriticalPods", Text),
    ("localStorageCapacityIsolation", Bool),
    ("containerRuntimeEndpoint", Text),
    ("imageServiceEndpoint", Text),
    ("failCgroupV1", Bool),
    ("singleProcessOOMKill", Bool),
    ("seccompDefault", Bool),
    ("registerNode", Bool),
    ("enableProfilingHandler", Bool),
];

const KUBE_PROXY: &[(&str, Kind)] = &[
    ("featureGates", BoolMap),
    ("clientConnection.kubeconfig", Text),
    ("clientConnection.acceptContentTypes", Text),
    ("clientConnection.contentType", Text),
    ("clientConnection.qps", Number),
    ("clientConnection.burst", Int),
    ("logging.format", Text),
    ("logging.verbosity", Int),
    ("hostnameOverride", Text),
    ("bindAddress", Text),
    ("healthzBindAddress", Text),
    ("metricsBindAddress", Text),
    ("bindAddressHardFail", Bool),
    ("enableProfiling", Bool),
    ("showHiddenMetricsForVersion", Text),
    ("mode", Text),
    ("iptables.masqueradeBit", Int),
    ("iptables.masqueradeAll", Bool),
    ("iptables.localhostNodePorts", Bool),
    ("iptables.syncPeriod", Text),
    ("iptables.minSyncPeriod", Text),
    ("ipvs.syncPeriod", Text),
    ("ipvs.minSyncPeriod", Text),
    ("ipvs.scheduler", Text),
    ("ipvs.excludeCIDRs", TextList),
    ("ipvs.strictARP", Bool),
    ("ipvs.tcpTimeout", Text),
    ("ipvs.tcpFinTimeout", Text),
    ("ipvs.udpTimeout", Text),
    ("nftables.masqueradeBit", Int),
    ("nftables.masqueradeAll", Bool),
    ("nftables.syncPeriod", Text),
    ("nftables.minSyncPeriod", Text),
    ("conntrack.maxPerCore", Int),
    ("conntrack.min", Int),
    ("conntrack.tcpEstablishedTimeout", Text),
    ("conntrack.tcpCloseWaitTimeout", Text),
    ("conntrack.tcpBeLiberal", Bool),
    ("conntrack.udpTimeout", Text),
    ("conntrack.udpStreamTimeout", Text),
    ("oomScoreAdj", Int),
    ("portRange", Text),
    ("configSyncPeriod", Text),
    ("nodePortAddresses", TextList),
    ("clusterCIDR", Text),
    ("detectLocalMode", Text),
];

impl Kind {
    fn accepts(self, value: &Value) -> bool {
        let text = |v: &Value| v.is_string();
        match (self, value) {
            // Go leaves a field at its zero value for JSON null.
            (_, Value::Null) => true,
            (Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Number, Value::Number(_)) | (Bool, Value::Bool(_)) | (Text, Value::String(_)) => true,
            (TextList, Value::Array(items)) => items.iter().all(text),
            (TextMap, Value::Object(map)) => map.values().all(text),
            (BoolMap, Value::Object(map)) => map.values().all(Value::is_boolean),
            _ => false,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Int => "an integer",
            Number => "a number",
            Bool => "true or false",
            Text => "a string",
            TextList => "a list of strings",
            TextMap => "a mapping of strings to strings",
            BoolMap => "a mapping of names to true or false",
        }
    }
}

fn check(
    config: &ComponentConfig,
    fields: &[(&str, Kind)],
    location: &str,
) -> Result<(), ConfigError> {
    let problems: Vec<String> = fields
        .iter()
        .filter_map(|(path, kind)| {
            let mut parts = path.split('.');
            let mut value = config.get(parts.next()?)?;
            for part in parts {
                value = value.as_object()?.get(part)?;
            }
            (!kind.accepts(value)).then(|| {
                format!(
                    "{location}: {path}: {value} is invalid: expected {}",
                    kind.expected()
                )
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid(problems))
    }
}

/// Checks a KubeletConfiguration's fields against their upstream types.
pub(crate) fn check_kubelet(config: &ComponentConfig, location: &str) -> Result<(), ConfigError> {
    check(config, KUBELET, location)
}

/// Checks a KubeProxyConfiguration's fields against their upstream types.
pub(crate) fn check_kube_proxy(
    config: &ComponentConfig,
    location: &str,
) -> Result<(), ConfigError> {
    check(config, KUBE_PROXY, location)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> ComponentConfig {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn fields_of_the_wrong_type_are_named_with_their_value() {
        let good = config(
            "maxPods: 110\nfailSwapOn: false\nclusterDNS: [10.96.0.10]\nevictionHard: {memory.available: 100Mi}\nfeatureGates: {A: true}\nauthentication: {webhook: {cacheTTL: 2m}}\npodPidsLimit: null\n",
        );
        assert_eq!(check_kubelet(&good, "k"), Ok(()));
        let cases = [
            (
                "maxPods: lots\n",
                "k: maxPods: \"lots\" is invalid: expected an integer",
            ),
            (
                "port: \"10250\"\n",
                "k: port: \"10250\" is invalid: expected an integer",
            ),
            (
                "maxPods: 1.5\n",
                "k: maxPods: 1.5 is invalid: expected an integer",
            ),
            (
                "failSwapOn: \"no\"\n",
                "k: failSwapOn: \"no\" is invalid: expected true or false",
            ),
            (
                "clusterDNS: 10.96.0.10\n",
                "k: clusterDNS: \"10.96.0.10\" is invalid: expected a list of strings",
            ),
            (
                "featureGates: {A: \"true\"}\n",
                "k: featureGates: {\"A\":\"true\"} is invalid",
            ),
            (
                "authentication: {anonymous: {enabled: \"yes\"}}\n",
                "k: authentication.anonymous.enabled: \"yes\" is invalid",
            ),
        ];
        for (yaml, want) in cases {
            let err = check_kubelet(&config(yaml), "k").unwrap_err().to_string();
            assert!(err.starts_with(want), "{yaml}: {err}");
        }
        let err = check_kube_proxy(
            &config("conntrack: {maxPerCore: many}\nclientConnection: {qps: 5.5}\n"),
            "p",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "p: conntrack.maxPerCore: \"many\" is invalid: expected an integer"
        );
    }
}
