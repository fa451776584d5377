//! The bad-input corpus: every case fails with a clear one-line error naming the field or value,
//! exits non-zero, and leaves the node root exactly as it was (empty).

use crate::common;

use common::{kubeadm, stderr, tree};

/// A config file fixture: (name, contents).
type File = (&'static str, &'static str);

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    file: Option<File>,
    /// An example plugin copied beside the config file as `<name>.wasm`.
    plugin: Option<&'static str>,
    /// Substrings the error line must contain.
    expect: &'static [&'static str],
}

const INIT_V4: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";

/// An InitConfiguration followed by a PluginConfiguration.
macro_rules! with_plugins {
    ($plugins:literal) => {
        concat!(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\n",
            "apiVersion: kubeadm-rs.io/v1alpha1\nkind: PluginConfiguration\n",
            $plugins
        )
    };
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "token that is not a bootstrap token",
            args: &["--token", "abcdef.TOOSHORT"],
            file: None,
            plugin: None,
            expect: &["bootstrapTokens[0].token", "[a-z0-9]{6}.[a-z0-9]{16}"],
        },
        Case {
            name: "token TTL that is not a duration",
            args: &["--token-ttl", "3x"],
            file: None,
            plugin: None,
            expect: &["--token-ttl", "\"3x\"", "duration"],
        },
        Case {
            name: "certificate key that is not 32 hex bytes",
            args: &["--upload-certs", "--certificate-key", "0123abc"],
            file: None,
            plugin: None,
            expect: &["certificateKey", "64 hexadecimal characters"],
        },
        Case {
            name: "pod CIDR with a /33 mask",
            args: &["--pod-network-cidr", "10.244.0.0/33"],
            file: None,
            plugin: None,
            expect: &["networking.podSubnet", "10.244.0.0/33", "CIDR"],
        },
        Case {
            name: "service CIDR without a mask",
            args: &["--service-cidr", "10.96.0.0"],
            file: None,
            plugin: None,
            expect: &["networking.serviceSubnet", "10.96.0.0"],
        },
        Case {
            name: "service CIDR too small for the DNS address",
            args: &["--service-cidr", "10.96.0.0/30"],
            file: None,
            plugin: None,
            expect: &["networking.serviceSubnet", "10.96.0.0/30"],
        },
        Case {
            name: "advertise address that is not an IP",
            args: &["--apiserver-advertise-address", "300.1.1.1"],
            file: None,
            plugin: None,
            expect: &["advertiseAddress", "300.1.1.1"],
        },
        Case {
            name: "bind port out of range",
            args: &["--apiserver-bind-port", "70000"],
            file: None,
            plugin: None,
            expect: &["bindPort", "70000"],
        },
        Case {
            name: "Kubernetes version too old",
            args: &["--kubernetes-version", "v1.20.0"],
            file: None,
            plugin: None,
            expect: &["kubernetesVersion", "v1.20.0"],
        },
        Case {
            name: "Kubernetes version that is not a version",
            args: &["--kubernetes-version", "banana"],
            file: None,
            plugin: None,
            expect: &["kubernetesVersion", "banana"],
        },
        Case {
            name: "node name with capitals and underscore",
            args: &["--node-name", "Bad_Name"],
            file: None,
            plugin: None,
            expect: &["nodeRegistration.name", "bad_name"],
        },
        Case {
            name: "DNS domain with a space",
            args: &["--service-dns-domain", "bad domain"],
            file: None,
            plugin: None,
            expect: &["networking.dnsDomain", "bad domain"],
        },
        Case {
            name: "unknown feature gate",
            args: &["--feature-gates", "NoSuchGate=true"],
            file: None,
            plugin: None,
            expect: &["NoSuchGate"],
        },
        Case {
            name: "feature gate value that is not a boolean",
            args: &["--feature-gates", "NodeLocalCRISocket=maybe"],
            file: None,
            plugin: None,
            expect: &["NodeLocalCRISocket", "maybe"],
        },
        Case {
            name: "unknown phase to skip",
            args: &["--skip-phases", "cert"],
            file: None,
            plugin: None,
            expect: &["invalid phase name: cert"],
        },
        Case {
            name: "certificate SAN that is neither IP nor DNS name",
            args: &["--apiserver-cert-extra-sans", "bad san!"],
            file: None,
            plugin: None,
            expect: &["certSANs", "bad san!"],
        },
        Case {
            name: "CRI socket with a tcp scheme",
            args: &["--cri-socket", "tcp://10.0.0.1:1234"],
            file: None,
            plugin: None,
            expect: &["criSocket", "tcp://10.0.0.1:1234"],
        },
        Case {
            name: "control-plane endpoint with a bad port",
            args: &["--control-plane-endpoint", "cp.example.com:99999"],
            file: None,
            plugin: None,
            expect: &["controlPlaneEndpoint", "cp.example.com:99999"],
        },
        Case {
            name: "config file that does not exist",
            args: &["--config", "/nonexistent/kubeadm.yaml"],
            file: None,
            plugin: None,
            expect: &["/nonexistent/kubeadm.yaml"],
        },
        Case {
            name: "config mixed with a config-bound flag",
            args: &["--pod-network-cidr", "10.244.0.0/16"],
            file: Some(("mixed.yaml", INIT_V4)),
            plugin: None,
            expect: &["can not mix '--config' with arguments [pod-network-cidr]"],
        },
        Case {
            name: "unknown field in a ClusterConfiguration",
            args: &[],
            file: Some((
                "unknown.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworkin:\n  podSubnet: 10.244.0.0/16\n",
            )),
            plugin: None,
            expect: &["networkin", "document 1", "ClusterConfiguration"],
        },
        Case {
            name: "unknown nested field names its document",
            args: &[],
            file: Some((
                "nested.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnett: 10.244.0.0/16\n",
            )),
            plugin: None,
            expect: &["podSubnett", "document 2"],
        },
        Case {
            name: "a kind the kubeadm API does not have",
            args: &[],
            file: Some((
                "kind.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfig\n",
            )),
            plugin: None,
            expect: &["InitConfig"],
        },
        Case {
            name: "a document without kind",
            args: &[],
            file: Some((
                "nokind.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nnetworking: {}\n",
            )),
            plugin: None,
            expect: &["kind"],
        },
        Case {
            name: "an API version kubeadm no longer reads",
            args: &[],
            file: Some((
                "old.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n",
            )),
            plugin: None,
            expect: &["kubeadm.k8s.io/v1beta2"],
        },
        Case {
            name: "YAML that does not parse",
            args: &[],
            file: Some((
                "broken.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking: [unclosed\n",
            )),
            plugin: None,
            expect: &["broken.yaml"],
        },
        Case {
            name: "pod subnet in the config file",
            args: &[],
            file: Some((
                "podsubnet.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/33\n",
            )),
            plugin: None,
            expect: &["networking.podSubnet: \"10.244.0.0/33\" is not a valid CIDR"],
        },
        Case {
            name: "an unsupported encryption algorithm",
            args: &[],
            file: Some((
                "alg.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: RSA-1024\n",
            )),
            plugin: None,
            expect: &["encryptionAlgorithm", "RSA-1024"],
        },
        Case {
            name: "a bootstrap token with capitals",
            args: &[],
            file: Some((
                "token.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: ABCDEF.0123456789abcdef\n",
            )),
            plugin: None,
            expect: &["bootstrapTokens[0].token"],
        },
        Case {
            name: "a bootstrap token that is too short",
            args: &[],
            file: Some((
                "short.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123\n",
            )),
            plugin: None,
            expect: &["bootstrapTokens[0].token"],
        },
        Case {
            name: "an unknown token usage",
            args: &[],
            file: Some((
                "usage.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789abcdef\n  usages: [signing, flying]\n",
            )),
            plugin: None,
            expect: &["usages", "flying"],
        },
        Case {
            name: "a token group outside system:bootstrappers",
            args: &[],
            file: Some((
                "group.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789abcdef\n  groups: [\"system:masters\"]\n",
            )),
            plugin: None,
            expect: &["groups", "system:masters"],
        },
        Case {
            name: "a TTL in days",
            args: &[],
            file: Some((
                "ttl.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789abcdef\n  ttl: 1d\n",
            )),
            plugin: None,
            expect: &["1d"],
        },
        Case {
            name: "the same kind twice",
            args: &[],
            file: Some((
                "dup.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n",
            )),
            plugin: None,
            expect: &["duplicate ClusterConfiguration"],
        },
        Case {
            name: "a v1beta4-only field in a v1beta3 document",
            args: &[],
            file: Some((
                "v3.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n",
            )),
            plugin: None,
            expect: &["encryptionAlgorithm"],
        },
        Case {
            name: "a component config with the wrong API version",
            args: &[],
            file: Some((
                "kubelet.yaml",
                "apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n",
            )),
            plugin: None,
            expect: &["kubelet.config.k8s.io/v1"],
        },
        Case {
            name: "a certificate key that is not 32 bytes of hex",
            args: &[],
            file: Some((
                "certkey.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: xyz\n",
            )),
            plugin: None,
            expect: &["certificateKey"],
        },
        Case {
            name: "local and external etcd together",
            args: &[],
            file: Some((
                "etcd.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\netcd:\n  local:\n    dataDir: /var/lib/etcd\n  external:\n    endpoints: [\"https://10.0.0.9:2379\"]\n",
            )),
            plugin: None,
            expect: &["etcd"],
        },
        Case {
            name: "an extra volume with a relative host path",
            args: &[],
            file: Some((
                "vol.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraVolumes:\n  - name: audit\n    hostPath: audit\n    mountPath: /etc/audit\n",
            )),
            plugin: None,
            expect: &["hostPath", "audit"],
        },
        Case {
            name: "an unknown image pull policy",
            args: &[],
            file: Some((
                "pull.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n  imagePullPolicy: Sometimes\n",
            )),
            plugin: None,
            expect: &["imagePullPolicy", "Sometimes"],
        },
        Case {
            name: "a certificate validity that is not a duration",
            args: &[],
            file: Some((
                "validity.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificateValidityPeriod: forever\n",
            )),
            plugin: None,
            expect: &["forever"],
        },
        Case {
            name: "v1beta3 extraArgs written as a v1beta4 list",
            args: &[],
            file: Some((
                "v3args.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n  - name: v\n    value: \"4\"\n",
            )),
            plugin: None,
            expect: &["document 1"],
        },
        Case {
            name: "a config file that never ends",
            args: &["--config", "/dev/zero"],
            file: None,
            plugin: None,
            expect: &["/dev/zero", "it is a character device, not a regular file"],
        },
        Case {
            name: "a plugin file that never ends",
            args: &[],
            file: Some((
                "zero.yaml",
                with_plugins!("plugins:\n- name: zero\n  source: {path: /dev/zero}\n"),
            )),
            plugin: None,
            expect: &["plugin zero", "/dev/zero", "not a regular file"],
        },
        Case {
            name: "a PluginConfiguration of an unknown version",
            args: &[],
            file: Some((
                "pluginversion.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm-rs.io/v1beta9\nkind: PluginConfiguration\n",
            )),
            plugin: None,
            expect: &[
                "\"kubeadm-rs.io/v1beta9\"",
                "PluginConfiguration",
                "kubeadm-rs.io/v1alpha1",
            ],
        },
        Case {
            name: "a plugin enabled with a string",
            args: &[],
            file: Some((
                "enabled.yaml",
                with_plugins!("plugins:\n- name: a\n  enabled: \"no\"\n  source: {name: a}\n"),
            )),
            plugin: None,
            expect: &["plugins[0].enabled", "\"no\"", "true or false"],
        },
        Case {
            name: "a plugin named after a built-in addon",
            args: &[],
            file: Some((
                "coredns.yaml",
                with_plugins!("plugins:\n- name: coredns\n  source: {name: a}\n"),
            )),
            plugin: None,
            expect: &["plugins[0].name", "\"coredns\"", "built-in phase"],
        },
        Case {
            name: "a configured signature file that is missing",
            args: &["--allow-unsigned-plugins"],
            file: Some((
                "signature.yaml",
                with_plugins!(
                    "plugins:\n- name: kernel-modules\n  source: {path: kernel_modules.wasm}\n  signature: kernel_modules.sig\n"
                ),
            )),
            plugin: Some("kernel_modules"),
            expect: &["kernel_modules.sig", "there is no such file"],
        },
        Case {
            name: "a bind port written as a string",
            args: &[],
            file: Some((
                "port.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  bindPort: \"6443\"\n",
            )),
            plugin: None,
            expect: &[
                "localAPIEndpoint.bindPort",
                "\"6443\"",
                "expected an integer",
            ],
        },
        Case {
            name: "a kubelet maxPods that is not a number",
            args: &[],
            file: Some((
                "maxpods.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: lots\n",
            )),
            plugin: None,
            expect: &[
                "KubeletConfiguration",
                "maxPods",
                "\"lots\"",
                "expected an integer",
            ],
        },
        Case {
            name: "a kube-proxy option of the wrong type",
            args: &[],
            file: Some((
                "proxy.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nconntrack:\n  maxPerCore: many\n",
            )),
            plugin: None,
            expect: &["KubeProxyConfiguration", "conntrack.maxPerCore", "\"many\""],
        },
        Case {
            name: "a read-path grant of /proc",
            args: &[],
            file: Some((
                "proc.yaml",
                with_plugins!(
                    "plugins:\n- name: peek\n  source: {name: peek}\n  grants: {readPaths: [/etc, /proc]}\n"
                ),
            )),
            plugin: None,
            expect: &[
                "plugins[0].grants.readPaths[1]",
                "plugin peek",
                "\"/proc\" is never granted",
                "/proc/self is kubeadm-rs itself",
            ],
        },
        Case {
            name: "a read-path grant below /sys",
            args: &[],
            file: Some((
                "sys.yaml",
                with_plugins!(
                    "plugins:\n- name: peek\n  source: {name: peek}\n  grants: {readPaths: [/sys/kernel]}\n"
                ),
            )),
            plugin: None,
            expect: &["plugin peek", "\"/sys/kernel\" is never granted"],
        },
        Case {
            name: "an unknown phase to skip, with a plugin enabled",
            args: &["--allow-unsigned-plugins", "--skip-phases", "bogus"],
            file: Some((
                "skip.yaml",
                with_plugins!(
                    "plugins:\n- name: kernel-modules\n  source: {path: kernel_modules.wasm}\n"
                ),
            )),
            plugin: Some("kernel_modules"),
            expect: &["invalid phase name: bogus"],
        },
        Case {
            name: "a plugin skipped under the other kind's phase",
            args: &[
                "--allow-unsigned-plugins",
                "--skip-phases",
                "addon/kernel-modules",
            ],
            file: Some((
                "kind.yaml",
                with_plugins!(
                    "plugins:\n- name: kernel-modules\n  source: {path: kernel_modules.wasm}\n"
                ),
            )),
            plugin: Some("kernel_modules"),
            expect: &["invalid phase name: addon/kernel-modules"],
        },
        Case {
            name: "a plugin refused after it compiled",
            args: &["--allow-unsigned-plugins"],
            file: Some((
                "foreign.yaml",
                with_plugins!(
                    "plugins:\n- name: hostile-foreign-import\n  source: {path: hostile_foreign_import.wasm}\n"
                ),
            )),
            plugin: Some("hostile_foreign_import"),
            expect: &["hostile-foreign-import", "hostile:foreign/backdoor"],
        },
    ]
}

