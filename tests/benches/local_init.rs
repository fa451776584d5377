//! Benchmark of the local (node-only) part of `init`, against peer tools making the same PKI.
//!
//! Run with `cargo bench -p kubeadm-rs-tests --bench local_init` (release profile). Times, in one
//! run: the full local init (certs, kubeconfig, etcd, control-plane, kubelet-start) into a fresh
//! temporary root with RSA-2048 and with ECDSA-P256; the `certs` phase alone; and the same PKI
//! made by the openssl CLI recipe and by cfssl (scripts/bench/).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kubeadm_rs::config::InitOverrides;
use kubeadm_rs::workflow::Events;
use kubeadm_rs_tests::{init_config, run_phases};

/// Everything `init` does before it needs an API server or a kubelet: the phases this benchmark
/// times. The rest would wait for a kubelet at the (non-local) advertise address.
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

/// One local init (or one phase subtree) into a fresh temporary root.
fn local_init(algorithm: &str, filter: Option<&str>) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let start = Instant::now();
    let mut cfg_text =
        String::from("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n");
    cfg_text.push_str(&format!("encryptionAlgorithm: {algorithm}\n"));
    cfg_text.push_str(
        "---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: 10.0.0.5\nnodeRegistration:\n  name: bench-node\n",
    );
    let cfg = init_config(Some(&cfg_text), &InitOverrides::default());
    run_phases(dir.path(), &cfg, filter, &CLUSTER_PHASES, Events::discard())
        .expect("local init succeeds");
    start.elapsed()
}

fn script(name: &str, alg: &str) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/bench")
        .join(name);
    let start = Instant::now();
    let status = Command::new("bash")
        .arg(&path)
        .arg(dir.path().join("pki"))
        .args([alg, "bench-node", "10.0.0.5"])
        .status()
        .expect("bash runs");
    assert!(status.success(), "{name} failed");
    start.elapsed()
}

struct Row {
    name: String,
    samples: Vec<Duration>,
}

impl Row {
    fn measure(name: &str, runs: usize, mut f: impl FnMut() -> Duration) -> Row {
        let samples = (0..runs).map(|_| f()).collect();
        Row {
            name: name.to_string(),
            samples,
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
    // Warm up page cache, allocator and lazily initialised crypto state.
    local_init("ECDSA-P256", None);

    let rows = vec![
        Row::measure("local init, ECDSA-P256", fast_runs, || {
            local_init("ECDSA-P256", None)
        }),
        Row::measure("certs phase, ECDSA-P256", fast_runs, || {
            local_init("ECDSA-P256", Some("certs"))
        }),
        Row::measure("local init, RSA-2048", slow_runs, || {
            local_init("RSA-2048", None)
        }),
        Row::measure("certs phase, RSA-2048", slow_runs, || {
            local_init("RSA-2048", Some("certs"))
        }),
        Row::measure("openssl recipe, same PKI, RSA-2048", slow_runs, || {
            script("openssl-pki.sh", "rsa")
        }),
        Row::measure("cfssl, same PKI, RSA-2048", slow_runs, || {
            script("cfssl-pki.sh", "rsa")
        }),
        Row::measure("openssl recipe, same PKI, ECDSA-P256", slow_runs, || {
            script("openssl-pki.sh", "ecdsa")
        }),
        Row::measure("cfssl, same PKI, ECDSA-P256", slow_runs, || {
            script("cfssl-pki.sh", "ecdsa")
        }),
    ];
    println!(
        "{:<40} {:>12} {:>12} {:>12} {:>5}",
        "benchmark", "median", "min", "max", "runs"
    );
    for r in &rows {
        let min = *r.samples.iter().min().expect("samples");
        let max = *r.samples.iter().max().expect("samples");
        println!(
            "{:<40} {:>12} {:>12} {:>12} {:>5}",
            r.name,
            ms(r.median()),
            ms(min),
            ms(max),
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
    let ours = find("local init, RSA-2048");
    println!();
    println!(
        "local init RSA-2048 vs openssl recipe: {:.1}x faster (target ≥ 3x)",
        find("openssl recipe, same PKI, RSA-2048") / ours
    );
    println!(
        "local init RSA-2048 vs cfssl:          {:.1}x faster (target ≥ 2x)",
        find("cfssl, same PKI, RSA-2048") / ours
    );
    println!(
        "local init ECDSA-P256 median:          {} (target ≤ 30 ms)",
        ms(rows[0].median())
    );
}
