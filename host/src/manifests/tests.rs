use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod, Probe};

use super::args::{arg, last_value, set_value};
use super::etcd::corruption_and_progress_flags;
use super::kubelet::{KubeletFlags, go_quote, instance_config, kubeadm_flags_env, node_name};
use super::*;
use crate::config::v1beta4::{Arg, EnvVar, ExternalEtcd, HostPathMount, LocalEtcd, Timeouts};
use crate::config::{GoDuration, default_cluster_configuration, default_init_configuration};

/// A resolved config for node `node-1` advertising 192.168.0.10, with upstream defaults.
fn config() -> InitConfig {
    let mut init = default_init_configuration();
    init.local_api_endpoint.advertise_address = "192.168.0.10".into();
    init.node_registration.name = "node-1".into();
    InitConfig {
        init,
        cluster: default_cluster_configuration(),
        kubelet: None,
        kube_proxy: None,
        plugins: None,
    }
}

fn ipv6_config() -> InitConfig {
    let mut cfg = config();
    cfg.init.local_api_endpoint.advertise_address = "fd00::10".into();
    cfg.cluster.networking.service_subnet = "fd00:10:96::/112".into();
    cfg
}

fn args(pairs: &[(&str, &str)]) -> Vec<Arg> {
    pairs.iter().map(|(n, v)| arg(n, *v)).collect()
}

fn container(pod: &Pod) -> &Container {
    &pod.spec.as_ref().unwrap().containers[0]
}

fn command(pod: &Pod) -> Vec<String> {
    container(pod).command.clone().unwrap()
}

fn has_flag(pod: &Pod, flag: &str) -> bool {
    command(pod).iter().any(|f| f == flag)
}

fn pod(component: ControlPlaneComponent, cfg: &InitConfig) -> Pod {
    control_plane_pod(component, cfg, &NodeEnvironment::default()).unwrap()
}

fn volume_names(pod: &Pod) -> Vec<String> {
    let spec = pod.spec.as_ref().unwrap();
    let volumes: Vec<String> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.clone())
        .collect();
    let mounts: Vec<String> = container(pod)
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.name.clone())
        .collect();
    assert_eq!(
        volumes, mounts,
        "every volume is mounted, in the same order"
    );
    volumes
}

#[test]
fn extra_args_replace_every_default_of_the_same_name_and_the_result_is_sorted() {
    let base = args(&[
        ("leader-elect", "true"),
        ("v", "2"),
        ("bind-address", "127.0.0.1"),
        ("v", "4"),
    ]);
    let extra = args(&[("v", "5"), ("bind-address", "0.0.0.0"), ("v", "1")]);
    assert_eq!(
        arguments_to_command(&base, &extra),
        [
            "--bind-address=0.0.0.0",
            "--leader-elect=true",
            "--v=1",
            "--v=5"
        ]
    );
    assert_eq!(arguments_to_command(&base, &[]).len(), 4);
}

#[test]
fn set_value_changes_the_last_argument_of_a_name_or_appends_one() {
    let mut list = args(&[("a", "1"), ("b", "2"), ("a", "3")]);
    set_value(&mut list, "a", "9");
    set_value(&mut list, "c", "4");
    assert_eq!(
        list,
        args(&[("a", "1"), ("b", "2"), ("a", "9"), ("c", "4")])
    );
    assert_eq!(last_value(&list, "a"), Some("9"));
    assert_eq!(last_value(&list, "z"), None);
}

#[test]
fn etcd_flag_spellings_follow_the_etcd_release_in_the_image_tag() {
    let new = args(&[
        ("feature-gates", "InitialCorruptCheck=true"),
        ("watch-progress-notify-interval", "5s"),
    ]);
    let old = args(&[
        ("experimental-initial-corrupt-check", "true"),
        ("experimental-watch-progress-notify-interval", "5s"),
    ]);
    for (tag, expected) in [
        ("3.6.4-0", &new),
        ("3.6.0", &new),
        ("v3.7.1", &new),
        ("3.6.0+build.1", &new),
        ("3.5.21-0", &old),
        ("3.4.23", &old),
        // A pre-release of 3.6.0 sorts before 3.6.0, as semantic versions do.
        ("3.6.0-0", &old),
        ("latest", &old),
    ] {
        assert_eq!(&corruption_and_progress_flags(tag), expected, "tag {tag}");
    }
}

