use super::*;
use crate::config::load_documents;
use crate::test_support::FakeHost;

fn docs(text: &str) -> Documents {
    load_documents(text, "kubeadm.yaml").unwrap()
}

fn init_from(text: &str, host: &FakeHost) -> Result<(InitConfig, Vec<String>), ConfigError> {
    resolve_init(Some(&docs(text)), &InitOverrides::default(), host)
}

const INIT_V4: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";

#[test]
fn config_file_cannot_be_mixed_with_config_bound_flags() {
    let flags = InitOverrides {
        cert_dir: Some("/pki".into()),
        patches: Some("/p".into()),
        advertise_address: Some("10.0.0.1".into()),
        ..Default::default()
    };
    let err = resolve_init(Some(&docs(INIT_V4)), &flags, &FakeHost::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "can not mix '--config' with arguments [apiserver-advertise-address cert-dir patches]"
    );

    let join_flags = JoinOverrides {
        token: Some("abcdef.0123456789abcdef".into()),
        control_plane: true,
        ..Default::default()
    };
    let join_doc = docs("apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n");
    let err = resolve_join(Some(&join_doc), &join_flags, &FakeHost::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "can not mix '--config' with arguments [control-plane token]"
    );
}

#[test]
fn allowed_flags_apply_beside_a_config_file() {
    let flags = InitOverrides {
        node_name: Some("worker-7".into()),
        ignore_preflight_errors: vec!["Swap".into()],
        skip_phases: vec!["addon/kube-proxy".into()],
        dry_run: true,
        ..Default::default()
    };
    let (cfg, _) = resolve_init(Some(&docs(INIT_V4)), &flags, &FakeHost::default()).unwrap();
    assert_eq!(cfg.node_name(), "worker-7");
    assert_eq!(cfg.init.node_registration.ignore_preflight_errors, ["Swap"]);
    assert_eq!(cfg.init.skip_phases, ["addon/kube-proxy"]);
    assert!(cfg.init.dry_run);
}

#[test]
fn dynamic_defaults_come_from_the_host() {
    let (cfg, warnings) =
        resolve_init(None, &InitOverrides::default(), &FakeHost::default()).unwrap();
    assert_eq!(cfg.node_name(), "node-1", "host names are lower-cased");
    assert_eq!(
        cfg.init.local_api_endpoint.advertise_address,
        "192.168.0.10"
    );
    assert_eq!(
        cfg.init.bootstrap_tokens[0].token,
        "newtok.0123456789abcdef"
    );
    assert_eq!(
        cfg.init.bootstrap_tokens[0].description,
        DEFAULT_TOKEN_DESCRIPTION
    );
    assert_eq!(cfg.init.node_registration.cri_socket, DEFAULT_CRI_SOCKET);
    assert_eq!(
        cfg.init.node_registration.taints,
        Some(vec![control_plane_taint()])
    );
    assert_eq!(cfg.cluster.kubernetes_version, KUBERNETES_VERSION);
    assert!(
        warnings.iter().any(|w| w.contains("stable-1")),
        "{warnings:?}"
    );
}

#[test]
fn advertise_address_is_chosen_as_kubeadm_does() {
    let cases: [(&str, FakeHost, Result<&str, &str>); 5] = [
        ("0.0.0.0", FakeHost::default(), Ok("192.168.0.10")),
        ("::", FakeHost::default(), Ok("192.168.0.10")),
        ("FD00:0::1", FakeHost::default(), Ok("fd00::1")),
        (
            "127.0.0.1",
            FakeHost {
                loopback: Some("203.0.113.5"),
                ..Default::default()
            },
            Ok("203.0.113.5"),
        ),
        (
            "127.0.0.1",
            FakeHost::default(),
            Err("is a loopback address and no global unicast address was found"),
        ),
    ];
    for (given, host, want) in cases {
        let flags = InitOverrides {
            advertise_address: Some(given.into()),
            ..Default::default()
        };
        let got = resolve_init(None, &flags, &host)
            .map(|(cfg, _)| cfg.init.local_api_endpoint.advertise_address);
        match want {
            Ok(address) => assert_eq!(got.unwrap(), address, "{given}"),
            Err(message) => assert!(got.unwrap_err().to_string().contains(message), "{given}"),
        }
    }
    let no_route = FakeHost {
        address: Err("no default route"),
        ..Default::default()
    };
    let err = resolve_init(None, &InitOverrides::default(), &no_route)
        .unwrap_err()
        .to_string();
    assert!(err.contains("localAPIEndpoint.advertiseAddress: is not set and could not be chosen from the default route (no default route)"), "{err}");
}

