//! The integration tests, one binary: every module drives the real `kubeadm-rs` binary or the
//! library against real tools (openssl, kubectl, etcd, the schema validator), and linking
//! wasmtime once instead of once per file keeps the build small and CI fast.

// A test's stderr is its log, shown only when it fails (timings, clean-up trouble).
#![allow(clippy::print_stderr)]

mod common;
mod plugin_support;

mod bad_input;
mod cli;
mod cluster_init;
mod control_plane;
mod crash_safety;
mod etcd_join;
mod etcd_real;
mod events;
mod join_cli;
mod join_discovery;
mod join_e2e;
mod kubeconfig_kubectl;
mod local_cluster;
mod manifests_schema;
mod objects_schema;
mod package;
mod patches;
mod pki_openssl;
mod plugin_build;
mod plugin_contract;
mod plugin_init;
mod plugin_integrity;
mod plugin_oci;
mod plugin_python;
mod plugin_sandbox;
mod rerun;
mod reset;
mod token_api;
mod token_cli;