#[test]
fn etcd_command_for_a_new_single_member_cluster() {
    let cfg = config();
    let pod = etcd_pod(&cfg, &[]).unwrap();
    assert_eq!(
        command(&pod),
        [
            "etcd",
            "--advertise-client-urls=https://192.168.0.10:2379",
            "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
            "--client-cert-auth=true",
            "--data-dir=/var/lib/etcd",
            "--feature-gates=InitialCorruptCheck=true",
            "--initial-advertise-peer-urls=https://192.168.0.10:2380",
            "--initial-cluster=node-1=https://192.168.0.10:2380",
            "--key-file=/etc/kubernetes/pki/etcd/server.key",
            "--listen-client-urls=https://127.0.0.1:2379,https://192.168.0.10:2379",
            "--listen-metrics-urls=http://127.0.0.1:2381",
            "--listen-peer-urls=https://192.168.0.10:2380",
            "--name=node-1",
            "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
            "--peer-client-cert-auth=true",
            "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
            "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
            "--snapshot-count=10000",
            "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
            "--watch-progress-notify-interval=5s",
        ]
    );
    let annotations = pod.metadata.annotations.unwrap();
    assert_eq!(
        annotations[ETCD_CLIENT_URLS_ANNOTATION],
        "https://192.168.0.10:2379"
    );
}

#[test]
fn etcd_joining_an_existing_cluster_lists_every_member() {
    let members = [
        EtcdMember {
            name: "node-0".into(),
            peer_url: "https://10.0.0.1:2380".into(),
        },
        EtcdMember {
            name: "node-1".into(),
            peer_url: "https://192.168.0.10:2380".into(),
        },
    ];
    let pod = etcd_pod(&config(), &members).unwrap();
    assert!(has_flag(
        &pod,
        "--initial-cluster=node-0=https://10.0.0.1:2380,node-1=https://192.168.0.10:2380"
    ));
    assert!(has_flag(&pod, "--initial-cluster-state=existing"));
}

#[test]
fn etcd_on_a_3_4_tag_gets_the_flags_etcd_3_4_knows_for_init_and_join_alike() {
    let mut cfg = config();
    cfg.cluster.etcd.local.as_mut().unwrap().image_tag = "3.4.23-0".into();
    let members = [
        EtcdMember {
            name: "node-0".into(),
            peer_url: "https://10.0.0.1:2380".into(),
        },
        EtcdMember {
            name: "node-1".into(),
            peer_url: "https://192.168.0.10:2380".into(),
        },
    ];
    for (pod, members) in [
        (etcd_pod(&cfg, &[]).unwrap(), "init"),
        (etcd_pod(&cfg, &members).unwrap(), "join"),
    ] {
        assert!(
            has_flag(&pod, "--experimental-initial-corrupt-check=true"),
            "{members}"
        );
        assert!(
            has_flag(&pod, "--experimental-watch-progress-notify-interval=5s"),
            "{members}"
        );
        // etcd 3.4 exits on a flag it does not know.
        let unknown_to_3_4: Vec<String> = command(&pod)
            .into_iter()
            .filter(|a| a.starts_with("--feature-gates") || a.starts_with("--watch-progress"))
            .collect();
        assert!(unknown_to_3_4.is_empty(), "{members}: {unknown_to_3_4:?}");
        assert_eq!(
            container(&pod).image.as_deref(),
            Some("registry.k8s.io/etcd:3.4.23-0")
        );
    }
}

#[test]
fn etcd_with_an_older_image_tag_and_user_arguments() {
    let mut cfg = config();
    cfg.cluster.etcd.local = Some(LocalEtcd {
        image_tag: "3.5.21-0".into(),
        data_dir: "/data/etcd".into(),
        extra_args: args(&[
            (
                "listen-metrics-urls",
                "https://127.0.0.2:9000,http://127.0.0.1:2381",
            ),
            ("quota-backend-bytes", "8589934592"),
        ]),
        ..Default::default()
    });
    let pod = etcd_pod(&cfg, &[]).unwrap();
    assert!(has_flag(&pod, "--experimental-initial-corrupt-check=true"));
    assert!(has_flag(&pod, "--data-dir=/data/etcd"));
    assert!(has_flag(&pod, "--quota-backend-bytes=8589934592"));
    assert_eq!(
        container(&pod).image.as_deref(),
        Some("registry.k8s.io/etcd:3.5.21-0")
    );
    // Probes follow the first metrics URL the user gave.
    let c = container(&pod);
    let liveness = c.liveness_probe.as_ref().unwrap();
    let summary = probe_summary(c, liveness);
    assert_eq!((summary.0.as_str(), summary.2), ("127.0.0.2", 9000));
    assert_eq!(
        liveness.http_get.as_ref().unwrap().scheme.as_deref(),
        Some("HTTPS")
    );
    let spec = pod.spec.unwrap();
    let paths: Vec<&str> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.host_path.as_ref().unwrap().path.as_str())
        .collect();
    assert_eq!(paths, ["/etc/kubernetes/pki/etcd", "/data/etcd"]);
}

#[test]
fn etcd_manifest_is_refused_for_external_etcd() {
    let mut cfg = config();
    cfg.cluster.etcd.local = None;
    cfg.cluster.etcd.external = Some(ExternalEtcd {
        endpoints: vec!["https://10.0.0.5:2379".into()],
        ..Default::default()
    });
    assert!(matches!(
        etcd_pod(&cfg, &[]),
        Err(ManifestError::ExternalEtcd)
    ));
}

