//! `--patches` (config `patches.directory`) through the `etcd` and `control-plane` phases
//! and the kubelet configuration: every patch type, kubeadm's file naming and order, the
//! `[patches]` messages, and one-line errors that name the bad file.

use crate::common;

use std::path::PathBuf;
use std::sync::Arc;

use common::run_ok;
use kubeadm_rs::config::{InitConfig, InitOverrides};
use kubeadm_rs::events::{Event, Events, Recorder};
use kubeadm_rs::manifests::kubelet::instance_config;
use kubeadm_rs::manifests::patches::Patches;
use kubeadm_rs::manifests::{defaulted_kubelet_configuration, render_kubelet_config};
use kubeadm_rs_tests::{init_config, run_phases, schema_validator};
use serde_json::{Value, json};

struct Setup {
    root: tempfile::TempDir,
    patches: tempfile::TempDir,
}

impl Setup {
    fn new(files: &[(&str, &str)]) -> Self {
        let setup = Setup {
            root: tempfile::tempdir().unwrap(),
            patches: tempfile::tempdir().unwrap(),
        };
        for (name, text) in files {
            std::fs::write(setup.patches.path().join(name), text).unwrap();
        }
        setup
    }

    fn cfg(&self) -> InitConfig {
        let text = format!(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\
             localAPIEndpoint:\n  advertiseAddress: 10.0.0.5\nnodeRegistration:\n  name: node-a\n\
             patches:\n  directory: {}\n",
            self.patches.path().display()
        );
        init_config(Some(&text), &InitOverrides::default())
    }

    /// Runs `init phase <filter>`; returns the info messages, or the failure.
    fn run(&self, filter: &str) -> Result<Vec<String>, String> {
        let recorder = Arc::new(Recorder::default());
        let events = Events::new(recorder.clone());
        run_phases(self.root.path(), &self.cfg(), Some(filter), &[], events)
            .map_err(|e| e.to_string())?;
        Ok(recorder
            .take()
            .into_iter()
            .filter_map(|e| match e {
                Event::Info { message } => Some(message),
                _ => None,
            })
            .collect())
    }

    fn manifest_path(&self, name: &str) -> PathBuf {
        self.root
            .path()
            .join(format!("etc/kubernetes/manifests/{name}.yaml"))
    }

    fn manifest(&self, name: &str) -> Value {
        let text = std::fs::read_to_string(self.manifest_path(name)).unwrap();
        serde_saphyr::from_str(&text).unwrap()
    }
}

fn container(pod: &Value) -> &Value {
    &pod["spec"]["containers"][0]
}

