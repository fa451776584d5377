//! The KubeletConfiguration and KubeProxyConfiguration fields kubeadm users set, typed as their
//! upstream Go types (`k8s.io/kubelet/config/v1beta1`, `k8s.io/kube-proxy/config/v1alpha1`).
//! kubeadm decodes component configs into those types, so `maxPods: lots` or a quoted
//! `port: "10250"` fails there; the documents stay JSON maps here, checked against this table.
//! Fields the types do not have at all are strict-decoding problems, which kubeadm reports
//! apart (a warning in `init` and `join`, an error in `config validate`).

use serde_json::Value;

use super::{
    ComponentConfig, ConfigError, KUBE_PROXY_CONFIG_GROUP_VERSION, KUBELET_CONFIG_GROUP_VERSION,
};

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

/// Every KubeletConfiguration field (`k8s.io/kubelet/config/v1beta1`), as dotted paths: a
/// path with children listed is a struct whose other keys are unknown, `[]` marks the items of
/// a list of structs, and a path without children (a map, a `v1.Taint` list item's value, the
/// logging `options`) is not looked into.
const KUBELET_KNOWN: &[&str] = &[
    "enableServer",
    "staticPodPath",
    "podLogsDir",
    "syncFrequency",
    "fileCheckFrequency",
    "httpCheckFrequency",
    "staticPodURL",
    "staticPodURLHeader",
    "address",
    "port",
    "readOnlyPort",
    "tlsCertFile",
    "tlsPrivateKeyFile",
    "tlsCipherSuites",
    "tlsCurvePreferences",
    "tlsMinVersion",
    "rotateCertificates",
    "serverTLSBootstrap",
    "authentication",
    "authentication.x509",
    "authentication.x509.clientCAFile",
    "authentication.webhook",
    "authentication.webhook.enabled",
    "authentication.webhook.cacheTTL",
    "authentication.anonymous",
    "authentication.anonymous.enabled",
    "authorization",
    "authorization.mode",
    "authorization.webhook",
    "authorization.webhook.cacheAuthorizedTTL",
    "authorization.webhook.cacheUnauthorizedTTL",
    "registryPullQPS",
    "registryBurst",
    "imagePullCredentialsVerificationPolicy",
    "preloadedImagesVerificationAllowlist",
    "eventRecordQPS",
    "eventBurst",
    "enableDebuggingHandlers",
    "enableContentionProfiling",
    "healthzPort",
    "healthzBindAddress",
    "oomScoreAdj",
    "clusterDomain",
    "clusterDNS",
    "streamingConnectionIdleTimeout",
    "nodeStatusUpdateFrequency",
    "nodeStatusReportFrequency",
    "nodeLeaseDurationSeconds",
    "imageMinimumGCAge",
    "imageMaximumGCAge",
    "imageGCHighThresholdPercent",
    "imageGCLowThresholdPercent",
    "volumeStatsAggPeriod",
    "kubeletCgroups",
    "systemCgroups",
    "cgroupRoot",
    "cgroupsPerQOS",
    "cgroupDriver",
    "cpuManagerPolicy",
    "singleProcessOOMKill",
    "cpuManagerPolicyOptions",
    "cpuManagerReconcilePeriod",
    "draManagerReconcilePeriod",
    "memoryManagerPolicy",
    "topologyManagerPolicy",
    "topologyManagerScope",
    "topologyManagerPolicyOptions",
    "qosReserved",
    "runtimeRequestTimeout",
    "hairpinMode",
    "maxPods",
    "podCIDR",
    "podPidsLimit",
    "resolvConf",
    "runOnce",
    "cpuCFSQuota",
    "cpuCFSQuotaPeriod",
    "nodeStatusMaxImages",
    "maxOpenFiles",
    "contentType",
    "kubeAPIQPS",
    "kubeAPIBurst",
    "serializeImagePulls",
    "maxParallelImagePulls",
    "evictionHard",
    "evictionSoft",
    "evictionSoftGracePeriod",
    "evictionPressureTransitionPeriod",
    "evictionMaxPodGracePeriod",
    "evictionMinimumReclaim",
    "mergeDefaultEvictionSettings",
    "podsPerCore",
    "enableControllerAttachDetach",
    "protectKernelDefaults",
    "makeIPTablesUtilChains",
    "iptablesMasqueradeBit",
    "iptablesDropBit",
    "featureGates",
    "failSwapOn",
    "memorySwap",
    "memorySwap.swapBehavior",
    "containerLogMaxSize",
    "containerLogMaxFiles",
    "containerLogMaxWorkers",
    "containerLogMonitorInterval",
    "configMapAndSecretChangeDetectionStrategy",
    "systemReserved",
    "kubeReserved",
    "reservedSystemCPUs",
    "showHiddenMetricsForVersion",
    "systemReservedCgroup",
    "kubeReservedCgroup",
    "enforceNodeAllocatable",
    "allowedUnsafeSysctls",
    "volumePluginDir",
    "providerID",
    "kernelMemcgNotification",
    "logging",
    "logging.format",
    "logging.flushFrequency",
    "logging.verbosity",
    "logging.vmodule",
    "logging.vmodule[]",
    "logging.vmodule[].filePattern",
    "logging.vmodule[].verbosity",
    "logging.options",
    "enableSystemLogHandler",
    "enableSystemLogQuery",
    "shutdownGracePeriod",
    "shutdownGracePeriodCriticalPods",
    "shutdownGracePeriodByPodPriority",
    "shutdownGracePeriodByPodPriority[]",
    "shutdownGracePeriodByPodPriority[].priority",
    "shutdownGracePeriodByPodPriority[].shutdownGracePeriodSeconds",
    "crashLoopBackOff",
    "crashLoopBackOff.maxContainerRestartPeriod",
    "reservedMemory",
    "reservedMemory[]",
    "reservedMemory[].numaNode",
    "reservedMemory[].limits",
    "enableProfilingHandler",
    "enableDebugFlagsHandler",
    "seccompDefault",
    "memoryThrottlingFactor",
    "memoryReservationPolicy",
    "registerWithTaints",
    "registerWithTaints[]",
    "registerWithTaints[].key",
    "registerWithTaints[].value",
    "registerWithTaints[].effect",
    "registerWithTaints[].timeAdded",
    "registerNode",
    "tracing",
    "tracing.endpoint",
    "tracing.samplingRatePerMillion",
    "localStorageCapacityIsolation",
    "containerRuntimeEndpoint",
    "imageServiceEndpoint",
    "failCgroupV1",
    "userNamespaces",
    "userNamespaces.idsPerPod",
];