#[test]
fn api_server_command_with_local_etcd() {
    let cfg = config();
    assert_eq!(
        command(&pod(ControlPlaneComponent::ApiServer, &cfg)),
        [
            "kube-apiserver",
            "--advertise-address=192.168.0.10",
            "--allow-privileged=true",
            "--authorization-mode=Node,RBAC",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--enable-admission-plugins=NodeRestriction",
            "--enable-bootstrap-token-auth=true",
            "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
            "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
            "--etcd-servers=https://127.0.0.1:2379",
            "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
            "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
            "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
            "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-username-headers=X-Remote-User",
            "--secure-port=6443",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
            "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
            "--service-cluster-ip-range=10.96.0.0/12",
            "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
            "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
        ]
    );
}

#[test]
fn api_server_authorization_modes() {
    for (extra, expected) in [
        (vec![], Some("--authorization-mode=Node,RBAC")),
        (
            vec![("authorization-mode", "RBAC,Webhook")],
            Some("--authorization-mode=RBAC,Webhook"),
        ),
        (vec![("authorization-config", "/etc/authz.yaml")], None),
        // kubeadm v1.34 filters its default through getAuthzModes, but the extra argument
        // replaces that default: kube-apiserver gets the user's value as written.
        (
            vec![("authorization-mode", "Foo,RBAC")],
            Some("--authorization-mode=Foo,RBAC"),
        ),
    ] {
        let mut cfg = config();
        cfg.cluster.api_server.extra_args = args(&extra);
        let cmd = command(&pod(ControlPlaneComponent::ApiServer, &cfg));
        let modes: Vec<&String> = cmd
            .iter()
            .filter(|f| f.starts_with("--authorization-mode="))
            .collect();
        assert_eq!(modes.first().map(|s| s.as_str()), expected, "{extra:?}");
        assert!(modes.len() <= 1);
    }
}

#[test]
fn api_server_with_external_etcd_uses_its_endpoints_and_mounts_its_cert_dirs() {
    let mut cfg = config();
    cfg.cluster.etcd.local = None;
    cfg.cluster.etcd.external = Some(ExternalEtcd {
        endpoints: vec![
            "https://10.0.0.5:2379".into(),
            "https://10.0.0.6:2379".into(),
        ],
        ca_file: "/etc/etcd/pki/ca.crt".into(),
        cert_file: "/etc/etcd/pki/client/apiserver.crt".into(),
        key_file: "/etc/kubernetes/pki/apiserver-etcd-client.key".into(),
    });
    let pod = pod(ControlPlaneComponent::ApiServer, &cfg);
    assert!(has_flag(
        &pod,
        "--etcd-servers=https://10.0.0.5:2379,https://10.0.0.6:2379"
    ));
    assert!(has_flag(&pod, "--etcd-cafile=/etc/etcd/pki/ca.crt"));
    assert!(has_flag(
        &pod,
        "--etcd-certfile=/etc/etcd/pki/client/apiserver.crt"
    ));
    assert!(has_flag(
        &pod,
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key"
    ));
    // /etc/etcd/pki/client folds into /etc/etcd/pki; the key is under certificatesDir, mounted already.
    assert_eq!(
        volume_names(&pod),
        ["ca-certs", "etcd-certs-0", "k8s-certs"]
    );
}

#[test]
fn local_etcd_advertise_client_urls_argument_becomes_the_api_servers_etcd_servers() {
    let mut cfg = config();
    cfg.cluster.etcd.local.as_mut().unwrap().extra_args =
        args(&[("advertise-client-urls", "https://10.1.1.1:2379")]);
    assert!(has_flag(
        &pod(ControlPlaneComponent::ApiServer, &cfg),
        "--etcd-servers=https://10.1.1.1:2379"
    ));
}

#[test]
fn controller_manager_command_with_pod_subnet() {
    let mut cfg = config();
    cfg.cluster.networking.pod_subnet = "10.244.0.0/16".into();
    let cmd = command(&pod(ControlPlaneComponent::ControllerManager, &cfg));
    assert_eq!(
        cmd,
        [
            "kube-controller-manager",
            "--allocate-node-cidrs=true",
            "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--bind-address=127.0.0.1",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--cluster-cidr=10.244.0.0/16",
            "--cluster-name=kubernetes",
            "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
            "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
            "--controllers=*,bootstrapsigner,tokencleaner",
            "--kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--leader-elect=true",
            "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
            "--root-ca-file=/etc/kubernetes/pki/ca.crt",
            "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
            "--service-cluster-ip-range=10.96.0.0/12",
            "--use-service-account-credentials=true",
        ]
    );
}

#[test]
fn controller_manager_with_an_external_ca_gets_empty_signing_files() {
    let node = NodeEnvironment {
        external_ca: true,
        ..Default::default()
    };
    let pod =
        control_plane_pod(ControlPlaneComponent::ControllerManager, &config(), &node).unwrap();
    assert!(has_flag(&pod, "--cluster-signing-cert-file="));
    assert!(has_flag(&pod, "--cluster-signing-key-file="));
    assert!(!has_flag(&pod, "--allocate-node-cidrs=true"));
}

