//! Crash safety and concurrency of node-root writes (issue 9 §3). `init` is killed at exact
//! writes (strace injects the SIGKILL just before a file's name appears: the link of a new
//! file, the rename of a replaced one) and at 50 points spread over a whole run; every re-run
//! converges to a PKI openssl verifies, keys that match their certificates and kubeconfigs
//! kubectl accepts, with no temporary file left. Two runs started together into one root: one
//! wins, the other is refused naming the winner's pid.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{kubeadm, openssl, run_ok, stderr, stdout, tool, tree};
use x509_parser::der_parser::der::parse_der_sequence;
use x509_parser::prelude::{FromDer as _, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The node the runs are for; the default `encryptionAlgorithm` (RSA-2048) keeps the key
/// generation and write windows wide.
const NODE: [&str; 6] = [
    "--apiserver-advertise-address",
    "10.0.0.5",
    "--node-name",
    "node-1",
    "--kubernetes-version",
    "v1.34.2",
];

/// The phases past kubelet-start dial the node address, which the host namespace must not.
const CLUSTER_PHASES: &str = "preflight,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,addon,show-join-command";

/// kubeadm's certificates under `pki/`, each with its signer.
const CERTS: [(&str, &str); 10] = [
    ("ca", "ca"),
    ("apiserver", "ca"),
    ("apiserver-kubelet-client", "ca"),
    ("front-proxy-ca", "front-proxy-ca"),
    ("front-proxy-client", "front-proxy-ca"),
    ("etcd/ca", "etcd/ca"),
    ("etcd/server", "etcd/ca"),
    ("etcd/peer", "etcd/ca"),
    ("etcd/healthcheck-client", "etcd/ca"),
    ("apiserver-etcd-client", "etcd/ca"),
];

const KUBECONFIGS: [&str; 5] = [
    "admin.conf",
    "super-admin.conf",
    "kubelet.conf",
    "controller-manager.conf",
    "scheduler.conf",
];

const OTHER_FILES: [&str; 5] = [
    "etc/kubernetes/manifests/etcd.yaml",
    "etc/kubernetes/manifests/kube-apiserver.yaml",
    "etc/kubernetes/manifests/kube-controller-manager.yaml",
    "etc/kubernetes/manifests/kube-scheduler.yaml",
    "var/lib/kubelet/config.yaml",
];

/// `init` with the node-local phases into `root`.
fn init(root: &Path) -> Command {
    let mut cmd = kubeadm();
    cmd.args(["init", "--skip-phases", CLUSTER_PHASES])
        .args(NODE)
        .arg("--rootfs")
        .arg(root);
    cmd
}

/// `init phase certs ca` into `root`.
fn certs_ca(root: &Path) -> Command {
    let mut cmd = kubeadm();
    cmd.args([
        "init",
        "phase",
        "certs",
        "ca",
        "--kubernetes-version",
        "v1.34.2",
    ])
    .arg("--rootfs")
    .arg(root);
    cmd
}

/// `cmd` run by strace with `strace_args` in front, in the same environment.
fn under_strace(cmd: &Command, strace_args: &[&str]) -> Command {
    let mut traced = tool("strace");
    traced
        .args(strace_args)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => traced.env(key, value),
            None => traced.env_remove(key),
        };
    }
    traced
}

/// Runs `cmd`, SIGKILLed by strace on entering its `n`th naming of a file (a new file's link,
/// a replaced file's rename), before it happens: the state a kill at that exact point leaves.
fn killed_before_naming(cmd: &Command, n: u32) {
    let namings = "linkat,rename,renameat,renameat2";
    let inject = format!("inject={namings}:signal=KILL:error=EIO:when={n}");
    let out = under_strace(cmd, &["-f", "-qq", "-o", "/dev/null", "-e", &inject])
        .output()
        .expect("strace runs");
    assert!(
        !out.status.success(),
        "the run was not killed at naming {n}: {}",
        stderr(&out)
    );
}

