//! The etcd steps of a control-plane join and reset (`kubeadm_rs::etcd`) as one process per
//! step, so tests can run them inside a node's network namespace with `ip netns exec`:
//! the client dials node addresses that exist only there. Prints JSON on stdout; an error is
//! one line on stderr and exit code 1.
//!
//! `etcd-member --rootfs DIR --endpoint https://10.0.0.1:2379 add-learner --name cp-2
//! --peer-url https://10.0.0.2:2380`

// A command-line tool for tests: it prints what it did and its errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kubeadm_rs::etcd::{
    AVAILABLE_INTERVAL, AVAILABLE_RETRIES, EtcdClient, EtcdCredentials, EtcdError, Learner,
    Timeouts,
};
use kubeadm_rs::events::Events;
use kubeadm_rs::node::NodeRoot;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// The node root holding `etc/kubernetes/pki` (the healthcheck-client credentials).
    #[arg(long)]
    rootfs: PathBuf,
    /// Where to reach etcd first (repeatable); then the membership decides.
    #[arg(long = "endpoint", required = true)]
    endpoints: Vec<String>,
    /// Bound on each operation with its retries, in milliseconds (default: kubeadm's 2 min).
    #[arg(long)]
    operation_timeout_ms: Option<u64>,
    #[command(subcommand)]
    step: Step,
}

#[derive(Subcommand)]
enum Step {
    /// Every member, as JSON.
    Members,
    /// Every endpoint answers (kubeadm's check-etcd).
    Health,
    /// Adds a learner; prints its ID, client URL and the --initial-cluster members.
    AddLearner {
        #[arg(long)]
        name: String,
        #[arg(long)]
        peer_url: String,
    },
    /// Promotes the learner with this ID (hex), then waits until every member answers.
    Promote {
        #[arg(long)]
        id: String,
        #[arg(long)]
        client_url: String,
    },
    /// Removes the member with this ID (hex); prints the members left.
    Remove {
        #[arg(long)]
        id: String,
    },
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn hex_id(text: &str) -> Result<u64, EtcdError> {
    u64::from_str_radix(text, 16).map_err(|_| EtcdError::NoSuchMember {
        endpoints: "(not dialled)".into(),
        member: format!("with ID {text:?} (expected hex)"),
    })
}

fn run(args: Args) -> Result<serde_json::Value, EtcdError> {
    let root =
        NodeRoot::open(&args.rootfs, Events::discard()).map_err(|e| EtcdError::Credentials {
            file: args.rootfs.display().to_string(),
            reason: e.to_string(),
        })?;
    let credentials = EtcdCredentials::healthcheck_client(&root, "/etc/kubernetes/pki")?;
    let mut timeouts = Timeouts::default();
    if let Some(ms) = args.operation_timeout_ms {
        timeouts.operation = Duration::from_millis(ms);
    }
    let mut client = EtcdClient::new(args.endpoints, credentials, timeouts)?;
    client.sync()?;
    Ok(match args.step {
        Step::Members => json!(client.members()?),
        Step::Health => {
            client.check_health()?;
            json!({"endpoints": client.endpoints()})
        }
        Step::AddLearner { name, peer_url } => {
            let learner = client.add_learner(&name, &peer_url)?;
            let cluster: Vec<_> = learner
                .initial_cluster
                .iter()
                .map(|m| json!({"name": m.name, "peerURL": m.peer_url}))
                .collect();
            json!({
                "id": format!("{:x}", learner.id),
                "clientURL": learner.client_url,
                "initialCluster": cluster,
            })
        }
        Step::Promote { id, client_url } => {
            let learner = Learner {
                id: hex_id(&id)?,
                client_url,
                initial_cluster: Vec::new(),
            };
            client.promote(&learner)?;
            client.wait_available(AVAILABLE_RETRIES, AVAILABLE_INTERVAL)?;
            json!({"endpoints": client.endpoints()})
        }
        Step::Remove { id } => json!(client.remove_member(hex_id(&id)?)?),
    })
}