#[test]
fn cluster_fields_are_normalised() {
    let text = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: 1.34.0\ncontrolPlaneEndpoint: cp.example.com\napiServer:\n  certSANs: [LB.Example.COM, 10.0.0.1]\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  bindPort: 7443\nnodeRegistration:\n  criSocket: /run/containerd/containerd.sock\n";
    let (cfg, warnings) = init_from(text, &FakeHost::default()).unwrap();
    assert_eq!(cfg.cluster.kubernetes_version, "v1.34.0");
    assert_eq!(
        cfg.cluster.api_server.cert_sans,
        ["lb.example.com", "10.0.0.1"]
    );
    assert_eq!(
        cfg.cluster.control_plane_endpoint, "cp.example.com:7443",
        "the endpoint takes this node's bind port"
    );
    assert_eq!(
        cfg.init.node_registration.cri_socket,
        "unix:///run/containerd/containerd.sock"
    );
    assert!(warnings.iter().any(|w| w.contains(
        "Usage of CRI endpoints without URL scheme is deprecated and can cause kubelet errors in the future. Automatically prepending scheme \"unix\""
    )));

    for (endpoint, want) in [
        ("fd00::1", "[fd00::1]:6443"),
        ("10.0.0.1:443", "10.0.0.1:443"),
    ] {
        let flags = InitOverrides {
            control_plane_endpoint: Some(endpoint.into()),
            ..Default::default()
        };
        let (cfg, _) = resolve_init(None, &flags, &FakeHost::default()).unwrap();
        assert_eq!(cfg.cluster.control_plane_endpoint, want);
        assert_eq!(cfg.control_plane_url(), format!("https://{want}"));
    }

    // kubeadm wants endpoints in lower case; capitals are reported, not silently changed.
    let flags = InitOverrides {
        control_plane_endpoint: Some("CP.example.com".into()),
        ..Default::default()
    };
    let err = resolve_init(None, &flags, &FakeHost::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"controlPlaneEndpoint: "CP.example.com" is not a valid endpoint"#),
        "{err}"
    );
}

#[test]
fn kubernetes_version_labels_resolve_offline() {
    for (given, want) in [
        ("v1.33.5", Ok("v1.33.5")),
        ("1.34.1", Ok("v1.34.1")),
        ("stable", Ok(KUBERNETES_VERSION)),
        ("stable-1.34", Ok(KUBERNETES_VERSION)),
    ] {
        let flags = InitOverrides {
            kubernetes_version: Some(given.into()),
            ..Default::default()
        };
        let got = resolve_init(None, &flags, &FakeHost::default())
            .map(|(c, _)| c.cluster.kubernetes_version);
        assert_eq!(
            got.as_deref().map_err(|e| e.to_string()),
            want.map_err(str::to_string),
            "{given}"
        );
    }
    let flags = InitOverrides {
        kubernetes_version: Some("stable-1.20".into()),
        ..Default::default()
    };
    let err = resolve_init(None, &flags, &FakeHost::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"kubernetesVersion: "stable-1.20" is not a version kubeadm-rs can use"#),
        "{err}"
    );
}

#[test]
fn feature_gates_flag_parses_go_booleans() {
    assert_eq!(
        parse_feature_gates("NodeLocalCRISocket=F, RootlessControlPlane=true,").unwrap(),
        BTreeMap::from([
            ("NodeLocalCRISocket".to_string(), false),
            ("RootlessControlPlane".to_string(), true)
        ])
    );
    assert!(
        parse_feature_gates("Foo")
            .unwrap_err()
            .to_string()
            .contains("missing a bool value")
    );
    assert!(
        parse_feature_gates("Foo=maybe")
            .unwrap_err()
            .to_string()
            .contains(r#"featureGates.Foo: "maybe" is not a boolean"#)
    );
    let flags = InitOverrides {
        feature_gates: Some("Bogus=true".into()),
        ..Default::default()
    };
    let err = resolve_init(None, &flags, &FakeHost::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"featureGates: "Bogus" is an unrecognized feature-gate key"#),
        "{err}"
    );
}

#[test]
fn a_file_needs_init_or_cluster_configuration() {
    let text = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";
    let err = init_from(text, &FakeHost::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "kubeadm.yaml: no InitConfiguration or ClusterConfiguration kind was found in the configuration file"
    );
}

const V1BETA3_INIT: &str = "apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  name: cp-1
  kubeletExtraArgs:
    v: \"4\"
    node-ip: 10.0.0.5
localAPIEndpoint:
  advertiseAddress: 10.0.0.5
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.34.0
featureGates:
  PublicKeysECDSA: true
apiServer:
  timeoutForControlPlane: 10m0s
  extraArgs:
    profiling: \"false\"
    audit-log-maxage: \"30\"
etcd:
  local:
    extraArgs:
      snapshot-count: \"5000\"
";

#[test]
fn v1beta3_converts_as_upstream() {
    let (cfg, warnings) = init_from(V1BETA3_INIT, &FakeHost::default()).unwrap();
    let timeouts = cfg.timeouts();
    assert_eq!(
        timeouts
            .control_plane_component_health_check
            .unwrap()
            .to_string(),
        "10m0s"
    );
    assert_eq!(
        timeouts.kubelet_health_check.unwrap().to_string(),
        "4m0s",
        "other timeouts keep their defaults"
    );
    let names: Vec<&str> = cfg
        .cluster
        .api_server
        .extra_args
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["audit-log-maxage", "profiling"],
        "maps become sorted lists"
    );
    let kubelet_args: Vec<(&str, &str)> = cfg
        .init
        .node_registration
        .kubelet_extra_args
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_str()))
        .collect();
    assert_eq!(kubelet_args, [("node-ip", "10.0.0.5"), ("v", "4")]);
    assert_eq!(cfg.local_etcd().unwrap().extra_args[0].value, "5000");
    assert_eq!(cfg.cluster.encryption_algorithm, "ECDSA-P256");
    assert_eq!(
        cfg.cluster.feature_gates.get("PublicKeysECDSA"),
        Some(&true)
    );
    assert_eq!(cfg.init.node_registration.image_pull_serial, Some(true));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("deprecated API spec") && w.contains("InitConfiguration"))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Setting deprecated feature gate PublicKeysECDSA=true"))
    );
}

