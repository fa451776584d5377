//! `kubeadm-rs token` as a process, without a cluster: bad input fails with one line naming the
//! value (never a token secret or a certificate key) and exit code 1 before any kubeconfig is
//! read; `generate`, and `--dry-run` runs, print what kubeadm prints. The join command's CA pin
//! is checked against one computed by openssl.

use crate::common;

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{kubeadm, openssl, run_err, run_ok, stderr, stdout};

const SECRET: &str = "0123456789abcdef";
const KEY_PREFIX: &str = "2c3a0e4f6d7e8f90a1b2";

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    /// Substrings the error line must contain.
    expect: &'static [&'static str],
    /// Substrings it must not contain (secrets).
    hide: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "token with a short secret",
            args: &["create", "abcdef.0123456789abcde"],
            expect: &[
                "invalid bootstrap token",
                "\"abcdef.<15 characters withheld>\"",
                "15 characters",
            ],
            hide: &["0123456789abcde"],
        },
        Case {
            name: "token in upper case",
            args: &["create", "ABCDEF.0123456789ABCDEF"],
            expect: &["invalid bootstrap token", "ABCDEF", "the token ID"],
            hide: &["0123456789ABCDEF"],
        },
        Case {
            name: "token without a dot",
            args: &["create", "abcdef0123456789abcdef"],
            expect: &["invalid bootstrap token", "it has no '.'"],
            hide: &[SECRET],
        },
        Case {
            name: "unknown usage",
            args: &["create", "--usages", "signing,sign"],
            expect: &[
                "invalid bootstrap token usage string: sign,",
                "valid usage options: signing,authentication",
            ],
            hide: &[],
        },
        Case {
            name: "groups without authentication",
            args: &["create", "--usages", "signing"],
            expect: &[
                "token groups cannot be specified unless --usages includes \"authentication\"",
            ],
            hide: &[],
        },
        Case {
            name: "group outside system:bootstrappers",
            args: &["create", "--groups", "system:masters"],
            expect: &[
                "bootstrap group \"system:masters\" is invalid",
                "system:bootstrappers:",
            ],
            hide: &[],
        },
        Case {
            name: "TTL in days",
            args: &["create", "--ttl", "1d"],
            expect: &["invalid token TTL \"1d\""],
            hide: &[],
        },
        Case {
            name: "negative TTL",
            args: &["create", "--ttl", "-1h"],
            expect: &["invalid token TTL \"-1h\""],
            hide: &[],
        },
        Case {
            name: "certificate key one character short",
            args: &[
                "create",
                "--print-join-command",
                "--certificate-key",
                "2c3a0e4f6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677a",
            ],
            expect: &[
                "--certificate-key",
                "it has 63 characters",
                "64 hexadecimal characters",
            ],
            hide: &[KEY_PREFIX],
        },
        Case {
            name: "certificate key that is not hex",
            args: &[
                "create",
                "--print-join-command",
                "--certificate-key",
                "2c3a0e4f6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677zz",
            ],
            expect: &[
                "--certificate-key",
                "character 63 is not a hexadecimal digit",
            ],
            hide: &[KEY_PREFIX],
        },
        Case {
            name: "certificate key without the join command",
            args: &[
                "create",
                "--certificate-key",
                "2c3a0e4f6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677ab",
            ],
            expect: &["cannot use --certificate-key without --print-join-command"],
            hide: &[KEY_PREFIX],
        },
        Case {
            name: "delete with a malformed token",
            args: &["delete", "abcdef.0123456789abcdeX"],
            expect: &["given token \"abcdef.<16 characters withheld>\" didn't match pattern"],
            hide: &["0123456789abcdeX"],
        },
        Case {
            name: "delete with an ID too long",
            args: &["delete", "abcdefg"],
            expect: &["given token \"abcdefg\" didn't match pattern"],
            hide: &[],
        },
        Case {
            name: "delete with nothing to delete",
            args: &["delete"],
            expect: &["missing argument; 'token delete' is missing token of form"],
            hide: &[],
        },
        Case {
            name: "list in an unknown format",
            args: &["list", "-o", "xml"],
            expect: &["output format \"xml\"", "text,json,yaml"],
            hide: &[],
        },
    ]
}

