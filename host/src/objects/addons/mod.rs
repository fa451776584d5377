//! The two addons `init` installs: CoreDNS and kube-proxy.

pub mod coredns;
pub mod kube_proxy;

#[cfg(test)]
mod tests;
