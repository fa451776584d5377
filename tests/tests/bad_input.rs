//! The bad-input corpus: every case fails with a clear one-line error naming the field or value,
//! exits non-zero, and leaves the node root exactly as it was (empty).

mod common;

use common::{kubeadm, stderr, tree};

/// A config file fixture: (name, contents).
type File = (&'static str, &'static str);

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    file: Option<File>,
    /// Substrings the error line must contain.
    expect: &'static [&'static str],
}

const INIT_V4: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "token that is not a bootstrap token",
            args: &["--token", "abcdef.TOOSHORT"],
            file: None,
            expect: &["bootstrapTokens[0].token", "[a-z0-9]{6}.[a-z0-9]{16}"],
        },
        Case {
            name: "token TTL that is not a duration",
            args: &["--token-ttl", "3x"],
            file: None,
            expect: &["--token-ttl", "\"3x\"", "duration"],
        },
        Case {
            name: "certificate key that is not 32 hex bytes",
            args: &["--upload-certs", "--certificate-key", "0123abc"],
            file: None,
            expect: &["certificateKey", "64 hexadecimal characters"],
        },
        Case {
            name: "pod CIDR with a /33 mask",
            args: &["--pod-network-cidr", "10.244.0.0/33"],
            file: None,
            expect: &["networking.podSubnet", "10.244.0.0/33", "CIDR"],
        },
        Case {
            name: "service CIDR without a mask",
            args: &["--service-cidr", "10.96.0.0"],
            file: None,
            expect: &["networking.serviceSubnet", "10.96.0.0"],
        },
        Case {
            name: "service CIDR too small for the DNS address",
            args: &["--service-cidr", "10.96.0.0/30"],
            file: None,
            expect: &["networking.serviceSubnet", "10.96.0.0/30"],
        },
        Case {
            name: "advertise address that is not an IP",
            args: &["--apiserver-advertise-address", "300.1.1.1"],
            file: None,
            expect: &["advertiseAddress", "300.1.1.1"],
        },
        Case {
            name: "bind port out of range",
            args: &["--apiserver-bind-port", "70000"],
            file: None,
            expect: &["bindPort", "70000"],
        },
        Case {
            name: "Kubernetes version too old",
            args: &["--kubernetes-version", "v1.20.0"],
            file: None,
            expect: &["kubernetesVersion", "v1.20.0"],
        },
        Case {
            name: "Kubernetes version that is not a version",
            args: &["--kubernetes-version", "banana"],
            file: None,
            expect: &["kubernetesVersion", "banana"],
        },
        Case {
            name: "node name with capitals and underscore",
            args: &["--node-name", "Bad_Name"],
            file: None,
            expect: &["nodeRegistration.name", "bad_name"],
        },
        Case {
            name: "DNS domain with a space",
            args: &["--service-dns-domain", "bad domain"],
            file: None,
            expect: &["networking.dnsDomain", "bad domain"],
        },
        Case {
            name: "unknown feature gate",
            args: &["--feature-gates", "NoSuchGate=true"],
            file: None,
            expect: &["NoSuchGate"],
        },
        Case {
            name: "feature gate value that is not a boolean",
            args: &["--feature-gates", "NodeLocalCRISocket=maybe"],
            file: None,
            expect: &["NodeLocalCRISocket", "maybe"],
        },
        Case {
            name: "unknown phase to skip",
            args: &["--skip-phases", "cert"],
            file: None,
            expect: &["invalid phase name: cert"],
        },
        Case {
            name: "certificate SAN that is neither IP nor DNS name",
            args: &["--apiserver-cert-extra-sans", "bad san!"],
            file: None,
            expect: &["certSANs", "bad san!"],
        },
        Case {
            name: "CRI socket with a tcp scheme",
            args: &["--cri-socket", "tcp://10.0.0.1:1234"],
            file: None,
            expect: &["criSocket", "tcp://10.0.0.1:1234"],
        },
        Case {
            name: "control-plane endpoint with a bad port",
            args: &["--control-plane-endpoint", "cp.example.com:99999"],
            file: None,
            expect: &["controlPlaneEndpoint", "cp.example.com:99999"],
        },
        Case {
            name: "config file that does not exist",
            args: &["--config", "/nonexistent/kubeadm.yaml"],
            file: None,
            expect: &["/nonexistent/kubeadm.yaml"],
        },
        Case {
            name: "config mixed with a config-bound flag",
            args: &["--pod-network-cidr", "10.244.0.0/16"],
            file: Some(("mixed.yaml", INIT_V4)),
            expect: &["can not mix '--config' with arguments [pod-network-cidr]"],
        },
        Case {
            name: "unknown field in a ClusterConfiguration",
            args: &[],
            file: Some((
                "unknown.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworkin:\n  podSubnet: 10.244.0.0/16\n",
            )),
            expect: &["networkin", "document 1", "ClusterConfiguration"],
        },
        Case {
            name: "unknown nested field names its document",
            args: &[],
            file: Some((
                "nested.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnett: 10.244.0.0/16\n",
            )),
            expect: &["podSubnett", "document 2"],
        },
        Case {
            name: "a kind the kubeadm API does not have",
            args: &[],
            file: Some((
                "kind.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfig\n",
            )),
            expect: &["InitConfig"],
        },
        Case {
            name: "a document without kind",
            args: &[],
            file: Some((
                "nokind.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nnetworking: {}\n",
            )),
            expect: &["kind"],
        },
        Case {
            name: "an API version kubeadm no longer reads",
            args: &[],
            file: Some((
                "old.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n",
            )),
            expect: &["kubeadm.k8s.io/v1beta2"],
        },
        Case {
            name: "YAML that does not parse",
            args: &[],
            file: Some((
                "broken.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking: [unclosed\n",
            )),
            expect: &["broken.yaml"],
        },
        Case {
            name: "pod subnet in the config file",
            args: &[],
            file: Some((
                "podsubnet.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/33\n",
            )),
            expect: &["networking.podSubnet: \"10.244.0.0/33\" is not a valid CIDR"],
        },
        Case {
            name: "an unsupported encryption algorithm",
            args: &[],
            file: Some((
                "alg.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: RSA-1024\n",
            )),
            expect: &["encryptionAlgorithm", "RSA-1024"],
        },
        Case {
            name: "a bootstrap token with capitals",
            args: &[],
            file: Some((
                "token.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: ABCDEF.0123456789abcdef\n",
            )),
            expect: &["bootstrapTokens[0].token"],
        },
        Case {
            name: "a bootstrap token that is too short",
            args: &[],
            file: Some((
                "short.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123\n",
            )),
            expect: &["bootstrapTokens[0].token"],
        },
        Case {
            name: "an unknown token usage",
            args: &[],
            file: Some((
                "usage.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789abcdef\n  usages: [signing, flying]\n",
            )),
            expect: &["usages", "flying"],
        },
        Case {
            name: "a token group outside system:bootstrappers",
            args: &[],
            file: Some((
                "group.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789abcdef\n  groups: [\"system:masters\"]\n",
            )),
            expect: &["groups", "system:masters"],
        },
        Case {
            name: "a TTL in days",
            args: &[],
            file: Some((
                "ttl.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789abcdef\n  ttl: 1d\n",
            )),
            expect: &["1d"],
        },
        Case {
            name: "the same kind twice",
            args: &[],
            file: Some((
                "dup.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n",
            )),
            expect: &["duplicate ClusterConfiguration"],
        },
        Case {
            name: "a v1beta4-only field in a v1beta3 document",
            args: &[],
            file: Some((
                "v3.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n",
            )),
            expect: &["encryptionAlgorithm"],
        },
        Case {
            name: "a component config with the wrong API version",
            args: &[],
            file: Some((
                "kubelet.yaml",
                "apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n",
            )),
            expect: &["kubelet.config.k8s.io/v1"],
        },
        Case {
            name: "a certificate key that is not 32 bytes of hex",
            args: &[],
            file: Some((
                "certkey.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: xyz\n",
            )),
            expect: &["certificateKey"],
        },
        Case {
            name: "local and external etcd together",
            args: &[],
            file: Some((
                "etcd.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\netcd:\n  local:\n    dataDir: /var/lib/etcd\n  external:\n    endpoints: [\"https://10.0.0.9:2379\"]\n",
            )),
            expect: &["etcd"],
        },
        Case {
            name: "an extra volume with a relative host path",
            args: &[],
            file: Some((
                "vol.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraVolumes:\n  - name: audit\n    hostPath: audit\n    mountPath: /etc/audit\n",
            )),
            expect: &["hostPath", "audit"],
        },
        Case {
            name: "an unknown image pull policy",
            args: &[],
            file: Some((
                "pull.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n  imagePullPolicy: Sometimes\n",
            )),
            expect: &["imagePullPolicy", "Sometimes"],
        },
        Case {
            name: "a certificate validity that is not a duration",
            args: &[],
            file: Some((
                "validity.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificateValidityPeriod: forever\n",
            )),
            expect: &["forever"],
        },
        Case {
            name: "v1beta3 extraArgs written as a v1beta4 list",
            args: &[],
            file: Some((
                "v3args.yaml",
                "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n  - name: v\n    value: \"4\"\n",
            )),
            expect: &["document 1"],
        },
    ]
}

#[test]
fn every_bad_input_fails_cleanly_and_touches_nothing() {
    let cases = cases();
    assert!(cases.len() >= 30, "the corpus keeps at least 30 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let root = tempfile::tempdir().unwrap();
        let files = tempfile::tempdir().unwrap();
        let mut cmd = kubeadm();
        cmd.args(["init", "--rootfs"]).arg(root.path());
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
