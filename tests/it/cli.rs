//! User-facing text, pinned: help, the phase list, version, and the dry-run output.

use crate::common;

use common::{kubeadm, run_err, run_ok, stderr, stdout};

/// Paths, durations, sizes and other values that change from run to run.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\b\d+(\.\d+)?(µs|ms|s)\b", "[DURATION]"),
        (r"/tmp/kubeadm-init-dryrun[A-Za-z0-9]+", "[DRYRUN-DIR]"),
        (r"\(0([0-7]{3}), \d+ bytes\)", "(0$1, [SIZE])"),
    ]
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ filters => filters() }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn top_level_help() {
    snapshot!("help", stdout(&run_ok(kubeadm().arg("--help"))));
}

#[test]
fn init_help_lists_the_phases_from_the_tree() {
    snapshot!(
        "init_help",
        stdout(&run_ok(kubeadm().args(["init", "--help"])))
    );
}

#[test]
fn init_phase_help_lists_one_subcommand_per_phase() {
    snapshot!(
        "init_phase_help",
        stdout(&run_ok(kubeadm().args(["init", "phase", "--help"])))
    );
}

#[test]
fn certs_phase_help_offers_all_and_each_certificate() {
    snapshot!(
        "init_phase_certs_help",
        stdout(&run_ok(
            kubeadm().args(["init", "phase", "certs", "--help"])
        ))
    );
}

#[test]
fn a_phase_subcommand_takes_only_its_flags() {
    let out = run_err(kubeadm().args([
        "init",
        "phase",
        "certs",
        "ca",
        "--pod-network-cidr",
        "10.244.0.0/16",
    ]));
    assert_eq!(out.status.code(), Some(2), "a usage error exits 2");
    assert!(
        stderr(&out).contains("--pod-network-cidr"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn version_short_and_json() {
    let short = stdout(&run_ok(kubeadm().args(["version", "-o", "short"])));
    assert!(short.trim().starts_with("v1."), "{short}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run_ok(kubeadm().args(["version", "-o", "json"])))).unwrap();
    assert_eq!(
        json["clientVersion"]["gitVersion"].as_str(),
        Some(short.trim())
    );
}

#[test]
fn completion_scripts_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&run_ok(kubeadm().args(["completion", shell])));
        assert!(
            script.contains("kubeadm-rs") && script.contains("init"),
            "{shell}: {script}"
        );
    }
}

fn dry_run(extra: &[&str]) -> std::process::Output {
    run_ok(
        kubeadm()
            .args([
                "init",
                "--dry-run",
                "--skip-phases",
                "preflight",
                "--apiserver-advertise-address",
                "10.0.0.5",
                "--node-name",
                "node-1",
                "--kubernetes-version",
                "v1.34.2",
            ])
            .args(extra),
    )
}

#[test]
fn dry_run_shows_every_phase_and_the_files_it_would_write() {
    let out = dry_run(&[]);
    snapshot!("dry_run", stderr(&out));
}

#[test]
fn dry_run_as_json_is_one_event_per_line() {
    let out = dry_run(&["--output", "json"]);
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let finished: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "phase_finished")
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    for phase in [
        "certs/ca",
        "certs",
        "kubeconfig/admin",
        "etcd/local",
        "control-plane/apiserver",
        "kubelet-start",
    ] {
        assert!(
            finished.contains(&phase),
            "{phase} missing from {finished:?}"
        );
    }
    assert!(events.iter().any(|e| e["event"] == "file_written"
        && e["path"] == "/etc/kubernetes/pki/ca.key"
        && e["mode"] == 0o600));
    assert!(
        !finished.contains(&"preflight"),
        "skipped phases do not run"
    );
}

