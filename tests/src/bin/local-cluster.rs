//! A whole cluster on this machine, from the kubeadm-rs binary and the test doubles:
//! `local-cluster up [--control-planes N] [--workers M]`, `local-cluster status`,
//! `local-cluster down` (see `scripts/local-cluster.sh`, which builds and runs it). Needs root:
//! it creates network namespaces.

// A command-line tool for tests: it prints what it did and its errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use kubeadm_rs_tests::lab_cluster::Binaries;
use kubeadm_rs_tests::local_cluster::{LocalCluster, Plan, check_prefix, default_state_dir};

/// Brings up, shows and tears down a kubeadm-rs cluster of network namespaces on this machine.
#[derive(Parser)]
#[command(name = "local-cluster")]
struct Args {
    /// Names the namespaces (<prefix>-cp1, …, <prefix>-w1, …, <prefix>-br), so several
    /// clusters can coexist.
    #[arg(long, env = "KRS_PREFIX", default_value = "krs", global = true)]
    prefix: String,
    /// Where the cluster's node roots, logs and pids are kept
    /// (default: $TMPDIR/kubeadm-rs-local-cluster/<prefix>).
    #[arg(long, env = "KRS_STATE_DIR", global = true)]
    state_dir: Option<PathBuf>,
    /// The directory holding kubeadm-rs, test-kubelet and test-control-plane (default: this
    /// program's own).
    #[arg(long, env = "KRS_BIN_DIR", global = true)]
    bin_dir: Option<PathBuf>,
    /// The kubeadm-rs binary (default: <bin-dir>/kubeadm-rs).
    #[arg(long, env = "KRS_KUBEADM", global = true)]
    kubeadm: Option<PathBuf>,
    #[command(subcommand)]
    command: Step,
}

#[derive(Subcommand)]
enum Step {
    /// Builds the cluster and prints its nodes, its etcd members and where the time went.
    Up {
        #[arg(long, default_value_t = 3)]
        control_planes: usize,
        #[arg(long, default_value_t = 20)]
        workers: usize,
    },
    /// Prints the nodes and etcd members of the running cluster.
    Status,
    /// Resets every node, stops every process the cluster started and removes its namespaces
    /// and files.
    Down,
}

fn binaries(args: &Args) -> Result<Binaries, String> {
    let bin_dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .ok_or("cannot tell where local-cluster is: pass --bin-dir")?,
    };
    let bins = Binaries {
        kubeadm: args
            .kubeadm
            .clone()
            .unwrap_or_else(|| bin_dir.join("kubeadm-rs")),
        kubelet: bin_dir.join("test-kubelet"),
        control_plane: bin_dir.join("test-control-plane"),
    };
    for bin in [&bins.kubeadm, &bins.kubelet, &bins.control_plane] {
        if !bin.is_file() {
            return Err(format!(
                "{} is missing: build it (scripts/local-cluster.sh does) or pass --bin-dir",
                bin.display()
            ));
        }
    }
    Ok(bins)
}

fn run(args: Args) -> Result<(), String> {
    check_prefix(&args.prefix)?;
    if !rustix::process::geteuid().is_root() {
        return Err(
            "local-cluster needs root: it creates network namespaces (run it with sudo)".into(),
        );
    }
    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| default_state_dir(&args.prefix));
    let bins = binaries(&args)?;
    let start = Instant::now();
    match args.command {
        Step::Up {
            control_planes,
            workers,
        } => {
            let plan = Plan {
                prefix: args.prefix.clone(),
                state_dir: state_dir.clone(),
                control_planes,
                workers,
                bins,
            };
            let (cluster, timings) = LocalCluster::up(&plan).map_err(|e| {
                format!(
                    "{e}\n(logs in {}; `local-cluster down --prefix {}` removes what was built)",
                    state_dir.join("logs").display(),
                    args.prefix
                )
            })?;
            let status = cluster.status()?;
            for line in timings.lines() {
                println!("{line}");
            }
            println!("{}", status.report(timings.total));
        }
        Step::Status => {
            let cluster = LocalCluster::open(&state_dir, bins)?;
            println!("{}", cluster.status()?.report(start.elapsed()));
        }
        Step::Down => {
            let cluster = LocalCluster::open(&state_dir, bins)?;
            let nodes = cluster.c.lab.nodes().len();
            for warning in cluster.down()? {
                eprintln!("warning: {warning}");
            }
            println!(
                "{nodes} nodes reset, their processes stopped and namespaces deleted, {} removed; elapsed: {:.1} s",
                state_dir.display(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
