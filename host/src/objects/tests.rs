use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Node, NodeSpec, Taint};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::json;

use super::bootstrap::{
    bootstrap_token_rbac, cluster_admins_binding, cluster_info_kubeconfig, cluster_info_objects,
};
use super::control_plane_node::{CONTROL_PLANE_LABELS, ControlPlaneMarks};
use super::upload_config::{kubeadm_config_objects, kubelet_config_objects};
use super::*;
use crate::config::InitOverrides;
use crate::config::v1beta4::NodeRegistrationOptions;
use crate::kubeconfig::Kubeconfig;
use crate::manifests::kubelet_configuration;
use crate::test_support::{init_config, init_config_from_yaml};

/// `Kind namespace/name` of each object, in order.
fn listing(objects: &[ApiObject]) -> Vec<String> {
    objects.iter().map(ToString::to_string).collect()
}

fn data(object: &ApiObject) -> &BTreeMap<String, String> {
    match object {
        ApiObject::ConfigMap(cm) => cm.data.as_ref().expect("ConfigMap data"),
        other => panic!("{other} is not a ConfigMap"),
    }
}

/// `(roleRef kind/name, subjects as kind:name)` of a binding.
fn binding(object: &ApiObject) -> (String, Vec<String>) {
    let (role_ref, subjects) = match object {
        ApiObject::RoleBinding(RoleBinding {
            role_ref, subjects, ..
        })
        | ApiObject::ClusterRoleBinding(ClusterRoleBinding {
            role_ref, subjects, ..
        }) => (role_ref, subjects.clone().unwrap_or_default()),
        other => panic!("{other} is not a binding"),
    };
    assert_eq!(role_ref.api_group, "rbac.authorization.k8s.io");
    (
        format!("{}/{}", role_ref.kind, role_ref.name),
        subjects
            .iter()
            .map(|s| match &s.namespace {
                Some(ns) => format!("{}:{ns}/{}", s.kind, s.name),
                None => format!("{}:{}", s.kind, s.name),
            })
            .collect(),
    )
}

/// The single rule of a Role or ClusterRole, as JSON.
fn rules(object: &ApiObject) -> serde_json::Value {
    object.to_value()["rules"].clone()
}

mod api_object {
    use super::*;

    #[test]
    fn every_object_serialises_with_its_api_version_and_kind() {
        let cfg = init_config(InitOverrides::default());
        let mut objects = kubeadm_config_objects(&cfg).unwrap();
        objects.extend(bootstrap_token_rbac());
        objects.extend(crate::objects::addons::coredns::coredns_objects(&cfg));
        let mut seen = BTreeMap::new();
        for object in &objects {
            let value = object.to_value();
            assert_eq!(value["apiVersion"], object.api_version(), "{object}");
            assert_eq!(value["kind"], object.kind(), "{object}");
            assert_eq!(value["metadata"]["name"], object.name(), "{object}");
            seen.insert(object.kind(), object.api_version());
        }
        assert_eq!(
            seen,
            BTreeMap::from([
                ("ClusterRole", "rbac.authorization.k8s.io/v1"),
                ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1"),
                ("ConfigMap", "v1"),
                ("Deployment", "apps/v1"),
                ("Role", "rbac.authorization.k8s.io/v1"),
                ("RoleBinding", "rbac.authorization.k8s.io/v1"),
                ("Service", "v1"),
                ("ServiceAccount", "v1"),
            ])
        );
    }

    #[test]
    fn display_names_the_namespace_only_for_namespaced_objects() {
        assert_eq!(
            cluster_admins_binding().to_string(),
            "ClusterRoleBinding kubeadm:cluster-admins"
        );
        let cm: ApiObject = config_map("x", KUBE_PUBLIC, &[]).into();
        assert_eq!(cm.to_string(), "ConfigMap kube-public/x");
        assert_eq!(cm.namespace(), Some("kube-public"));
    }
}

mod hash {
    use super::*;

    #[test]
    fn the_hash_covers_data_values_in_key_order() {
        // Inserted out of order: the values are hashed as "2" then "1" (keys a, b).
        let cm = config_map("x", KUBE_SYSTEM, &[("b", "1".into()), ("a", "2".into())]);
        assert_eq!(
            component_config_hash(&cm),
            "sha256:6f4b6612125fb3a0daecd2799dfd6c9c299424fd920f9b308110a2c1fbd8f443"
        );
    }

