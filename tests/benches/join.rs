//! Benchmark of `kubeadm-rs join` end to end, across network namespaces: the first control
//! plane is a real `kubeadm-rs init` with the test control plane at the endpoint, and every
//! joining node runs the kubelet double, so the kubelet, the CSR controllers and the health
//! endpoints answer at once.
//!
//! Run with `cargo bench -p kubeadm-rs-tests --bench join` (release profile). Times, in one
//! run, the `kubeadm-rs join` process from start to exit: a worker join (discovery with the
//! printed token and pin, TLS bootstrap), each on a fresh node root; a control-plane join
//! with `--certificate-key` (certificates downloaded, etcd member added as a learner and
//! promoted); and 20 worker joins started together, with their wall time and errors.
//!
//! etcd refuses a new member until the member it asks has been connected to every voting
//! member for 5 s (its strict reconfiguration check, on by default), and the member the
//! previous control-plane join added connected during that join. So the control-plane joins
//! are timed on a settled cluster, each started [`ETCD_HEALTH_INTERVAL`] after the previous
//! one ended, and one more join, started right after the last, is timed on its own: that one
//! includes etcd's wait, as a back-to-back `kubeadm join` does.
//! `--test` (or `KUBEADM_RS_BENCH_QUICK`) runs each once. The worker joins print their
//! events as JSON, and the bench shows where a worker join's time goes: the median of each
//! top-level phase, and of the rest (process start, configuration, exit). `KUBEADM_RS_BENCH_BIN`
//! times another build of kubeadm-rs (the whole cluster runs it), to compare two versions.

// A benchmark prints its table of results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::process::Output;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use kubeadm_rs_tests::lab_cluster::{Binaries, LabCluster};
use kubeadm_rs_tests::netns::LabNode;

const CONCURRENT: usize = 20;
/// etcd's `HealthInterval`: how long a member must have been connected to every voting member
/// before it accepts a membership change.
const ETCD_HEALTH_INTERVAL: Duration = Duration::from_secs(5);

struct Row {
    name: String,
    samples: Vec<Duration>,
}

impl Row {
    fn new(name: &str, mut samples: Vec<Duration>) -> Row {
        samples.sort();
        Row {
            name: name.to_string(),
            samples,
        }
    }

    fn median(&self) -> Duration {
        self.samples[self.samples.len() / 2]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn check(what: &str, out: &Output) -> Result<(), String> {
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `kubeadm-rs join` of `node` as `name` on `root` with the printed token and pin; `extra`
/// flags after.
fn join(
    c: &LabCluster,
    node: &LabNode,
    name: &str,
    root: &std::path::Path,
    extra: &[String],
) -> std::process::Command {
    let mut cmd = c.kubeadm(node);
    cmd.arg("join")
        .arg(&c.join.endpoint)
        .arg("--rootfs")
        .arg(root)
        .args(["--node-name", name, "--token", &c.join.token])
        .args(
            c.join
                .ca_hashes
                .iter()
                .flat_map(|h| ["--discovery-token-ca-cert-hash", h.as_str()]),
        )
        .arg("--ignore-preflight-errors=all")
        .args(extra);
    cmd
}

/// The top-level phases of a `--output json` run that finished, with their durations.
fn top_level_phases(out: &Output) -> Vec<(String, Duration)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|e| e["event"] == "phase_finished")
        .filter_map(|e| {
            let path = e["path"].as_str()?;
            let ms = e["duration_ms"].as_f64()?;
            (!path.contains('/')).then(|| (path.to_string(), Duration::from_secs_f64(ms / 1000.0)))
        })
        .collect()
}

/// A kubelet double for `name` on `root` inside `node`'s namespace; its lab label.
fn kubelet(c: &LabCluster, node: &LabNode, name: &str, root: &std::path::Path) -> String {
    let mut cmd = c.lab.exec(node, &c.bins.kubelet);
    cmd.arg("--rootfs").arg(root).args(["--node-name", name]);
    let label = format!("kubelet-{name}");
    c.lab.spawn(&label, cmd);
    label
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test")
        || std::env::var_os("KUBEADM_RS_BENCH_QUICK").is_some();
    let (worker_runs, cp_runs) = if quick { (1, 1) } else { (15, 3) };
    let bins = Binaries {
        kubeadm: std::env::var_os("KUBEADM_RS_BENCH_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_kubeadm-rs-cli").into())
            .into(),
        kubelet: env!("CARGO_BIN_EXE_test-kubelet").into(),
        control_plane: env!("CARGO_BIN_EXE_test-control-plane").into(),
    };
    // The last one joins right after the one before it.
    let cps: Vec<String> = (2..3 + cp_runs).map(|i| format!("cp{i}")).collect();
    let workers: Vec<String> = (1..=CONCURRENT).map(|i| format!("w{i}")).collect();
    let mut names = vec!["cp1".to_string(), "wb".to_string()];
    names.extend(cps.iter().cloned());
    names.extend(workers.iter().cloned());
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let c = LabCluster::init(bins, &names, "");