/// Paths below `root` of what a run leaves only when killed: temporary files and its lock.
fn leftovers(root: &Path) -> Vec<String> {
    tree(root)
        .into_iter()
        .filter(|p| p.contains(".tmp-") || p.ends_with(".kubeadm-rs.lock"))
        .collect()
}

fn pki_file(root: &Path, name: &str) -> String {
    root.join("etc/kubernetes/pki")
        .join(name)
        .display()
        .to_string()
}

/// The public key of a certificate and of a private key, as openssl prints them.
fn public_keys(cert: &str, key: &str) -> (String, String) {
    (
        openssl(&["x509", "-in", cert, "-noout", "-pubkey"]),
        openssl(&["pkey", "-in", key, "-pubout"]),
    )
}

/// An RSA modulus without its sign byte.
fn unsigned(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().skip_while(|b| **b == 0).copied().collect()
}

/// Whether the PKCS#1 key in `key_pem` is the one whose public half `cert_pem`'s leaf carries,
/// by their RSA moduli (openssl would cost two processes per pair, 70 times over).
fn key_matches(cert_pem: &[u8], key_pem: &[u8]) -> bool {
    let cert = pem::parse(cert_pem).expect("certificate PEM");
    let (_, cert) = X509Certificate::from_der(cert.contents()).expect("certificate");
    let Ok(PublicKey::RSA(public)) = cert.public_key().parsed() else {
        panic!("the runs use RSA keys");
    };
    let key = pem::parse(key_pem).expect("key PEM");
    assert_eq!(key.tag(), "RSA PRIVATE KEY");
    // RSAPrivateKey ::= SEQUENCE { version, modulus, ... }
    let (_, key) = parse_der_sequence(key.contents()).expect("PKCS#1 key");
    let fields = key.as_sequence().expect("a sequence");
    unsigned(fields[1].as_slice().expect("the modulus")) == unsigned(public.modulus)
}

/// `openssl verify -CAfile ca certs...` passes every one of `certs`.
fn verify_all(ca: &str, certs: &[String], what: &str) {
    let mut args = vec!["verify", "-CAfile", ca];
    args.extend(certs.iter().map(String::as_str));
    let expected: String = certs.iter().map(|c| format!("{c}: OK\n")).collect();
    assert_eq!(openssl(&args), expected, "{what}: signed by {ca}");
}

