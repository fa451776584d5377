//! The `init` workflow: kubeadm's phases, in kubeadm's order.

mod certs;
mod context;
mod control_plane;
mod etcd;
mod kubeconfig;
mod kubelet_start;
mod preflight;

pub use context::{InitContext, InitData, InitOptions};

use crate::workflow::{Phase, Workflow};

/// The phase tree of `kubeadm-rs init`.
pub fn init_workflow() -> Workflow<dyn InitContext> {
    Workflow::new(init_phases())
}

fn init_phases() -> Vec<Phase<dyn InitContext>> {
    vec![
        preflight::preflight_phase(),
        certs::certs_phase(),
        kubeconfig::kubeconfig_phase(),
        etcd::etcd_phase(),
        control_plane::control_plane_phase(),
        kubelet_start::kubelet_start_phase(),
    ]
}
