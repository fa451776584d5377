//! The test control plane on its own, for trying `kubeadm-rs init`, `token` and `join` by hand:
//! `test-control-plane --pki-dir DIR --listen ADDR [--kubelet-healthz ADDR] ...`.

// A command-line tool for tests: it prints what it did and its errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kubeadm_rs_tests::control_plane::{ControlPlane, Options, doubles};

/// An HTTPS Kubernetes API for tests: kubeadm's kinds, client-certificate, bootstrap-token and
/// anonymous authentication, RBAC, and the bootstrapsigner, tokencleaner and CSR controllers.
#[derive(Parser)]
#[command(name = "test-control-plane")]
struct Args {
    /// The cluster PKI directory (ca.crt, ca.key, apiserver.crt, apiserver.key), e.g. /etc/kubernetes/pki.
    #[arg(long)]
    pki_dir: PathBuf,
    /// Where the API server listens.
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Serve a kubelet /healthz double (plain HTTP) here; repeatable.
    #[arg(long, value_name = "ADDR")]
    kubelet_healthz: Vec<SocketAddr>,
    /// Serve a kube-controller-manager health double (HTTPS, /healthz) here.
    #[arg(long, value_name = "ADDR")]
    controller_manager: Option<SocketAddr>,
    /// Serve a kube-scheduler health double (HTTPS, /livez) here.
    #[arg(long, value_name = "ADDR")]
    scheduler: Option<SocketAddr>,
    /// Register a Node as the kubelet would, with this kubeconfig (kubelet.conf), once the API serves.
    #[arg(long, value_name = "FILE", requires = "node_name")]
    kubelet_kubeconfig: Option<PathBuf>,
    /// The Node the kubelet double registers.
    #[arg(long)]
    node_name: Option<String>,
    /// Print one line per request to stderr: method, path, user and status.
    #[arg(long)]
    log_requests: bool,
    /// How often the controllers (CSR approving and signing, bootstrap signer, ...) run, in
    /// milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    controller_interval_ms: u64,
}

fn run(args: Args) -> anyhow::Result<()> {
    let options = Options {
        log_requests: args.log_requests,
        controller_interval: std::time::Duration::from_millis(args.controller_interval_ms.max(1)),
    };
    let cp = ControlPlane::start(&args.pki_dir, args.listen, options)?;
    println!("serving {}", cp.url());
    for addr in args.kubelet_healthz {
        let local = doubles::spawn_kubelet_healthz(cp.runtime(), addr)?;
        println!("kubelet healthz double on http://{local}/healthz");
    }
    if let Some(addr) = args.controller_manager {
        let local = doubles::spawn_component_health(cp.runtime(), addr, "kube-controller-manager")?;
        println!("kube-controller-manager double on https://{local}/healthz");
    }
    if let Some(addr) = args.scheduler {
        let local = doubles::spawn_component_health(cp.runtime(), addr, "kube-scheduler")?;
        println!("kube-scheduler double on https://{local}/livez");
    }
    if let (Some(kubeconfig), Some(node)) = (args.kubelet_kubeconfig, args.node_name) {
        cp.runtime()
            .block_on(doubles::register_node(&kubeconfig, &node))?;
        println!("node {node} registered with {}", kubeconfig.display());
    }
    cp.runtime().block_on(tokio::signal::ctrl_c())?;
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("test-control-plane: {e:#}");
            ExitCode::FAILURE
        }
    }
}
