use super::*;
use crate::config::{InitOverrides, load_documents, resolve_init};
use crate::test_support::FakeHost;

const KEY: &str = "RWRgYmNz8z9TxF7NCTvEfw4ZbFzC0sunieOw8dGwqJ3gdvinH2Li1xn3";

const FULL: &str = r#"apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
---
apiVersion: kubeadm-rs.io/v1alpha1
kind: PluginConfiguration
trustedKeys:
  - name: acme
    publicKey: RWRgYmNz8z9TxF7NCTvEfw4ZbFzC0sunieOw8dGwqJ3gdvinH2Li1xn3
plugins:
  - name: min-resources
    source: {name: min_resources}
    sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    parameters:
      min-cpus: 2
      min-memory: 1700Mi
      strict: true
    limits:
      timeout: 500ms
      memory: 32Mi
    onFailure: warn
  - name: flannel
    enabled: false
    source: {path: /opt/plugins/flannel.wasm}
    signature: flannel.wasm.minisig
    grants:
      readPaths: [/etc/cni]
      clusterApply:
        - {kind: Namespace}
        - {kind: DaemonSet, namespaces: [kube-flannel, kube-system]}
    limits: {maxObjects: 20, maxOutputBytes: 1Mi}
"#;

fn resolve(text: &str) -> Result<Option<PluginConfiguration>, String> {
    let docs = load_documents(text, "kubeadm.yaml").map_err(|e| e.to_string())?;
    resolve_init(Some(&docs), &InitOverrides::default(), &FakeHost::default())
        .map(|(cfg, _)| cfg.plugins)
        .map_err(|e| e.to_string())
}

#[test]
fn the_plugin_document_of_a_config_file_lands_on_init_config() {
    let plugins = resolve(FULL).unwrap().expect("plugins parsed");
    assert_eq!(plugins.trusted_keys[0].name, "acme");
    let min = plugins.plugin("min-resources").unwrap();
    assert_eq!(
        min.parameters.0,
        vec![
            ("min-cpus".to_string(), "2".to_string()),
            ("min-memory".to_string(), "1700Mi".to_string()),
            ("strict".to_string(), "true".to_string()),
        ]
    );
    assert_eq!(min.limits.timeout, Some("500ms".parse().unwrap()));
    assert_eq!(min.limits.memory, Some(ByteSize::mib(32)));
    assert_eq!(min.on_failure, OnFailure::Warn);
    assert!(min.enabled);
    assert_eq!(min.source.name.as_deref(), Some("min_resources"));
    let flannel = plugins.plugin("flannel").unwrap();
    assert_eq!(flannel.on_failure, OnFailure::Error);
    assert!(!flannel.enabled);
    assert_eq!(flannel.grants.read_paths, vec!["/etc/cni"]);
    let scope = |kind: &str, ns: Option<&str>| ObjectScope {
        kind: kind.into(),
        namespace: ns.map(str::to_string),
    };
    let [namespace, daemonset] = &flannel.grants.cluster_apply[..] else {
        panic!("two grants")
    };
    assert!(namespace.covers(&scope("Namespace", None)));
    assert!(!namespace.covers(&scope("Namespace", Some("default"))));
    assert!(daemonset.covers(&scope("DaemonSet", Some("kube-system"))));
    assert!(!daemonset.covers(&scope("DaemonSet", Some("default"))));
    assert!(!daemonset.covers(&scope("DaemonSet", None)));
    assert_eq!(
        scope("DaemonSet", Some("kube-flannel")).grant_item(),
        "{kind: DaemonSet, namespaces: [kube-flannel]}"
    );
    assert_eq!(flannel.limits.max_objects, Some(20));
    assert_eq!(flannel.limits.max_output_bytes, Some(ByteSize::mib(1)));
}

#[test]
fn a_file_without_plugins_has_none() {
    let text = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";
    assert_eq!(resolve(text).unwrap(), None);
}

fn plugin_doc(body: &str) -> String {
    format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm-rs.io/v1alpha1\nkind: PluginConfiguration\n{body}"
    )
}