/// What a completed run leaves, judged by openssl and kubectl; `what` names the run.
fn check_converged(root: &Path, what: &str) {
    let stray = leftovers(root);
    assert!(stray.is_empty(), "{what}: left behind {stray:?}");
    for ca in ["ca", "front-proxy-ca", "etcd/ca"] {
        let signed: Vec<String> = CERTS
            .iter()
            .filter(|(_, signer)| *signer == ca)
            .map(|(base, _)| pki_file(root, &format!("{base}.crt")))
            .collect();
        verify_all(&pki_file(root, &format!("{ca}.crt")), &signed, what);
    }
    for (base, _) in CERTS {
        let read = |ext: &str| std::fs::read(pki_file(root, &format!("{base}.{ext}"))).unwrap();
        assert!(
            key_matches(&read("crt"), &read("key")),
            "{what}: {base}.key matches {base}.crt"
        );
    }
    let sa_pub = std::fs::read_to_string(pki_file(root, "sa.pub")).expect("sa.pub");
    assert_eq!(
        openssl(&["pkey", "-in", &pki_file(root, "sa.key"), "-pubout"]),
        sa_pub,
        "{what}: sa.pub is sa.key's"
    );

    let scratch = tempfile::tempdir().expect("scratch dir");
    let ca = pki_file(root, "ca.crt");
    let mut clients = Vec::new();
    for name in KUBECONFIGS {
        let path = root.join("etc/kubernetes").join(name);
        let view = run_ok(
            tool("kubectl")
                .args(["config", "view", "--minify", "--raw", "-o", "json"])
                .arg("--kubeconfig")
                .arg(&path)
                .arg("--cache-dir")
                .arg(scratch.path())
                .env("HOME", scratch.path()),
        );
        let json: serde_json::Value =
            serde_json::from_str(&stdout(&view)).expect("kubectl prints JSON");
        let data = |field: &serde_json::Value| {
            STANDARD
                .decode(field.as_str().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{what}: {name}: base64: {e}"))
        };
        assert_eq!(
            data(&json["clusters"][0]["cluster"]["certificate-authority-data"]),
            std::fs::read(&ca).expect("ca.crt"),
            "{what}: {name} carries the cluster CA"
        );
        let user = &json["users"][0]["user"];
        let cert = data(&user["client-certificate-data"]);
        assert!(
            key_matches(&cert, &data(&user["client-key-data"])),
            "{what}: {name}'s client key matches its certificate"
        );
        let crt = scratch.path().join(format!("{name}.crt"));
        std::fs::write(&crt, cert).unwrap();
        clients.push(crt.display().to_string());
    }
    verify_all(&ca, &clients, what);
    for file in OTHER_FILES {
        assert!(root.join(file).is_file(), "{what}: {file} is missing");
    }
}

#[test]
fn a_run_killed_between_a_key_and_its_certificate_converges() {
    let root = tempfile::tempdir().unwrap();
    killed_before_naming(&certs_ca(root.path()), 2);
    let key = std::fs::read(pki_file(root.path(), "ca.key")).expect("ca.key was written");
    assert!(
        !Path::new(&pki_file(root.path(), "ca.crt")).exists(),
        "the kill came before ca.crt"
    );

    let out = run_ok(&mut certs_ca(root.path()));
    assert!(
        stderr(&out).contains("Using the existing ca key, found without its certificate"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(pki_file(root.path(), "ca.key")).unwrap(),
        key,
        "the key is kept"
    );
    let (from_cert, from_key) = public_keys(
        &pki_file(root.path(), "ca.crt"),
        &pki_file(root.path(), "ca.key"),
    );
    assert_eq!(from_cert, from_key, "ca.crt is for the kept key");
    run_ok(&mut init(root.path()));
    check_converged(root.path(), "killed before ca.crt");
}

/// A new file is written unnamed and linked into place whole: a run killed before the link of
/// its first key leaves no copy of that key anywhere in the root.
#[test]
fn a_run_killed_before_its_first_key_is_linked_leaves_no_copy_of_it() {
    let root = tempfile::tempdir().unwrap();
    killed_before_naming(&certs_ca(root.path()), 1);
    let files: Vec<String> = tree(root.path())
        .into_iter()
        .filter(|p| !p.ends_with(".kubeadm-rs.lock"))
        .filter(|p| root.path().join(p).is_file())
        .collect();
    assert!(files.is_empty(), "the killed run left {files:?}");

    run_ok(&mut certs_ca(root.path()));
    run_ok(&mut init(root.path()));
    check_converged(root.path(), "killed before ca.key was linked");
}

/// A file that is replaced goes through a temporary file, in the lock's journal before it
/// exists: a run killed before the rename leaves it, and the next run removes it.
#[test]
fn the_temporary_file_of_a_killed_replacement_is_removed_by_the_next_run() {
    let root = tempfile::tempdir().unwrap();
    run_ok(&mut init(root.path()));
    let mut moved = kubeadm();
    moved
        .args(["init", "phase", "control-plane", "apiserver"])
        .args(["--apiserver-advertise-address", "10.0.0.6"])
        .args(["--kubernetes-version", "v1.34.2"])
        .arg("--rootfs")
        .arg(root.path());
    killed_before_naming(&moved, 1);
    let temps = leftovers(root.path());
    assert!(
        temps
            .iter()
            .any(|p| p.contains("manifests/.kube-apiserver.yaml.tmp-")),
        "the killed run's temporary manifest is there: {temps:?}"
    );
    let manifest = root
        .path()
        .join("etc/kubernetes/manifests/kube-apiserver.yaml");
    assert!(
        std::fs::read_to_string(&manifest)
            .unwrap()
            .contains("--advertise-address=10.0.0.5"),
        "the manifest in place is still the old one, whole"
    );

    let out = run_ok(&mut init(root.path()));
    assert!(
        stderr(&out).contains("left by an interrupted run"),
        "{}",
        stderr(&out)
    );
    check_converged(root.path(), "killed before the manifest's rename");
}

/// strace -y output of one syscall: its name, its arguments and whether it succeeded.
fn syscall(line: &str) -> Option<(&str, &str, bool)> {
    let line = line.split_once(' ').map_or(line, |(pid, rest)| {
        // strace pads the pid column: `1824  mkdirat(...)`, `12345 mkdirat(...)`.
        if pid.chars().all(|c| c.is_ascii_digit()) {
            rest.trim_start()
        } else {
            line
        }
    });
    let (name, rest) = line.split_once('(')?;
    let (call, result) = rest.rsplit_once(" = ")?;
    let args = call.trim_end().strip_suffix(')')?;
    Some((name, args, result.trim() == "0"))
}

/// The path of an `N</path>` file descriptor argument and the quoted name after it.
fn at_path(args: &str) -> Option<PathBuf> {
    let dir = args.split_once('<')?.1.split_once('>')?.0;
    let name = args.split_once('"')?.1.split_once('"')?.0;
    Some(Path::new(dir).join(name))
}

/// The fd and the path of an `N</path>` first argument.
fn fd_and_path(args: &str) -> Option<(&str, &str)> {
    let (fd, rest) = args.split_once('<')?;
    Some((fd.trim(), rest.split_once('>')?.0))
}

/// Every file's content is synced before its name appears (the link of a new file, the rename
/// of a temporary one), and every directory whose entries changed (a new name, a new
/// directory) is synced before the run ends: once per directory, not once per change.
#[test]
fn every_file_is_synced_before_it_is_named_and_every_changed_directory_before_the_end() {
    let root = tempfile::tempdir().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let log_path = log.path().display().to_string();
    run_ok(&mut under_strace(
        &init(root.path()),
        &[
            "-f",
            "-qq",
            "-y",
            "-o",
            &log_path,
            "-e",
            "trace=write,linkat,rename,renameat,renameat2,mkdir,mkdirat,fsync,fdatasync",
        ],
    ));
    let text = std::fs::read_to_string(log.path()).unwrap();
    // What each fd was last seen to be, contents written since their last sync, and
    // directories changed since theirs.
    let mut fd_paths = std::collections::HashMap::new();
    let mut unsynced_content = std::collections::HashSet::new();
    let mut unsynced_dirs = std::collections::BTreeSet::new();
    let (mut names, mut dir_syncs) = (0, 0);
    for line in text.lines() {
        let Some((name, args, ok)) = syscall(line) else {
            continue;
        };
        let changed = match name {
            "write" => {
                if let Some((fd, path)) = fd_and_path(args) {
                    fd_paths.insert(fd, path);
                    unsynced_content.insert(path);
                }
                None
            }
            "fsync" | "fdatasync" => {
                if let Some((_, path)) = fd_and_path(args) {
                    unsynced_content.remove(path);
                    dir_syncs += usize::from(unsynced_dirs.remove(Path::new(path)));
                }
                None
            }
            "linkat" if ok => {
                let fd = args
                    .split_once("\"/proc/self/fd/")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(fd, _)| fd)
                    .unwrap_or_else(|| panic!("a new file is linked by its fd: {line}"));
                let content = fd_paths.get(fd).copied().unwrap_or_default();
                assert!(
                    !unsynced_content.contains(content),
                    "linked before its content was synced: {line}"
                );
                let new = args
                    .split_once("\", ")
                    .map(|(_, new)| new)
                    .unwrap_or_default();
                names += 1;
                at_path(new)
            }
            "rename" | "renameat" | "renameat2" if ok => {
                let old = at_path(args).unwrap_or_default();
                assert!(
                    !unsynced_content.contains(old.to_str().unwrap_or_default()),
                    "renamed before its content was synced: {line}"
                );
                // The new name is the last path argument.
                let new = &args[args.match_indices(", ").nth(1).map_or(0, |(i, _)| i + 2)..];
                names += 1;
                at_path(new)
            }
            "mkdirat" if ok => at_path(args),
            _ => None,
        };
        if let Some(dir) = changed.and_then(|p| p.parent().map(Path::to_path_buf)) {
            unsynced_dirs.insert(dir);
        }
    }
    assert!(
        unsynced_dirs.is_empty(),
        "changed directories the run never synced: {unsynced_dirs:?}"
    );
    assert!(
        names > 30,
        "every written file is named into place; saw {names}:\n{text}"
    );
    assert!(
        dir_syncs < names / 3,
        "directories are synced once each, not per change: {dir_syncs} syncs for {names} names"
    );
}

/// When a fresh run reaches its stages, from its start, by its JSON events.
struct Timeline {
    total: Duration,
    certs_started: Duration,
    first_write: Duration,
    /// Files the run writes, each a rename into place.
    writes: usize,
}

/// The JSON events a run prints, as they come, with the count of files written so far;
/// `on_event` says whether to keep reading. The caller keeps the pipe open past the end, so
/// a run about to be killed never sees it close first.
fn follow_writes(
    out: &mut impl BufRead,
    mut on_event: impl FnMut(&serde_json::Value, usize) -> bool,
) {
    let mut writes = 0;
    for line in out.lines() {
        let Ok(line) = line else { break };
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["event"] == "file_written" && event["reused"] == false {
            writes += 1;
        }
        if !on_event(&event, writes) {
            break;
        }
    }
}

/// The run's JSON events.
fn events_of(child: &mut std::process::Child) -> BufReader<std::process::ChildStdout> {
    BufReader::new(child.stdout.take().expect("stdout is piped"))
}

fn measure_a_run() -> Timeline {
    let root = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = init(root.path())
        .args(["--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut certs_started, mut first_write, mut writes) = (None, None, 0);
    follow_writes(&mut events_of(&mut child), |event, n| {
        if event["event"] == "phase_started" && event["path"] == "certs" {
            certs_started = Some(started.elapsed());
        }
        if n == 1 {
            first_write.get_or_insert(started.elapsed());
        }
        writes = n;
        true
    });
    assert!(child.wait().unwrap().success(), "the measured run failed");
    Timeline {
        total: started.elapsed(),
        certs_started: certs_started.expect("certs ran"),
        first_write: first_write.expect("the run wrote files"),
        writes,
    }
}

/// Where a run is killed: after a time from its start, or as soon as it reports its `n`th
/// written file (so while it writes the next one, whatever the machine's load).
#[derive(Clone, Copy, Debug)]
enum KillPoint {
    At(Duration),
    AfterWrite(usize),
}

/// `count` points spread evenly inside `from..to`.
fn spread(from: Duration, to: Duration, count: u32) -> impl Iterator<Item = KillPoint> {
    let step = to.saturating_sub(from) / count;
    (0..count).map(move |i| KillPoint::At(from + step * i + step / 2))
}

/// Runs `job(i)` for every `i` below `count` on two threads (the runs wait on disk syncs as
/// much as on the CPU); the first failure stops both.
fn on_two_threads(count: usize, job: impl Fn(usize) + Sync) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (next, failed) = (AtomicUsize::new(0), AtomicBool::new(false));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(i)));
                    if let Err(panic) = outcome {
                        failed.store(true, Ordering::Relaxed);
                        std::panic::resume_unwind(panic);
                    }
                }
            });
        }
    });
}

