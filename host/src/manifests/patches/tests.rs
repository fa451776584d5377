use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::events::{Event, Recorder};

fn recorder() -> (Arc<Recorder>, Events) {
    let recorder = Arc::new(Recorder::default());
    (recorder.clone(), Events::new(recorder))
}

fn infos(recorder: &Recorder) -> Vec<String> {
    recorder
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Info { message } => Some(message),
            _ => None,
        })
        .collect()
}

fn smp(original: Value, patch: Value) -> Value {
    strategic_merge(&original, &patch, pod_lists).unwrap()
}

fn pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-apiserver", "finalizers": ["a", "b"]},
        "spec": {
            "containers": [{
                "name": "kube-apiserver",
                "command": ["kube-apiserver", "--v=2"],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "volumeMounts": [
                    {"name": "k8s-certs", "mountPath": "/etc/kubernetes/pki", "readOnly": true},
                    {"name": "ca-certs", "mountPath": "/etc/ssl/certs", "readOnly": true}
                ],
                "ports": [{"containerPort": 6443, "name": "https"}]
            }],
            "tolerations": [{"key": "a", "operator": "Exists"}],
            "volumes": [
                {"name": "k8s-certs", "hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"}},
                {"name": "ca-certs", "hostPath": {"path": "/etc/ssl/certs", "type": "DirectoryOrCreate"}}
            ]
        }
    })
}

#[test]
fn file_names_follow_kubeadms_target_suffix_patchtype_scheme() {
    let patch = |target, patch_type| FileName::Patch { target, patch_type };
    for (name, expected) in [
        ("etcd.yaml", patch("etcd", PatchType::Strategic)),
        ("kube-apiserver0+merge.yaml", patch("kube-apiserver", PatchType::Merge)),
        ("kube-scheduler-late+json.json", patch("kube-scheduler", PatchType::Json)),
        ("kube-controller-manager+strategic.json", patch("kube-controller-manager", PatchType::Strategic)),
        ("kubeletconfiguration.patch.yaml", patch("kubeletconfiguration", PatchType::Strategic)),
        ("corednsdeployment+merge.yaml", patch("corednsdeployment", PatchType::Merge)),
        ("etcd+merge.json", patch("etcd", PatchType::Merge)),
        ("etcd+bogus.yaml", FileName::BadPatchType),
        ("etcd+.yaml", FileName::BadPatchType),
        (
            "etcd.yml",
            FileName::Ignored("the file extension must be one of [json yaml]".into()),
        ),
        (".yaml", FileName::Ignored("the file extension must be one of [json yaml]".into())),
        (
            "kube-proxy.yaml",
            FileName::Ignored(
                "unknown target, must be one of [etcd kube-apiserver kube-controller-manager kube-scheduler \
                 kubeletconfiguration corednsdeployment]"
                    .into(),
            ),
        ),
    ] {
        assert_eq!(parse_file_name(name), expected, "{name}");
    }
}

#[test]
fn a_directory_is_read_in_sorted_walk_order_with_ignored_files_reported() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "kube-apiserver1.yaml",
        "metadata:\n  labels:\n    second: \"1\"\n",
    );
    write(
        "kube-apiserver0+merge.json",
        r#"{"metadata": {"labels": {"first": "0"}}}"#,
    );
    write("b/etcd.yaml", "metadata:\n  labels:\n    nested: x\n");
    write("README.md", "not a patch");
    write("etcd-empty.yaml", "");
    write(
        "kube-apiserver2+json.yaml",
        "- op: add\n  path: /metadata/labels/third\n  value: \"2\"\n---\n- op: remove\n  path: /metadata/labels/first\n",
    );
    let (rec, events) = recorder();
    let patches = Patches::load(dir.path(), &events).unwrap();
    let order: Vec<(String, &str, PatchType, usize)> = patches
        .files
        .iter()
        .map(|f| {
            let name = Path::new(&f.file)
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string();
            (name, f.target.as_str(), f.patch_type, f.documents.len())
        })
        .collect();
    assert_eq!(
        order,
        [
            ("b/etcd.yaml".to_string(), "etcd", PatchType::Strategic, 1),
            (
                "kube-apiserver0+merge.json".to_string(),
                "kube-apiserver",
                PatchType::Merge,
                1
            ),
            (
                "kube-apiserver1.yaml".to_string(),
                "kube-apiserver",
                PatchType::Strategic,
                1
            ),
            (
                "kube-apiserver2+json.yaml".to_string(),
                "kube-apiserver",
                PatchType::Json,
                2
            ),
        ]
    );
    let shown = dir.path().display().to_string();
    assert_eq!(
        infos(&rec),
        [
            format!("[patches] Reading patches from path {shown:?}"),
            "[patches] Ignoring file \"README.md\": the file extension must be one of [json yaml]".to_string(),
            "[patches] Ignoring empty file: \"etcd-empty.yaml\"".to_string(),
            "[patches] Found the following patch files: [etcd.yaml kube-apiserver0+merge.json kube-apiserver1.yaml kube-apiserver2+json.yaml]".to_string(),
            "[patches] Ignored the following files: [README.md etcd-empty.yaml]".to_string(),
        ]
    );

    let patched = patches
        .apply(
            "kube-apiserver",
            json!({"metadata": {"name": "kube-apiserver"}}),
            pod_lists,
            &events,
        )
        .unwrap();
    assert_eq!(
        patched,
        json!({"metadata": {"name": "kube-apiserver", "labels": {"second": "1", "third": "2"}}})
    );
    assert_eq!(
        infos(&rec),
        [
            "[patches] Applied patch of type \"application/merge-patch+json\" to target \"kube-apiserver\"",
            "[patches] Applied patch of type \"application/strategic-merge-patch+json\" to target \"kube-apiserver\"",
            "[patches] Applied patch of type \"application/json-patch+json\" to target \"kube-apiserver\"",
            "[patches] Applied patch of type \"application/json-patch+json\" to target \"kube-apiserver\"",
        ]
    );
}

