//! `--output json` of a real `init --dry-run` with the example plugins: its events pinned by a
//! golden file, every line parsed by Python, and no token or key outside the `output` events
//! that print it on purpose.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{kubeadm, run_ok, stderr, stdout, tool};
use crate::plugin_init::demo_config;

const TOKEN: &str = "abcdef.0123456789abcdef";
/// The token's secret half: the part that must never leak.
const TOKEN_SECRET: &str = "0123456789abcdef";

/// The demo's config (plugins pinned) with the values the host would otherwise choose fixed:
/// the token, the advertise address, the node name and the Kubernetes version.
fn config(dir: &Path) -> PathBuf {
    let path = demo_config(dir);
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "kind: ClusterConfiguration\n",
        "kind: ClusterConfiguration\nkubernetesVersion: v1.34.2\n",
        1,
    );
    let init = format!(
        "---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n\
         - token: {TOKEN}\nlocalAPIEndpoint:\n  advertiseAddress: 10.0.0.5\nnodeRegistration:\n  \
         name: node-1\n"
    );
    std::fs::write(&path, text + &init).unwrap();
    path
}

/// `init --dry-run --output json` with that config into `dir`, preflight skipped (its
/// built-in checks look at this machine).
fn dry_run_json(dir: &Path, extra: &[&str]) -> Output {
    run_ok(
        kubeadm()
            .args(["init", "--dry-run", "--output", "json", "--config"])
            .arg(config(dir))
            .args(["--skip-phases", "preflight", "--rootfs"])
            .arg(dir)
            .args(extra),
    )
}

/// What varies between runs or machines: timings, key and certificate sizes, the dry-run
/// directory, the CA hash; objects' bodies and the text of `output` events are cut to a
/// marker and a first line (the manifests are pinned by their own tests).
fn filters(root: &Path) -> Vec<(String, String)> {
    vec![
        (regex_escape(&root.display().to_string()), "[ROOT]".into()),
        (
            r"/tmp/kubeadm-init-dryrun[A-Za-z0-9]+".into(),
            "[DRYRUN-DIR]".into(),
        ),
        (
            r#""duration_ms":[0-9.e-]+"#.into(),
            r#""duration_ms":"[MS]""#.into(),
        ),
        (r#""bytes":\d+"#.into(), r#""bytes":"[SIZE]""#.into()),
        (r#"(?m),"body":.*\}$"#.into(), r#","body":"[BODY]"}"#.into()),
        // An output text is cut to its first line that is not blank.
        (
            r#"(?m)("text":")(?:\\n)*((?:[^"\\]|\\[^n])*)\\n.*"\}$"#.into(),
            r#"$1$2 […]"}"#.into(),
        ),
        (r"sha256:[0-9a-f]{64}".into(), "sha256:[HASH]".into()),
    ]
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn init_dry_run_events_match_the_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dry_run_json(dir.path(), &[]);
    assert_eq!(stderr(&out), "", "--output json writes nothing else");
    let filters = filters(dir.path());
    insta::with_settings!({ filters => filters.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect::<Vec<_>>() }, {
        insta::assert_snapshot!("init_dry_run_json", stdout(&out));
    });
}

/// A network namespace with only loopback, deleted when dropped: `init`'s built-in preflight
/// looks the node name up, and that lookup must not leave the machine.
struct IsolatedNetns(String);

impl IsolatedNetns {
    fn new() -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "kev-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        );
        run_ok(tool("ip").args(["netns", "add", &name]));
        let ns = IsolatedNetns(name);
        run_ok(tool("ip").args(["-n", &ns.0, "link", "set", "lo", "up"]));
        ns
    }

    /// `kubeadm-rs` inside the namespace, with the test environment of [`kubeadm`].
    fn kubeadm(&self) -> Command {
        let cli = kubeadm();
        let mut cmd = tool("ip");
        cmd.args(["netns", "exec", &self.0]).arg(cli.get_program());
        for (key, value) in cli.get_envs() {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }
}

impl Drop for IsolatedNetns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Reads every line as JSON in Python and prints how many events of each kind (and of each
/// kind that matters here) it saw, as one JSON object.
const PYTHON_COUNT: &str = r#"
import collections, json, sys
seen = collections.Counter()
for n, line in enumerate(sys.stdin, 1):
    e = json.loads(line)
    assert isinstance(e, dict), f"line {n} is not an object"
    assert e["schema"] == 1, f"line {n}: schema {e.get('schema')}"
    kind = e["event"]
    seen[kind] += 1
    if kind == "object" and e["dry_run"] and "body" in e:
        seen["object_with_body"] += 1
        assert e["action"] == "patch" or e["body"].get("kind") == e["kind"], line
    if kind == "object" and e["dry_run"] and e["action"] == "apply":
        seen["object_applied_dry_run"] += 1
    if kind == "plugin_log" and e["plugin"] == "flannel" and e["fields"].get("backend") == "vxlan":
        seen["flannel_log"] += 1
    if kind == "finding" and "/" in e["check"]:
        seen["plugin_finding"] += 1
    if kind == "file_written" and e["path"] == "/etc/kubernetes/pki/ca.key" and e["mode"] == 0o600:
        seen["ca_key"] += 1
print(json.dumps(seen))
"#;

#[test]
fn every_line_of_a_whole_init_parses_and_every_kind_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let ns = IsolatedNetns::new();
    let out = run_ok(
        ns.kubeadm()
            .args(["init", "--dry-run", "--output", "json", "--config"])
            .arg(config(dir.path()))
            .args(["--ignore-preflight-errors", "all", "--rootfs"])
            .arg(dir.path()),
    );
    let mut python = tool("python3")
        .args(["-c", PYTHON_COUNT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    python.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let parsed = python.wait_with_output().unwrap();
    assert!(parsed.status.success(), "{}", stderr(&parsed));
    let seen: serde_json::Value = serde_json::from_slice(&parsed.stdout).unwrap();
    for kind in [
        "phase_started",
        "phase_finished",
        "finding",
        "plugin_finding",
        "file_written",
        "ca_key",
        "object",
        "object_with_body",
        "object_applied_dry_run",
        "plugin_log",
        "flannel_log",
        "info",
        "output",
    ] {
        assert!(
            seen[kind].as_u64().unwrap_or(0) > 0,
            "no {kind} in {seen}\n{}",
            stdout(&out)
        );
    }
}

#[test]
fn the_token_is_only_in_the_output_events_that_print_it() {
    let dir = tempfile::tempdir().unwrap();
    let shown = stdout(&dry_run_json(dir.path(), &[]));
    let with_token: Vec<serde_json::Value> = shown
        .lines()
        .filter(|l| l.contains(TOKEN_SECRET))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        with_token.iter().all(|e| e["event"] == "output"),
        "{with_token:#?}"
    );
    assert!(
        with_token.iter().any(|e| e["text"]
            .as_str()
            .unwrap()
            .contains(&format!("kubeadm-rs join 10.0.0.5:6443 --token {TOKEN}"))),
        "the join command prints the token: {with_token:#?}"
    );
    assert!(!shown.contains("PRIVATE KEY"), "a key in the events");

    let dir = tempfile::tempdir().unwrap();
    let withheld = stdout(&dry_run_json(dir.path(), &["--skip-token-print"]));
    assert!(
        !withheld.contains(TOKEN_SECRET),
        "--skip-token-print leaves the token out of every event"
    );
    assert!(withheld.contains("kubeadm-rs join"), "{withheld}");
}