#[test]
fn invalid_plugin_documents_say_which_field_is_wrong() {
    let cases = [
        (
            "unknown field",
            "plugins:\n  - name: a\n    source: {name: a}\n    grant: {}\n",
            "unknown field `grant`",
        ),
        (
            "bad name",
            "plugins:\n  - name: Net_Sysctls\n    source: {name: a}\n",
            "plugins[0].name: \"Net_Sysctls\" is not a plugin name",
        ),
        (
            "duplicate name",
            "plugins:\n  - name: a\n    source: {name: a}\n  - name: a\n    source: {name: a}\n",
            "plugins[1].name: duplicate plugin \"a\"",
        ),
        (
            "short digest",
            "plugins:\n  - name: a\n    source: {name: a}\n    sha256: abc\n",
            "plugins[0].sha256: \"abc\" is not a sha256 digest",
        ),
        (
            "relative read path",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {readPaths: [etc]}\n",
            "plugins[0].grants.readPaths[0]: \"etc\" is not a clean absolute path",
        ),
        (
            "dot-dot read path",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {readPaths: [/etc/../root]}\n",
            "plugins[0].grants.readPaths[0]: \"/etc/../root\" is not a clean absolute path",
        ),
        (
            "a /proc grant",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {readPaths: [/proc]}\n",
            "plugins[0].grants.readPaths[0]: plugin a: \"/proc\" is never granted: it is in the kernel's process table, where /proc/self is kubeadm-rs itself",
        ),
        (
            "a grant below /sys",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {readPaths: [/etc, /sys/kernel]}\n",
            "plugins[0].grants.readPaths[1]: plugin a: \"/sys/kernel\" is never granted: it is in the kernel's objects",
        ),
        (
            "a /dev grant",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {readPaths: [/dev]}\n",
            "plugins[0].grants.readPaths[0]: plugin a: \"/dev\" is never granted: it is in device nodes",
        ),
        (
            "a grant of the whole node",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {readPaths: [/]}\n",
            "plugins[0].grants.readPaths[0]: plugin a: \"/\" is never granted: it holds /proc",
        ),
        (
            "sysctl with a slash",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {sysctls: [net/ipv4]}\n",
            "plugins[0].grants.sysctls[0]: \"net/ipv4\" is not a sysctl key",
        ),
        (
            "empty namespace",
            "plugins:\n  - name: a\n    source: {name: a}\n    grants: {clusterApply: [{kind: Secret, namespaces: ['']}]}\n",
            "plugins[0].grants.clusterApply[0].namespaces: a namespace must not be empty",
        ),
        (
            "zero timeout",
            "plugins:\n  - name: a\n    source: {name: a}\n    limits: {timeout: 0s}\n",
            "plugins[0].limits.timeout: 0s is out of range",
        ),
        (
            "huge memory",
            "plugins:\n  - name: a\n    source: {name: a}\n    limits: {memory: 8Gi}\n",
            "plugins[0].limits.memory: 8Gi is out of range",
        ),
        (
            "memory unit",
            "plugins:\n  - name: a\n    source: {name: a}\n    limits: {memory: 64MB}\n",
            "\"64MB\" is not a byte size",
        ),
        (
            "onFailure",
            "plugins:\n  - name: a\n    source: {name: a}\n    onFailure: panic\n",
            "unknown variant `panic`",
        ),
        (
            "duplicate parameter",
            "plugins:\n  - name: a\n    source: {name: a}\n    parameters: {x: 1, x: 2}\n",
            "duplicate",
        ),
        (
            "bad key",
            "trustedKeys:\n  - name: k\n    publicKey: not-a-key\n",
            "trustedKeys[0].publicKey: \"not-a-key\" is not a minisign public key",
        ),
        (
            "no source",
            "plugins:\n  - name: a\n",
            "missing field `source`",
        ),
        (
            "two sources",
            "plugins:\n  - name: a\n    source: {name: a, path: /a.wasm}\n",
            "plugins[0].source: expected exactly one of path",
        ),
        (
            "the name of a built-in addon phase",
            "plugins:\n  - name: coredns\n    source: {name: a}\n",
            "plugins[0].name: \"coredns\" is the name of a built-in phase",
        ),
        (
            "the name of kube-proxy's phase",
            "plugins:\n  - name: kube-proxy\n    source: {name: a}\n",
            "plugins[0].name: \"kube-proxy\" is the name of a built-in phase",
        ),
        (
            "all",
            "plugins:\n  - name: all\n    source: {name: a}\n",
            "plugins[0].name: \"all\" is the name of a built-in phase",
        ),
        (
            "enabled as a string",
            "plugins:\n  - name: a\n    enabled: \"no\"\n    source: {name: a}\n",
            "plugins[0].enabled",
        ),
        (
            "source name with a slash",
            "plugins:\n  - name: a\n    source: {name: ../a}\n",
            "plugins[0].source.name: \"../a\" is not a file name",
        ),
        (
            "oci and a path",
            "plugins:\n  - name: a\n    source: {oci: \"oci://r.example/a:1\", path: /a.wasm}\n    sha256: 3f1c000000000000000000000000000000000000000000000000000000000000\n",
            "plugins[0].source: expected exactly one of path",
        ),
        (
            "oci without the scheme",
            "plugins:\n  - name: a\n    source: {oci: r.example/a:1}\n",
            "plugins[0].source.oci: \"r.example/a:1\" is not a plugin reference: it does not start with oci://",
        ),
        (
            "an unpinned oci tag",
            "plugins:\n  - name: a\n    source: {oci: \"oci://r.example/a:1\"}\n",
            "plugins[0].source.oci: \"oci://r.example/a:1\" is not pinned; expected @sha256:<manifest digest>",
        ),
        (
            "a caFile for a file source",
            "plugins:\n  - name: a\n    source: {name: a, caFile: ca.pem}\n",
            "plugins[0].source.caFile: only an oci source is fetched over TLS",
        ),
    ];
    for (case, body, want) in cases {
        let err = resolve(&plugin_doc(body)).expect_err(case);
        assert!(err.contains(want), "{case}: {err}");
        assert!(!err.contains('\n'), "{case}: error spans lines: {err}");
    }
}

