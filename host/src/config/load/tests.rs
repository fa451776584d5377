use super::*;

fn decode_error(text: &str) -> String {
    let result =
        load_documents(text, "kubeadm.yaml").and_then(|docs| docs.decode_all().map(|_| ()));
    match result {
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "error spans lines: {message}");
            message
        }
        Ok(()) => panic!("expected a decode error for:\n{text}"),
    }
}

const INIT: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";

#[test]
fn documents_split_on_separator_lines_only_and_keep_their_file_lines() {
    let docs = split_documents("a: 1\n---\nb: '---'\n--- \n# only a comment\n---\nc: 3\n");
    assert_eq!(
        docs,
        vec![
            (1, "a: 1\n".to_string()),
            (3, "b: '---'\n".to_string()),
            (7, "c: 3\n".to_string())
        ]
    );
}

#[test]
fn decode_errors_name_the_document_field_and_file_line() {
    let cases = [
        (
            "unknown top-level field",
            format!("{INIT}---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworkin:\n  podSubnet: 10.244.0.0/16\n"),
            "kubeadm.yaml: document 2 (ClusterConfiguration): unknown field `networkin`, expected one of",
            "(line 6, column 1)",
        ),
        (
            "unknown nested field",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnett: 10.244.0.0/16\n".to_string(),
            "document 1 (ClusterConfiguration): networking: unknown field `podSubnett`, expected one of serviceSubnet, podSubnet, dnsDomain",
            "(line 4, column 3)",
        ),
        (
            "field in a list item",
            format!("{INIT}bootstrapTokens:\n- token: abcdef.0123456789abcdef\n  tll: 1h\n"),
            "bootstrapTokens[0]: unknown field `tll`",
            "(line 5, column 3)",
        ),
        (
            "integer expected",
            format!("{INIT}localAPIEndpoint:\n  bindPort: abc\n"),
            r#"localAPIEndpoint.bindPort: "abc" is invalid: expected an integer"#,
            "(line 4, column 13)",
        ),
        (
            "list expected (v1beta3 map form in v1beta4)",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n    audit-log-path: /x\n".to_string(),
            "apiServer.extraArgs: expected a list",
            "line 5",
        ),
        (
            "boolean expected",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nfeatureGates:\n  NodeLocalCRISocket: maybe\n".to_string(),
            r#"featureGates.NodeLocalCRISocket: "maybe" is invalid: expected true or false"#,
            "(line 4, column 23)",
        ),
        (
            "bad duration",
            format!("{INIT}bootstrapTokens:\n- ttl: 5x\n"),
            r#"bootstrapTokens[0].ttl: "5x" is invalid: invalid duration "5x": expected a Go duration such as"#,
            "(line 4, column 8)",
        ),
        (
            "bad duration in timeouts",
            format!("{INIT}timeouts:\n  discovery: 1d\n"),
            r#"timeouts.discovery: "1d" is invalid: invalid duration "1d""#,
            "line 4",
        ),
        (
            "duplicate key",
            format!("{INIT}dryRun: true\ndryRun: false\n"),
            "duplicate mapping key `dryRun`",
            "(line 4, column 1)",
        ),
    ];
    for (name, text, expected, position) in cases {
        let message = decode_error(&text);
        assert!(
            message.contains(expected),
            "{name}: {message:?} lacks {expected:?}"
        );
        assert!(
            message.contains(position),
            "{name}: {message:?} lacks {position:?}"
        );
    }
}

#[test]
fn documents_are_identified_before_decoding() {
    let cases = [
        ("bad YAML", "kind: [X\n", "kubeadm.yaml: document 1:"),
        (
            "missing kind",
            "apiVersion: kubeadm.k8s.io/v1beta4\n",
            "every document needs apiVersion and kind",
        ),
        (
            "missing apiVersion",
            "kind: InitConfiguration\n",
            "every document needs apiVersion and kind",
        ),
        (
            "not a mapping",
            "- a\n- b\n",
            "expected a mapping of fields",
        ),
        (
            "wrong kind",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: MasterConfiguration\n",
            r#"no kind "MasterConfiguration" is registered for version "kubeadm.k8s.io/v1beta4"; expected one of InitConfiguration,"#,
        ),
        (
            "v1beta3 has no ResetConfiguration",
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ResetConfiguration\n",
            "expected one of InitConfiguration, ClusterConfiguration, JoinConfiguration",
        ),
        (
            "v1beta2 rejected",
            "apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\n",
            r#"your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta2" (kind: "InitConfiguration"). Please use kubeadm v1.22 instead"#,
        ),
        (
            "unknown kubeadm version",
            "apiVersion: kubeadm.k8s.io/v2\nkind: InitConfiguration\n",
            r#"apiVersion "kubeadm.k8s.io/v2" is not supported; expected kubeadm.k8s.io/v1beta4"#,
        ),
        (
            "duplicate documents",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n",
            "document 2 (InitConfiguration): duplicate InitConfiguration (first in document 1)",
        ),
        (
            "kubelet config of another version",
            "apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n",
            r#"apiVersion "kubelet.config.k8s.io/v1" is not supported for KubeletConfiguration; expected kubelet.config.k8s.io/v1beta1"#,
        ),
    ];
    for (name, text, expected) in cases {
        let message = decode_error(text);
        assert!(
            message.contains(expected),
            "{name}: {message:?} lacks {expected:?}"
        );
    }
}

#[test]
fn v1beta3_documents_reject_v1beta4_fields_by_name() {
    let message =
        decode_error("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\ndryRun: true\n");
    assert!(message.contains("unknown field `dryRun`"), "{message}");
    assert!(
        message.contains("that field exists only in kubeadm.k8s.io/v1beta4"),
        "{message}"
    );

    let message = decode_error(
        "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n",
    );
    assert!(
        message.contains("unknown field `encryptionAlgorithm`"),
        "{message}"
    );

    // A plain typo gets no v1beta4 hint.
    let message =
        decode_error("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\ndryRn: true\n");
    assert!(!message.contains("v1beta4"), "{message}");
}

#[test]
fn other_groups_are_kept_aside_and_v1beta3_is_flagged_deprecated() {
    let text = "apiVersion: example.com/v1\nkind: Widget\n---\napiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  timeoutForControlPlane: 10m0s\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\n";
    let docs = load_documents(text, "f.yaml").unwrap();
    let decoded = docs.decode_all().unwrap();
    assert!(
        matches!(&decoded.items[0], (0, Known::Unknown { api_version, .. }) if api_version == "example.com/v1")
    );
    assert!(matches!(
        &decoded.items[1],
        (1, Known::Cluster { control_plane_timeout: Some(t), .. }) if t.to_string() == "10m0s"
    ));
    assert!(
        matches!(&decoded.items[2], (2, Known::Unused(w)) if w.contains("ResetConfiguration is not used"))
    );
    assert_eq!(decoded.deprecations.len(), 1);
    assert!(decoded.deprecations[0].contains(
        r#"uses a deprecated API spec: "kubeadm.k8s.io/v1beta3" (kind: "ClusterConfiguration")"#
    ));
}

#[test]
fn component_configs_decode_as_objects() {
    let text = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\nmaxPods: 50\n";
    let docs = load_documents(text, "f.yaml").unwrap();
    let decoded = docs.decode_all().unwrap();
    let Known::Kubelet(kubelet) = &decoded.items[0].1 else {
        panic!("expected a kubelet configuration");
    };
    assert_eq!(kubelet["cgroupDriver"], "systemd");
    assert_eq!(kubelet["maxPods"], 50);
}
