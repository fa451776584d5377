//! Benchmark of `init`'s cluster phases and of `token create`, against the test control plane
//! on loopback (its kubelet and component health doubles answer at once).
//!
//! Run with `cargo bench -p kubeadm-rs-tests --bench cluster` (release profile). Times, in one
//! run, through the library (no process start-up): every cluster phase (wait-control-plane
//! through show-join-command) on a node whose node-local phases are done, ECDSA-P256, against
//! a fresh control plane, with `--upload-certs`, and again on the initialised cluster; then 100
//! concurrent `token create` calls, sharing one client and each with its own.

// A benchmark prints its table of results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime};

use kubeadm_rs::certkey::CertificateKey;
use kubeadm_rs::cluster::Cluster;
use kubeadm_rs::events::Events;
use kubeadm_rs::phases::init::{InitOptions, init_workflow};
use kubeadm_rs::token;
use kubeadm_rs::workflow::Selection;
use kubeadm_rs_tests::cluster_fixture::Node;
use kubeadm_rs_tests::control_plane::Running;

/// The phases that touch only the node; the rest need the API server.
const NODE_LOCAL: [&str; 6] = [
    "preflight",
    "certs",
    "kubeconfig",
    "etcd",
    "control-plane",
    "kubelet-start",
];

fn cluster_phases() -> Vec<String> {
    init_workflow()
        .phases
        .iter()
        .map(|p| p.name.clone())
        .filter(|n| !NODE_LOCAL.contains(&n.as_str()))
        .collect()
}

/// Every phase but `skip`'s.
fn all_but(skip: &[String]) -> Selection {
    Selection {
        filter: None,
        skip: skip.to_vec(),
    }
}

/// A node with its node-local phases done and the control plane serving it (not timed).
/// With `upload_certs`, the config carries a fresh certificate key (as `init --upload-certs`
/// makes one when none is given).
fn ready_node(upload_certs: bool) -> (Node, Running) {
    let mut node = Node::prepare_with(|c| {
        if upload_certs {
            let key = CertificateKey::generate().expect("a certificate key");
            c.init_extra = format!("certificateKey: {}\n", key.expose());
        }
    });
    // Preflight would check this host, not the node; the rest of the node-local work is done.
    let mut skip = cluster_phases();
    skip.push("preflight".into());
    node.run_init(&all_but(&skip), InitOptions::default(), Events::discard())
        .expect("node-local phases");
    let cp = node.start_control_plane();
    (node, cp)
}

fn run_cluster_phases(node: &Node, upload_certs: bool) -> Duration {
    let node_local: Vec<String> = NODE_LOCAL.iter().map(|s| s.to_string()).collect();
    let options = InitOptions {
        upload_certs,
        ..InitOptions::default()
    };
    let start = Instant::now();
    node.run_init(&all_but(&node_local), options, Events::discard())
        .expect("the cluster phases succeed");
    start.elapsed()
}

struct Row {
    name: String,
    samples: Vec<Duration>,
}

impl Row {
    fn new(name: &str, samples: Vec<Duration>) -> Row {
        let mut samples = samples;
        samples.sort();
        Row {
            name: name.to_string(),
            samples,
        }
    }

    /// The `p`-th percentile (nearest rank).
    fn pct(&self, p: usize) -> Duration {
        let rank = (p * self.samples.len()).div_ceil(100).max(1);
        self.samples[rank - 1]
    }

