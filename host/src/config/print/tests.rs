use super::*;
use crate::config::{GoDuration, load_documents, resolve_init};
use crate::test_support::FakeHost;

/// What `kubeadm config print init-defaults` prints (v1.31+), with this build's version.
const KUBEADM_INIT_DEFAULTS: &str = "apiVersion: kubeadm.k8s.io/v1beta4
bootstrapTokens:
- groups:
  - system:bootstrappers:kubeadm:default-node-token
  token: abcdef.0123456789abcdef
  ttl: 24h0m0s
  usages:
  - signing
  - authentication
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 1.2.3.4
  bindPort: 6443
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  imagePullPolicy: IfNotPresent
  imagePullSerial: true
  name: node
  taints: null
timeouts:
  controlPlaneComponentHealthCheck: 4m0s
  discovery: 5m0s
  etcdAPICall: 2m0s
  kubeletHealthCheck: 4m0s
  kubernetesAPICall: 1m0s
  tlsBootstrap: 5m0s
  upgradeManifests: 5m0s
---
apiServer: {}
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
kubernetesVersion: 1.34.2
networking:
  dnsDomain: cluster.local
  serviceSubnet: 10.96.0.0/12
proxy: {}
scheduler: {}
";

const KUBEADM_JOIN_DEFAULTS: &str = "apiVersion: kubeadm.k8s.io/v1beta4
caCertPath: /etc/kubernetes/pki/ca.crt
discovery:
  bootstrapToken:
    apiServerEndpoint: kube-apiserver:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
  tlsBootstrapToken: abcdef.0123456789abcdef
kind: JoinConfiguration
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  imagePullPolicy: IfNotPresent
  imagePullSerial: true
  name: node-1
  taints: null
timeouts:
  controlPlaneComponentHealthCheck: 4m0s
  discovery: 5m0s
  etcdAPICall: 2m0s
  kubeletHealthCheck: 4m0s
  kubernetesAPICall: 1m0s
  tlsBootstrap: 5m0s
  upgradeManifests: 5m0s
";