#[test]
fn validation_errors_name_the_document() {
    let err = resolve(&plugin_doc(
        "plugins:\n  - name: A\n    source: {name: a}\n",
    ))
    .unwrap_err();
    assert!(
        err.starts_with("kubeadm.yaml: document 2 (PluginConfiguration): plugins[0].name"),
        "{err}"
    );
}

#[test]
fn the_reserved_names_are_the_built_in_phases_beside_plugins() {
    let workflow = crate::phases::init::init_workflow_with(&[]);
    let mut beside: Vec<String> = ["preflight", "addon"]
        .iter()
        .filter_map(|parent| workflow.phases.iter().find(|p| p.name == *parent))
        .flat_map(|p| p.children.iter().map(|c| c.name.to_string()))
        .chain(["all".to_string()])
        .collect();
    beside.sort();
    assert_eq!(beside, RESERVED_PLUGIN_NAMES);
}

#[test]
fn a_plugin_document_of_another_version_is_refused_not_skipped() {
    let text = plugin_doc("plugins:\n  - name: a\n    source: {name: a}\n")
        .replace("kubeadm-rs.io/v1alpha1", "kubeadm-rs.io/v1beta9");
    let err = resolve(&text).unwrap_err();
    assert!(
        err.contains("apiVersion \"kubeadm-rs.io/v1beta9\" is not supported for PluginConfiguration; expected kubeadm-rs.io/v1alpha1"),
        "{err}"
    );
}

#[test]
fn other_kinds_of_the_kubeadm_rs_group_are_refused() {
    let text = "apiVersion: kubeadm-rs.io/v1alpha1\nkind: PluginConfig\n";
    let err = load_documents(text, "c.yaml")
        .and_then(|d| d.decode_all().map(|_| ()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no kind \"PluginConfig\" is registered"),
        "{err}"
    );
}

#[test]
fn byte_sizes_read_the_quantities_the_sdk_reads() {
    // The contract's table, which the SDK's `Params::bytes_or` runs too.
    for (text, bytes) in kubeadm_rs_plugin_contract::quantity::CASES {
        assert_eq!(
            text.parse::<ByteSize>().ok(),
            bytes.map(ByteSize),
            "{text:?}"
        );
    }
    assert_eq!(ByteSize::mib(64).to_string(), "64Mi");
    assert_eq!(ByteSize(1000).to_string(), "1000");
}

#[test]
fn a_config_round_trips_through_yaml() {
    let plugins = resolve(FULL).unwrap().unwrap();
    let text = serde_saphyr::to_string(&plugins).unwrap();
    let back: PluginConfiguration = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(back, plugins);
    assert!(text.contains(KEY));
}

#[test]
fn an_oci_source_is_pinned_by_its_manifest_digest_or_the_wasm_sha256() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let by_digest = resolve(&plugin_doc(&format!(
        "plugins:\n  - name: a\n    source: {{oci: \"oci://127.0.0.1:5000/acme/a:1@{digest}\", caFile: ca.pem}}\n"
    )))
    .unwrap()
    .unwrap();
    let source = &by_digest.plugins[0].source;
    assert_eq!(
        source.oci.as_deref(),
        Some(format!("oci://127.0.0.1:5000/acme/a:1@{digest}").as_str())
    );
    assert_eq!(source.ca_file.as_deref(), Some("ca.pem"));
    let by_sha = resolve(&plugin_doc(&format!(
        "plugins:\n  - name: a\n    source: {{oci: \"oci://r.example/a:1\"}}\n    sha256: {}\n",
        "cd".repeat(32)
    )));
    assert!(by_sha.is_ok(), "{by_sha:?}");
}
