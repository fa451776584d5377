use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Container, PodSpec, Service};
use serde_json::json;

use super::coredns::{self, coredns_objects, corefile};
use super::kube_proxy::{self, kube_proxy_objects};
use crate::config::v1beta4::EnvVar;
use crate::config::{InitConfig, InitOverrides};
use crate::manifests::kube_proxy_configuration;
use crate::objects::{
    ApiObject, COMPONENT_CONFIG_HASH_ANNOTATION, component_config_hash, config_map,
};
use crate::test_support::{init_config, init_config_from_yaml};

fn listing(objects: &[ApiObject]) -> Vec<String> {
    objects.iter().map(ToString::to_string).collect()
}

fn cluster(yaml: &str) -> InitConfig {
    init_config_from_yaml(&format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n{yaml}"
    ))
}

fn deployment(objects: &[ApiObject]) -> &Deployment {
    objects
        .iter()
        .find_map(|o| match o {
            ApiObject::Deployment(d) => Some(d),
            _ => None,
        })
        .expect("a Deployment")
}

fn daemon_set(objects: &[ApiObject]) -> &DaemonSet {
    objects
        .iter()
        .find_map(|o| match o {
            ApiObject::DaemonSet(d) => Some(d),
            _ => None,
        })
        .expect("a DaemonSet")
}

fn service(objects: &[ApiObject]) -> &Service {
    objects
        .iter()
        .find_map(|o| match o {
            ApiObject::Service(s) => Some(s),
            _ => None,
        })
        .expect("a Service")
}

fn pod_spec(spec: Option<&PodSpec>) -> &PodSpec {
    spec.expect("a pod spec")
}

fn only_container(spec: &PodSpec) -> &Container {
    assert_eq!(spec.containers.len(), 1);
    &spec.containers[0]
}

fn data(object: &ApiObject) -> &BTreeMap<String, String> {
    match object {
        ApiObject::ConfigMap(cm) => cm.data.as_ref().expect("ConfigMap data"),
        other => panic!("{other} is not a ConfigMap"),
    }
}

mod coredns_addon {
    use super::*;

    #[test]
    fn dns_disabled_turns_the_addon_off() {
        assert!(coredns::enabled(&init_config(InitOverrides::default())));
        assert!(!coredns::enabled(&cluster("dns:\n  disabled: true\n")));
    }

    #[test]
    fn the_corefile_is_kubeadms_for_the_cluster_domain() {
        assert_eq!(
            corefile("cluster.local"),
            ".:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
"
        );
    }

    #[test]
    fn without_a_domain_the_cache_keeps_no_exclusions() {
        let text = corefile("");
        assert!(text.contains("    cache 30\n    loop\n"), "{text}");
        assert!(!text.contains("disable"), "{text}");
    }

    #[test]
    fn objects_come_in_kubeadms_order_with_the_configured_domain() {
        let cfg = cluster("networking:\n  dnsDomain: corp.example\n");
        let objects = coredns_objects(&cfg);
        assert_eq!(
            listing(&objects),
            [
                "ConfigMap kube-system/coredns",
                "ClusterRole system:coredns",
                "ClusterRoleBinding system:coredns",
                "ServiceAccount kube-system/coredns",
                "Deployment kube-system/coredns",
                "Service kube-system/kube-dns",
            ]
        );
        assert_eq!(data(&objects[0])["Corefile"], corefile("corp.example"));
        assert_eq!(
            objects[1].to_value()["rules"],
            json!([
                {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
                 "verbs": ["list", "watch"]},
                {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
                 "verbs": ["list", "watch"]}
            ])
        );
        assert_eq!(
            objects[2].to_value()["subjects"],
            json!([{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}])
        );
    }