#[test]
fn scheduler_command() {
    assert_eq!(
        command(&pod(ControlPlaneComponent::Scheduler, &config())),
        [
            "kube-scheduler",
            "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--bind-address=127.0.0.1",
            "--kubeconfig=/etc/kubernetes/scheduler.conf",
            "--leader-elect=true",
        ]
    );
}

/// A probe as (host, path, port, initial delay, period, timeout, failure threshold), its
/// port looked up by name among the container's ports, as kubelet resolves it.
fn probe_summary(c: &Container, p: &Probe) -> (String, String, i32, i32, i32, i32, i32) {
    let http = p.http_get.as_ref().unwrap();
    let port = match &http.port {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|port| port.name.as_deref() == Some(name))
            .map(|port| port.container_port)
            .unwrap_or_else(|| panic!("no container port named {name}")),
        other => panic!("a numeric probe port {other:?}; kubeadm names it"),
    };
    (
        http.host.clone().unwrap_or_default(),
        http.path.clone().unwrap(),
        port,
        p.initial_delay_seconds.unwrap_or(0),
        p.period_seconds.unwrap(),
        p.timeout_seconds.unwrap(),
        p.failure_threshold.unwrap(),
    )
}

#[test]
fn probes_follow_kubeadm() {
    let cfg = config();
    let api = pod(ControlPlaneComponent::ApiServer, &cfg);
    let c = container(&api);
    let s = |p: &Option<Probe>| probe_summary(c, p.as_ref().unwrap());
    assert_eq!(
        s(&c.liveness_probe),
        ("192.168.0.10".into(), "/livez".into(), 6443, 10, 10, 15, 8)
    );
    assert_eq!(
        s(&c.readiness_probe),
        ("192.168.0.10".into(), "/readyz".into(), 6443, 0, 1, 15, 3)
    );
    assert_eq!(
        s(&c.startup_probe),
        ("192.168.0.10".into(), "/livez".into(), 6443, 10, 10, 15, 24)
    );

    let kcm = pod(ControlPlaneComponent::ControllerManager, &cfg);
    let c = container(&kcm);
    let s = |p: &Option<Probe>| probe_summary(c, p.as_ref().unwrap());
    assert_eq!(
        s(&c.liveness_probe),
        ("127.0.0.1".into(), "/healthz".into(), 10257, 10, 10, 15, 8)
    );
    assert_eq!(
        s(&c.startup_probe),
        ("127.0.0.1".into(), "/healthz".into(), 10257, 10, 10, 15, 24)
    );
    assert!(c.readiness_probe.is_none());

    // Since kubeadm v1.32 the scheduler is probed on /livez and /readyz.
    let scheduler = pod(ControlPlaneComponent::Scheduler, &cfg);
    let c = container(&scheduler);
    let s = |p: &Option<Probe>| probe_summary(c, p.as_ref().unwrap());
    assert_eq!(
        s(&c.liveness_probe),
        ("127.0.0.1".into(), "/livez".into(), 10259, 10, 10, 15, 8)
    );
    assert_eq!(
        s(&c.readiness_probe),
        ("127.0.0.1".into(), "/readyz".into(), 10259, 0, 1, 15, 3)
    );
    assert_eq!(
        s(&c.startup_probe),
        ("127.0.0.1".into(), "/livez".into(), 10259, 10, 10, 15, 24)
    );

    let etcd = etcd_pod(&cfg, &[]).unwrap();
    let c = container(&etcd);
    let s = |p: &Option<Probe>| probe_summary(c, p.as_ref().unwrap());
    assert_eq!(
        s(&c.liveness_probe),
        ("127.0.0.1".into(), "/livez".into(), 2381, 10, 10, 15, 8)
    );
    assert_eq!(
        s(&c.startup_probe),
        ("127.0.0.1".into(), "/readyz".into(), 2381, 10, 10, 15, 24)
    );
}

#[test]
fn every_static_pod_declares_one_tcp_probe_port_its_probes_name() {
    let cfg = config();
    let pods = [
        (pod(ControlPlaneComponent::ApiServer, &cfg), 6443),
        (pod(ControlPlaneComponent::ControllerManager, &cfg), 10257),
        (pod(ControlPlaneComponent::Scheduler, &cfg), 10259),
        (etcd_pod(&cfg, &[]).unwrap(), 2381),
    ];
    for (pod, port) in pods {
        let c = container(&pod);
        let ports: Vec<_> = c
            .ports
            .iter()
            .flatten()
            .map(|p| (p.name.as_deref(), p.container_port, p.protocol.as_deref()))
            .collect();
        assert_eq!(
            ports,
            [(Some("probe-port"), port, Some("TCP"))],
            "{}",
            c.name
        );
        for probe in [&c.liveness_probe, &c.readiness_probe, &c.startup_probe]
            .into_iter()
            .flatten()
        {
            assert_eq!(
                probe.http_get.as_ref().unwrap().port,
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(
                    "probe-port".into()
                ),
                "{}",
                c.name
            );
        }
    }
}