    fn median(&self) -> Duration {
        self.samples[self.samples.len() / 2]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `token create` with kubeadm's defaults (a generated token, 24h, default usages and group).
fn create_token(cluster: &Cluster) -> Result<(), String> {
    let spec = token::spec_from_flags(None, "24h0m0s", &[], None, "").map_err(|e| e.to_string())?;
    let now = SystemTime::now().try_into().map_err(|e| format!("{e}"))?;
    token::create_tokens(cluster, &[spec], now).map_err(|e| e.to_string())
}

/// `calls` token creates released together; each thread connects first when `own_client`.
fn concurrent_creates(node: &Node, calls: usize, own_client: bool) -> (Row, Duration, usize) {
    let shared = Cluster::connect(&node.admin(), Duration::from_secs(60)).expect("admin.conf");
    let barrier = Arc::new(Barrier::new(calls));
    let started = Instant::now();
    let threads: Vec<_> = (0..calls)
        .map(|_| {
            let barrier = barrier.clone();
            let shared = shared.clone();
            let admin = node.admin();
            std::thread::spawn(move || {
                let cluster = if own_client {
                    Cluster::connect(&admin, Duration::from_secs(60)).expect("admin.conf")
                } else {
                    shared
                };
                barrier.wait();
                let start = Instant::now();
                let result = create_token(&cluster);
                (start.elapsed(), result)
            })
        })
        .collect();
    let mut samples = Vec::new();
    let mut errors = 0;
    for t in threads {
        let (took, result) = t.join().expect("a create thread");
        if let Err(e) = result {
            eprintln!("token create failed: {e}");
            errors += 1;
        }
        samples.push(took);
    }
    let wall = started.elapsed();
    let name = if own_client {
        "token create, own client each"
    } else {
        "token create, one shared client"
    };
    (Row::new(name, samples), wall, errors)
}

fn main() {
    let quick = kubeadm_rs_tests::bench_quick();
    let runs = if quick { 1 } else { 25 };

    // Warm up page cache, allocator and lazily initialised crypto and TLS state.
    let (warm, _warm_cp) = ready_node(false);
    run_cluster_phases(&warm, false);

    let mut first = Vec::new();
    let mut upload = Vec::new();
    let mut again = Vec::new();
    for _ in 0..runs {
        let (node, _cp) = ready_node(false);
        first.push(run_cluster_phases(&node, false));
        again.push(run_cluster_phases(&node, false));
        let (node, _cp) = ready_node(true);
        upload.push(run_cluster_phases(&node, true));
    }
    let phases = [
        Row::new("cluster phases, fresh cluster", first),
        Row::new("cluster phases, --upload-certs", upload),
        Row::new("cluster phases, re-run (converge)", again),
    ];

    let calls = 100;
    let (node, cp) = ready_node(false);
    run_cluster_phases(&node, false);
    let (shared, shared_wall, shared_errors) = concurrent_creates(&node, calls, false);
    let (own, own_wall, own_errors) = concurrent_creates(&node, calls, true);
    let listing = token::list_tokens(
        &Cluster::connect(&node.admin(), Duration::from_secs(60)).expect("admin.conf"),
    )
    .expect("token list");
    drop(cp);

    println!(
        "{:<36} {:>10} {:>10} {:>10} {:>10} {:>5}",
        "benchmark", "median", "min", "p90", "max", "runs"
    );
    for r in &phases {
        println!(
            "{:<36} {:>10} {:>10} {:>10} {:>10} {:>5}",
            r.name,
            ms(r.median()),
            ms(r.samples[0]),
            ms(r.pct(90)),
            ms(*r.samples.last().expect("samples")),
            r.samples.len()
        );
    }
    println!();
    println!(
        "{:<36} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "100 concurrent calls", "min", "p50", "p90", "p99", "max", "wall", "errors"
    );
    for (r, wall, errors) in [
        (&shared, shared_wall, shared_errors),
        (&own, own_wall, own_errors),
    ] {
        println!(
            "{:<36} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
            r.name,
            ms(r.samples[0]),
            ms(r.pct(50)),
            ms(r.pct(90)),
            ms(r.pct(99)),
            ms(*r.samples.last().expect("samples")),
            ms(wall),
            errors
        );
    }
    println!();
    println!(
        "cluster phases median (fresh):  {} (target ≤ 150 ms)",
        ms(phases[0].median())
    );
    println!(
        "concurrent token creates:       {} errors in {} calls (target 0); {} tokens listed afterwards",
        shared_errors + own_errors,
        2 * calls,
        listing.tokens.len()
    );
    assert_eq!(
        shared_errors + own_errors,
        0,
        "every concurrent token create succeeds"
    );
    // init's token and every created one.
    assert_eq!(listing.tokens.len(), 1 + 2 * calls, "every token is stored");
}
