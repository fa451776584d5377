//! Helpers shared by the integration tests and benchmarks: fixed host facts, configs, and
//! running `init` phases into a node root through the library.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubeadm_rs::config::{HostFacts, InitConfig, InitOverrides, load_documents, resolve_init};
use kubeadm_rs::events::Events;
use kubeadm_rs::node::NodeRoot;
use kubeadm_rs::phases::init::{InitContext, InitData, InitOptions, init_workflow};
use kubeadm_rs::system::LiveSystem;
use kubeadm_rs::workflow::{PhaseFailed, Selection};

pub mod cluster_fixture;
pub mod control_plane;
pub mod discovery_server;
pub mod kubelet;
pub mod lab_cluster;
pub mod local_cluster;
pub mod netns;

/// The node name, address and token every test host reports.
pub const NODE_NAME: &str = "node-a";
pub const NODE_ADDRESS: &str = "10.0.0.5";
pub const TOKEN: &str = "abcdef.0123456789abcdef";

/// A host with fixed facts, so tests do not depend on the machine they run on.
pub struct TestFacts;

impl HostFacts for TestFacts {
    fn hostname(&self) -> Result<String, String> {
        Ok(NODE_NAME.into())
    }
    fn default_address(&self) -> Result<String, String> {
        Ok(NODE_ADDRESS.into())
    }
    fn new_token(&self) -> String {
        TOKEN.into()
    }
}

/// Resolves a config file's text (and flags) on the test host; panics on a bad config.
pub fn init_config(yaml: Option<&str>, flags: &InitOverrides) -> InitConfig {
    let docs = yaml.map(|y| load_documents(y, "test.yaml").expect("test config loads"));
    resolve_init(docs.as_ref(), flags, &TestFacts)
        .expect("test config resolves")
        .0
}

/// Runs the `init` phases selected by `filter`/`skip` into the node root at `dir`.
pub fn run_phases(
    dir: &Path,
    cfg: &InitConfig,
    filter: Option<&str>,
    skip: &[&str],
    events: Events,
) -> Result<(), PhaseFailed> {
    let root = NodeRoot::open(dir, events.clone()).expect("node root opens");
    let mut data = InitData::new(
        cfg.clone(),
        root,
        InitOptions::default(),
        Box::new(LiveSystem),
    );
    let workflow = init_workflow();
    let plan = workflow
        .plan(&Selection {
            filter: filter.map(String::from),
            skip: skip.iter().map(|s| s.to_string()).collect(),
        })
        .expect("the selection is valid");
    let ctx: &mut dyn InitContext = &mut data;
    workflow.execute(&plan, ctx, &events)
}

/// Whether a benchmark runs once, quickly: under `cargo test --benches` (no `--bench` argument),
/// with `cargo bench -- --test`, or with `KUBEADM_RS_BENCH_QUICK` set. CI runs every bench so.
pub fn bench_quick() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--test")
        || !args.iter().any(|a| a == "--bench")
        || std::env::var_os("KUBEADM_RS_BENCH_QUICK").is_some()
}

/// Where the set-up script put the test tools (`$KUBEADM_RS_TOOLS`, default `target/tools`).
pub fn tools_dir() -> PathBuf {
    std::env::var_os("KUBEADM_RS_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools"))
}

/// `scripts/k8s_schema_check.py -k 1.34` under the venv's python (strict by default).
pub fn schema_validator() -> Command {
    let python = tools_dir().join("venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/setup.sh, which creates the schema-validator venv",
        python.display()
    );
    let mut cmd = Command::new(python);
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/k8s_schema_check.py"))
        .args(["-k", "1.34"]);
    cmd
}