/// Every KubeProxyConfiguration field (`k8s.io/kube-proxy/config/v1alpha1`), as `KUBELET_KNOWN`.
const KUBE_PROXY_KNOWN: &[&str] = &[
    "featureGates",
    "clientConnection",
    "clientConnection.kubeconfig",
    "clientConnection.acceptContentTypes",
    "clientConnection.contentType",
    "clientConnection.qps",
    "clientConnection.burst",
    "logging",
    "logging.format",
    "logging.flushFrequency",
    "logging.verbosity",
    "logging.vmodule",
    "logging.vmodule[]",
    "logging.vmodule[].filePattern",
    "logging.vmodule[].verbosity",
    "logging.options",
    "hostnameOverride",
    "bindAddress",
    "healthzBindAddress",
    "metricsBindAddress",
    "bindAddressHardFail",
    "enableProfiling",
    "showHiddenMetricsForVersion",
    "mode",
    "iptables",
    "iptables.masqueradeBit",
    "iptables.masqueradeAll",
    "iptables.localhostNodePorts",
    "iptables.snatNodeInternalIP",
    "iptables.syncPeriod",
    "iptables.minSyncPeriod",
    "ipvs",
    "ipvs.syncPeriod",
    "ipvs.minSyncPeriod",
    "ipvs.scheduler",
    "ipvs.excludeCIDRs",
    "ipvs.strictARP",
    "ipvs.tcpTimeout",
    "ipvs.tcpFinTimeout",
    "ipvs.udpTimeout",
    "nftables",
    "nftables.masqueradeBit",
    "nftables.masqueradeAll",
    "nftables.syncPeriod",
    "nftables.minSyncPeriod",
    "winkernel",
    "winkernel.networkName",
    "winkernel.sourceVip",
    "winkernel.enableDSR",
    "winkernel.rootHnsEndpointName",
    "winkernel.forwardHealthCheckVip",
    "detectLocalMode",
    "detectLocal",
    "detectLocal.bridgeInterface",
    "detectLocal.interfaceNamePrefix",
    "clusterCIDR",
    "nodePortAddresses",
    "oomScoreAdj",
    "conntrack",
    "conntrack.maxPerCore",
    "conntrack.min",
    "conntrack.tcpEstablishedTimeout",
    "conntrack.tcpCloseWaitTimeout",
    "conntrack.tcpBeLiberal",
    "conntrack.udpTimeout",
    "conntrack.udpStreamTimeout",
    "configSyncPeriod",
    "portRange",
    "windowsRunAsService",
];

/// The fields of `config` its Go type does not have, as dotted paths (`authentication.x509.foo`,
/// `reservedMemory[0].foo`), in document order; a field's value is not looked into once the
/// field is unknown.
fn unknown_fields(config: &ComponentConfig, known: &[&str]) -> Vec<String> {
    let mut unknown = Vec::new();
    for (key, value) in config {
        if key == "apiVersion" || key == "kind" {
            continue;
        }
        walk(key, key, value, known, &mut unknown);
    }
    unknown
}

