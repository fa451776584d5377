//! kubeadm-rs: a kubeadm-compatible Kubernetes node bootstrap tool.
//!
//! `init` runs as an ordered tree of phases ([`workflow`]); each phase family lives in
//! [`phases`] and sees a narrow context. All node I/O goes through [`node::NodeRoot`].

pub mod certkey;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod discovery;
pub mod etcd;
pub mod join_command;
pub mod kubeconfig;
pub mod manifests;
pub mod node;
pub mod objects;
pub mod phases;
pub mod pki;
pub mod plugins;
pub mod preflight;
pub mod system;
#[cfg(test)]
pub(crate) mod test_support;
pub mod token;
pub mod workflow;