    #[test]
    fn binary_data_is_hashed_after_data() {
        let mut cm = config_map("x", KUBE_SYSTEM, &[("z", "x".into())]);
        cm.binary_data = Some(BTreeMap::from([(
            "a".to_string(),
            k8s_openapi::ByteString(b"y".to_vec()),
        )]));
        assert_eq!(
            component_config_hash(&cm),
            "sha256:769a4e6d0003189c7e96c5d9b7e810a0d11c3a12832527ec94b0f86d277f51ca"
        );
    }

    #[test]
    fn signing_does_not_change_the_hash_it_records() {
        let mut cm = config_map("x", KUBE_SYSTEM, &[("a", "data".into())]);
        let before = component_config_hash(&cm);
        sign_config_map(&mut cm);
        let annotations = cm.metadata.annotations.as_ref().unwrap();
        assert_eq!(annotations[COMPONENT_CONFIG_HASH_ANNOTATION], before);
        assert_eq!(component_config_hash(&cm), before);
    }
}

mod upload_config {
    use super::*;

    const DEFAULT_CLUSTER_CONFIGURATION: &str = "apiServer: {}
apiVersion: kubeadm.k8s.io/v1beta4
caCertificateValidityPeriod: 87600h0m0s
certificateValidityPeriod: 8760h0m0s
certificatesDir: /etc/kubernetes/pki
clusterName: kubernetes
controllerManager: {}
dns: {}
encryptionAlgorithm: RSA-2048
etcd:
  local:
    dataDir: /var/lib/etcd
imageRepository: registry.k8s.io
kind: ClusterConfiguration
kubernetesVersion: v1.34.2
networking:
  dnsDomain: cluster.local
  serviceSubnet: 10.96.0.0/12
proxy: {}
scheduler: {}
";

    #[test]
    fn kubeadm_config_holds_the_cluster_configuration_as_kubeadm_writes_it() {
        let cfg = init_config(InitOverrides::default());
        let objects = kubeadm_config_objects(&cfg).unwrap();
        assert_eq!(
            listing(&objects),
            [
                "ConfigMap kube-system/kubeadm-config",
                "Role kube-system/kubeadm:nodes-kubeadm-config",
                "RoleBinding kube-system/kubeadm:nodes-kubeadm-config",
            ]
        );
        assert_eq!(
            data(&objects[0]),
            &BTreeMap::from([(
                "ClusterConfiguration".to_string(),
                DEFAULT_CLUSTER_CONFIGURATION.to_string()
            )])
        );
        assert_eq!(
            rules(&objects[1]),
            json!([{"apiGroups": [""], "resources": ["configmaps"],
                    "resourceNames": ["kubeadm-config"], "verbs": ["get"]}])
        );
        assert_eq!(
            binding(&objects[2]),
            (
                "Role/kubeadm:nodes-kubeadm-config".to_string(),
                vec![
                    "Group:system:bootstrappers:kubeadm:default-node-token".to_string(),
                    "Group:system:nodes".to_string()
                ]
            )
        );
    }

    /// What a joining node reads back is the configuration init ran with.
    #[test]
    fn the_stored_cluster_configuration_reads_back_unchanged() {
        let cfg = init_config_from_yaml(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
             controlPlaneEndpoint: lb.example.com:6443\nimageRepository: registry.example.com/k8s\n\
             networking:\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.100.0.0/16\n\
             apiServer:\n  certSANs: [api.example.com]\n  extraArgs:\n  - name: v\n    value: \"4\"\n\
             featureGates:\n  PublicKeysECDSA: false\n",
        );
        let objects = kubeadm_config_objects(&cfg).unwrap();
        let stored = &data(&objects[0])["ClusterConfiguration"];
        let back = init_config_from_yaml(stored);
        assert_eq!(back.cluster, cfg.cluster);
    }

