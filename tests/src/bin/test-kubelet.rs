//! The kubelet double on its own (tests only): `test-kubelet --rootfs DIR --node-name NAME`
//! does on a node root what the kubelet does for kubeadm (TLS bootstrap, kubelet.conf, Node
//! registration, `/healthz`, static pods with mirror pods) until SIGTERM or Ctrl-C. Run it
//! inside the node's network namespace (`ip netns exec NS test-kubelet ...`).

// A command-line tool for tests: it prints what it did and its errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kubeadm_rs_tests::kubelet::{Kubelet, Options};

/// A kubelet double for kubeadm-rs tests.
#[derive(Parser)]
#[command(name = "test-kubelet")]
struct Args {
    /// The node root: every node path (/etc/kubernetes, /var/lib/kubelet) is under it.
    #[arg(long, value_name = "DIR")]
    rootfs: PathBuf,
    /// The Node this kubelet registers (system:node:<name>).
    #[arg(long)]
    node_name: String,
    /// Leave this static pod to something else (e.g. kube-apiserver when the test control
    /// plane serves it); repeatable.
    #[arg(long, value_name = "NAME")]
    skip_static_pod: Vec<String>,
    /// How often the node root is looked at, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    poll_ms: u64,
    /// How often the Node's Ready condition is renewed, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    heartbeat_seconds: u64,
}

fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("test-kubelet")
        .build()?;
    let options = Options {
        root: std::path::absolute(&args.rootfs)?,
        node_name: args.node_name,
        poll: Duration::from_millis(args.poll_ms.max(1)),
        heartbeat: Duration::from_secs(args.heartbeat_seconds.max(1)),
        skip_static_pods: args.skip_static_pod.into_iter().collect(),
    };
    let kubelet = Kubelet::new(options, runtime.handle().clone());
    runtime.block_on(async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let shutdown = async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        kubelet.run(shutdown).await;
        anyhow::Ok(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("test-kubelet: {e:#}");
            ExitCode::FAILURE
        }
    }
}
