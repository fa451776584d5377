use super::*;
use crate::config::{
    default_cluster_configuration, default_init_configuration, default_join_configuration,
};

/// kubeadm's printed defaults: valid as they are.
fn valid_init() -> InitConfig {
    InitConfig {
        init: default_init_configuration(),
        cluster: default_cluster_configuration(),
        kubelet: None,
        kube_proxy: None,
        plugins: None,
    }
}

fn valid_join() -> JoinConfiguration {
    default_join_configuration()
}

fn arg(name: &str, value: &str) -> Arg {
    Arg {
        name: name.into(),
        value: value.into(),
    }
}

fn errors_of(result: Result<Vec<String>, ConfigError>) -> Vec<String> {
    match result {
        Err(ConfigError::Invalid(errors)) => errors,
        other => panic!("expected validation errors, got {other:?}"),
    }
}

type InitMutation = fn(&mut InitConfig);
type InitCase = (&'static str, InitMutation, &'static str);

#[test]
fn printed_defaults_are_valid_without_warnings() {
    assert_eq!(validate_init(&valid_init()), Ok(vec![]));
    assert_eq!(validate_join(&valid_join()), Ok(vec![]));
}

#[test]
fn each_init_rule_reports_its_field_value_and_expectation() {
    let cases: &[InitCase] = &[
        (
            "advertise address not an IP",
            |c| c.init.local_api_endpoint.advertise_address = "not-an-ip".into(),
            r#"localAPIEndpoint.advertiseAddress: "not-an-ip" is not an IP address; expected an IPv4 or IPv6 address"#,
        ),
        (
            "bind port zero",
            |c| c.init.local_api_endpoint.bind_port = 0,
            r#"localAPIEndpoint.bindPort: "0" is not a valid port; expected a number between 1 and 65535"#,
        ),
        (
            "bind port too high",
            |c| c.init.local_api_endpoint.bind_port = 65536,
            r#"localAPIEndpoint.bindPort: "65536""#,
        ),
        (
            "endpoint host with underscore",
            |c| c.cluster.control_plane_endpoint = "bad_host:6443".into(),
            r#"controlPlaneEndpoint: "bad_host:6443" is not a valid endpoint (host "bad_host" is neither"#,
        ),
        (
            "endpoint port out of range",
            |c| c.cluster.control_plane_endpoint = "cp.example.com:99999".into(),
            r#"port "99999" is not a number between 1 and 65535"#,
        ),
        (
            "service subnet prefix too long",
            |c| c.cluster.networking.service_subnet = "10.96.0.0/33".into(),
            r#"networking.serviceSubnet: "10.96.0.0/33" is not a valid CIDR; expected a CIDR such as"#,
        ),
        (
            "pod subnet prefix too long",
            |c| c.cluster.networking.pod_subnet = "10.244.0.0/33".into(),
            r#"networking.podSubnet: "10.244.0.0/33" is not a valid CIDR"#,
        ),
        (
            "service subnet too small",
            |c| c.cluster.networking.service_subnet = "10.96.0.0/29".into(),
            r#"networking.serviceSubnet: "10.96.0.0/29" is a subnet with only 8 address(es); expected at least 10 addresses"#,
        ),
        (
            "service subnet too large",
            |c| c.cluster.networking.service_subnet = "10.0.0.0/11".into(),
            r#"networking.serviceSubnet: "10.0.0.0/11" is too large a service subnet; expected a mask of at least /12 for 32-bit addresses"#,
        ),
        (
            "service subnet too large v6",
            |c| c.cluster.networking.service_subnet = "fd00::/107".into(),
            "expected a mask of at least /108 for 128-bit addresses",
        ),
        (
            "two service subnets of one family",
            |c| c.cluster.networking.service_subnet = "10.96.0.0/12,10.112.0.0/12".into(),
            "is not one CIDR or a dual-stack pair",
        ),
        (
            "three service subnets",
            |c| {
                c.cluster.networking.service_subnet = "10.96.0.0/12,fd00::/108,10.112.0.0/12".into()
            },
            "is not one CIDR or a dual-stack pair",
        ),
        (
            "pod subnet too small",
            |c| c.cluster.networking.pod_subnet = "10.244.0.0/29".into(),
            "only 8 address(es); expected at least 14 addresses",
        ),
        (
            "pod subnet narrower than node mask",
            |c| c.cluster.networking.pod_subnet = "10.244.0.0/25".into(),
            r#"networking.podSubnet: "10.244.0.0/25" is smaller than a node subnet (/25 is narrower than the node mask /24)"#,
        ),
        (
            "pod subnet too wide for node mask",
            |c| c.cluster.networking.pod_subnet = "10.0.0.0/7".into(),
            "too large for node mask /24 (more than 16 bits apart); expected a mask of at least /8",
        ),
        (
            "v6 pod subnet narrower than node mask",
            |c| c.cluster.networking.pod_subnet = "fd00::/65".into(),
            "narrower than the node mask /64",
        ),
        (
            "node mask not a number",
            |c| {
                c.cluster.networking.pod_subnet = "10.244.0.0/16".into();
                c.cluster.controller_manager.extra_args =
                    vec![arg("node-cidr-mask-size-ipv4", "big")];
            },
            r#"controllerManager.extraArgs.node-cidr-mask-size-ipv4: "big" is not an integer"#,
        ),
        (
            "dns domain upper case",
            |c| c.cluster.networking.dns_domain = "Cluster.Local".into(),
            r#"networking.dnsDomain: "Cluster.Local" is not a valid DNS domain; expected a DNS-1123 subdomain"#,
        ),
        (
            "cert SAN with underscore",
            |c| c.cluster.api_server.cert_sans = vec!["bad_name".into()],
            r#"apiServer.certSANs: "bad_name" is not a valid subject alternative name"#,
        ),
        (
            "node name with capitals",
            |c| c.init.node_registration.name = "Node_1".into(),
            r#"nodeRegistration.name: "Node_1" is not a valid node name; expected a DNS-1123 subdomain"#,
        ),
        (
            "node name empty",
            |c| c.init.node_registration.name.clear(),
            "nodeRegistration.name: is empty and could not be detected",
        ),
        (
            "CRI socket with tcp scheme",
            |c| c.init.node_registration.cri_socket = "tcp://10.0.0.1:2375".into(),
            r#"nodeRegistration.criSocket: "tcp://10.0.0.1:2375" is using URL scheme "tcp"; expected a unix:// URL"#,
        ),
        (
            "CRI socket relative path",
            |c| c.init.node_registration.cri_socket = "run/containerd.sock".into(),
            r#"nodeRegistration.criSocket: "run/containerd.sock" is neither a URL nor an absolute path; expected a unix:// URL"#,
        ),
        (
            "CRI socket empty",
            |c| c.init.node_registration.cri_socket.clear(),
            r#"nodeRegistration.criSocket: "" is empty; expected a unix:// URL"#,
        ),
        (
            "taint effect",
            |c| {
                c.init.node_registration.taints = Some(vec![Taint {
                    key: "a".into(),
                    effect: "Bogus".into(),
                    ..Default::default()
                }])
            },
            r#"nodeRegistration.taints[0].effect: "Bogus" is not a taint effect; expected NoSchedule, PreferNoSchedule, NoExecute (kubeadm accepts this value here, but the API server refuses a taint without a valid effect once the node is registered"#,
        ),
        (
            "taint key",
            |c| {
                c.init.node_registration.taints = Some(vec![Taint {
                    key: "-bad".into(),
                    effect: "NoSchedule".into(),
                    ..Default::default()
                }])
            },
            r#"nodeRegistration.taints[0].key: "-bad" is not a valid taint key"#,
        ),
        (
            "pull policy",
            |c| c.init.node_registration.image_pull_policy = "Sometimes".into(),
            r#"nodeRegistration.imagePullPolicy: "Sometimes" is not a pull policy; expected Always, IfNotPresent, Never"#,
        ),
        (
            "kubelet extra arg without name",
            |c| c.init.node_registration.kubelet_extra_args = vec![arg("", "x")],
            "nodeRegistration.kubeletExtraArgs[0].name: is empty",
        ),
        (
            "ignore all with others",
            |c| {
                c.init.node_registration.ignore_preflight_errors = vec!["all".into(), "Swap".into()]
            },
            r#"ignore-preflight-errors: "all,swap" is mixing 'all' with individual checks"#,
        ),
        (
            "version too old",
            |c| c.cluster.kubernetes_version = "v1.20.0".into(),
            r#"kubernetesVersion: "v1.20.0" is older than the control plane versions this kubeadm-rs deploys; expected v1.33.0 or newer"#,
        ),
        (
            "version not a version",
            |c| c.cluster.kubernetes_version = "banana".into(),
            r#"kubernetesVersion: "banana" is not a valid version; expected a version such as v1.34.2"#,
        ),
        (
            "unknown feature gate",
            |c| {
                c.cluster.feature_gates.insert("Foo".into(), true);
            },
            r#"featureGates: "Foo" is an unrecognized feature-gate key; expected one of ControlPlaneKubeletLocalMode, NodeLocalCRISocket, PublicKeysECDSA, RootlessControlPlane"#,
        ),
        (
            "encryption algorithm",
            |c| c.cluster.encryption_algorithm = "DSA".into(),
            r#"encryptionAlgorithm: "DSA" is not a supported encryption algorithm; expected RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384"#,
        ),
        (
            "zero certificate validity",
            |c| c.cluster.certificate_validity_period = Some(GoDuration::from_secs(0)),
            r#"certificateValidityPeriod: "0s" is not positive"#,
        ),
        (
            "zero CA validity",
            |c| c.cluster.ca_certificate_validity_period = Some(GoDuration::from_secs(0)),
            r#"caCertificateValidityPeriod: "0s" is not positive"#,
        ),
        (
            "malformed token",
            |c| c.init.bootstrap_tokens[0].token = "abcdef.TOOSHORT".into(),
            "bootstrapTokens[0].token: the value is not a valid bootstrap token; expected a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}",
        ),
        (
            "token usage",
            |c| c.init.bootstrap_tokens[0].usages.push("pizza".into()),
            r#"bootstrapTokens[0].usages: "pizza" is not a bootstrap token usage; expected signing, authentication"#,
        ),
        (
            "token group",
            |c| c.init.bootstrap_tokens[0].groups = vec!["system:masters".into()],
            r#"bootstrapTokens[0].groups: "system:masters" is not a bootstrap token group"#,
        ),
        (
            "groups without authentication",
            |c| c.init.bootstrap_tokens[0].usages = vec!["signing".into()],
            r#"bootstrapTokens[0].groups: token groups cannot be specified unless usages includes "authentication""#,
        ),
        (
            "ttl and expires",
            |c| c.init.bootstrap_tokens[0].expires = Some("2030-01-02T15:04:05Z".into()),
            "bootstrapTokens[0]: ttl and expires are both set; expected at most one of them",
        ),
        (
            "expires not a time",
            |c| {
                c.init.bootstrap_tokens[0].ttl = None;
                c.init.bootstrap_tokens[0].expires = Some("tomorrow".into());
            },
            r#"bootstrapTokens[0].expires: "tomorrow" is not a timestamp; expected an RFC 3339 time"#,
        ),
        (
            "certificate key",
            |c| c.init.certificate_key = "abcd".into(),
            "certificateKey: the value is not a hex-encoded 32-byte AES key; expected 64 hexadecimal characters",
        ),
        (
            "etcd local and external",
            |c| {
                c.cluster.etcd.external = Some(ExternalEtcd {
                    endpoints: vec!["https://e:2379".into()],
                    ..Default::default()
                })
            },
            "etcd: local and external are both set; expected exactly one",
        ),
        (
            "etcd neither",
            |c| c.cluster.etcd.local = None,
            "etcd: neither local nor external is set; expected exactly one",
        ),
        (
            "etcd data dir relative",
            |c| c.cluster.etcd.local.as_mut().unwrap().data_dir = "var/lib/etcd".into(),
            r#"etcd.local.dataDir: "var/lib/etcd" is not an absolute path"#,
        ),
        (
            "etcd server SAN",
            |c| c.cluster.etcd.local.as_mut().unwrap().server_cert_sans = vec!["a b".into()],
            r#"etcd.local.serverCertSANs: "a b" is not a valid subject alternative name"#,
        ),
        (
            "etcd extra arg without name",
            |c| c.cluster.etcd.local.as_mut().unwrap().extra_args = vec![arg("", "1")],
            "etcd.local.extraArgs[0].name: is empty",
        ),
        (
            "external etcd cert without key",
            |c| {
                c.cluster.etcd.local = None;
                c.cluster.etcd.external = Some(ExternalEtcd {
                    endpoints: vec!["https://e:2379".into()],
                    ca_file: "/ca.crt".into(),
                    cert_file: "/c.crt".into(),
                    ..Default::default()
                });
            },
            "etcd.external: only one of certFile and keyFile is set; expected both or neither",
        ),
        (
            "external etcd cert and key without CA",
            |c| {
                c.cluster.etcd.local = None;
                c.cluster.etcd.external = Some(ExternalEtcd {
                    endpoints: vec!["https://e:2379".into()],
                    cert_file: "/c.crt".into(),
                    key_file: "/c.key".into(),
                    ..Default::default()
                });
            },
            "etcd.external: certFile and keyFile are set without caFile; expected caFile as well",
        ),
        (
            "external etcd http with TLS",
            |c| {
                c.cluster.etcd.local = None;
                c.cluster.etcd.external = Some(ExternalEtcd {
                    endpoints: vec!["http://e:2379".into()],
                    ca_file: "/ca.crt".into(),
                    ..Default::default()
                });
            },
            r#"etcd.external.endpoints: "http://e:2379" is not an HTTPS URL while TLS files are set; expected an https:// URL"#,
        ),
        (
            "external etcd endpoint without scheme",
            |c| {
                c.cluster.etcd.local = None;
                c.cluster.etcd.external = Some(ExternalEtcd {
                    endpoints: vec!["10.0.0.2:2379".into()],
                    ..Default::default()
                });
            },
            r#"etcd.external.endpoints: "10.0.0.2:2379" is a URL without a scheme"#,
        ),
        (
            "external etcd without endpoints",
            |c| {
                c.cluster.etcd.local = None;
                c.cluster.etcd.external = Some(ExternalEtcd::default());
            },
            "etcd.external.endpoints: is empty; expected at least one etcd client URL",
        ),
        (
            "external etcd relative CA",
            |c| {
                c.cluster.etcd.local = None;
                c.cluster.etcd.external = Some(ExternalEtcd {
                    endpoints: vec!["https://e:2379".into()],
                    ca_file: "ca.crt".into(),
                    ..Default::default()
                });
            },
            r#"etcd.external.caFile: "ca.crt" is not an absolute path"#,
        ),
        (
            "api server extra arg without name",
            |c| c.cluster.api_server.extra_args = vec![arg("", "x")],
            "apiServer.extraArgs[0].name: is empty",
        ),
        (
            "scheduler volume relative host path",
            |c| {
                c.cluster.scheduler.extra_volumes = vec![HostPathMount {
                    name: "v".into(),
                    host_path: "etc".into(),
                    mount_path: "/etc".into(),
                    ..Default::default()
                }]
            },
            r#"scheduler.extraVolumes[0].hostPath: "etc" is not an absolute path"#,
        ),
        (
            "volume path type",
            |c| {
                c.cluster.controller_manager.extra_volumes = vec![HostPathMount {
                    name: "v".into(),
                    host_path: "/a".into(),
                    mount_path: "/a".into(),
                    path_type: "Folder".into(),
                    ..Default::default()
                }]
            },
            r#"controllerManager.extraVolumes[0].pathType: "Folder" is not a host path type; expected DirectoryOrCreate, Directory"#,
        ),
        (
            "volume name",
            |c| {
                c.cluster.api_server.extra_volumes = vec![HostPathMount {
                    name: "My_Vol".into(),
                    host_path: "/a".into(),
                    mount_path: "/a".into(),
                    ..Default::default()
                }]
            },
            r#"apiServer.extraVolumes[0].name: "My_Vol" is not a valid volume name"#,
        ),
        (
            "env without name",
            |c| {
                c.cluster.api_server.extra_envs = vec![EnvVar {
                    value: "1".into(),
                    ..Default::default()
                }]
            },
            "apiServer.extraEnvs[0].name: is empty",
        ),
        (
            "certificates dir relative",
            |c| c.cluster.certificates_dir = "pki".into(),
            r#"certificatesDir: "pki" is not an absolute path; expected /etc/kubernetes/pki"#,
        ),
        (
            "image repository empty",
            |c| c.cluster.image_repository.clear(),
            r#"imageRepository: "" is not a valid image repository"#,
        ),
        (
            "image repository with underscore host",
            |c| c.cluster.image_repository = "my_repo:5000".into(),
            r#"imageRepository: "my_repo:5000" is not a valid image repository"#,
        ),
        (
            "dns image repository",
            |c| c.cluster.dns.image_repository = "Registry/Bad".into(),
            r#"dns.imageRepository: "Registry/Bad" is not a valid image repository"#,
        ),
        (
            "zero timeout",
            |c| {
                c.init.timeouts.as_mut().unwrap().kubelet_health_check =
                    Some(GoDuration::from_secs(0))
            },
            r#"timeouts.kubeletHealthCheck: "0s" is not positive"#,
        ),
        (
            "patches without directory",
            |c| c.init.patches = Some(Patches::default()),
            "patches.directory: is empty",
        ),
        (
            "cluster name empty",
            |c| c.cluster.cluster_name.clear(),
            "clusterName: is empty",
        ),
    ];
    for (name, mutate, expected) in cases {
        let mut cfg = valid_init();
        mutate(&mut cfg);
        let errors = errors_of(validate_init(&cfg));
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{name}: expected an error containing {expected:?}, got {errors:?}"
        );
        assert!(
            errors.iter().all(|e| !e.contains('\n')),
            "{name}: multi-line error {errors:?}"
        );
    }
}