#[test]
fn bad_patch_files_are_one_line_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, events) = recorder();
    let path = |name: &str| dir.path().join(name).display().to_string();

    std::fs::write(dir.path().join("etcd+strategik.yaml"), "a: 1\n").unwrap();
    let err = Patches::load(dir.path(), &events).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "patch file {:?}: unknown or missing patch type after '+', must be one of [json merge strategic]",
            path("etcd+strategik.yaml")
        )
    );
    std::fs::remove_file(dir.path().join("etcd+strategik.yaml")).unwrap();

    std::fs::write(dir.path().join("etcd.yaml"), "spec: [unclosed\n").unwrap();
    let err = Patches::load(dir.path(), &events).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("patch file {:?}, document 1: ", path("etcd.yaml"))),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    std::fs::remove_file(dir.path().join("etcd.yaml")).unwrap();

    std::fs::write(
        dir.path().join("etcd+json.yaml"),
        "- op: replace\n  path: /spec/missing/field\n  value: 1\n",
    )
    .unwrap();
    let patches = Patches::load(dir.path(), &events).unwrap();
    let err = patches
        .apply("etcd", json!({"spec": {}}), pod_lists, &events)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "patch file {:?}, document 1: could not apply the patch of type \"application/json-patch+json\" to target \"etcd\": ",
            path("etcd+json.yaml")
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let missing = dir.path().join("nope");
    let err = Patches::load(&missing, &events).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "could not list patch files for path {:?}: ",
            missing.display().to_string()
        )),
        "{err}"
    );
}

#[test]
fn strategic_merge_merges_containers_env_mounts_and_ports_by_their_keys() {
    let patched = smp(
        pod(),
        json!({"spec": {"containers": [{
            "name": "kube-apiserver",
            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
            "volumeMounts": [{"name": "audit", "mountPath": "/var/log/audit"}],
            "ports": [{"containerPort": 6443, "hostPort": 6443}],
            "command": ["kube-apiserver", "--v=4"]
        }]}}),
    );
    let c = &patched["spec"]["containers"][0];
    assert_eq!(
        c["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "20"}, {"name": "C", "value": "3"}])
    );
    // A new item goes before the original items that follow it, as apimachinery orders them.
    assert_eq!(
        c["volumeMounts"],
        json!([
            {"name": "audit", "mountPath": "/var/log/audit"},
            {"name": "k8s-certs", "mountPath": "/etc/kubernetes/pki", "readOnly": true},
            {"name": "ca-certs", "mountPath": "/etc/ssl/certs", "readOnly": true}
        ])
    );
    assert_eq!(
        c["ports"],
        json!([{"containerPort": 6443, "name": "https", "hostPort": 6443}])
    );
    // Lists without a merge key are replaced.
    assert_eq!(c["command"], json!(["kube-apiserver", "--v=4"]));
}

#[test]
fn strategic_merge_adds_containers_and_replaces_lists_without_merge_keys() {
    let patched = smp(
        pod(),
        json!({"spec": {
            "containers": [{"name": "sidecar", "image": "busybox"}],
            "tolerations": [{"key": "b", "operator": "Exists"}]
        }}),
    );
    let names: Vec<&str> = patched["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sidecar", "kube-apiserver"]);
    assert_eq!(
        patched["spec"]["tolerations"],
        json!([{"key": "b", "operator": "Exists"}])
    );
}