/// What a kill left: keys without their certificates, and temporary files.
fn interrupted_state(root: &Path) -> (usize, usize) {
    let files = tree(root);
    let orphan_keys = files
        .iter()
        .filter_map(|p| p.strip_suffix(".key"))
        .filter(|base| base.contains("/pki/") && !base.ends_with("/sa"))
        .filter(|base| !files.contains(&format!("{base}.crt")))
        .count();
    let temps = files.iter().filter(|p| p.contains(".tmp-")).count();
    (orphan_keys, temps)
}

/// 50 SIGKILLs into fresh roots: 20 spread over a whole run, 10 inside RSA key generation
/// (certs started, nothing written yet) and 20 inside the writes, right after the run reports
/// a written file. Each killed root is run again to completion and must have converged.
#[test]
fn init_killed_at_50_points_converges_when_run_again() {
    let began = Instant::now();
    let t = measure_a_run();
    let points: Vec<KillPoint> = spread(Duration::ZERO, t.total, 20)
        .chain(spread(t.certs_started, t.first_write, 10))
        .chain((0..20).map(|i| KillPoint::AfterWrite(1 + i * (t.writes - 1) / 20)))
        .collect();
    let tally = std::sync::Mutex::new((0, 0, 0));
    on_two_threads(points.len(), |i| {
        let point = points[i];
        let root = tempfile::tempdir().unwrap();
        let mut child = init(root.path())
            .args(["--output", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        match point {
            KillPoint::At(after) => {
                let spawned = Instant::now();
                // Drained so the run never blocks on a full pipe.
                let mut out = child.stdout.take().unwrap();
                let drain =
                    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
                std::thread::sleep(after.saturating_sub(spawned.elapsed()));
                let _ = child.kill();
                let _ = drain.join();
            }
            KillPoint::AfterWrite(n) => {
                let mut events = events_of(&mut child);
                follow_writes(&mut events, |_, written| written < n);
                let _ = child.kill();
            }
        }
        let finished = child.wait().unwrap().success();
        let (keys, temps) = interrupted_state(root.path());
        {
            let mut tally = tally.lock().unwrap();
            tally.0 += usize::from(finished);
            tally.1 += keys;
            tally.2 += temps;
        }

        let what = format!("kill {i} ({point:?})");
        let rerun = init(root.path()).output().unwrap();
        assert!(
            rerun.status.success(),
            "{what}: the re-run failed:\n{}",
            stderr(&rerun)
        );
        check_converged(root.path(), &what);
    });
    let (finished, orphan_keys, temps) = tally.into_inner().unwrap();
    eprintln!(
        "50 kills (a run: {:?}, certs from {:?}, first of {} writes at {:?}): {finished} runs \
         finished first, {orphan_keys} keys left without a certificate, {temps} temporary files \
         left; all converged; {:?} in all",
        t.total,
        t.certs_started,
        t.writes,
        t.first_write,
        began.elapsed()
    );
}

/// 20 pairs of runs started together into a fresh root: the first to open the root holds it
/// to the end, the other stops at once with the holder's pid, and the root is whole.
#[test]
fn of_two_runs_started_together_one_wins_and_the_other_is_refused() {
    let began = Instant::now();
    on_two_threads(20, |pair| {
        let root = tempfile::tempdir().unwrap();
        let spawn = || {
            init(root.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let pids = [a.id(), b.id()];
        let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let winners: Vec<usize> = (0..2).filter(|i| outs[*i].status.success()).collect();
        assert_eq!(
            winners.len(),
            1,
            "pair {pair}: one run wins:\n{}\n{}",
            stderr(&outs[0]),
            stderr(&outs[1])
        );
        let (winner, loser) = (winners[0], 1 - winners[0]);
        let refusal = stderr(&outs[loser]);
        assert_eq!(outs[loser].status.code(), Some(1), "pair {pair}: {refusal}");
        assert!(
            refusal.contains(&format!(
                "another kubeadm-rs run (pid {}) is writing to this node root",
                pids[winner]
            )),
            "pair {pair}: the refusal names the winner: {refusal}"
        );
        check_converged(root.path(), &format!("pair {pair}"));
    });
    eprintln!("20 pairs in {:?}", began.elapsed());
}
