//! Plugins as phases of `init`: listed, run, skipped and ignored like built-ins; the Flannel
//! addon's manifests shown in dry-run and valid against the Kubernetes schemas. Also the
//! plugin author's commands `plugin inspect|run|list|verify`.

use crate::common;

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use common::{kubeadm, run_err, run_ok, stderr, stdout, tool};
use kubeadm_rs_tests::schema_validator;

pub(crate) fn plugin_dir() -> PathBuf {
    PathBuf::from(env!("KUBEADM_RS_PLUGIN_DIR"))
}

/// The demo's config (scripts/demo-config.sh): a pod subnet and the example plugins, pinned.
pub(crate) fn demo_config(dir: &Path) -> PathBuf {
    let out = run_ok(
        std::process::Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo-config.sh"))
            .arg(plugin_dir()),
    );
    let path = dir.join("kubeadm.yaml");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// `init --dry-run` with the plugins, on any host: node facts differ between machines, so
/// every plugin check is ignored by name (they still run and are reported).
fn dry_run(config: &Path, cache: &Path, extra: &[&str]) -> std::process::Output {
    kubeadm()
        .args(["init", "--dry-run", "--config"])
        .arg(config)
        .args([
            "--skip-phases",
            "preflight",
            "--node-name",
            "node-1",
            "--rootfs",
        ])
        .arg(cache)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn init_help_lists_the_configured_plugins_as_phases() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    let help = stdout(&run_ok(
        kubeadm()
            .args(["init", "--help", "--rootfs"])
            .arg(dir.path())
            .arg("--config")
            .arg(&config),
    ));
    for row in [
        "  /net-sysctls",
        "  /kernel-modules",
        "  /min-resources",
        "addon ",
        "  /flannel",
    ] {
        assert!(
            help.contains(row),
            "{row:?} missing from the phase table:\n{help}"
        );
    }
    let phase_help = stdout(&run_ok(
        kubeadm()
            .args(["init", "phase", "preflight", "--help", "--rootfs"])
            .arg(dir.path())
            .arg("--config")
            .arg(&config),
    ));
    assert!(phase_help.contains("net-sysctls"), "{phase_help}");
}

#[test]
fn the_flannel_addon_is_rendered_in_dry_run_and_passes_the_schema_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    // Only the addon's objects on stdout: the phases that print kubeadm's own objects are skipped.
    let out = dry_run(
        &config,
        dir.path(),
        &[
            "--skip-phases",
            "upload-config,upload-certs,mark-control-plane,bootstrap-token,addon/coredns,addon/kube-proxy,show-join-command",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(log.contains("✓ addon/flannel"), "{log}");
    let manifests = stdout(&out);
    assert!(
        manifests.contains("kind: DaemonSet") && manifests.contains("10.244.0.0/16"),
        "{manifests}"
    );

    // Only the addon's documents (the static pods are checked elsewhere).
    let addon: String = manifests
        .split("\n---\n")
        .filter(|d| !d.contains("kind: Pod\n"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    let file = dir.path().join("flannel.yaml");
    std::fs::write(&file, addon).unwrap();
    let check = schema_validator().arg(&file).output().unwrap();
    let report = stdout(&check);
    assert!(check.status.success(), "{report}{}", stderr(&check));
    assert!(report.contains("6 passed, 0 failed"), "{report}");
}

#[test]
fn plugin_phases_are_skipped_like_built_ins() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    let out = dry_run(&config, dir.path(), &["--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(r#""path":"addon/flannel""#));

    let skip_out = kubeadm()
        .args(["init", "--dry-run", "--config"])
        .arg(&config)
        .args([
            "--skip-phases",
            "preflight,addon/flannel",
            "--output",
            "json",
            "--rootfs",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(skip_out.status.success(), "{}", stderr(&skip_out));
    assert!(!stdout(&skip_out).contains(r#""path":"addon/flannel""#));
}

#[test]
fn a_plugin_finding_is_ignored_by_its_qualified_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    // Run only the min-resources plugin with a threshold no machine meets, then ignore it.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("min-cpus: \"2\"", "min-cpus: \"4096\"");
    std::fs::write(&config, text).unwrap();
    let phase = |extra: &[&str]| {
        kubeadm()
            .args([
                "init",
                "phase",
                "preflight",
                "min-resources",
                "--dry-run",
                "--config",
            ])
            .arg(&config)
            .arg("--rootfs")
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let failed = phase(&[]);
    assert_eq!(failed.status.code(), Some(1));
    let err = stderr(&failed);
    assert!(
        err.contains("phase preflight/min-resources") && err.contains("[ERROR min-resources/"),
        "{err}"
    );
    let check = err
        .split("[ERROR ")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap()
        .to_string();
    let ignored = phase(&["--ignore-preflight-errors", &check.to_uppercase()]);
    assert!(ignored.status.success(), "{}", stderr(&ignored));
    assert!(stderr(&ignored).contains(&format!("[WARNING {check}]")));
}

#[test]
fn an_unpinned_plugin_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    let text: String = std::fs::read_to_string(&config)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("sha256:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&config, text).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let out = run_err(
        kubeadm()
            .args(["init", "--config"])
            .arg(&config)
            .args(["--skip-phases", "preflight", "--rootfs"])
            .arg(&root),
    );
    let err = stderr(&out);
    assert!(
        err.contains("net-sysctls") && err.contains("--allow-unsigned-plugins"),
        "{err}"
    );
    assert!(
        !root.join("etc").exists(),
        "nothing may be written when a plugin is refused"
    );
}

#[test]
fn plugin_run_reads_a_plugin_file_at_most_once_and_not_again_once_recorded() {
    // For a CPython component (tens of MB) reading and hashing is most of a cached run's cost.
    let wasm = plugin_dir().join("min_resources.wasm");
    // A digest is recorded only for a file whose last change is two seconds old.
    let meta = std::fs::metadata(&wasm).unwrap();
    let changed = std::time::UNIX_EPOCH
        + std::time::Duration::new(meta.ctime() as u64, meta.ctime_nsec() as u32);
    let age = changed.elapsed().unwrap_or_default();
    std::thread::sleep(std::time::Duration::from_millis(2100).saturating_sub(age));
    let opens = || {
        let out = run_ok(
            tool("strace")
                .args(["-f", "-e", "trace=open,openat"])
                .arg(env!("CARGO_BIN_EXE_kubeadm-rs-cli"))
                .args(["plugin", "run"])
                .arg(&wasm)
                .args(["--param", "min-cpus=1", "--param", "min-memory=1Mi"])
                .env("NO_COLOR", "1"),
        );
        let trace = stderr(&out);
        let quoted = format!("\"{}\"", wasm.display());
        (trace.lines().filter(|l| l.contains(&quoted)).count(), trace)
    };
    let (first, trace) = opens();
    assert!(first <= 1, "{trace}");
    // Recorded, the file is not opened again, where the filesystem keeps its own timestamps.
    let stamped =
        kubeadm_rs::plugins::stamped_filesystem(rustix::fs::statfs(&wasm).unwrap().f_type);
    let (second, trace) = opens();
    assert_eq!(second, usize::from(!stamped), "{trace}");
}

#[test]
fn plugin_run_is_the_authors_test_loop() {
    let wasm = plugin_dir().join("min_resources.wasm");
    let out = run_ok(kubeadm().args(["plugin", "run"]).arg(&wasm).args([
        "--param",
        "min-cpus=1",
        "--param",
        "min-memory=1Mi",
    ]));
    assert!(!stdout(&out).contains("[ERROR"), "{}", stdout(&out));
    let out = run_err(
        kubeadm()
            .args(["plugin", "run"])
            .arg(&wasm)
            .args(["--param", "min-cpus=4096"]),
    );
    assert!(
        stdout(&out).contains("[ERROR min-resources/"),
        "{}",
        stdout(&out)
    );

    let flannel = run_ok(
        kubeadm()
            .args(["plugin", "run"])
            .arg(plugin_dir().join("flannel.wasm"))
            .args([
                "--pod-network-cidr",
                "10.244.0.0/16",
                "--param",
                "backend=host-gw",
            ])
            .args([
                "--grant",
                "cluster-apply=Namespace",
                "--grant",
                "cluster-apply=ServiceAccount/kube-flannel",
            ])
            .args([
                "--grant",
                "cluster-apply=ClusterRole",
                "--grant",
                "cluster-apply=ClusterRoleBinding",
            ])
            .args([
                "--grant",
                "cluster-apply=ConfigMap/kube-flannel",
                "--grant",
                "cluster-apply=DaemonSet/kube-flannel",
            ]),
    );
    assert!(stdout(&flannel).contains("host-gw"), "{}", stdout(&flannel));

    let denied = run_err(
        kubeadm()
            .args(["plugin", "run"])
            .arg(plugin_dir().join("flannel.wasm"))
            .args(["--pod-network-cidr", "10.244.0.0/16"]),
    );
    assert!(stderr(&denied).contains("grants"), "{}", stderr(&denied));
}

#[test]
fn plugin_run_refuses_grants_that_are_not_clean() {
    let wasm = plugin_dir().join("net_sysctls.wasm");
    for grant in [
        "read-path=",
        "read-path=etc",
        "read-path=/etc/../root",
        "sysctl=",
        "cluster-read=/ns",
    ] {
        let out = run_err(
            kubeadm()
                .args(["plugin", "run"])
                .arg(&wasm)
                .args(["--grant", grant]),
        );
        assert!(
            stderr(&out).contains(&format!("--grant {grant:?}")),
            "{grant}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn plugin_inspect_shows_world_imports_and_permissions() {
    let out = run_ok(
        kubeadm()
            .args(["plugin", "inspect"])
            .arg(plugin_dir().join("net_sysctls.wasm")),
    );
    let text = stdout(&out);
    for want in [
        "world:       preflight",
        "wit version: 0.1.0",
        "kubeadm-rs:plugin/node@0.1.0",
        "sysctl",
        "sha256:",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
}

#[test]
fn plugin_list_shows_digests_and_whether_the_config_enables_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    let out = run_ok(kubeadm().args(["plugin", "list", "--config"]).arg(&config));
    let text = stdout(&out);
    let flannel = text
        .lines()
        .find(|l| l.starts_with("flannel "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        flannel.ends_with("yes") && flannel.contains("unsigned"),
        "{flannel}"
    );
    let hostile = text
        .lines()
        .find(|l| l.starts_with("hostile_fs "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(hostile.contains("not in the configuration"), "{hostile}");
}

#[test]
fn preflight_gives_one_verdict_over_built_in_and_plugin_checks() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    // A plugin check no machine passes, and a built-in one this node root fails.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("min-cpus: \"2\"", "min-cpus: \"4096\"");
    std::fs::write(&config, text).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc/kubernetes/manifests")).unwrap();
    std::fs::write(
        root.join("etc/kubernetes/manifests/kube-apiserver.yaml"),
        "{}",
    )
    .unwrap();
    let out = kubeadm()
        .args(["init", "phase", "preflight", "--config"])
        .arg(&config)
        .arg("--rootfs")
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let verdict = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in {err}"));
    // The failing built-in check did not stop the plugin from running: one error names both,
    // and it comes from preflight as a whole.
    assert!(verdict.starts_with("error: phase preflight: "), "{verdict}");
    assert!(
        verdict.contains("[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]"),
        "{verdict}"
    );
    assert!(verdict.contains("[ERROR min-resources/"), "{verdict}");
    assert!(
        err.find("[ERROR FileAvailable").unwrap() < err.find("[ERROR min-resources/").unwrap(),
        "built-in findings are reported first:\n{err}"
    );
}

/// Waits for `child` at most `limit`; kills it (and fails) past that.
fn finished_within(
    mut child: std::process::Child,
    limit: std::time::Duration,
) -> std::process::Output {
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}: {}", stderr(&out));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn a_fifo_in_a_granted_directory_blocks_neither_plugin_run_nor_init() {
    use std::process::Stdio;
    let limit = std::time::Duration::from_secs(20);
    // plugin run reads the node's own /tmp.
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let run = kubeadm()
        .args(["plugin", "run"])
        .arg(plugin_dir().join("hostile_special.wasm"))
        .arg("--param")
        .arg(format!("path={}", fifo.display()))
        .args(["--grant", "read-path=/tmp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finished_within(run, limit);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("[INFO hostile-special/outcome]: denied:"),
        "{}",
        stdout(&out)
    );

    // init reads /tmp under --rootfs.
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("tmp")).unwrap();
    mkfifo(&root.path().join("tmp/fifo"));
    let wasm = plugin_dir().join("hostile_special.wasm");
    let pin = run_ok(std::process::Command::new("sha256sum").arg(&wasm));
    let config = root.path().join("kubeadm.yaml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n---\n\
             apiVersion: kubeadm-rs.io/v1alpha1\nkind: PluginConfiguration\nplugins:\n- name: hostile-special\n  \
             source: {{path: {}}}\n  sha256: {}\n  grants: {{readPaths: [/tmp]}}\n  \
             parameters: {{path: /tmp/fifo}}\n  limits: {{timeout: 3s}}\n",
            wasm.display(),
            stdout(&pin).split_whitespace().next().unwrap()
        ),
    )
    .unwrap();
    let init = kubeadm()
        .args([
            "init",
            "phase",
            "preflight",
            "hostile-special",
            "--dry-run",
            "--config",
        ])
        .arg(&config)
        .arg("--rootfs")
        .arg(root.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finished_within(init, limit);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[INFO hostile-special/outcome]: denied:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn plugin_inspect_shows_a_hostile_describe_with_its_controls_escaped() {
    let out = run_ok(
        kubeadm()
            .args(["plugin", "inspect"])
            .arg(plugin_dir().join("hostile_describe.wasm")),
    );
    let text = stdout(&out);
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && kubeadm_rs::plugins::is_hidden_control(c)),
        "{text:?}"
    );
    assert!(
        text.contains("  read-path /: nothing to see\\u{1b}[1A\\u{1b}[2K\\u{d}\\u{9b}2K"),
        "{text}"
    );
    assert!(
        text.contains("version:     1.0.0+\\u{1b}]0;trusted\\u{7}\\u{200b}"),
        "{text}"
    );
}