#[test]
fn startup_probe_threshold_covers_the_whole_health_check_timeout() {
    for (secs, threshold) in [(240, 24), (95, 10), (10, 1), (1, 1)] {
        let mut cfg = config();
        cfg.init.timeouts = Some(Timeouts {
            control_plane_component_health_check: Some(GoDuration(Duration::from_secs(secs))),
            ..Default::default()
        });
        let scheduler = pod(ControlPlaneComponent::Scheduler, &cfg);
        let startup = container(&scheduler).startup_probe.clone().unwrap();
        assert_eq!(startup.failure_threshold, Some(threshold), "{secs}s");
    }
}

#[test]
fn an_unspecified_bind_address_is_probed_on_the_pod_ip() {
    let mut cfg = config();
    cfg.cluster.scheduler.extra_args = args(&[("bind-address", "0.0.0.0")]);
    cfg.cluster.controller_manager.extra_args = args(&[("bind-address", "10.0.0.9")]);
    let scheduler = pod(ControlPlaneComponent::Scheduler, &cfg);
    let host = |p: &Pod| {
        container(p)
            .liveness_probe
            .clone()
            .unwrap()
            .http_get
            .unwrap()
            .host
    };
    assert_eq!(host(&scheduler), None);
    assert_eq!(
        host(&pod(ControlPlaneComponent::ControllerManager, &cfg)).as_deref(),
        Some("10.0.0.9")
    );
}

#[test]
fn ipv6_advertise_address_uses_ipv6_loopback_and_brackets() {
    let cfg = ipv6_config();
    let api = pod(ControlPlaneComponent::ApiServer, &cfg);
    assert!(has_flag(&api, "--etcd-servers=https://[::1]:2379"));
    assert!(has_flag(&api, "--advertise-address=fd00::10"));
    assert_eq!(
        api.metadata.annotations.unwrap()[API_SERVER_ENDPOINT_ANNOTATION],
        "[fd00::10]:6443"
    );
    let etcd = etcd_pod(&cfg, &[]).unwrap();
    assert!(has_flag(
        &etcd,
        "--listen-client-urls=https://[::1]:2379,https://[fd00::10]:2379"
    ));
    assert!(has_flag(&etcd, "--listen-metrics-urls=http://[::1]:2381"));
    assert!(has_flag(
        &etcd,
        "--initial-cluster=node-1=https://[fd00::10]:2380"
    ));
    let probe = container(&etcd)
        .liveness_probe
        .clone()
        .unwrap()
        .http_get
        .unwrap();
    assert_eq!(probe.host.as_deref(), Some("::1"));
}

#[test]
fn control_plane_volumes_without_and_with_distribution_ca_dirs() {
    let cfg = config();
    assert_eq!(
        volume_names(&pod(ControlPlaneComponent::ApiServer, &cfg)),
        ["ca-certs", "k8s-certs"]
    );
    assert_eq!(
        volume_names(&pod(ControlPlaneComponent::ControllerManager, &cfg)),
        ["ca-certs", "flexvolume-dir", "k8s-certs", "kubeconfig"]
    );
    assert_eq!(
        volume_names(&pod(ControlPlaneComponent::Scheduler, &cfg)),
        ["kubeconfig"]
    );

    let node = NodeEnvironment {
        ca_cert_dirs: vec![
            "/etc/pki/ca-trust".into(),
            "/usr/share/ca-certificates".into(),
        ],
        ..Default::default()
    };
    let api = control_plane_pod(ControlPlaneComponent::ApiServer, &cfg, &node).unwrap();
    assert_eq!(
        volume_names(&api),
        [
            "ca-certs",
            "etc-pki-ca-trust",
            "k8s-certs",
            "usr-share-ca-certificates"
        ]
    );
    let scheduler = control_plane_pod(ControlPlaneComponent::Scheduler, &cfg, &node).unwrap();
    assert_eq!(volume_names(&scheduler), ["kubeconfig"]);
}

