//! Every API object `init` creates (upload-config, bootstrap-token RBAC, cluster-info,
//! kubeadm:cluster-admins, CoreDNS, kube-proxy), written as YAML and checked against the
//! Kubernetes 1.34 JSON schemas in strict mode (PyPI `kubernetes-validate`, offline), for a default
//! cluster and a dual-stack one with its own subnets, domain, endpoint and image repositories.
//! The kubeconfigs the objects carry are read back by the real kubectl.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{run_ok, stdout, tool};
use kubeadm_rs::config::{InitConfig, InitOverrides};
use kubeadm_rs::events::Events;
use kubeadm_rs::manifests::{kube_proxy_configuration, kubelet_configuration, to_yaml};
use kubeadm_rs::objects::ApiObject;
use kubeadm_rs::objects::addons::coredns::coredns_objects;
use kubeadm_rs::objects::addons::kube_proxy::kube_proxy_objects;
use kubeadm_rs::objects::bootstrap::{
    bootstrap_token_rbac, cluster_admins_binding, cluster_info_objects,
};
use kubeadm_rs::objects::upload_config::{kubeadm_config_objects, kubelet_config_objects};
use kubeadm_rs_tests::{init_config, run_phases, schema_validator};
use serde_json::Value;

/// A node root after `init phase certs` and `init phase kubeconfig`, and the objects `init`
/// would create for it.
struct Cluster {
    dir: tempfile::TempDir,
    cfg: InitConfig,
    objects: Vec<ApiObject>,
}

