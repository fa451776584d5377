//! Benchmark of the local (node-only) part of `init`, against peer tools making the same PKI.
//!
//! Run with `cargo bench -p kubeadm-rs-tests --bench local_init` (release profile). Times, in one
//! run: `kubeadm-rs init` of the local phases (certs, kubeconfig, etcd, control-plane,
//! kubelet-start) as a whole process, as a user runs it, into a fresh temporary root with
//! ECDSA-P256 and RSA-2048; `config validate` as a whole process; the same phases and the
//! `certs` phase alone run in this process through the library; and the same PKI made by the
//! openssl CLI recipe and by cfssl (scripts/bench/). Whole-process rows also show the CPU time
//! the process and its children used, averaged per run, which a busy machine inflates less.

// A benchmark prints its table of results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kubeadm_rs::config::InitOverrides;
use kubeadm_rs::events::Events;
use kubeadm_rs_tests::{init_config, run_phases};

/// Everything `init` does before it needs an API server or a kubelet: the phases this benchmark
/// leaves out. The rest would wait for a kubelet at the (non-local) advertise address.
const CLUSTER_PHASES: [&str; 9] = [
    "preflight",
    "wait-control-plane",
    "upload-config",
    "upload-certs",
    "mark-control-plane",
    "bootstrap-token",
    "kubelet-finalize",
    "addon",
    "show-join-command",
];

/// The config every row uses: the node's name and address fixed, nothing looked up.
fn config_text(algorithm: &str) -> String {
    format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.34.2\n\
         encryptionAlgorithm: {algorithm}\n---\napiVersion: kubeadm.k8s.io/v1beta4\n\
         kind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: 10.0.0.5\n\
         nodeRegistration:\n  name: bench-node\n"
    )
}

/// The same local init through the library, in this process (no start-up, crypto warm).
fn in_process(algorithm: &str, filter: Option<&str>) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let start = Instant::now();
    let cfg = init_config(Some(&config_text(algorithm)), &InitOverrides::default());
    run_phases(dir.path(), &cfg, filter, &CLUSTER_PHASES, Events::discard())
        .expect("local init succeeds");
    start.elapsed()
}

/// A config file for `algorithm` in a fresh directory (kept alive by the returned guard).
fn config_file(algorithm: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("kubeadm.yaml");
    std::fs::write(&path, config_text(algorithm)).expect("config written");
    (dir, path)
}

/// The binary the whole-process rows time: this build's, or `KUBEADM_RS_BENCH_BIN` (another
/// build of kubeadm-rs, to compare two versions on one machine in one run).
fn kubeadm() -> Command {
    Command::new(
        std::env::var_os("KUBEADM_RS_BENCH_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_kubeadm-rs-cli").into()),
    )
}

/// `kubeadm-rs init` of the local phases into a fresh root, start to exit.
fn whole_init(algorithm: &str) -> Duration {
    let (_cfg_dir, cfg) = config_file(algorithm);
    let root = tempfile::tempdir().expect("temp dir");
    let mut cmd = kubeadm();
    cmd.arg("init")
        .arg("--config")
        .arg(&cfg)
        .arg("--rootfs")
        .arg(root.path())
        .arg("--skip-phases")
        .arg(CLUSTER_PHASES.join(","));
    let took = timed(&mut cmd);
    assert!(
        root.path()
            .join("etc/kubernetes/manifests/kube-apiserver.yaml")
            .is_file()
            && root.path().join("var/lib/kubelet/config.yaml").is_file(),
        "init wrote its files"
    );
    took
}

/// `kubeadm-rs config validate` of the same config, start to exit.
fn whole_validate() -> Duration {
    let (_cfg_dir, cfg) = config_file("ECDSA-P256");
    let mut cmd = kubeadm();
    cmd.args(["config", "validate", "--config"]).arg(&cfg);
    timed(&mut cmd)
}

fn script(name: &str, alg: &str) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/bench")
        .join(name);
    let mut cmd = Command::new("bash");
    cmd.arg(&path)
        .arg(dir.path().join("pki"))
        .args([alg, "bench-node", "10.0.0.5"]);
    timed(&mut cmd)
}

/// Runs `cmd` to a successful exit, output discarded; how long it took.
fn timed(cmd: &mut Command) -> Duration {
    cmd.env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output().expect("the command runs");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// CPU time (user + system) of this process's reaped children so far, from /proc/self/stat.
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which may hold spaces), 1-based: cutime is 16, cstime 17.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 =
        fields[13].parse::<u64>().expect("cutime") + fields[14].parse::<u64>().expect("cstime");
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