#[test]
fn extra_volumes_add_mounts_and_replace_defaults_of_the_same_name() {
    let mut cfg = config();
    cfg.cluster.api_server.extra_volumes = vec![
        HostPathMount {
            name: "audit".into(),
            host_path: "/var/log/audit".into(),
            mount_path: "/audit".into(),
            read_only: false,
            path_type: String::new(),
        },
        HostPathMount {
            name: "ca-certs".into(),
            host_path: "/opt/certs".into(),
            mount_path: "/etc/ssl/certs".into(),
            read_only: true,
            path_type: "Directory".into(),
        },
    ];
    cfg.cluster.controller_manager.extra_args = args(&[("flex-volume-plugin-dir", "/opt/flex")]);
    let api = pod(ControlPlaneComponent::ApiServer, &cfg);
    assert_eq!(volume_names(&api), ["audit", "ca-certs", "k8s-certs"]);
    let spec = api.spec.unwrap();
    let volumes = spec.volumes.unwrap();
    let audit = volumes[0].host_path.clone().unwrap();
    // kubeadm passes the user's (possibly empty) path type through.
    assert_eq!(
        (audit.path.as_str(), audit.type_.as_deref()),
        ("/var/log/audit", Some(""))
    );
    let ca = volumes[1].host_path.clone().unwrap();
    assert_eq!(
        (ca.path.as_str(), ca.type_.as_deref()),
        ("/opt/certs", Some("Directory"))
    );
    let mounts = spec.containers[0].volume_mounts.clone().unwrap();
    assert_eq!(
        (mounts[0].mount_path.as_str(), mounts[0].read_only),
        ("/audit", None)
    );

    let kcm = pod(ControlPlaneComponent::ControllerManager, &cfg);
    let flex = kcm.spec.unwrap().volumes.unwrap()[1]
        .host_path
        .clone()
        .unwrap();
    assert_eq!(flex.path, "/opt/flex");
}

#[test]
fn environment_merges_proxy_variables_with_extra_envs_sorted_by_name() {
    let env = |n: &str, v: &str| EnvVar {
        name: n.into(),
        value: v.into(),
        value_from: None,
    };
    let mut cfg = config();
    cfg.cluster.api_server.extra_envs = vec![env("no_proxy", "10.0.0.0/8"), env("A_FLAG", "1")];
    let node = NodeEnvironment {
        proxy_env: vec![
            env("https_proxy", "http://proxy:3128"),
            env("no_proxy", "localhost"),
        ],
        ..Default::default()
    };
    let api = control_plane_pod(ControlPlaneComponent::ApiServer, &cfg, &node).unwrap();
    let got: Vec<(String, String)> = container(&api)
        .env
        .clone()
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.value.unwrap_or_default()))
        .collect();
    assert_eq!(
        got,
        [
            ("A_FLAG".to_string(), "1".to_string()),
            ("https_proxy".to_string(), "http://proxy:3128".to_string()),
            ("no_proxy".to_string(), "10.0.0.0/8".to_string()),
        ]
    );
    // etcd gets only its own extraEnvs, never the proxy.
    assert!(container(&etcd_pod(&cfg, &[]).unwrap()).env.is_none());
}

#[test]
fn static_pods_carry_kubeadm_pod_settings() {
    let api = pod(ControlPlaneComponent::ApiServer, &config());
    let labels = api.metadata.labels.clone().unwrap();
    assert_eq!(
        (labels["component"].as_str(), labels["tier"].as_str()),
        ("kube-apiserver", "control-plane")
    );
    assert_eq!(api.metadata.namespace.as_deref(), Some("kube-system"));
    let spec = api.spec.clone().unwrap();
    assert_eq!(spec.host_network, Some(true));
    assert_eq!(
        spec.priority_class_name.as_deref(),
        Some("system-node-critical")
    );
    assert_eq!(spec.priority, Some(2_000_001_000));
    assert_eq!(
        spec.security_context
            .unwrap()
            .seccomp_profile
            .unwrap()
            .type_,
        "RuntimeDefault"
    );
    let c = container(&api);
    assert_eq!(
        c.image.as_deref(),
        Some("registry.k8s.io/kube-apiserver:v1.34.2")
    );
    assert_eq!(c.image_pull_policy.as_deref(), Some("IfNotPresent"));
    let cpu = |p: &Pod| {
        container(p).resources.clone().unwrap().requests.unwrap()["cpu"]
            .0
            .clone()
    };
    assert_eq!(cpu(&api), "250m");
    assert_eq!(
        cpu(&pod(ControlPlaneComponent::ControllerManager, &config())),
        "200m"
    );
    assert_eq!(
        cpu(&pod(ControlPlaneComponent::Scheduler, &config())),
        "100m"
    );
}

#[test]
fn rendered_manifests() {
    let cfg = config();
    let events = Events::discard();
    let etcd = render_static_pod(ETCD, &etcd_pod(&cfg, &[]).unwrap(), None, &events).unwrap();
    insta::assert_snapshot!("etcd.yaml", etcd);
    let api = pod(ControlPlaneComponent::ApiServer, &cfg);
    let api = render_static_pod("kube-apiserver", &api, None, &events).unwrap();
    insta::assert_snapshot!("kube-apiserver.yaml", api);
}

#[test]
fn rendered_join_etcd_manifest() {
    let mut cfg = config();
    cfg.cluster.etcd.local.as_mut().unwrap().image_tag = "3.4.23-0".into();
    let members = [
        EtcdMember {
            name: "node-0".into(),
            peer_url: "https://10.0.0.1:2380".into(),
        },
        EtcdMember {
            name: "node-1".into(),
            peer_url: "https://192.168.0.10:2380".into(),
        },
    ];
    let pod = etcd_pod(&cfg, &members).unwrap();
    let etcd = render_static_pod(ETCD, &pod, None, &Events::discard()).unwrap();
    insta::assert_snapshot!("etcd-join-3.4.yaml", etcd);
}