#[test]
fn accepted_values_pass() {
    let cases: &[(&str, InitMutation)] = &[
        ("endpoint DNS name without port", |c| {
            c.cluster.control_plane_endpoint = "cp.example.com".into()
        }),
        ("endpoint IPv4 with port", |c| {
            c.cluster.control_plane_endpoint = "10.0.0.1:6443".into()
        }),
        ("endpoint bracketed IPv6 with port", |c| {
            c.cluster.control_plane_endpoint = "[fd00::1]:6443".into()
        }),
        ("endpoint bare IPv6", |c| {
            c.cluster.control_plane_endpoint = "fd00::1".into()
        }),
        ("dual-stack service subnets", |c| {
            c.cluster.networking.service_subnet = "10.96.0.0/12,fd00::/108".into()
        }),
        ("pod subnet /16", |c| {
            c.cluster.networking.pod_subnet = "10.244.0.0/16".into()
        }),
        ("narrow pod subnet without node CIDR allocation", |c| {
            c.cluster.networking.pod_subnet = "10.244.0.0/25".into();
            c.cluster.controller_manager.extra_args = vec![arg("allocate-node-cidrs", "false")];
        }),
        ("narrow pod subnet with a narrower node mask", |c| {
            c.cluster.networking.pod_subnet = "10.244.0.0/25".into();
            c.cluster.controller_manager.extra_args = vec![arg("node-cidr-mask-size-ipv4", "26")];
        }),
        ("SANs of every kind", |c| {
            c.cluster.api_server.cert_sans = vec![
                "*.example.com".into(),
                "10.0.0.1".into(),
                "fd00::1".into(),
                "api.example.com".into(),
            ]
        }),
        ("registry with port and path", |c| {
            c.cluster.image_repository = "registry.example.com:5000/k8s".into()
        }),
        ("no taints", |c| {
            c.init.node_registration.taints = Some(vec![])
        }),
        ("expires instead of ttl", |c| {
            c.init.bootstrap_tokens[0].ttl = None;
            c.init.bootstrap_tokens[0].expires = Some("2030-01-02T15:04:05.5+02:00".into());
        }),
        ("certificate key", |c| {
            c.init.certificate_key =
                "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef".into()
        }),
        ("external etcd over http without TLS", |c| {
            c.cluster.etcd.local = None;
            c.cluster.etcd.external = Some(ExternalEtcd {
                endpoints: vec!["http://10.0.0.2:2379".into()],
                ..Default::default()
            });
        }),
        ("ECDSA-P384", |c| {
            c.cluster.encryption_algorithm = "ECDSA-P384".into()
        }),
        ("previous minor", |c| {
            c.cluster.kubernetes_version = "v1.33.0".into()
        }),
    ];
    for (name, mutate) in cases {
        let mut cfg = valid_init();
        mutate(&mut cfg);
        assert_eq!(validate_init(&cfg), Ok(vec![]), "{name}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut cfg = valid_init();
    cfg.init.local_api_endpoint.advertise_address = "x".into();
    cfg.cluster.networking.pod_subnet = "10.244.0.0/33".into();
    cfg.cluster.encryption_algorithm = "DSA".into();
    cfg.init.node_registration.name = "Bad Name".into();
    let errors = errors_of(validate_init(&cfg));
    assert_eq!(errors.len(), 4, "{errors:?}");
    let joined = ConfigError::Invalid(errors).to_string();
    assert!(!joined.contains('\n'));
}

#[test]
fn secrets_are_never_echoed() {
    let mut cfg = valid_init();
    cfg.init.bootstrap_tokens[0].token = "secret.valuethatiswrong".into();
    cfg.init.certificate_key = "supersecretkeymaterial".into();
    let text = ConfigError::Invalid(errors_of(validate_init(&cfg))).to_string();
    assert!(!text.contains("secret.value"), "{text}");
    assert!(!text.contains("supersecretkeymaterial"), "{text}");
}

#[test]
fn warnings_follow_kubeadm() {
    let cases: &[InitCase] = &[
        (
            "newer minor than ours",
            |c| c.cluster.kubernetes_version = "v1.35.0".into(),
            "Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes version: v1.35.0. Kubeadm version: 1.34.x",
        ),
        (
            "deprecated gate",
            |c| {
                c.cluster
                    .feature_gates
                    .insert("PublicKeysECDSA".into(), true);
            },
            "Setting deprecated feature gate PublicKeysECDSA=true. It will be removed in a future release",
        ),
        (
            "leaf validity above recommendation",
            |c| c.cluster.certificate_validity_period = Some(GoDuration::hours(17520)),
            "certificateValidityPeriod: the value 17520h0m0s is more than the recommended default for certificate expiration: 8760h0m0s",
        ),
        (
            "CA validity above recommendation",
            |c| c.cluster.ca_certificate_validity_period = Some(GoDuration::hours(200_000)),
            "caCertificateValidityPeriod: the value 200000h0m0s is more than the recommended default for CA certificate expiration: 87600h0m0s",
        ),
        (
            "leaf outlives CA",
            |c| {
                c.cluster.certificate_validity_period = Some(GoDuration::hours(8000));
                c.cluster.ca_certificate_validity_period = Some(GoDuration::hours(4000));
            },
            "certificateValidityPeriod: the value 8000h0m0s is longer than caCertificateValidityPeriod 4000h0m0s",
        ),
        (
            "site-local IPv6 service subnet",
            |c| c.cluster.networking.service_subnet = "fec0::/108".into(),
            "networking.serviceSubnet: the subnet fec0::/108 contains IPv6 site-local addresses",
        ),
    ];
    for (name, mutate, expected) in cases {
        let mut cfg = valid_init();
        mutate(&mut cfg);
        let warnings = validate_init(&cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            warnings.iter().any(|w| w.contains(expected)),
            "{name}: expected a warning containing {expected:?}, got {warnings:?}"
        );
    }
}

#[test]
fn cluster_configuration_validates_alone() {
    let mut cluster = default_cluster_configuration();
    assert_eq!(validate_cluster(&cluster), Ok(vec![]));
    cluster.networking.service_subnet = "nope".into();
    assert!(errors_of(validate_cluster(&cluster))[0].starts_with("networking.serviceSubnet:"));
}

type JoinCase = (&'static str, fn(&mut JoinConfiguration), &'static str);

#[test]
fn each_join_rule_reports_its_field_value_and_expectation() {
    fn file(c: &mut JoinConfiguration, path: &str) {
        c.discovery.bootstrap_token = None;
        c.discovery.file = Some(FileDiscovery {
            kube_config_path: path.into(),
        });
    }
    let cases: &[JoinCase] = &[
        (
            "no discovery",
            |c| c.discovery.bootstrap_token = None,
            "discovery: neither bootstrapToken nor file is set; expected exactly one",
        ),
        (
            "both discoveries",
            |c| {
                c.discovery.file = Some(FileDiscovery {
                    kube_config_path: "/d.conf".into(),
                })
            },
            "discovery: bootstrapToken and file are both set; expected exactly one",
        ),
        (
            "endpoint missing",
            |c| {
                c.discovery
                    .bootstrap_token
                    .as_mut()
                    .unwrap()
                    .api_server_endpoint
                    .clear()
            },
            "discovery.bootstrapToken.apiServerEndpoint: is not set",
        ),
        (
            "endpoint without port",
            |c| {
                c.discovery
                    .bootstrap_token
                    .as_mut()
                    .unwrap()
                    .api_server_endpoint = "10.0.0.1".into()
            },
            r#"discovery.bootstrapToken.apiServerEndpoint: "10.0.0.1" is not a host:port (address 10.0.0.1: missing port in address)"#,
        ),
        (
            "IPv6 endpoint without brackets",
            |c| {
                c.discovery
                    .bootstrap_token
                    .as_mut()
                    .unwrap()
                    .api_server_endpoint = "fd00::1:6443".into()
            },
            "too many colons in address",
        ),
        (
            "no CA pin without opting out",
            |c| {
                c.discovery
                    .bootstrap_token
                    .as_mut()
                    .unwrap()
                    .unsafe_skip_ca_verification = false
            },
            "discovery.bootstrapToken.caCertHashes: using token-based discovery without caCertHashes can be unsafe",
        ),
        (
            "malformed CA hash",
            |c| {
                c.discovery.bootstrap_token.as_mut().unwrap().ca_cert_hashes =
                    vec!["sha256:abc".into()]
            },
            r#"discovery.bootstrapToken.caCertHashes: "sha256:abc" is not a CA public key hash; expected sha256:<64 hexadecimal characters> (kubeadm accepts this value here and refuses it only during discovery; kubeadm-rs checks the pin before it contacts the cluster)"#,
        ),
        (
            "unknown hash type",
            |c| {
                c.discovery.bootstrap_token.as_mut().unwrap().ca_cert_hashes =
                    vec![format!("md5:{}", "a".repeat(64))]
            },
            "is not a CA public key hash",
        ),
        (
            "discovery token",
            |c| c.discovery.bootstrap_token.as_mut().unwrap().token = "nope".into(),
            "discovery.bootstrapToken.token: the value is not a valid bootstrap token",
        ),
        (
            "TLS bootstrap token",
            |c| c.discovery.tls_bootstrap_token = "nope".into(),
            "discovery.tlsBootstrapToken: the value is not a valid bootstrap token",
        ),
        (
            "file discovery over http",
            |c| file(c, "http://example.com/cluster-info.yaml"),
            r#"discovery.file.kubeConfigPath: "http://example.com/cluster-info.yaml" is a http:// URL; expected a kubeconfig file path or an https:// URL"#,
        ),
        (
            "file discovery empty",
            |c| file(c, ""),
            "discovery.file.kubeConfigPath: is empty",
        ),
        (
            "file discovery: a file that is not there",
            |c| file(c, "/nonexistent/discovery.conf"),
            r#"discovery.file.kubeConfigPath: "/nonexistent/discovery.conf" is not a valid HTTPS URL or a file on disk (no such file)"#,
        ),
        (
            "file discovery: a relative file that is not there",
            |c| file(c, "discovery/nonexistent.conf"),
            r#"discovery.file.kubeConfigPath: "discovery/nonexistent.conf" is not a valid HTTPS URL or a file on disk (no such file)"#,
        ),
        (
            "file discovery: a URL with a bad port",
            |c| file(c, "https://10.0.0.5:port/cluster-info.yaml"),
            r#"discovery.file.kubeConfigPath: "https://10.0.0.5:port/cluster-info.yaml" is not a valid HTTPS URL or a file on disk (invalid port ":port" after host)"#,
        ),
        (
            "file discovery: a URL with a bad escape",
            |c| file(c, "https://10.0.0.5/cluster%zzinfo.yaml"),
            r#"is not a valid HTTPS URL or a file on disk (invalid URL escape "%zz")"#,
        ),
        (
            "file discovery: no scheme before ://",
            |c| file(c, "://10.0.0.5/cluster-info.yaml"),
            "is not a valid HTTPS URL or a file on disk (missing protocol scheme)",
        ),
        (
            "CA path relative",
            |c| c.ca_cert_path = "pki/ca.crt".into(),
            r#"caCertPath: "pki/ca.crt" is not an absolute path to a .crt file; expected /etc/kubernetes/pki/ca.crt"#,
        ),
        (
            "CA path not .crt",
            |c| c.ca_cert_path = "/etc/kubernetes/pki/ca.pem".into(),
            "caCertPath:",
        ),
        (
            "control plane advertise address",
            |c| {
                c.control_plane = Some(JoinControlPlane {
                    local_api_endpoint: ApiEndpoint {
                        advertise_address: "".into(),
                        bind_port: 6443,
                    },
                    certificate_key: String::new(),
                })
            },
            r#"controlPlane.localAPIEndpoint.advertiseAddress: "" is not an IP address"#,
        ),
        (
            "control plane certificate key",
            |c| {
                c.control_plane = Some(JoinControlPlane {
                    local_api_endpoint: ApiEndpoint {
                        advertise_address: "10.0.0.2".into(),
                        bind_port: 6443,
                    },
                    certificate_key: "zz".into(),
                })
            },
            "controlPlane.certificateKey: the value is not a hex-encoded 32-byte AES key",
        ),
        (
            "node name",
            |c| c.node_registration.name = "UPPER".into(),
            r#"nodeRegistration.name: "UPPER" is not a valid node name"#,
        ),
        (
            "zero discovery timeout",
            |c| c.timeouts.as_mut().unwrap().discovery = Some(GoDuration::from_secs(0)),
            r#"timeouts.discovery: "0s" is not positive"#,
        ),
    ];
    for (name, mutate, expected) in cases {
        let mut cfg = valid_join();
        mutate(&mut cfg);
        let errors = errors_of(validate_join(&cfg));
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{name}: expected an error containing {expected:?}, got {errors:?}"
        );
    }
}

#[test]
fn join_file_discovery_and_pins_pass() {
    let mut cfg = valid_join();
    cfg.discovery
        .bootstrap_token
        .as_mut()
        .unwrap()
        .unsafe_skip_ca_verification = false;
    cfg.discovery
        .bootstrap_token
        .as_mut()
        .unwrap()
        .ca_cert_hashes = vec![format!("sha256:{}", "aB".repeat(32))];
    assert_eq!(validate_join(&cfg), Ok(vec![]));

    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("discovery.conf");
    std::fs::write(&existing, "").unwrap();
    for path in [
        existing.to_str().unwrap(),
        "https://example.com/cluster-info.yaml",
        "https://[fd00::1]:6443/cluster-info.yaml",
    ] {
        let mut cfg = valid_join();
        cfg.discovery.bootstrap_token = None;
        cfg.discovery.tls_bootstrap_token.clear();
        cfg.discovery.file = Some(FileDiscovery {
            kube_config_path: path.into(),
        });
        assert_eq!(validate_join(&cfg), Ok(vec![]), "{path}");
    }
}

#[test]
fn syntax_predicates_match_upstream_formats() {
    assert!(syntax::is_dns1123_subdomain("a.b-c.d1"));
    assert!(!syntax::is_dns1123_subdomain("a..b"));
    assert!(!syntax::is_dns1123_subdomain(&"a".repeat(254)));
    assert!(syntax::is_wildcard_dns1123_subdomain("*.example.com"));
    assert!(!syntax::is_wildcard_dns1123_subdomain("*example.com"));
    assert!(syntax::is_bootstrap_token("abcdef.0123456789abcdef"));
    assert!(!syntax::is_bootstrap_token("abcdef.0123456789abcde"));
    assert!(!syntax::is_bootstrap_token("ABCDEF.0123456789abcdef"));
    assert!(syntax::is_bootstrap_group(
        "system:bootstrappers:kubeadm:default-node-token"
    ));
    assert!(!syntax::is_bootstrap_group("system:bootstrappers:"));
    assert!(!syntax::is_bootstrap_group(
        "system:bootstrappers:trailing-"
    ));
    assert!(syntax::is_rfc3339("2030-01-02T15:04:05Z"));
    assert!(!syntax::is_rfc3339("2030-13-02T15:04:05Z"));
    assert!(!syntax::is_rfc3339("2030-01-02 15:04:05Z"));
    assert_eq!(
        syntax::split_host_port("[fd00::1]:6443"),
        Ok(("fd00::1".into(), "6443".into()))
    );
    assert_eq!(
        syntax::parse_host_port("api.example.com"),
        Ok(("api.example.com".into(), None))
    );
    assert_eq!(
        syntax::parse_host_port("10.0.0.1:"),
        Ok(("10.0.0.1".into(), None))
    );
    assert!(syntax::parse_host_port("[fd00::1]").is_err());
    assert_eq!(syntax::url_scheme("unix:///run/x.sock"), Ok(Some("unix")));
    assert_eq!(syntax::url_scheme("/run/x.sock"), Ok(None));
    assert!(syntax::url_scheme(":foo").is_err());
    assert!(syntax::is_image_repository("registry.k8s.io"));
    assert!(syntax::is_image_repository("localhost:5000/a/b_c"));
    assert!(syntax::is_image_repository("[fd00::1]:5000/k8s"));
    assert!(!syntax::is_image_repository("registry.k8s.io/UPPER"));
    assert_eq!(syntax::parse_go_bool("T"), Some(true));
    assert_eq!(syntax::parse_go_bool("yes"), None);
}

#[test]
fn unknown_authorization_modes_are_warned_about_as_kubeadm_does() {
    let mode = |value: &str| Arg {
        name: "authorization-mode".into(),
        value: value.into(),
    };
    let mut cfg = valid_init();
    cfg.cluster.api_server.extra_args = vec![mode("Node,Foo,RBAC,Bar")];
    let warnings = validate_init(&cfg).unwrap();
    assert_eq!(
        warnings,
        [
            r#"apiServer.extraArgs: authorization-mode "Foo" is not a mode kubeadm knows (Node, RBAC, Webhook, ABAC, AlwaysAllow, AlwaysDeny); kube-apiserver gets "Node,Foo,RBAC,Bar" as given, as it does from kubeadm"#,
            r#"apiServer.extraArgs: authorization-mode "Bar" is not a mode kubeadm knows (Node, RBAC, Webhook, ABAC, AlwaysAllow, AlwaysDeny); kube-apiserver gets "Node,Foo,RBAC,Bar" as given, as it does from kubeadm"#,
        ]
    );
    for known in ["Node,RBAC,Webhook", "ABAC", "AlwaysAllow,AlwaysDeny"] {
        cfg.cluster.api_server.extra_args = vec![mode(known)];
        assert_eq!(validate_init(&cfg), Ok(vec![]), "{known}");
    }
    // A structured authorization config replaces the flag: nothing to say about it.
    cfg.cluster.api_server.extra_args = vec![
        mode("Foo"),
        Arg {
            name: "authorization-config".into(),
            value: "/etc/kubernetes/authz.yaml".into(),
        },
    ];
    assert_eq!(validate_init(&cfg), Ok(vec![]));
}