/// A run of four words that occurs twice in `line`, if any.
fn repeated_phrase(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let phrases: Vec<String> = words.windows(4).map(|w| w.join(" ")).collect();
    phrases
        .iter()
        .enumerate()
        .find(|(i, p)| phrases.get(i + 4..).is_some_and(|rest| rest.contains(p)))
        .map(|(_, p)| p.clone())
}

#[test]
fn every_bad_input_fails_cleanly_and_touches_nothing() {
    let cases = cases();
    // The README's testing section states this count.
    assert_eq!(cases.len(), 56, "the corpus has 56 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let root = tempfile::tempdir().unwrap();
        let files = tempfile::tempdir().unwrap();
        let mut cmd = kubeadm();
        cmd.args(["init", "--rootfs"]).arg(root.path());
        if let Some(plugin) = case.plugin {
            let wasm =
                std::path::Path::new(env!("KUBEADM_RS_PLUGIN_DIR")).join(format!("{plugin}.wasm"));
            std::fs::copy(wasm, files.path().join(format!("{plugin}.wasm"))).unwrap();
        }
        if let Some((name, text)) = case.file {
            let path = files.path().join(name);
            std::fs::write(&path, text).unwrap();
            cmd.arg("--config").arg(&path);
        }
        // Without a config file, pin the values a host would otherwise supply.
        if case.file.is_none() && !case.args.contains(&"--apiserver-advertise-address") {
            cmd.args(["--apiserver-advertise-address", "10.0.0.5"]);
        }
        if case.file.is_none() && !case.args.contains(&"--node-name") {
            cmd.args(["--node-name", "node-1"]);
        }
        cmd.args(case.args);
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        let first = err.lines().find(|l| l.starts_with("error: ")).unwrap_or("");
        let problems: Vec<String> = [
            (out.status.code() != Some(1))
                .then(|| format!("exit code {:?}, want 1", out.status.code())),
            first.is_empty().then(|| "no `error:` line".to_string()),
            case.expect
                .iter()
                .find(|e| !first.contains(*e))
                .map(|e| format!("error line lacks {e:?}")),
            (!tree(root.path()).is_empty())
                .then(|| format!("root was touched: {:?}", tree(root.path()))),
            repeated_phrase(first).map(|p| format!("error line says {p:?} twice")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                case.name,
                problems.join("; "),
                err.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Writes `config` (enabling the kernel-modules example plugin) and the plugin into a fresh
/// directory; returns it and the config file's path.
fn plugin_config(config: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let files = tempfile::tempdir().unwrap();
    let wasm = std::path::Path::new(env!("KUBEADM_RS_PLUGIN_DIR")).join("kernel_modules.wasm");
    std::fs::copy(wasm, files.path().join("kernel_modules.wasm")).unwrap();
    let path = files.path().join("kubeadm.yaml");
    std::fs::write(&path, config).unwrap();
    (files, path)
}

#[test]
fn help_and_usage_errors_with_plugins_enabled_leave_nothing_under_the_rootfs() {
    let (_files, config) = plugin_config(with_plugins!(
        "plugins:\n- name: kernel-modules\n  source: {path: kernel_modules.wasm}\n"
    ));
    // (arguments between `init` and `--rootfs R --config F --allow-unsigned-plugins`, exit
    // code, what the output must say)
    let cases: &[(&[&str], i32, &str)] = &[
        (&["phase", "preflight", "--help"], 0, "kernel-modules"),
        (&["phase", "preflight", "--bad-flag"], 2, "--bad-flag"),
        (
            &["phase", "preflight", "kernel-modules", "--nope"],
            2,
            "--nope",
        ),
        (&["phase", "bogus"], 2, "bogus"),
    ];
    for (args, code, says) in cases {
        let root = tempfile::tempdir().unwrap();
        let out = kubeadm()
            .arg("init")
            .args(*args)
            .arg("--rootfs")
            .arg(root.path())
            .arg("--config")
            .arg(&config)
            .arg("--allow-unsigned-plugins")
            .output()
            .unwrap();
        let text = format!("{}{}", common::stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {text}");
        assert!(text.contains(says), "{args:?}: {text}");
        assert_eq!(tree(root.path()), Vec::<String>::new(), "{args:?}: {text}");
    }
}

#[test]
fn unknown_component_config_fields_warn_once_in_init_and_fail_validation() {
    let files = tempfile::tempdir().unwrap();
    let config = files.path().join("kubeadm.yaml");
    std::fs::write(
        &config,
        concat!(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n",
            "---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPod: 110\n",
        ),
    )
    .unwrap();
    let out = kubeadm()
        .args(["config", "validate", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains(
            "(KubeletConfiguration): strict decoding error: unknown field \"maxPod\"; expected only the fields of kubelet.config.k8s.io/v1beta1 KubeletConfiguration"
        ),
        "{err}"
    );

    // init goes on, as kubeadm does, with one warning.
    let root = tempfile::tempdir().unwrap();
    let out = kubeadm()
        .args(["init", "phase", "certs", "ca", "--rootfs"])
        .arg(root.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let text = format!("{}{}", common::stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        text.matches("unknown field \"maxPod\"").count(),
        1,
        "{text}"
    );
}