#[test]
fn a_patch_that_breaks_the_pod_shape_is_refused() {
    let patches = patches::Patches {
        files: vec![
            patches::PatchFile::parse(
                "kube-scheduler+merge.yaml",
                "kube-scheduler",
                patches::PatchType::Merge,
                "spec:\n  containers: broken\n",
            )
            .unwrap(),
        ],
    };
    let err = render_static_pod(
        "kube-scheduler",
        &pod(ControlPlaneComponent::Scheduler, &config()),
        Some(&patches),
        &Events::discard(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("kube-scheduler: the patched manifest is not a valid Pod"),
        "{err}"
    );
}

#[test]
fn kubeadm_flags_env_is_one_go_quoted_line() {
    let mut cfg = config();
    let flags = |cfg: &InitConfig, hostname: &'static str, cri_flag: bool| {
        kubeadm_flags_env(&KubeletFlags {
            node_registration: &cfg.init.node_registration,
            pause_image: cfg.pause_image(),
            cri_socket_flag: cri_flag,
            register_taints: false,
            hostname,
        })
    };
    assert_eq!(
        flags(&cfg, "node-1", false),
        "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n"
    );
    assert_eq!(
        flags(&cfg, "other-host", true),
        "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock \
         --hostname-override=node-1 --pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n"
    );
    cfg.init.node_registration.kubelet_extra_args = args(&[
        ("node-labels", "a=\"b\""),
        ("pod-infra-container-image", "my/pause:1"),
        ("v", "4"),
    ]);
    assert_eq!(
        flags(&cfg, "node-1", false),
        "KUBELET_KUBEADM_ARGS=\"--node-labels=a=\\\"b\\\" --pod-infra-container-image=my/pause:1 --v=4\"\n"
    );
}

#[test]
fn node_name_precedence_is_hostname_then_name_then_hostname_override() {
    let mut reg = config().init.node_registration;
    reg.name = String::new();
    assert_eq!(node_name(&reg, "host"), "host");
    reg.name = "named".into();
    assert_eq!(node_name(&reg, "host"), "named");
    reg.kubelet_extra_args = args(&[("hostname-override", "override")]);
    assert_eq!(node_name(&reg, "host"), "override");
}