#[test]
fn certs_certificate_key_prints_a_fresh_key_init_accepts() {
    let first = stdout(&run_ok(kubeadm().args(["certs", "certificate-key"])));
    let second = stdout(&run_ok(kubeadm().args(["certs", "certificate-key"])));
    let key = first.trim();
    assert_eq!(key.len(), 64, "{first}");
    assert!(
        key.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_ne!(first, second, "each key is random");
    run_ok(kubeadm().args([
        "init",
        "phase",
        "upload-certs",
        "--upload-certs",
        "--dry-run",
        "--certificate-key",
        key,
    ]));
}

#[test]
fn a_negative_token_ttl_is_named_with_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["-1h", "-0s"] {
        let out = run_err(
            kubeadm()
                .args(["init", "--dry-run", "--token-ttl", value, "--rootfs"])
                .arg(dir.path()),
        );
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert_eq!(
            err.trim_end(),
            format!(
                "error: --token-ttl: \"{value}\" is negative; expected 0 (the token never expires) or a positive duration such as 24h0m0s or 30m"
            )
        );
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }
}

#[test]
fn reset_help_lists_its_phases_from_the_tree() {
    snapshot!(
        "reset_help",
        stdout(&run_ok(kubeadm().args(["reset", "--help"])))
    );
}

#[test]
fn reset_phase_help_lists_one_subcommand_per_phase() {
    snapshot!(
        "reset_phase_help",
        stdout(&run_ok(kubeadm().args(["reset", "phase", "--help"])))
    );
}

#[test]
fn boolean_flags_take_an_explicit_value_as_pflag_does() {
    // `--flag=true`, Go's other spellings, and `--flag=false` on init's own flags.
    let out = stdout(&dry_run(&["--skip-token-print=true"]));
    assert!(out.contains("--token <value withheld>"), "{out}");
    let out = stdout(&dry_run(&["--skip-token-print=false"]));
    assert!(!out.contains("<value withheld>"), "{out}");
    let out = stdout(&dry_run(&[
        "--control-plane-endpoint",
        "10.0.0.5:6443",
        "--upload-certs=true",
        "--skip-certificate-key-print=T",
    ]));
    assert!(
        out.contains("--control-plane --certificate-key <value withheld>"),
        "{out}"
    );
    // A phase subcommand's flags come from the same place.
    run_ok(kubeadm().args([
        "init",
        "phase",
        "upload-certs",
        "--upload-certs=true",
        "--dry-run=1",
        "--certificate-key",
        "2c3a0e4f6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718",
    ]));
    // Anything else is a usage error naming the value, and `--flag value` keeps `value` an argument.
    let out = run_err(kubeadm().args(["init", "--dry-run=maybe"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'maybe'"), "{}", stderr(&out));
    let out = run_err(kubeadm().args(["reset", "--force", "true"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'true'"), "{}", stderr(&out));
}

#[test]
fn config_commands_take_reset_only_and_empty_files_as_kubeadm_does() {
    let dir = tempfile::tempdir().unwrap();
    let reset = dir.path().join("reset.yaml");
    std::fs::write(
        &reset,
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\nforce: true\n",
    )
    .unwrap();
    let out = run_ok(
        kubeadm()
            .args(["config", "validate", "--config"])
            .arg(&reset),
    );
    assert_eq!(stdout(&out), "ok\n");
    let out = run_ok(
        kubeadm()
            .args(["config", "migrate", "--old-config"])
            .arg(&reset),
    );
    // Migrated with kubeadm's defaults filled in.
    let migrated = stdout(&out);
    assert!(
        migrated.starts_with("apiVersion: kubeadm.k8s.io/v1beta4\ncertificatesDir: /etc/kubernetes/pki\ncriSocket: unix:///var/run/containerd/containerd.sock\nforce: true\nkind: ResetConfiguration\ntimeouts:\n"),
        "{migrated}"
    );
    std::fs::write(
        &reset,
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\nforse: true\n",
    )
    .unwrap();
    let out = run_err(
        kubeadm()
            .args(["config", "validate", "--config"])
            .arg(&reset),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown field `forse`"),
        "{}",
        stderr(&out)
    );

    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    let out = run_ok(
        kubeadm()
            .args(["config", "migrate", "--old-config"])
            .arg(&empty),
    );
    assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
}