#[test]
fn public_keys_ecdsa_gate_decides_the_algorithm_in_v1beta4_too() {
    let text = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: RSA-4096\nfeatureGates:\n  PublicKeysECDSA: false\n";
    let (cfg, warnings) = init_from(text, &FakeHost::default()).unwrap();
    assert_eq!(cfg.cluster.encryption_algorithm, "RSA-2048");
    assert!(warnings.iter().any(|w| w.contains(
        r#"encryptionAlgorithm "RSA-4096" is overridden by the feature gate PublicKeysECDSA=false"#
    )));
}

#[test]
fn v1beta3_join_discovery_timeout_moves_to_timeouts() {
    let text = "apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  timeout: 2m0s
  bootstrapToken:
    apiServerEndpoint: 10.0.0.1:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
";
    let (cfg, warnings) = resolve_join(
        Some(&docs(text)),
        &JoinOverrides::default(),
        &FakeHost::default(),
    )
    .unwrap();
    let join = cfg.join;
    let timeouts = join.timeouts.unwrap();
    assert_eq!(timeouts.discovery.unwrap().to_string(), "2m0s");
    assert_eq!(timeouts.tls_bootstrap.unwrap().to_string(), "5m0s");
    assert_eq!(
        join.discovery.tls_bootstrap_token,
        "abcdef.0123456789abcdef"
    );
    assert_eq!(join.node_registration.name, "node-1");
    assert_eq!(join.node_registration.taints, None, "workers get no taint");
    assert!(warnings.iter().any(|w| w.contains("deprecated API spec")));
}

#[test]
fn join_flags_build_the_configuration() {
    let flags = JoinOverrides {
        api_server_endpoint: Some("10.0.0.1:6443".into()),
        token: Some("abcdef.0123456789abcdef".into()),
        discovery_token_ca_cert_hashes: Some(vec![format!("sha256:{}", "0".repeat(64))]),
        control_plane: true,
        certificate_key: Some("a".repeat(64)),
        ..Default::default()
    };
    let join = resolve_join(None, &flags, &FakeHost::default())
        .unwrap()
        .0
        .join;
    let bt = join.discovery.bootstrap_token.as_ref().unwrap();
    assert_eq!(bt.api_server_endpoint, "10.0.0.1:6443");
    assert_eq!(bt.token, "abcdef.0123456789abcdef");
    assert_eq!(
        join.discovery.tls_bootstrap_token,
        "abcdef.0123456789abcdef"
    );
    let cp = join.control_plane.as_ref().unwrap();
    assert_eq!(cp.local_api_endpoint.advertise_address, "192.168.0.10");
    assert_eq!(cp.local_api_endpoint.bind_port, 6443);
    assert_eq!(
        join.node_registration.taints,
        Some(vec![control_plane_taint()])
    );

    // kubeadm validates that a discovery file exists, so the test makes one.
    let dir = tempfile::tempdir().unwrap();
    let discovery = dir.path().join("discovery.conf");
    std::fs::write(&discovery, "").unwrap();
    let discovery = discovery.to_str().unwrap();
    let file = JoinOverrides {
        discovery_file: Some(format!("file://{discovery}")),
        token: Some("abcdef.0123456789abcdef".into()),
        ..Default::default()
    };
    let join = resolve_join(None, &file, &FakeHost::default())
        .unwrap()
        .0
        .join;
    assert!(join.discovery.bootstrap_token.is_none());
    assert_eq!(join.discovery.file.unwrap().kube_config_path, discovery);

    let missing = JoinOverrides {
        token: Some("abcdef.0123456789abcdef".into()),
        discovery_token_unsafe_skip_ca_verification: true,
        ..Default::default()
    };
    let err = resolve_join(None, &missing, &FakeHost::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("discovery.bootstrapToken.apiServerEndpoint: is not set"),
        "{err}"
    );
}

#[test]
fn join_needs_a_join_document() {
    let err = resolve_join(
        Some(&docs(INIT_V4)),
        &JoinOverrides::default(),
        &FakeHost::default(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "kubeadm.yaml: no JoinConfiguration found in the supplied config"
    );
}