#[test]
fn go_quote_escapes_like_go() {
    for (input, quoted) in [
        ("plain", r#""plain""#),
        ("say \"hi\"", r#""say \"hi\"""#),
        ("back\\slash", r#""back\\slash""#),
        ("tab\tnew\nline", r#""tab\tnew\nline""#),
        ("\u{1}", r#""\x01""#),
        ("héllo", "\"héllo\""),
    ] {
        assert_eq!(go_quote(input), quoted);
    }
    assert_eq!(
        instance_config("unix:///run/containerd/containerd.sock"),
        "containerRuntimeEndpoint: \"unix:///run/containerd/containerd.sock\"\n"
    );
}

#[test]
fn kubelet_configuration_defaults() {
    let config = serde_json::Value::Object(kubelet_configuration(&config()));
    for (path, expected) in [
        (
            "/apiVersion",
            serde_json::json!("kubelet.config.k8s.io/v1beta1"),
        ),
        ("/kind", serde_json::json!("KubeletConfiguration")),
        (
            "/staticPodPath",
            serde_json::json!("/etc/kubernetes/manifests"),
        ),
        ("/clusterDNS", serde_json::json!(["10.96.0.10"])),
        ("/clusterDomain", serde_json::json!("cluster.local")),
        (
            "/authentication/x509/clientCAFile",
            serde_json::json!("/etc/kubernetes/pki/ca.crt"),
        ),
        (
            "/authentication/anonymous/enabled",
            serde_json::json!(false),
        ),
        ("/authentication/webhook/enabled", serde_json::json!(true)),
        ("/authentication/webhook/cacheTTL", serde_json::json!("0s")),
        ("/authorization/mode", serde_json::json!("Webhook")),
        ("/healthzBindAddress", serde_json::json!("127.0.0.1")),
        ("/healthzPort", serde_json::json!(10248)),
        ("/rotateCertificates", serde_json::json!(true)),
        ("/cgroupDriver", serde_json::json!("systemd")),
        ("/containerRuntimeEndpoint", serde_json::json!("")),
    ] {
        assert_eq!(config.pointer(path), Some(&expected), "{path}");
    }
    assert_eq!(config.get("resolvConf"), None);
}

#[test]
fn kubelet_configuration_keeps_user_values_and_warns_where_kubeadm_disagrees() {
    let mut cfg = ipv6_config();
    cfg.kubelet = Some(
        serde_json::json!({
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "cgroupDriver": "cgroupfs",
            "rotateCertificates": false,
            "healthzPort": 12345,
            "clusterDNS": ["10.0.0.10"],
            "authentication": {"webhook": {"cacheTTL": "2m0s"}},
            "readOnlyPort": 10255
        })
        .as_object()
        .cloned()
        .unwrap(),
    );
    let mut d = defaulted_kubelet_configuration(&cfg);
    let c = &d.config;
    assert_eq!(c["cgroupDriver"], "cgroupfs");
    assert_eq!(c["rotateCertificates"], true);
    assert_eq!(c["healthzPort"], 12345);
    assert_eq!(c["clusterDNS"], serde_json::json!(["10.0.0.10"]));
    assert_eq!(c["authentication"]["webhook"]["cacheTTL"], "2m0s");
    assert_eq!(c["authentication"]["webhook"]["enabled"], true);
    assert_eq!(
        d.warnings,
        [
            "The recommended value for \"clusterDNS\" in \"KubeletConfiguration\" is: [fd00:10:96::a]; the provided value is: [10.0.0.10]",
            "The recommended value for \"healthzPort\" in \"KubeletConfiguration\" is: 10248; the provided value is: 12345",
            "The recommended value for \"readOnlyPort\" in \"KubeletConfiguration\" is: 0; the provided value is: 10255",
        ]
    );
    apply_systemd_resolved(&mut d);
    assert_eq!(
        d.config["resolvConf"],
        components::SYSTEMD_RESOLVED_RESOLV_CONF
    );
}

/// `kubeadm config print init-defaults --component-configs KubeProxyConfiguration`'s kube-proxy
/// document (kubeadm v1.34): every field Go serializes, zero values included.
const KUBEADM_KUBE_PROXY_DEFAULTS: &str = r#"apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: ""
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpBeLiberal: false
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: ""
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""
"#;

#[test]
fn kube_proxy_configuration_defaults() {
    let c = kube_proxy_configuration(&config());
    assert_eq!(
        to_yaml(&serde_json::Value::Object(c)).unwrap(),
        KUBEADM_KUBE_PROXY_DEFAULTS
    );
    let mut cfg = config();
    cfg.cluster.networking.pod_subnet = "10.244.0.0/16".into();
    let c = kube_proxy_configuration(&cfg);
    assert_eq!(c["clusterCIDR"], "10.244.0.0/16");
    let c = kube_proxy_configuration(&ipv6_config());
    assert_eq!(c["bindAddress"], "::");
    assert_eq!(c["clusterCIDR"], "");
}

#[test]
fn kube_proxy_configuration_keeps_user_values_among_the_zero_values() {
    let mut cfg = config();
    cfg.kube_proxy = Some(
        serde_json::json!({"mode": "nftables", "conntrack": {"maxPerCore": 0}})
            .as_object()
            .cloned()
            .unwrap(),
    );
    let c = kube_proxy_configuration(&cfg);
    assert_eq!(c["mode"], "nftables");
    assert_eq!(c["conntrack"]["maxPerCore"], 0);
    assert_eq!(c["conntrack"]["min"], serde_json::Value::Null);
    assert_eq!(c["conntrack"]["udpTimeout"], "0s");
}

#[test]
fn node_environment_sees_distribution_ca_dirs_and_an_external_ca() {
    let dir = tempfile::tempdir().unwrap();
    let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
    let cfg = config();
    std::fs::create_dir_all(dir.path().join("etc/pki/ca-trust")).unwrap();
    std::fs::create_dir_all(dir.path().join("usr/local/share/ca-certificates")).unwrap();
    let node = NodeEnvironment::detect(&root, &cfg);
    assert_eq!(
        node.ca_cert_dirs,
        ["/etc/pki/ca-trust", "/usr/local/share/ca-certificates"]
    );
    assert!(!node.external_ca, "no CA at all is not an external CA");

    let pki = dir.path().join("etc/kubernetes/pki");
    std::fs::create_dir_all(&pki).unwrap();
    std::fs::write(pki.join("ca.crt"), "cert").unwrap();
    assert!(NodeEnvironment::detect(&root, &cfg).external_ca);
    std::fs::write(pki.join("ca.key"), "key").unwrap();
    assert!(!NodeEnvironment::detect(&root, &cfg).external_ca);
}

#[test]
fn probe_hosts_are_written_plain_as_kubeadm_writes_them() {
    let events = Events::discard();
    let api = pod(ControlPlaneComponent::ApiServer, &config());
    let api = render_static_pod("kube-apiserver", &api, None, &events).unwrap();
    assert_eq!(
        api.matches("        host: 192.168.0.10\n").count(),
        3,
        "{api}"
    );
    let etcd = etcd_pod(&ipv6_config(), &[]).unwrap();
    let etcd = render_static_pod(ETCD, &etcd, None, &events).unwrap();
    assert_eq!(etcd.matches("        host: ::1\n").count(), 3, "{etcd}");
    for yaml in [api, etcd] {
        assert!(
            !yaml.contains("host: \"") && !yaml.contains("host: '"),
            "{yaml}"
        );
    }
}