    #[test]
    fn kubelet_config_holds_the_kubelet_configuration_and_is_signed_when_generated() {
        let cfg = init_config(InitOverrides::default());
        let kubelet = kubelet_configuration(&cfg);
        let objects = kubelet_config_objects(&cfg, &kubelet).unwrap();
        assert_eq!(
            listing(&objects),
            [
                "ConfigMap kube-system/kubelet-config",
                "Role kube-system/kubeadm:kubelet-config",
                "RoleBinding kube-system/kubeadm:kubelet-config",
            ]
        );
        let text = &data(&objects[0])["kubelet"];
        let back: serde_json::Map<String, serde_json::Value> =
            serde_saphyr::from_str(text).unwrap();
        assert_eq!(back, kubelet);
        assert!(
            text.starts_with("apiVersion: kubelet.config.k8s.io/v1beta1\n"),
            "{text}"
        );

        let ApiObject::ConfigMap(cm) = &objects[0] else {
            unreachable!()
        };
        let unsigned = ConfigMap {
            metadata: ObjectMeta {
                annotations: None,
                ..cm.metadata.clone()
            },
            ..cm.clone()
        };
        assert_eq!(
            cm.metadata.annotations,
            Some(BTreeMap::from([(
                COMPONENT_CONFIG_HASH_ANNOTATION.to_string(),
                component_config_hash(&unsigned)
            )]))
        );
        assert_eq!(
            rules(&objects[1]),
            json!([{"apiGroups": [""], "resources": ["configmaps"],
                    "resourceNames": ["kubelet-config"], "verbs": ["get"]}])
        );
        assert_eq!(
            binding(&objects[2]).1,
            [
                "Group:system:nodes",
                "Group:system:bootstrappers:kubeadm:default-node-token"
            ]
        );
    }

    #[test]
    fn a_kubelet_configuration_the_user_supplied_is_not_signed() {
        let cfg = init_config_from_yaml(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n---\n\
             apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 50\n",
        );
        let kubelet = kubelet_configuration(&cfg);
        let objects = kubelet_config_objects(&cfg, &kubelet).unwrap();
        let ApiObject::ConfigMap(cm) = &objects[0] else {
            unreachable!()
        };
        assert_eq!(cm.metadata.annotations, None);
        assert!(data(&objects[0])["kubelet"].contains("maxPods: 50\n"));
    }
}

mod bootstrap {
    use super::*;

    const CA_PEM: &[u8] = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    fn admin_conf(server: &str) -> String {
        Kubeconfig::with_client_certificate(
            "kubernetes",
            server,
            CA_PEM,
            "kubernetes-admin",
            b"cert",
            b"key",
        )
        .to_yaml()
    }

    #[test]
    fn bootstrap_token_rbac_is_kubeadms_in_its_order() {
        let objects = bootstrap_token_rbac();
        assert_eq!(
            listing(&objects),
            [
                "ClusterRole kubeadm:get-nodes",
                "ClusterRoleBinding kubeadm:get-nodes",
                "ClusterRoleBinding kubeadm:kubelet-bootstrap",
                "ClusterRoleBinding kubeadm:node-autoapprove-bootstrap",
                "ClusterRoleBinding kubeadm:node-autoapprove-certificate-rotation",
            ]
        );
        assert_eq!(
            rules(&objects[0]),
            json!([{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}])
        );
        let tokens = "Group:system:bootstrappers:kubeadm:default-node-token";
        let cases = [
            (1, "ClusterRole/kubeadm:get-nodes", tokens),
            (2, "ClusterRole/system:node-bootstrapper", tokens),
            (
                3,
                "ClusterRole/system:certificates.k8s.io:certificatesigningrequests:nodeclient",
                tokens,
            ),
            (
                4,
                "ClusterRole/system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
                "Group:system:nodes",
            ),
        ];
        for (index, role, subject) in cases {
            assert_eq!(
                binding(&objects[index]),
                (role.to_string(), vec![subject.to_string()]),
                "{}",
                objects[index]
            );
        }
    }