fn kubelet_stub(cfg: &InitConfig) -> ComponentConfig {
    let mut m = ComponentConfig::new();
    m.insert("cgroupDriver".into(), "systemd".into());
    m.insert(
        "clusterDomain".into(),
        cfg.cluster.networking.dns_domain.clone().into(),
    );
    m.insert("authentication".into(), serde_json::json!({"x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}, "anonymous": {"enabled": false}}));
    m
}

fn kube_proxy_stub(cfg: &InitConfig) -> ComponentConfig {
    let mut m = ComponentConfig::new();
    m.insert(
        "clusterCIDR".into(),
        cfg.cluster.networking.pod_subnet.clone().into(),
    );
    m.insert("bindAddress".into(), "0.0.0.0".into());
    m
}

const STUBS: ComponentDefaults<'static> = ComponentDefaults {
    kubelet: &kubelet_stub,
    kube_proxy: &kube_proxy_stub,
};

#[test]
fn init_defaults_match_kubeadm_byte_for_byte() {
    assert_eq!(
        print_init_defaults(&[], &STUBS).unwrap(),
        KUBEADM_INIT_DEFAULTS
    );
}

#[test]
fn join_defaults_match_kubeadm_with_the_host_name() {
    assert_eq!(
        print_join_defaults(&[], &STUBS, &FakeHost::default()).unwrap(),
        KUBEADM_JOIN_DEFAULTS
    );
    let nameless = FakeHost {
        hostname: Err("uname failed"),
        ..Default::default()
    };
    assert!(print_join_defaults(&[], &STUBS, &nameless).is_err());
}

#[test]
fn printed_defaults_are_accepted_back() {
    let host = FakeHost::default();
    assert!(validate_file(KUBEADM_INIT_DEFAULTS, "init.yaml", &host).is_ok());
    assert!(validate_file(KUBEADM_JOIN_DEFAULTS, "join.yaml", &host).is_ok());
}

#[test]
fn component_configs_follow_in_the_order_asked_with_kubeadm_key_order() {
    let kinds = parse_component_kinds(&[
        "KubeProxyConfiguration".into(),
        " KubeletConfiguration".into(),
    ])
    .unwrap();
    let text = print_init_defaults(&kinds, &STUBS).unwrap();
    let docs: Vec<&str> = text.split("---\n").collect();
    assert_eq!(docs.len(), 4);
    assert_eq!(
        docs[2],
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nclusterCIDR: \"\"\nkind: KubeProxyConfiguration\n"
    );
    assert_eq!(
        docs[3],
        "apiVersion: kubelet.config.k8s.io/v1beta1\nauthentication:\n  anonymous:\n    enabled: false\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\ncgroupDriver: systemd\nclusterDomain: cluster.local\nkind: KubeletConfiguration\n"
    );
    let joined = print_join_defaults(&kinds[1..], &STUBS, &FakeHost::default()).unwrap();
    assert!(joined.ends_with("kind: KubeletConfiguration\n"));
}

#[test]
fn unknown_component_config_names_list_the_valid_ones() {
    let err = parse_component_kinds(&[
        "KubeletConfiguration".into(),
        "KubeSchedulerConfiguration".into(),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "--component-configs: \"KubeSchedulerConfiguration\" is not a component config; --component-configs needs to contain some of [KubeProxyConfiguration KubeletConfiguration]"
    );
}

#[test]
fn yaml_keys_sort_as_go_yaml_does() {
    let mut keys = vec!["b", "a10", "a2", "B", "a_b", "aB", "a.b", "a", "x-1", "x1"];
    keys.sort_by(|a, b| go_yaml_key_order(a, b));
    assert_eq!(
        keys,
        ["B", "a", "a.b", "a_b", "a2", "a10", "aB", "b", "x-1", "x1"]
    );
}

#[test]
fn long_strings_stay_on_one_line_and_special_strings_are_quoted() {
    let long = "x ".repeat(60);
    let yaml = to_yaml(
        &serde_json::json!({"description": long.trim(), "value": "1", "flag": "true", "empty": ""}),
    )
    .unwrap();
    assert_eq!(yaml.lines().count(), 4, "{yaml}");
    assert!(
        yaml.contains("value: \"1\"\n")
            && yaml.contains("flag: \"true\"\n")
            && yaml.contains("empty: \"\"\n"),
        "{yaml}"
    );
}

#[test]
fn strings_are_quoted_exactly_when_go_yaml_quotes_them() {
    for (value, shown) in [
        ("1.2.3.4", "1.2.3.4"),
        ("1.34.2", "1.34.2"),
        ("10.96.0.0/12", "10.96.0.0/12"),
        ("unix:///run/x.sock", "unix:///run/x.sock"),
        ("-x", "-x"),
        ("a\"b", "a\"b"),
        ("yes", "\"yes\""),
        ("Off", "\"Off\""),
        ("null", "\"null\""),
        ("", "\"\""),
        ("0x1F", "\"0x1F\""),
        ("1_000", "\"1_000\""),
        ("1e3", "\"1e3\""),
        ("1.5", "\"1.5\""),
        (".5", "\".5\""),
        ("190:20:30", "\"190:20:30\""),
        ("2030-01-02", "\"2030-01-02\""),
        ("2030-01-02T15:04:05Z", "\"2030-01-02T15:04:05Z\""),
        ("2030-1-2 1:2:3.5", "\"2030-1-2 1:2:3.5\""),
        ("2030-01-02Z", "2030-01-02Z"),
        ("a: b", "'a: b'"),
        ("#x", "'#x'"),
        ("*x", "'*x'"),
        ("it's: x", "'it''s: x'"),
        ("x\ty", "\"x\\ty\""),
        ("::1", "::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("?x", "?x"),
        (":", "':'"),
        (": x", "': x'"),
        ("::", "'::'"),
    ] {
        let yaml = to_yaml(&serde_json::json!({ "k": value })).unwrap();
        assert_eq!(yaml, format!("k: {shown}\n"), "{value:?}");
    }
}

const V1BETA3_FILE: &str = "apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
bootstrapTokens:
- token: abcdef.0123456789abcdef
  ttl: 2h0m0s
localAPIEndpoint:
  advertiseAddress: 10.0.0.5
nodeRegistration:
  name: cp-1
  kubeletExtraArgs:
    node-ip: 10.0.0.5
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.34.0
apiServer:
  timeoutForControlPlane: 8m0s
  extraArgs:
    profiling: \"false\"
networking:
  podSubnet: 10.244.0.0/16
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  timeout: 2m0s
  bootstrapToken:
    apiServerEndpoint: 10.0.0.5:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
";

#[test]
fn migrate_converts_v1beta3_and_keeps_component_configs() {
    let host = FakeHost::default();
    let out = migrate(V1BETA3_FILE, "old.yaml", &host).unwrap();
    let docs = load_documents(&out, "new.yaml").unwrap();
    let kinds: Vec<(&str, &str)> = docs
        .docs
        .iter()
        .map(|d| (d.api_version.as_str(), d.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("kubeadm.k8s.io/v1beta4", "InitConfiguration"),
            ("kubeadm.k8s.io/v1beta4", "ClusterConfiguration"),
            ("kubeadm.k8s.io/v1beta4", "JoinConfiguration"),
            ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
        ]
    );
    assert!(
        out.contains("  kubeletExtraArgs:\n  - name: node-ip\n    value: 10.0.0.5\n"),
        "{out}"
    );
    assert!(
        out.contains("  extraArgs:\n  - name: profiling\n    value: \"false\"\n"),
        "{out}"
    );
    assert!(
        out.contains("  controlPlaneComponentHealthCheck: 8m0s\n"),
        "{out}"
    );
    assert!(out.contains("  discovery: 2m0s\n"), "{out}");
    assert!(
        out.contains("kind: KubeletConfiguration\ncgroupDriver: systemd\n"),
        "component configs are kept as written"
    );
    assert!(!out.contains("timeoutForControlPlane"), "{out}");

    // The result is a valid v1beta4 file that migrates to itself and means the same.
    assert_eq!(migrate(&out, "new.yaml", &host).unwrap(), out);
    let (old_cfg, _) = resolve_init(
        Some(&load_documents(V1BETA3_FILE, "old.yaml").unwrap()),
        &InitOverrides::default(),
        &host,
    )
    .unwrap();
    let (new_cfg, _) = resolve_init(Some(&docs), &InitOverrides::default(), &host).unwrap();
    assert_eq!(old_cfg, new_cfg);
    assert_eq!(
        new_cfg.timeouts().control_plane_component_health_check,
        Some(GoDuration::from_secs(480))
    );
}

#[test]
fn migrate_and_validate_reject_unknown_apis_and_empty_files() {
    let host = FakeHost::default();
    let text = format!("{V1BETA3_FILE}---\napiVersion: example.com/v1\nkind: Widget\n");
    for result in [
        migrate(&text, "old.yaml", &host).map(|_| ()),
        validate_file(&text, "old.yaml", &host).map(|_| ()),
    ] {
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains(
                r#"old.yaml: document 5 (Widget): unknown configuration API "example.com/v1""#
            ),
            "{err}"
        );
    }
    let only_kubelet = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";
    let err = validate_file(only_kubelet, "k.yaml", &host)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "k.yaml: no InitConfiguration, ClusterConfiguration, JoinConfiguration, ResetConfiguration or UpgradeConfiguration found"
        ),
        "{err}"
    );
    // Stricter than kubeadm on purpose, and the message says so.
    assert!(err.contains("kubeadm reports ok for such a file"), "{err}");
    let empty = validate_file("", "e.yaml", &host).unwrap_err().to_string();
    assert!(empty.starts_with("e.yaml: no InitConfiguration"), "{empty}");
    assert!(migrate(only_kubelet, "k.yaml", &host).is_err());
}

#[test]
fn migrate_of_an_empty_file_returns_nothing_and_succeeds() {
    let host = FakeHost::default();
    for empty in ["", "\n", "---\n"] {
        assert_eq!(migrate(empty, "e.yaml", &host).unwrap(), "", "{empty:?}");
    }
}

#[test]
fn reset_and_upgrade_documents_are_decoded_strictly_validated_and_migrated() {
    let host = FakeHost::default();
    // Written as kubeadm writes them (keys sorted).
    let reset = "apiVersion: kubeadm.k8s.io/v1beta4\nforce: true\nkind: ResetConfiguration\nunmountFlags:\n- MNT_DETACH\n";
    let upgrade = "apiVersion: kubeadm.k8s.io/v1beta4\napply:\n  forceUpgrade: true\n  patches:\n    directory: /etc/kubernetes/patches\ndiff:\n  contextLines: 5\nkind: UpgradeConfiguration\nnode:\n  etcdUpgrade: false\nplan:\n  allowRCUpgrades: true\n";
    // A file holding only one of them is a valid kubeadm configuration.
    for text in [reset, upgrade] {
        assert_eq!(
            validate_file(text, "r.yaml", &host).unwrap(),
            Vec::<String>::new()
        );
    }
    // Migrating fills in kubeadm's defaults, and a migrated file migrates to itself.
    let timeouts = "timeouts:\n  controlPlaneComponentHealthCheck: 4m0s\n  discovery: 5m0s\n  etcdAPICall: 2m0s\n  kubeletHealthCheck: 4m0s\n  kubernetesAPICall: 1m0s\n  tlsBootstrap: 5m0s\n  upgradeManifests: 5m0s\n";
    let migrated_reset = format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\ncertificatesDir: /etc/kubernetes/pki\ncriSocket: unix:///var/run/containerd/containerd.sock\nforce: true\nkind: ResetConfiguration\n{timeouts}unmountFlags:\n- MNT_DETACH\n"
    );
    let migrated_upgrade = format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\napply:\n  certificateRenewal: true\n  etcdUpgrade: true\n  forceUpgrade: true\n  imagePullPolicy: IfNotPresent\n  imagePullSerial: true\n  patches:\n    directory: /etc/kubernetes/patches\ndiff:\n  contextLines: 5\nkind: UpgradeConfiguration\nnode:\n  certificateRenewal: true\n  etcdUpgrade: false\n  imagePullPolicy: IfNotPresent\n  imagePullSerial: true\nplan:\n  allowRCUpgrades: true\n{timeouts}"
    );
    assert_eq!(migrate(reset, "r.yaml", &host).unwrap(), migrated_reset);
    assert_eq!(
        migrate(&migrated_reset, "r.yaml", &host).unwrap(),
        migrated_reset
    );
    let both = format!("{migrated_reset}---\n{migrated_upgrade}");
    assert_eq!(
        migrate(&format!("{upgrade}---\n{reset}"), "u.yaml", &host).unwrap(),
        both,
        "kubeadm's order: reset, then upgrade"
    );
    assert_eq!(migrate(&both, "u.yaml", &host).unwrap(), both);
    for (text, expected) in [
        (
            format!("{reset}forse: true\n"),
            "r.yaml: document 1 (ResetConfiguration): unknown field `forse`",
        ),
        (
            format!("{upgrade}  dryrun: true\n"),
            "r.yaml: document 1 (UpgradeConfiguration): plan: unknown field `dryrun`",
        ),
        (
            format!("{reset}certificatesDir: pki\n"),
            r#"r.yaml: document 1 (ResetConfiguration): certificatesDir: "pki" is not an absolute path"#,
        ),
        (
            upgrade.replace("/etc/kubernetes/patches", "patches"),
            r#"r.yaml: document 1 (UpgradeConfiguration): apply.patches.directory: "patches" is not an absolute path"#,
        ),
        (
            upgrade.replace(
                "  etcdUpgrade: false\n",
                "  etcdUpgrade: false\n  imagePullPolicy: Sometimes\n",
            ),
            r#"node.imagePullPolicy: "Sometimes" is not a pull policy"#,
        ),
    ] {
        for result in [
            validate_file(&text, "r.yaml", &host).map(|_| ()),
            migrate(&text, "r.yaml", &host).map(|_| ()),
        ] {
            let err = result.unwrap_err().to_string();
            assert!(err.contains(expected), "{text}\n{err}");
        }
    }
}