    // Workers one after another in one namespace, each on a fresh root as a new node.
    let bench_ns = c.node("wb");
    let mut worker = Vec::new();
    let mut phases: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for run in 0..worker_runs {
        let root = tempfile::tempdir().expect("a node root");
        let name = format!("wb{run}");
        let label = kubelet(&c, bench_ns, &name, root.path());
        let start = Instant::now();
        let out = join(&c, bench_ns, &name, root.path(), &["--output=json".into()])
            .output()
            .expect("kubeadm-rs runs");
        let took = start.elapsed();
        worker.push(took);
        check(&format!("worker join {name}"), &out).unwrap_or_else(|e| panic!("{e}"));
        let mut in_phases = Duration::ZERO;
        for (phase, d) in top_level_phases(&out) {
            in_phases += d;
            phases.entry(phase).or_default().push(d);
        }
        phases
            .entry("(start, configuration, exit)".into())
            .or_default()
            .push(took.saturating_sub(in_phases));
        c.lab.stop(&label);
    }

    // Control planes, each adding an etcd member.
    let key = c
        .join
        .certificate_key
        .clone()
        .expect("init --upload-certs printed a certificate key");
    let mut control_plane = Vec::new();
    let mut back_to_back = Vec::new();
    let mut previous_end: Option<Instant> = None;
    for (run, name) in cps.iter().enumerate() {
        let settled = run < cp_runs;
        if let (true, Some(end)) = (settled, previous_end) {
            std::thread::sleep(ETCD_HEALTH_INTERVAL.saturating_sub(end.elapsed()));
        }
        let node = c.node(name);
        kubelet(&c, node, name, node.root());
        let extra = [
            "--control-plane".to_string(),
            "--certificate-key".to_string(),
            key.clone(),
            format!("--apiserver-advertise-address={}", node.address),
        ];
        let start = Instant::now();
        let out = join(&c, node, name, node.root(), &extra)
            .output()
            .expect("kubeadm-rs runs");
        if settled {
            control_plane.push(start.elapsed());
        } else {
            back_to_back.push(start.elapsed());
        }
        previous_end = Some(Instant::now());
        check(&format!("control-plane join {name}"), &out).unwrap_or_else(|e| panic!("{e}"));
    }

    // Concurrent workers, released together.
    for name in &workers {
        let node = c.node(name);
        kubelet(&c, node, name, node.root());
    }
    let barrier = Arc::new(Barrier::new(CONCURRENT));
    let started = Instant::now();
    let results: Vec<(Duration, Result<(), String>)> = std::thread::scope(|scope| {
        let threads: Vec<_> = workers
            .iter()
            .map(|name| {
                let barrier = barrier.clone();
                let c = &c;
                scope.spawn(move || {
                    let node = c.node(name);
                    let mut cmd = join(c, node, name, node.root(), &[]);
                    barrier.wait();
                    let start = Instant::now();
                    let out = cmd.output().expect("kubeadm-rs runs");
                    (start.elapsed(), check(&format!("worker join {name}"), &out))
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a join thread"))
            .collect()
    });
    let wall = started.elapsed();
    let mut errors = 0;
    for (_, result) in &results {
        if let Err(e) = result {
            eprintln!("{e}");
            errors += 1;
        }
    }
    let concurrent = Row::new(
        "20 concurrent worker joins (each)",
        results.iter().map(|(d, _)| *d).collect(),
    );

    let rows = [
        Row::new("worker join (discovery + TLS bootstrap)", worker),
        Row::new("control-plane join (+ etcd member)", control_plane),
        Row::new("  right after another (etcd's 5 s wait)", back_to_back),
        concurrent,
    ];
    println!(
        "{:<42} {:>10} {:>10} {:>10} {:>5}",
        "benchmark", "median", "min", "max", "runs"
    );
    for r in &rows {
        println!(
            "{:<42} {:>10} {:>10} {:>10} {:>5}",
            r.name,
            ms(r.median()),
            ms(r.samples[0]),
            ms(*r.samples.last().expect("samples")),
            r.samples.len()
        );
    }
    println!();
    println!("where a worker join's time goes (median of each part):");
    for (phase, mut samples) in phases {
        samples.sort();
        println!("  {phase:<40} {:>10}", ms(samples[samples.len() / 2]));
    }
    println!();
    println!(
        "worker join median:         {} (target ≤ 150 ms)",
        ms(rows[0].median())
    );
    println!(
        "control-plane join median:  {} (target ≤ 3 s); right after another: {}",
        ms(rows[1].median()),
        ms(rows[2].median())
    );
    println!(
        "20 concurrent worker joins: {} wall, {errors} errors (target ≤ 3 s, 0 errors)",
        ms(wall)
    );
    assert_eq!(errors, 0, "every concurrent worker join succeeds");
}