fn validator_check(files: &[PathBuf]) -> String {
    let out = run_ok(schema_validator().args(files));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn patches_of_every_type_are_applied_in_file_order_to_their_targets() {
    let setup = Setup::new(&[
        (
            "kube-apiserver0.yaml",
            "spec:\n  containers:\n  - name: kube-apiserver\n    env:\n    - name: GODEBUG\n      value: x509sha1=1\n    \
             volumeMounts:\n    - name: audit\n      mountPath: /var/log/audit\n  volumes:\n  - name: audit\n    \
             hostPath:\n      path: /var/log/audit\n      type: DirectoryOrCreate\n",
        ),
        (
            "kube-apiserver1+json.json",
            r#"[{"op": "add", "path": "/metadata/annotations/example.com~1patched", "value": "json"},
                {"op": "add", "path": "/spec/containers/0/command/-", "value": "--audit-log-path=/var/log/audit/audit.log"}]"#,
        ),
        (
            "etcd+merge.yaml",
            "metadata:\n  labels:\n    tier: storage\n---\nspec:\n  containers:\n  - name: etcd\n    image: registry.example.com/etcd:3.6.4-0\n    command: [etcd]\n",
        ),
        (
            "kube-scheduler.yaml",
            "spec:\n  containers:\n  - name: kube-scheduler\n    resources:\n      requests:\n        cpu: 50m\n",
        ),
        ("notes.txt", "not a patch"),
    ]);
    let cp = setup.run("control-plane").unwrap();
    assert!(
        cp.iter()
            .any(|m| m.starts_with("[patches] Reading patches from path ")),
        "{cp:?}"
    );
    assert!(
        cp.contains(
            &"[patches] Ignoring file \"notes.txt\": the file extension must be one of [json yaml]"
                .to_string()
        ),
        "{cp:?}"
    );
    let applied: Vec<&String> = cp
        .iter()
        .filter(|m| m.starts_with("[patches] Applied"))
        .collect();
    assert_eq!(
        applied,
        [
            "[patches] Applied patch of type \"application/strategic-merge-patch+json\" to target \"kube-apiserver\"",
            "[patches] Applied patch of type \"application/json-patch+json\" to target \"kube-apiserver\"",
            "[patches] Applied patch of type \"application/strategic-merge-patch+json\" to target \"kube-scheduler\"",
        ]
    );

    let api = setup.manifest("kube-apiserver");
    let c = container(&api);
    assert_eq!(
        c["env"],
        json!([{"name": "GODEBUG", "value": "x509sha1=1"}])
    );
    let mounts: Vec<&str> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(mounts, ["audit", "ca-certs", "k8s-certs"]);
    let command = c["command"].as_array().unwrap();
    assert_eq!(
        command.last().unwrap(),
        "--audit-log-path=/var/log/audit/audit.log"
    );
    assert!(command.contains(&json!("--secure-port=6443")));
    assert_eq!(
        api["metadata"]["annotations"]["example.com/patched"],
        "json"
    );
    let scheduler = setup.manifest("kube-scheduler");
    assert_eq!(container(&scheduler)["resources"]["requests"]["cpu"], "50m");

    let etcd = setup.run("etcd").unwrap();
    assert_eq!(
        etcd.iter()
            .filter(|m| m.starts_with("[patches] Applied"))
            .count(),
        2,
        "{etcd:?}"
    );
    let pod = setup.manifest("etcd");
    assert_eq!(pod["metadata"]["labels"]["tier"], "storage");
    // A merge patch replaces lists whole.
    assert_eq!(
        pod["spec"]["containers"],
        json!([{"name": "etcd", "image": "registry.example.com/etcd:3.6.4-0", "command": ["etcd"]}])
    );

    let files: Vec<PathBuf> = ["etcd", "kube-apiserver", "kube-scheduler"]
        .iter()
        .map(|n| setup.manifest_path(n))
        .collect();
    let report = validator_check(&files);
    assert!(
        report.ends_with("3 passed, 0 failed, 0 skipped\n"),
        "{report}"
    );
}

#[test]
fn kubelet_configuration_patches_come_before_the_instance_configuration() {
    let setup = Setup::new(&[(
        "kubeletconfiguration+merge.yaml",
        "maxPods: 50\nclusterDNS: [10.96.0.53]\ncontainerRuntimeEndpoint: unix:///ignored.sock\n",
    )]);
    let cfg = setup.cfg();
    let events = Events::discard();
    let patches = Patches::load_configured(cfg.patches_dir(), &events).unwrap();
    let yaml = render_kubelet_config(
        defaulted_kubelet_configuration(&cfg).config,
        patches.as_ref(),
        Some(&instance_config("unix:///run/containerd/containerd.sock")),
        &events,
    )
    .unwrap();
    let config: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(config["maxPods"], 50);
    assert_eq!(config["clusterDNS"], json!(["10.96.0.53"]));
    assert_eq!(
        config["containerRuntimeEndpoint"],
        "unix:///run/containerd/containerd.sock"
    );
    assert_eq!(config["staticPodPath"], "/etc/kubernetes/manifests");
}

#[test]
fn a_bad_patch_fails_the_phase_with_one_line_naming_the_file() {
    let setup = Setup::new(&[(
        "kube-controller-manager+json.yaml",
        "- op: remove\n  path: /spec/nonexistent\n",
    )]);
    let err = setup.run("control-plane/controller-manager").unwrap_err();
    let file = setup
        .patches
        .path()
        .join("kube-controller-manager+json.yaml");
    assert!(
        err.starts_with(&format!(
            "phase control-plane/controller-manager: failed to create static Pod manifest file for \
             \"kube-controller-manager\": patch file {:?}, document 1: could not apply the patch of type \
             \"application/json-patch+json\" to target \"kube-controller-manager\": ",
            file.display().to_string()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!setup.manifest_path("kube-controller-manager").exists());

    let setup = Setup::new(&[("etcd+yaml.yaml", "a: 1\n")]);
    let err = setup.run("etcd").unwrap_err();
    assert!(
        err.contains("etcd+yaml.yaml\": unknown or missing patch type after '+', must be one of [json merge strategic]"),
        "{err}"
    );
}