#[test]
fn strategic_merge_directives() {
    // `$patch: delete` removes one list item; null removes a field.
    let patched = smp(
        pod(),
        json!({
            "metadata": {"finalizers": ["c"], "$deleteFromPrimitiveList/finalizers": ["a"]},
            "spec": {
                "volumes": [{"name": "ca-certs", "$patch": "delete"}],
                "containers": [{"name": "kube-apiserver", "ports": null}]
            }
        }),
    );
    assert_eq!(patched["metadata"]["finalizers"], json!(["c", "b"]));
    assert_eq!(patched["spec"]["volumes"].as_array().unwrap().len(), 1);
    assert_eq!(patched["spec"]["volumes"][0]["name"], "k8s-certs");
    assert!(patched["spec"]["containers"][0].get("ports").is_none());

    // `$patch: replace` in a list replaces the whole list; in a map, the whole map.
    let patched = smp(
        pod(),
        json!({"spec": {
            "volumes": [{"$patch": "replace"}, {"name": "only", "emptyDir": {}}],
            "containers": [{"name": "kube-apiserver", "$patch": "replace", "image": "x"}]
        }}),
    );
    assert_eq!(
        patched["spec"]["volumes"],
        json!([{"name": "only", "emptyDir": {}}])
    );
    assert_eq!(
        patched["spec"]["containers"],
        json!([{"name": "kube-apiserver", "image": "x"}])
    );

    // `$retainKeys` keeps only the listed fields of the original.
    let patched = smp(
        json!({"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/a"}}]}}),
        json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "emptyDir"], "emptyDir": {}}]}}),
    );
    assert_eq!(
        patched["spec"]["volumes"],
        json!([{"name": "v", "emptyDir": {}}])
    );

    // `$setElementOrder` orders the merged list.
    let patched = smp(
        pod(),
        json!({"spec": {"$setElementOrder/volumes": [{"name": "ca-certs"}, {"name": "k8s-certs"}]}}),
    );
    assert_eq!(patched["spec"]["volumes"][0]["name"], "ca-certs");
}

#[test]
fn strategic_merge_errors_name_the_field() {
    for (patch, expected) in [
        (
            json!({"spec": {"containers": [{"image": "x"}]}}),
            "spec.containers: a list item has no merge key \"name\"",
        ),
        (
            json!({"spec": {"containers": ["x"]}}),
            "spec.containers: list items are merged by \"name\"; each must be an object",
        ),
        (
            json!({"spec": {"$bogus": 1}}),
            "spec: unknown directive $bogus",
        ),
        (
            json!({"spec": {"$patch": "drop"}}),
            "spec: unknown $patch directive \"drop\"",
        ),
        (
            json!([1]),
            "<root>: a strategic merge patch must be an object",
        ),
    ] {
        let err = strategic_merge(&pod(), &patch, pod_lists).unwrap_err();
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn component_configs_have_no_merge_keys() {
    let patched = strategic_merge(
        &json!({"clusterDNS": ["10.96.0.10"], "featureGates": {"A": true}}),
        &json!({"clusterDNS": ["10.0.0.10"], "featureGates": {"B": false}}),
        no_merge_keys,
    )
    .unwrap();
    assert_eq!(
        patched,
        json!({"clusterDNS": ["10.0.0.10"], "featureGates": {"A": true, "B": false}})
    );
}

#[test]
fn merge_patch_follows_rfc_7386() {
    let patches = Patches {
        files: vec![
            PatchFile::parse(
                "kubeletconfiguration+merge.yaml",
                KUBELET_CONFIGURATION,
                PatchType::Merge,
                "a: null\nb:\n  c: 2\nlist: [3]\n",
            )
            .unwrap(),
        ],
    };
    let patched = patches
        .apply(
            KUBELET_CONFIGURATION,
            json!({"a": 1, "b": {"c": 1, "d": 1}, "list": [1, 2]}),
            no_merge_keys,
            &Events::discard(),
        )
        .unwrap();
    assert_eq!(patched, json!({"b": {"c": 2, "d": 1}, "list": [3]}));
}