#[test]
fn bad_input_fails_with_one_line_naming_the_value() {
    let mut failures = Vec::new();
    for case in cases() {
        // A kubeconfig that does not exist: the input must be refused before it is read.
        let out = kubeadm()
            .arg("token")
            .args(case.args)
            .args(["--kubeconfig", "/nonexistent/admin.conf"])
            .output()
            .expect("kubeadm-rs runs");
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        let ok = out.status.code() == Some(1)
            && lines.len() == 1
            && lines[0].starts_with("error: ")
            && case.expect.iter().all(|e| lines[0].contains(e))
            && !case
                .hide
                .iter()
                .any(|h| err.contains(h) || stdout(&out).contains(h))
            && !err.contains("/nonexistent/admin.conf");
        if !ok {
            failures.push(format!(
                "{}: exit {:?}, stderr {err:?}",
                case.name,
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn config_cannot_be_mixed_with_token_flags() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubeadm.yaml");
    std::fs::write(
        &config,
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n",
    )
    .unwrap();
    let out = run_err(
        kubeadm()
            .args(["token", "create", "--ttl", "2h", "--description", "x"])
            .arg("--config")
            .arg(&config),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: can not mix '--config' with arguments [description ttl]\n"
    );
}

#[test]
fn generate_prints_a_new_token_each_time() {
    let a = stdout(&run_ok(kubeadm().args(["token", "generate"])));
    let b = stdout(&run_ok(kubeadm().args(["token", "generate"])));
    for token in [&a, &b] {
        let line = token.strip_suffix('\n').expect("one line");
        let (id, secret) = line.split_once('.').expect("id.secret");
        assert_eq!((id.len(), secret.len()), (6, 16), "{line}");
        assert!(
            line.bytes()
                .all(|c| c == b'.' || c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{line}"
        );
    }
    assert_ne!(a, b);
}

#[test]
fn dry_run_create_prints_the_token_once_and_keeps_it_out_of_the_object_shown() {
    let out = run_ok(kubeadm().args(["token", "create", "--dry-run", "abcdef.0123456789abcdef"]));
    let text = stdout(&out);
    assert!(text.ends_with("\nabcdef.0123456789abcdef\n"), "{text}");
    assert_eq!(text.matches(SECRET).count(), 1, "{text}");
    assert!(text.contains("name: bootstrap-token-abcdef"), "{text}");
    assert!(!stderr(&out).contains(SECRET));
    assert!(stderr(&out).contains("[dryrun] Would perform action CREATE on resource \"secrets\""));
}

#[test]
fn dry_run_list_and_delete_say_what_kubeadm_says() {
    let listed = run_ok(kubeadm().args(["token", "list", "--dry-run"]));
    assert_eq!(stdout(&listed), "", "no tokens, not even a header");
    let deleted = run_ok(kubeadm().args([
        "token",
        "delete",
        "--dry-run",
        "abcdef",
        "zyxwvu.0123456789abcdef",
    ]));
    assert_eq!(
        stdout(&deleted),
        "bootstrap token \"abcdef\" deleted\nbootstrap token \"zyxwvu\" deleted\n"
    );
}

/// A CA made by openssl, and the pin of its public key as `openssl` computes it.
fn openssl_ca(dir: &Path) -> (String, String) {
    let (key, cert, public, der) = (
        dir.join("ca.key"),
        dir.join("ca.crt"),
        dir.join("ca.pub"),
        dir.join("ca.der"),
    );
    let p = |p: &Path| p.to_str().unwrap().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &p(&key),
        "-out",
        &p(&cert),
        "-subj",
        "/CN=kubernetes",
        "-days",
        "1",
    ]);
    openssl(&[
        "x509",
        "-in",
        &p(&cert),
        "-pubkey",
        "-noout",
        "-out",
        &p(&public),
    ]);
    openssl(&[
        "pkey",
        "-pubin",
        "-in",
        &p(&public),
        "-outform",
        "der",
        "-out",
        &p(&der),
    ]);
    let digest = openssl(&["dgst", "-sha256", "-hex", &p(&der)]);
    let hex = digest.trim().rsplit(' ').next().unwrap().to_string();
    (
        std::fs::read_to_string(cert).unwrap(),
        format!("sha256:{hex}"),
    )
}

#[test]
fn print_join_command_pins_the_kubeconfigs_ca_as_openssl_does() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, pin) = openssl_ca(dir.path());
    let admin = dir.path().join("admin.conf");
    std::fs::write(
        &admin,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    \
             server: https://10.0.0.1:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    \
             user: kubernetes-admin\n  name: kubernetes-admin@kubernetes\ncurrent-context: kubernetes-admin@kubernetes\n",
            STANDARD.encode(ca)
        ),
    )
    .unwrap();
    let worker = run_ok(
        kubeadm()
            .args([
                "token",
                "create",
                "--dry-run",
                "--print-join-command",
                "abcdef.0123456789abcdef",
            ])
            .arg("--kubeconfig")
            .arg(&admin),
    );
    let last = stdout(&worker)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        last,
        format!(
            "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash {pin} "
        )
    );
    let key = "2c3a0e4f6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677ab";
    let control_plane = run_ok(
        kubeadm()
            .args([
                "token",
                "create",
                "--dry-run",
                "--print-join-command",
                "abcdef.0123456789abcdef",
            ])
            .args(["--certificate-key", key])
            .arg("--kubeconfig")
            .arg(&admin),
    );
    let last = stdout(&control_plane)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        last,
        format!(
            "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash {pin} \
             --control-plane --certificate-key {key}"
        )
    );
}