    #[test]
    fn the_deployment_runs_two_spread_replicas_of_the_configured_image() {
        let cfg = init_config(InitOverrides::default());
        let objects = coredns_objects(&cfg);
        let value = serde_json::to_value(deployment(&objects)).unwrap();
        let spec = &value["spec"];
        assert_eq!(spec["replicas"], 2);
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}})
        );
        assert_eq!(
            spec["selector"]["matchLabels"],
            json!({"k8s-app": "kube-dns"})
        );
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["priorityClassName"], "system-cluster-critical");
        assert_eq!(pod["serviceAccountName"], "coredns");
        assert_eq!(pod["dnsPolicy"], "Default");
        assert_eq!(pod["nodeSelector"], json!({"kubernetes.io/os": "linux"}));
        assert_eq!(
            pod["tolerations"],
            json!([
                {"key": "CriticalAddonsOnly", "operator": "Exists"},
                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
            ])
        );
        assert_eq!(
            pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
                [0]["podAffinityTerm"]["topologyKey"],
            "kubernetes.io/hostname"
        );
        let container = &pod["containers"][0];
        assert_eq!(
            container["image"],
            "registry.k8s.io/coredns/coredns:v1.12.1"
        );
        assert_eq!(container["args"], json!(["-conf", "/etc/coredns/Corefile"]));
        assert_eq!(
            container["resources"],
            json!({"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}})
        );
        assert_eq!(
            container["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| format!(
                    "{}/{} {}",
                    p["containerPort"],
                    p["protocol"].as_str().unwrap(),
                    p["name"].as_str().unwrap()
                ))
                .collect::<Vec<_>>(),
            [
                "53/UDP dns",
                "53/TCP dns-tcp",
                "9153/TCP metrics",
                "8080/TCP liveness-probe",
                "8181/TCP readiness-probe"
            ]
        );
        assert_eq!(
            container["livenessProbe"]["httpGet"]["port"],
            "liveness-probe"
        );
        assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
        assert_eq!(
            container["securityContext"]["capabilities"],
            json!({"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]})
        );
        assert_eq!(
            pod["volumes"],
            json!([{"name": "config-volume", "configMap": {"name": "coredns",
                    "items": [{"key": "Corefile", "path": "Corefile"}]}}])
        );
    }

    #[test]
    fn dns_image_repository_and_tag_override_the_defaults() {
        let cfg = cluster("dns:\n  imageRepository: mirror.example.com/dns\n  imageTag: v1.11.9\n");
        let objects = coredns_objects(&cfg);
        let spec = deployment(&objects).spec.as_ref().unwrap();
        let container = only_container(pod_spec(spec.template.spec.as_ref()));
        assert_eq!(
            container.image.as_deref(),
            Some("mirror.example.com/dns/coredns:v1.11.9")
        );
    }

    #[test]
    fn kube_dns_takes_the_tenth_address_of_the_first_service_subnet() {
        let cases = [
            ("10.96.0.0/12", "10.96.0.10"),
            ("10.100.0.0/16", "10.100.0.10"),
            ("172.30.8.0/24", "172.30.8.10"),
            ("fd00:10:96::/112", "fd00:10:96::a"),
            ("10.96.0.0/16,fd00:10:96::/112", "10.96.0.10"),
            ("fd00:10:96::/112,10.96.0.0/16", "fd00:10:96::a"),
        ];
        for (subnet, ip) in cases {
            let cfg = cluster(&format!(
                "networking:\n  serviceSubnet: {subnet}\n  podSubnet: {}\n",
                if subnet.starts_with("fd") {
                    "fd00:10:244::/56,10.244.0.0/16"
                } else {
                    "10.244.0.0/16,fd00:10:244::/56"
                }
            ));
            let objects = coredns_objects(&cfg);
            let value = serde_json::to_value(service(&objects)).unwrap();
            assert_eq!(value["spec"]["clusterIP"], ip, "{subnet}");
        }
    }

    #[test]
    fn kube_dns_exposes_dns_and_metrics_to_the_dns_pods() {
        let objects = coredns_objects(&init_config(InitOverrides::default()));
        let value = serde_json::to_value(service(&objects)).unwrap();
        assert_eq!(
            value["metadata"]["labels"],
            json!({"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                   "kubernetes.io/name": "CoreDNS"})
        );
        assert_eq!(
            value["metadata"]["annotations"],
            json!({"prometheus.io/port": "9153", "prometheus.io/scrape": "true"})
        );
        assert_eq!(
            value["spec"]["ports"],
            json!([
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}
            ])
        );
        assert_eq!(value["spec"]["selector"], json!({"k8s-app": "kube-dns"}));
    }
}

mod kube_proxy_addon {
    use super::*;

    fn objects(cfg: &InitConfig, env: &[EnvVar]) -> Vec<ApiObject> {
        kube_proxy_objects(cfg, &kube_proxy_configuration(cfg), env).unwrap()
    }

    fn env(name: &str, value: &str) -> EnvVar {
        EnvVar {
            name: name.into(),
            value: value.into(),
            value_from: None,
        }
    }

    #[test]
    fn proxy_disabled_turns_the_addon_off() {
        assert!(kube_proxy::enabled(&init_config(InitOverrides::default())));
        assert!(!kube_proxy::enabled(&cluster("proxy:\n  disabled: true\n")));
    }

    #[test]
    fn objects_come_in_kubeadms_order() {
        let objects = objects(&init_config(InitOverrides::default()), &[]);
        assert_eq!(
            listing(&objects),
            [
                "ConfigMap kube-system/kube-proxy",
                "DaemonSet kube-system/kube-proxy",
                "ServiceAccount kube-system/kube-proxy",
                "ClusterRoleBinding kubeadm:node-proxier",
                "Role kube-system/kube-proxy",
                "RoleBinding kube-system/kube-proxy",
            ]
        );
        assert_eq!(
            objects[3].to_value()["roleRef"],
            json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                   "name": "system:node-proxier"})
        );
        assert_eq!(
            objects[3].to_value()["subjects"],
            json!([{"kind": "ServiceAccount", "name": "kube-proxy", "namespace": "kube-system"}])
        );
        assert_eq!(
            objects[4].to_value()["rules"],
            json!([{"apiGroups": [""], "resources": ["configmaps"],
                    "resourceNames": ["kube-proxy"], "verbs": ["get"]}])
        );
        assert_eq!(
            objects[5].to_value()["subjects"],
            json!([{"kind": "Group", "name": "system:bootstrappers:kubeadm:default-node-token"}])
        );
    }

    #[test]
    fn the_config_map_holds_the_configuration_and_a_kubeconfig_for_the_endpoint() {
        let cases = [
            ("", "https://192.168.1.10:6443"),
            (
                "controlPlaneEndpoint: lb.example.com\n",
                "https://lb.example.com:6443",
            ),
            (
                "controlPlaneEndpoint: \"[fd00::1]:7443\"\n",
                "https://[fd00::1]:7443",
            ),
        ];
        for (extra, server) in cases {
            let cfg = cluster(extra);
            let objects = objects(&cfg, &[]);
            let data = data(&objects[0]);
            assert_eq!(
                data.keys().collect::<Vec<_>>(),
                ["config.conf", "kubeconfig.conf"]
            );
            let kubeconfig = &data["kubeconfig.conf"];
            assert!(
                kubeconfig.contains(&format!("\n    server: {server}\n")),
                "{kubeconfig}"
            );
            assert!(
                kubeconfig
                    .ends_with("tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"),
                "{kubeconfig}"
            );
            let config = &data["config.conf"];
            assert!(!config.ends_with('\n'), "{config}");
            let back: serde_json::Map<String, serde_json::Value> =
                serde_saphyr::from_str(config).unwrap();
            assert_eq!(back, kube_proxy_configuration(&cfg));
        }
    }

    #[test]
    fn a_generated_configuration_is_signed_and_a_supplied_one_is_not() {
        let generated = objects(&init_config(InitOverrides::default()), &[]);
        let ApiObject::ConfigMap(cm) = &generated[0] else {
            unreachable!()
        };
        let mut unsigned = config_map("kube-proxy", "kube-system", &[]);
        unsigned.data = cm.data.clone();
        assert_eq!(
            cm.metadata.annotations,
            Some(BTreeMap::from([(
                COMPONENT_CONFIG_HASH_ANNOTATION.to_string(),
                component_config_hash(&unsigned)
            )]))
        );
        assert_eq!(
            cm.metadata.labels,
            Some(BTreeMap::from([(
                "app".to_string(),
                "kube-proxy".to_string()
            )]))
        );

        let supplied = cluster(
            "---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n",
        );
        let objects = objects(&supplied, &[]);
        let ApiObject::ConfigMap(cm) = &objects[0] else {
            unreachable!()
        };
        assert_eq!(cm.metadata.annotations, None);
        assert!(data(&objects[0])["config.conf"].contains("mode: ipvs"));
    }

    #[test]
    fn the_daemon_set_runs_kube_proxy_privileged_on_every_linux_node() {
        let objects = objects(&init_config(InitOverrides::default()), &[]);
        let value = serde_json::to_value(daemon_set(&objects)).unwrap();
        let spec = &value["spec"];
        assert_eq!(
            spec["selector"]["matchLabels"],
            json!({"k8s-app": "kube-proxy"})
        );
        assert_eq!(spec["updateStrategy"], json!({"type": "RollingUpdate"}));
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["priorityClassName"], "system-node-critical");
        assert_eq!(pod["hostNetwork"], true);
        assert_eq!(pod["serviceAccountName"], "kube-proxy");
        assert_eq!(pod["tolerations"], json!([{"operator": "Exists"}]));
        assert_eq!(pod["nodeSelector"], json!({"kubernetes.io/os": "linux"}));
        assert_eq!(
            pod["volumes"],
            json!([
                {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}}
            ])
        );
        let container = &pod["containers"][0];
        assert_eq!(container["image"], "registry.k8s.io/kube-proxy:v1.34.2");
        assert_eq!(
            container["command"],
            json!([
                "/usr/local/bin/kube-proxy",
                "--config=/var/lib/kube-proxy/config.conf",
                "--hostname-override=$(NODE_NAME)"
            ])
        );
        assert_eq!(container["securityContext"], json!({"privileged": true}));
        assert_eq!(
            container["volumeMounts"],
            json!([
                {"name": "kube-proxy", "mountPath": "/var/lib/kube-proxy"},
                {"name": "xtables-lock", "mountPath": "/run/xtables.lock"},
                {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": true}
            ])
        );
        assert_eq!(
            container["env"],
            json!([{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}])
        );
    }

    #[test]
    fn the_image_follows_the_repository_and_version() {
        let cfg = cluster(
            "imageRepository: registry.example.com/k8s\nkubernetesVersion: v1.33.5+vendor.1\n",
        );
        let objects = objects(&cfg, &[]);
        let spec = daemon_set(&objects).spec.as_ref().unwrap();
        let container = only_container(pod_spec(spec.template.spec.as_ref()));
        assert_eq!(
            container.image.as_deref(),
            Some("registry.example.com/k8s/kube-proxy:v1.33.5_vendor.1")
        );
    }

    #[test]
    fn proxy_variables_follow_node_name_merged_and_sorted() {
        let objects = objects(
            &init_config(InitOverrides::default()),
            &[
                env("https_proxy", "http://proxy:3128"),
                env("NO_PROXY", "10.0.0.0/8"),
                env("https_proxy", "http://other:3128"),
            ],
        );
        let value = serde_json::to_value(daemon_set(&objects)).unwrap();
        let names: Vec<String> = value["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}={}",
                    e["name"].as_str().unwrap(),
                    e["value"].as_str().unwrap_or("(from field)")
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "NODE_NAME=(from field)",
                "NO_PROXY=10.0.0.0/8",
                "https_proxy=http://other:3128"
            ]
        );
    }
}