impl Cluster {
    fn init(config: &str) -> Self {
        let cfg = init_config(Some(config), &InitOverrides::default());
        let dir = tempfile::tempdir().expect("temp dir");
        for phase in ["certs", "kubeconfig"] {
            run_phases(dir.path(), &cfg, Some(phase), &[], Events::discard()).expect("phase runs");
        }
        let admin = std::fs::read_to_string(dir.path().join("etc/kubernetes/admin.conf"))
            .expect("admin.conf written");
        let proxy_env = [kubeadm_rs::config::v1beta4::EnvVar {
            name: "HTTPS_PROXY".into(),
            value: "http://proxy.example.com:3128".into(),
            value_from: None,
        }];
        let mut objects = vec![cluster_admins_binding()];
        objects.extend(kubeadm_config_objects(&cfg).expect("kubeadm-config"));
        objects.extend(
            kubelet_config_objects(&cfg, &kubelet_configuration(&cfg)).expect("kubelet-config"),
        );
        objects.extend(bootstrap_token_rbac());
        objects.extend(cluster_info_objects(&admin).expect("cluster-info"));
        objects.extend(coredns_objects(&cfg));
        objects.extend(
            kube_proxy_objects(&cfg, &kube_proxy_configuration(&cfg), &proxy_env)
                .expect("kube-proxy"),
        );
        Cluster { dir, cfg, objects }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Each object in its own YAML file, numbered in creation order.
    fn write_objects(&self) -> Vec<PathBuf> {
        let out = self.path("objects");
        std::fs::create_dir_all(&out).unwrap();
        self.objects
            .iter()
            .enumerate()
            .map(|(i, object)| {
                let name = object.name().replace(':', "_");
                let path = out.join(format!("{i:02}-{}-{name}.yaml", object.kind()));
                std::fs::write(&path, to_yaml(&object.to_value()).expect("YAML")).unwrap();
                path
            })
            .collect()
    }

    fn config_map_value(&self, namespace: &str, name: &str, key: &str) -> String {
        self.objects
            .iter()
            .find_map(|o| match o {
                ApiObject::ConfigMap(cm)
                    if o.namespace() == Some(namespace) && o.name() == name =>
                {
                    cm.data.as_ref()?.get(key).cloned()
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("ConfigMap {namespace}/{name} has no {key}"))
    }

    /// `kubectl config view --raw -o json` of `file`, with no cluster or cache of its own.
    fn kubectl_view(&self, file: &Path, minify: bool) -> Value {
        let home = self.path("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut cmd: Command = tool("kubectl");
        cmd.args(["config", "view", "--raw", "-o", "json"])
            .arg("--kubeconfig")
            .arg(file)
            .env("HOME", &home);
        if minify {
            cmd.arg("--minify");
        }
        serde_json::from_str(&stdout(&run_ok(&mut cmd))).expect("kubectl prints JSON")
    }

    /// Writes a ConfigMap value to a file kubectl can read.
    fn write_value(&self, namespace: &str, name: &str, key: &str) -> PathBuf {
        let path = self.path(&format!("{name}-{key}"));
        std::fs::write(&path, self.config_map_value(namespace, name, key)).unwrap();
        path
    }
}

const DEFAULT: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
                       localAPIEndpoint:\n  advertiseAddress: 10.0.0.5\nnodeRegistration:\n  name: node-a\n---\n\
                       apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n";

const CUSTOM: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
                      localAPIEndpoint:\n  advertiseAddress: fd00::5\nnodeRegistration:\n  name: node-b\n---\n\
                      apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
                      controlPlaneEndpoint: \"[fd00::100]:7443\"\n\
                      imageRepository: registry.example.com/k8s\n\
                      dns:\n  imageRepository: mirror.example.com/coredns\n  imageTag: v1.12.0\n\
                      networking:\n  dnsDomain: corp.example\n  \
                      serviceSubnet: fd00:10:96::/112,10.96.0.0/16\n  podSubnet: fd00:10:244::/56,10.244.0.0/16\n---\n\
                      apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 50\n---\n\
                      apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n";

/// Runs the strict check over every object; all must pass and none may be skipped.
fn assert_schema_clean(cluster: &Cluster) {
    let files = cluster.write_objects();
    let report = stdout(&run_ok(schema_validator().args(&files)));
    assert!(
        report.ends_with(&format!("{} passed, 0 failed, 0 skipped\n", files.len())),
        "{report}"
    );
}

#[test]
fn default_cluster_objects_pass_the_strict_schema() {
    let cluster = Cluster::init(DEFAULT);
    assert_eq!(cluster.objects.len(), 27);
    assert_schema_clean(&cluster);
}

#[test]
fn dual_stack_objects_with_custom_repositories_pass_the_strict_schema() {
    let cluster = Cluster::init(CUSTOM);
    assert_schema_clean(&cluster);
    let images: Vec<String> = cluster
        .objects
        .iter()
        .filter(|o| matches!(o, ApiObject::Deployment(_) | ApiObject::DaemonSet(_)))
        .map(|o| {
            o.to_value()["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        images,
        [
            "mirror.example.com/coredns/coredns:v1.12.0",
            "registry.example.com/k8s/kube-proxy:v1.34.2"
        ]
    );
    let service = cluster
        .objects
        .iter()
        .find(|o| matches!(o, ApiObject::Service(_)))
        .unwrap()
        .to_value();
    assert_eq!(service["spec"]["clusterIP"], "fd00:10:96::a");
    let corefile = cluster.config_map_value("kube-system", "coredns", "Corefile");
    assert!(
        corefile.contains("kubernetes corp.example in-addr.arpa ip6.arpa {"),
        "{corefile}"
    );
    assert_eq!(cluster.cfg.node_name(), "node-b");
}

/// join trusts cluster-info for the API server and CA: they are admin.conf's, as kubectl reads them.
#[test]
fn kubectl_reads_cluster_info_as_admin_confs_cluster() {
    for config in [DEFAULT, CUSTOM] {
        let cluster = Cluster::init(config);
        let admin = cluster.kubectl_view(&cluster.path("etc/kubernetes/admin.conf"), true);
        let info_file = cluster.write_value("kube-public", "cluster-info", "kubeconfig");
        let info = cluster.kubectl_view(&info_file, false);
        let clusters = info["clusters"].as_array().expect("clusters");
        assert_eq!(clusters.len(), 1, "{info}");
        assert_eq!(clusters[0]["name"], "");
        assert_eq!(clusters[0]["cluster"], admin["clusters"][0]["cluster"]);
        assert_eq!(info["contexts"], Value::Null);
        assert_eq!(info["users"], Value::Null);
    }
}

#[test]
fn kubectl_reads_kube_proxys_kubeconfig_with_the_control_plane_endpoint() {
    let cases = [
        (DEFAULT, "https://10.0.0.5:6443"),
        (CUSTOM, "https://[fd00::100]:7443"),
    ];
    for (config, server) in cases {
        let cluster = Cluster::init(config);
        let file = cluster.write_value("kube-system", "kube-proxy", "kubeconfig.conf");
        let view = cluster.kubectl_view(&file, true);
        assert_eq!(view["clusters"][0]["cluster"]["server"], server);
        assert_eq!(
            view["clusters"][0]["cluster"]["certificate-authority"],
            "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
        );
        assert_eq!(
            view["users"][0]["user"]["tokenFile"],
            "/var/run/secrets/kubernetes.io/serviceaccount/token"
        );
        assert_eq!(view["contexts"][0]["context"]["namespace"], "default");
    }
}