#[test]
fn print_join_command_without_a_kubeconfig_creates_nothing() {
    let out = run_err(kubeadm().args([
        "token",
        "create",
        "--dry-run",
        "--print-join-command",
        "--kubeconfig",
        "/nonexistent/admin.conf",
    ]));
    assert_eq!(
        stderr(&out),
        "error: failed to get join command: kubeconfig /nonexistent/admin.conf: no such file\n"
    );
    assert_eq!(stdout(&out), "", "no Secret was shown as created");
}

#[test]
fn an_empty_groups_flag_makes_a_signing_only_token() {
    let out = run_ok(kubeadm().args([
        "token",
        "create",
        "--dry-run",
        "--usages",
        "signing",
        "--groups",
        "",
        "abcdef.0123456789abcdef",
    ]));
    let text = stdout(&out);
    assert!(text.contains("name: bootstrap-token-abcdef"), "{text}");
    assert!(!text.contains("auth-extra-groups"), "{text}");
    assert!(!text.contains("usage-bootstrap-authentication"), "{text}");
}

#[test]
fn boolean_flags_take_an_explicit_value_as_pflag_does() {
    let token = "abcdef.0123456789abcdef";
    // `--dry-run=true` is `--dry-run`: nothing is dialled, the Secret is shown.
    let out = run_ok(kubeadm().args(["token", "create", "--dry-run=true", token]));
    assert!(stdout(&out).ends_with(&format!("\n{token}\n")));
    // `--print-join-command=false` is the default: no kubeconfig is needed for it.
    let out = run_ok(kubeadm().args([
        "token",
        "create",
        "--dry-run",
        "--print-join-command=false",
        token,
    ]));
    assert!(stdout(&out).ends_with(&format!("\n{token}\n")));
    // `--dry-run=false` really talks to the cluster, through a kubeconfig that is not there.
    let out = run_err(kubeadm().args([
        "token",
        "create",
        "--dry-run=false",
        "--kubeconfig",
        "/nonexistent/admin.conf",
        token,
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/admin.conf"),
        "{}",
        stderr(&out)
    );
    let out = run_err(kubeadm().args(["token", "create", "--dry-run=maybe", token]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn token_list_output_formats_are_checked_before_the_cluster_is_reached() {
    for (format, expected) in [
        (
            "wide",
            "error: unable to match a printer suitable for the output format \"wide\", allowed formats are: text,json,yaml,go-template,go-template-file,jsonpath,jsonpath-file,template,templatefile\n",
        ),
        (
            "jsonpath={.token",
            "error: jsonpath template \"{.token\": unclosed '{'\n",
        ),
        (
            "go-template={{.token | upper}}",
            "error: go-template template \"{{.token | upper}}\": \".token | upper\" is not supported; expected ., .field, a string, range, if, with, else or end\n",
        ),
    ] {
        let out = run_err(kubeadm().args([
            "token",
            "list",
            "--kubeconfig",
            "/nonexistent/admin.conf",
            "-o",
            format,
        ]));
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_eq!(stderr(&out), expected, "{format}");
    }
    // With no tokens (a dry run lists none), a template prints nothing.
    let out = run_ok(kubeadm().args(["token", "list", "--dry-run", "-o", "jsonpath={.token}"]));
    assert_eq!(stdout(&out), "");
}
