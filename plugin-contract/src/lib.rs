//! The rules of the kubeadm-rs plugin contract that both sides apply: what `describe` may
//! say ([`describe`]), the names and versions in it ([`names`]), byte sizes written as
//! Kubernetes quantities ([`quantity`]) and the objects an addon renders ([`object`]).
//!
//! One crate with no dependencies (it builds for `wasm32-wasip2` too), so that the kubeadm-rs
//! host, which refuses what breaks the contract, and the plugin SDK and its test harness,
//! which must refuse the same, share every rule: a plugin that passes its own tests is not
//! refused by the host for a contract reason, and the other way round.

pub mod describe;
pub mod names;
pub mod object;
pub mod quantity;