struct Row {
    name: String,
    samples: Vec<Duration>,
    /// Mean CPU time per run of the child processes, for rows that run any.
    cpu: Option<Duration>,
}

impl Row {
    fn measure(name: &str, runs: usize, mut f: impl FnMut() -> Duration) -> Row {
        let cpu_before = children_cpu();
        let samples = (0..runs).map(|_| f()).collect();
        let cpu = children_cpu() - cpu_before;
        Row {
            name: name.to_string(),
            samples,
            cpu: (!cpu.is_zero()).then(|| cpu / runs as u32),
        }
    }

    fn median(&self) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        s[s.len() / 2]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let quick = kubeadm_rs_tests::bench_quick();
    let (fast_runs, slow_runs) = if quick { (1, 1) } else { (25, 5) };
    // Warm up the page cache (binary, config, scripts) and this process's crypto state.
    whole_init("ECDSA-P256");
    in_process("ECDSA-P256", None);

    let rows = vec![
        Row::measure(
            "init (local phases), ECDSA-P256, process",
            fast_runs,
            || whole_init("ECDSA-P256"),
        ),
        Row::measure("init (local phases), RSA-2048, process", slow_runs, || {
            whole_init("RSA-2048")
        }),
        Row::measure("config validate, process", fast_runs, whole_validate),
        Row::measure("local phases in-process, ECDSA-P256", fast_runs, || {
            in_process("ECDSA-P256", None)
        }),
        Row::measure("certs phase in-process, ECDSA-P256", fast_runs, || {
            in_process("ECDSA-P256", Some("certs"))
        }),
        Row::measure("local phases in-process, RSA-2048", slow_runs, || {
            in_process("RSA-2048", None)
        }),
        Row::measure("certs phase in-process, RSA-2048", slow_runs, || {
            in_process("RSA-2048", Some("certs"))
        }),
        Row::measure("openssl recipe, same PKI, ECDSA-P256", slow_runs, || {
            script("openssl-pki.sh", "ecdsa")
        }),
        Row::measure("cfssl, same PKI, ECDSA-P256", slow_runs, || {
            script("cfssl-pki.sh", "ecdsa")
        }),
        Row::measure("openssl recipe, same PKI, RSA-2048", slow_runs, || {
            script("openssl-pki.sh", "rsa")
        }),
        Row::measure("cfssl, same PKI, RSA-2048", slow_runs, || {
            script("cfssl-pki.sh", "rsa")
        }),
    ];
    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>12} {:>5}",
        "benchmark", "median", "min", "max", "cpu/run", "runs"
    );
    for r in &rows {
        let min = *r.samples.iter().min().expect("samples");
        let max = *r.samples.iter().max().expect("samples");
        println!(
            "{:<44} {:>10} {:>10} {:>10} {:>12} {:>5}",
            r.name,
            ms(r.median()),
            ms(min),
            ms(max),
            r.cpu.map(ms).unwrap_or_else(|| "-".into()),
            r.samples.len()
        );
    }
    let find = |n: &str| {
        rows.iter()
            .find(|r| r.name == n)
            .expect("row")
            .median()
            .as_secs_f64()
    };
    let ecdsa = find("init (local phases), ECDSA-P256, process");
    let rsa = find("init (local phases), RSA-2048, process");
    println!();
    println!(
        "init ECDSA-P256 (process), median:  {} (target ≤ 25 ms)",
        ms(Duration::from_secs_f64(ecdsa))
    );
    println!(
        "  vs openssl recipe (certs only):   {:.1}x faster",
        find("openssl recipe, same PKI, ECDSA-P256") / ecdsa
    );
    println!(
        "  vs cfssl (certs only):            {:.1}x faster",
        find("cfssl, same PKI, ECDSA-P256") / ecdsa
    );
    println!(
        "init RSA-2048 (process) vs openssl: {:.1}x faster (target ≥ 3x)",
        find("openssl recipe, same PKI, RSA-2048") / rsa
    );
    println!(
        "init RSA-2048 (process) vs cfssl:   {:.1}x faster (target ≥ 2x)",
        find("cfssl, same PKI, RSA-2048") / rsa
    );
}