    #[test]
    fn cluster_info_kubeconfig_is_laid_out_as_clientcmd_writes_it() {
        let text = cluster_info_kubeconfig(&admin_conf("https://192.168.1.10:6443")).unwrap();
        let ca = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
        assert_eq!(
            text,
            format!(
                "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: https://192.168.1.10:6443
  name: \"\"
contexts: null
current-context: \"\"
kind: Config
preferences: {{}}
users: null
"
            )
        );
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back["clusters"][0]["name"], "");
        assert_eq!(back["contexts"], serde_json::Value::Null);
    }

    #[test]
    fn an_ipv6_server_is_written_plain() {
        let text = cluster_info_kubeconfig(&admin_conf("https://[fd00::5]:6443")).unwrap();
        assert!(
            text.contains("\n    server: https://[fd00::5]:6443\n"),
            "{text}"
        );
    }

    #[test]
    fn the_current_cluster_is_the_one_published() {
        let admin = "apiVersion: v1\nkind: Config\nclusters:\n\
                     - name: other\n  cluster:\n    server: https://10.0.0.1:6443\n\
                     - name: mine\n  cluster:\n    server: https://10.0.0.2:6443\n    \
                     certificate-authority: /etc/kubernetes/pki/ca.crt\n\
                     contexts:\n- name: c\n  context:\n    cluster: mine\n    user: u\n\
                     current-context: c\nusers: []\n";
        let text = cluster_info_kubeconfig(admin).unwrap();
        assert!(
            text.contains(
                "- cluster:\n    certificate-authority: /etc/kubernetes/pki/ca.crt\n    \
                 server: https://10.0.0.2:6443\n  name: \"\"\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_admin_kubeconfig_without_a_current_cluster_is_an_error() {
        let cases = [
            ("clusters: []\ncurrent-context: missing\n", "\"missing\""),
            ("clusters: [[[\n", "admin kubeconfig:"),
        ];
        for (admin, expected) in cases {
            let err = cluster_info_kubeconfig(admin).unwrap_err().to_string();
            assert!(
                err.starts_with("admin kubeconfig:") && err.contains(expected),
                "{err}"
            );
        }
    }

    #[test]
    fn cluster_info_is_public_and_readable_by_anonymous_users() {
        let objects = cluster_info_objects(&admin_conf("https://192.168.1.10:6443")).unwrap();
        assert_eq!(
            listing(&objects),
            [
                "ConfigMap kube-public/cluster-info",
                "Role kube-public/kubeadm:bootstrap-signer-clusterinfo",
                "RoleBinding kube-public/kubeadm:bootstrap-signer-clusterinfo",
            ]
        );
        assert_eq!(data(&objects[0]).keys().collect::<Vec<_>>(), ["kubeconfig"]);
        assert_eq!(
            rules(&objects[1]),
            json!([{"apiGroups": [""], "resources": ["configmaps"],
                    "resourceNames": ["cluster-info"], "verbs": ["get"]}])
        );
        assert_eq!(
            binding(&objects[2]),
            (
                "Role/kubeadm:bootstrap-signer-clusterinfo".to_string(),
                vec!["User:system:anonymous".to_string()]
            )
        );
    }

    #[test]
    fn cluster_admins_get_cluster_admin() {
        assert_eq!(
            binding(&cluster_admins_binding()),
            (
                "ClusterRole/cluster-admin".to_string(),
                vec!["Group:kubeadm:cluster-admins".to_string()]
            )
        );
    }
}

mod control_plane_node {
    use super::*;

    fn taint(key: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            effect: effect.into(),
            ..Default::default()
        }
    }

    fn control_plane() -> Taint {
        taint("node-role.kubernetes.io/control-plane", "NoSchedule")
    }

    fn uninitialized() -> Taint {
        taint(
            "node.cloudprovider.kubernetes.io/uninitialized",
            "NoSchedule",
        )
    }

    fn node(labels: &[(&str, &str)], taints: Vec<Taint>) -> Node {
        let mut all = BTreeMap::from([("kubernetes.io/hostname".to_string(), "n".to_string())]);
        all.extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Node {
            metadata: ObjectMeta {
                name: Some("n".into()),
                labels: Some(all),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                taints: (!taints.is_empty()).then_some(taints),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn marks(taints: Vec<Taint>) -> ControlPlaneMarks {
        ControlPlaneMarks { taints }
    }

    const BOTH: [(&str, &str); 2] = [
        ("node-role.kubernetes.io/control-plane", ""),
        (
            "node.kubernetes.io/exclude-from-external-load-balancers",
            "",
        ),
    ];

    #[test]
    fn unset_taints_mean_the_control_plane_taint_and_an_empty_list_none() {
        let registration = |taints| NodeRegistrationOptions {
            taints,
            ..Default::default()
        };
        let custom = crate::config::v1beta4::Taint {
            key: "dedicated".into(),
            value: "infra".into(),
            effect: "NoExecute".into(),
            time_added: None,
        };
        let cases = [
            (None, vec![control_plane()]),
            (Some(vec![]), vec![]),
            (
                Some(vec![custom]),
                vec![Taint {
                    value: Some("infra".into()),
                    ..taint("dedicated", "NoExecute")
                }],
            ),
        ];
        for (taints, expected) in cases {
            let got = ControlPlaneMarks::for_node(&registration(taints.clone())).unwrap();
            assert_eq!(got.taints, expected, "{taints:?}");
        }
    }

    #[test]
    fn init_marks_with_the_control_plane_taint_by_default() {
        let cfg = init_config(InitOverrides::default());
        let marks = ControlPlaneMarks::for_node(&cfg.init.node_registration).unwrap();
        assert_eq!(marks.taints, [control_plane()]);
    }

    #[test]
    fn a_taint_with_a_bad_time_is_an_error() {
        let registration = NodeRegistrationOptions {
            taints: Some(vec![crate::config::v1beta4::Taint {
                key: "k".into(),
                value: String::new(),
                effect: "NoExecute".into(),
                time_added: Some("yesterday".into()),
            }]),
            ..Default::default()
        };
        let err = ControlPlaneMarks::for_node(&registration)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("nodeRegistration.taints: \"k:NoExecute\""),
            "{err}"
        );
    }

    /// kubeadm's own cases (markcontrolplane_test.go), with the control-plane label pair.
    #[test]
    fn the_patch_adds_only_what_is_missing() {
        let labels = json!({"metadata": {"labels": {
            "node-role.kubernetes.io/control-plane": "",
            "node.kubernetes.io/exclude-from-external-load-balancers": ""}}});
        let cases = [
            (
                "label and taint missing",
                node(&[], vec![]),
                vec![control_plane()],
                Some(json!({
                    "metadata": labels["metadata"],
                    "spec": {"taints": [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]}
                })),
            ),
            (
                "label and taint missing but no taint wanted",
                node(&[], vec![]),
                vec![],
                Some(labels.clone()),
            ),
            (
                "label missing",
                node(&[], vec![control_plane()]),
                vec![control_plane()],
                Some(labels.clone()),
            ),
            (
                "one label missing",
                node(&BOTH[..1], vec![]),
                vec![],
                Some(json!({"metadata": {"labels": {
                    "node.kubernetes.io/exclude-from-external-load-balancers": ""}}})),
            ),
            (
                "label with another value",
                node(&[BOTH[0], (BOTH[1].0, "true")], vec![]),
                vec![],
                Some(json!({"metadata": {"labels": {
                    "node.kubernetes.io/exclude-from-external-load-balancers": ""}}})),
            ),
            (
                "taint missing",
                node(&BOTH, vec![]),
                vec![control_plane()],
                Some(json!({"spec": {"taints": [
                    {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]}})),
            ),
            (
                "nothing missing",
                node(&BOTH, vec![control_plane()]),
                vec![control_plane()],
                None,
            ),
            (
                "other taint kept when no taint is wanted",
                node(&BOTH, vec![uninitialized()]),
                vec![],
                None,
            ),
            (
                "other taint kept after the wanted one",
                node(&BOTH, vec![uninitialized()]),
                vec![control_plane()],
                Some(json!({"spec": {"taints": [
                    {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
                    {"effect": "NoSchedule", "key": "node.cloudprovider.kubernetes.io/uninitialized"}]}})),
            ),
            (
                "all wanted taints present in another order",
                node(&BOTH, vec![uninitialized(), control_plane()]),
                vec![control_plane()],
                None,
            ),
        ];
        for (name, node, taints, expected) in cases {
            let marks = marks(taints);
            assert_eq!(marks.patch(&node), expected, "{name}");
            assert_eq!(marks.carried_by(&node), expected.is_none(), "{name}");
        }
    }

    #[test]
    fn a_node_without_labels_or_spec_gets_everything() {
        let bare = Node {
            metadata: ObjectMeta {
                name: Some("n".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let patch = marks(vec![control_plane()]).patch(&bare).unwrap();
        let labels = patch["metadata"]["labels"].as_object().unwrap();
        assert_eq!(
            labels.keys().map(String::as_str).collect::<Vec<_>>(),
            CONTROL_PLANE_LABELS
        );
        assert_eq!(patch["spec"]["taints"].as_array().unwrap().len(), 1);
    }
}