#[test]
fn validate_file_reports_init_and_join_problems() {
    let host = FakeHost::default();
    let warnings = validate_file(V1BETA3_FILE, "old.yaml", &host).unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("deprecated API spec")),
        "{warnings:?}"
    );

    let bad_init = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/33\n";
    let err = validate_file(bad_init, "c.yaml", &host)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"networking.podSubnet: "10.244.0.0/33" is not a valid CIDR"#),
        "{err}"
    );

    let bad_join = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: 10.0.0.5\n    token: abcdef.0123456789abcdef\n";
    let err = validate_file(bad_join, "j.yaml", &host)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("discovery.bootstrapToken.apiServerEndpoint"),
        "{err}"
    );
    assert!(
        err.contains("discovery.bootstrapToken.caCertHashes"),
        "{err}"
    );

    let typo = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistraton:\n  name: x\n";
    let err = validate_file(typo, "t.yaml", &host)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.yaml: document 1 (InitConfiguration): unknown field `nodeRegistraton`"),
        "{err}"
    );
}

#[test]
fn unknown_component_config_fields_warn_in_init_and_join_and_fail_validation() {
    let host = FakeHost::default();
    let text = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: 10.0.0.5:6443\n    token: abcdef.0123456789abcdef\n    unsafeSkipCAVerification: true\n---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPod: 110\n";
    let want = "k.yaml: document 3 (KubeletConfiguration): strict decoding error: unknown field \"maxPod\"; expected only the fields of kubelet.config.k8s.io/v1beta1 KubeletConfiguration";
    let err = validate_file(text, "k.yaml", &host)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(want), "{err}");
    assert!(!err.contains('\n'), "{err}");
    let docs = load_documents(text, "k.yaml").unwrap();
    let (_, init_warnings) = resolve_init(Some(&docs), &InitOverrides::default(), &host).unwrap();
    let (_, join_warnings) =
        crate::config::resolve_join(Some(&docs), &Default::default(), &host).unwrap();
    for warnings in [init_warnings, join_warnings] {
        let strict: Vec<_> = warnings.iter().filter(|w| w.contains("maxPod")).collect();
        assert_eq!(strict.len(), 1, "{warnings:?}");
        assert!(strict[0].starts_with(want), "{strict:?}");
    }
}