/// Checks the field at `path` (its schema path `schema`, where list indexes are `[]`).
fn walk(path: &str, schema: &str, value: &Value, known: &[&str], unknown: &mut Vec<String>) {
    if !known.contains(&schema) {
        unknown.push(path.to_string());
        return;
    }
    let has_children = |parent: &str| {
        known.iter().any(|k| {
            k.strip_prefix(parent)
                .is_some_and(|rest| rest.starts_with('.'))
        })
    };
    match value {
        Value::Object(fields) if has_children(schema) => {
            for (key, value) in fields {
                walk(
                    &format!("{path}.{key}"),
                    &format!("{schema}.{key}"),
                    value,
                    known,
                    unknown,
                );
            }
        }
        Value::Array(items) => {
            let item = format!("{schema}[]");
            if has_children(&item) {
                for (i, value) in items.iter().enumerate() {
                    if let Value::Object(fields) = value {
                        for (key, value) in fields {
                            walk(
                                &format!("{path}[{i}].{key}"),
                                &format!("{item}.{key}"),
                                value,
                                known,
                                unknown,
                            );
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// What kubeadm's strict decoding says of a component config with fields its type lacks: one
/// line naming the document, its kind and every unknown field. `init` and `join` show it as a
/// warning and go on (the field is passed to the component, which ignores it), `config
/// validate` fails with it, as kubeadm does.
fn strict_problem(kind: &str, unknown: &[String], location: &str) -> Option<String> {
    let (first, rest) = unknown.split_first()?;
    let plural = if rest.is_empty() { "" } else { "s" };
    let fields = std::iter::once(first)
        .chain(rest)
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "{location}: strict decoding error: unknown field{plural} {fields}; expected only the fields of {kind}"
    ))
}

/// The strict-decoding problem of a KubeletConfiguration, if it has unknown fields.
pub(crate) fn strict_kubelet(config: &ComponentConfig, location: &str) -> Option<String> {
    strict_problem(
        &format!("{KUBELET_CONFIG_GROUP_VERSION} KubeletConfiguration"),
        &unknown_fields(config, KUBELET_KNOWN),
        location,
    )
}

/// The strict-decoding problem of a KubeProxyConfiguration, if it has unknown fields.
pub(crate) fn strict_kube_proxy(config: &ComponentConfig, location: &str) -> Option<String> {
    strict_problem(
        &format!("{KUBE_PROXY_CONFIG_GROUP_VERSION} KubeProxyConfiguration"),
        &unknown_fields(config, KUBE_PROXY_KNOWN),
        location,
    )
}

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

    #[test]
    fn every_typed_field_is_a_known_field() {
        for (table, known) in [(KUBELET, KUBELET_KNOWN), (KUBE_PROXY, KUBE_PROXY_KNOWN)] {
            for (path, _) in table {
                assert!(known.contains(path), "{path}");
            }
        }
    }

    #[test]
    fn fields_the_types_lack_are_named_with_their_path() {
        let good = config(
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 110\nauthentication: {x509: {clientCAFile: /ca.crt}}\nevictionHard: {memory.available: 100Mi}\nreservedMemory: [{numaNode: 0, limits: {memory: 1Gi}}]\nlogging: {format: json, options: {json: {infoBufferSize: 1Mi}}}\nregisterWithTaints: [{key: a, effect: NoSchedule}]\n",
        );
        assert_eq!(strict_kubelet(&good, "k"), None);
        let cases = [
            (
                "maxPod: 110\n",
                "k: strict decoding error: unknown field \"maxPod\"; expected only the fields of kubelet.config.k8s.io/v1beta1 KubeletConfiguration",
            ),
            (
                "authentication: {x509: {clientCA: /ca.crt}}\ncgroupDriver: systemd\nfoo: {bar: 1}\n",
                "k: strict decoding error: unknown fields \"authentication.x509.clientCA\", \"foo\";",
            ),
            (
                "reservedMemory: [{numaNode: 0}, {numaNodes: 1}]\n",
                "unknown field \"reservedMemory[1].numaNodes\";",
            ),
        ];
        for (yaml, want) in cases {
            let problem = strict_kubelet(&config(yaml), "k").unwrap_or_default();
            assert!(problem.contains(want), "{yaml}: {problem}");
        }
        assert_eq!(
            strict_kube_proxy(&config("mode: ipvs\nipvs: {strictArp: true}\n"), "p").as_deref(),
            Some(
                "p: strict decoding error: unknown field \"ipvs.strictArp\"; expected only the fields of kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration"
            )
        );
    }

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
