//! The certificates kubeadm creates (upstream `certlist.go`), and what each must contain for
//! a given configuration.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::altnames::{AltNames, parse_ip_sloppy};
use crate::config::InitConfig;

/// The extended key usages kubeadm puts on its certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    ServerAuth,
    ClientAuth,
}

/// What one certificate must say (upstream `certutil.Config`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertConfig {
    pub common_name: String,
    pub organization: Vec<String>,
    pub usages: Vec<Usage>,
    pub alt_names: AltNames,
}

impl CertConfig {
    pub fn client(common_name: impl Into<String>, organization: Vec<String>) -> Self {
        CertConfig {
            common_name: common_name.into(),
            organization,
            usages: vec![Usage::ClientAuth],
            alt_names: AltNames::default(),
        }
    }
}

/// Whose name a certificate carries as its common name.
#[derive(Debug, PartialEq, Eq)]
pub enum CommonName {
    Fixed(&'static str),
    /// The etcd serving certificates are named after the node.
    NodeName,
}

/// Which SAN rules apply to a certificate.
#[derive(Debug, PartialEq, Eq)]
pub enum SanRule {
    None,
    ApiServer,
    EtcdServer,
    EtcdPeer,
}

/// One of kubeadm's certificates: its phase name, help text, file base name, signer and contents.
#[derive(Debug, PartialEq, Eq)]
pub struct CertSpec {
    /// The phase name (`etcd-server`).
    pub name: &'static str,
    /// What `Generate the ...` help says it is.
    pub long_name: &'static str,
    /// The file name without extension, below the certificates directory (`etcd/server`).
    pub base_name: &'static str,
    /// The CA that signs it, or `None` for a CA.
    pub ca: Option<&'static CertSpec>,
    pub common_name: CommonName,
    pub organization: &'static [&'static str],
    pub usages: &'static [Usage],
    pub sans: SanRule,
}

pub const CA: CertSpec = CertSpec {
    name: "ca",
    long_name: "self-signed Kubernetes CA to provision identities for other Kubernetes components",
    base_name: "ca",
    ca: None,
    common_name: CommonName::Fixed("kubernetes"),
    organization: &[],
    usages: &[],
    sans: SanRule::None,
};
pub const API_SERVER: CertSpec = CertSpec {
    name: "apiserver",
    long_name: "certificate for serving the Kubernetes API",
    base_name: "apiserver",
    ca: Some(&CA),
    common_name: CommonName::Fixed("kube-apiserver"),
    organization: &[],
    usages: &[Usage::ServerAuth],
    sans: SanRule::ApiServer,
};
pub const API_SERVER_KUBELET_CLIENT: CertSpec = CertSpec {
    name: "apiserver-kubelet-client",
    long_name: "certificate for the API server to connect to kubelet",
    base_name: "apiserver-kubelet-client",
    ca: Some(&CA),
    common_name: CommonName::Fixed("kube-apiserver-kubelet-client"),
    organization: &[CLUSTER_ADMINS_GROUP],
    usages: &[Usage::ClientAuth],
    sans: SanRule::None,
};
pub const FRONT_PROXY_CA: CertSpec = CertSpec {
    name: "front-proxy-ca",
    long_name: "self-signed CA to provision identities for front proxy",
    base_name: "front-proxy-ca",
    ca: None,
    common_name: CommonName::Fixed("front-proxy-ca"),
    organization: &[],
    usages: &[],
    sans: SanRule::None,
};
pub const FRONT_PROXY_CLIENT: CertSpec = CertSpec {
    name: "front-proxy-client",
    long_name: "certificate for the front proxy client",
    base_name: "front-proxy-client",
    ca: Some(&FRONT_PROXY_CA),
    common_name: CommonName::Fixed("front-proxy-client"),
    organization: &[],
    usages: &[Usage::ClientAuth],
    sans: SanRule::None,
};
pub const ETCD_CA: CertSpec = CertSpec {
    name: "etcd-ca",
    long_name: "self-signed CA to provision identities for etcd",
    base_name: "etcd/ca",
    ca: None,
    common_name: CommonName::Fixed("etcd-ca"),
    organization: &[],
    usages: &[],
    sans: SanRule::None,
};
// etcd requires clientAuth on its serving certificates too (etcd-io/etcd#9785).
pub const ETCD_SERVER: CertSpec = CertSpec {
    name: "etcd-server",
    long_name: "certificate for serving etcd",
    base_name: "etcd/server",
    ca: Some(&ETCD_CA),
    common_name: CommonName::NodeName,
    organization: &[],
    usages: &[Usage::ServerAuth, Usage::ClientAuth],
    sans: SanRule::EtcdServer,
};
pub const ETCD_PEER: CertSpec = CertSpec {
    name: "etcd-peer",
    long_name: "certificate for etcd nodes to communicate with each other",
    base_name: "etcd/peer",
    ca: Some(&ETCD_CA),
    common_name: CommonName::NodeName,
    organization: &[],
    usages: &[Usage::ServerAuth, Usage::ClientAuth],
    sans: SanRule::EtcdPeer,
};
// Current kubeadm no longer puts system:masters on the two etcd client certificates.
pub const ETCD_HEALTHCHECK_CLIENT: CertSpec = CertSpec {
    name: "etcd-healthcheck-client",
    long_name: "certificate for liveness probes to healthcheck etcd",
    base_name: "etcd/healthcheck-client",
    ca: Some(&ETCD_CA),
    common_name: CommonName::Fixed("kube-etcd-healthcheck-client"),
    organization: &[],
    usages: &[Usage::ClientAuth],
    sans: SanRule::None,
};
pub const API_SERVER_ETCD_CLIENT: CertSpec = CertSpec {
    name: "apiserver-etcd-client",
    long_name: "certificate the apiserver uses to access etcd",
    base_name: "apiserver-etcd-client",
    ca: Some(&ETCD_CA),
    common_name: CommonName::Fixed("kube-apiserver-etcd-client"),
    organization: &[],
    usages: &[Usage::ClientAuth],
    sans: SanRule::None,
};

/// kubeadm's certificates in its order: every CA before the certificates it signs.
pub const ALL_CERTS: [&CertSpec; 10] = [
    &CA,
    &API_SERVER,
    &API_SERVER_KUBELET_CLIENT,
    &FRONT_PROXY_CA,
    &FRONT_PROXY_CLIENT,
    &ETCD_CA,
    &ETCD_SERVER,
    &ETCD_PEER,
    &ETCD_HEALTHCHECK_CLIENT,
    &API_SERVER_ETCD_CLIENT,
];

/// The group kubeadm binds to cluster-admin; the API server's kubelet client cert carries it.
pub const CLUSTER_ADMINS_GROUP: &str = "kubeadm:cluster-admins";

impl CertSpec {
    pub fn is_ca(&self) -> bool {
        self.ca.is_none()
    }

    /// Whether the certificate belongs to the local etcd (skipped with external etcd).
    pub fn is_etcd(&self) -> bool {
        *self == ETCD_CA || self.ca == Some(&ETCD_CA)
    }

    /// The subject, usages and SANs for this configuration, with a warning per dropped SAN.
    pub fn config(&self, cfg: &InitConfig) -> (CertConfig, Vec<String>) {
        let common_name = match self.common_name {
            CommonName::Fixed(name) => name.to_string(),
            CommonName::NodeName => cfg.node_name().to_string(),
        };
        let local = cfg.local_etcd();
        let (mut alt_names, warnings) = match self.sans {
            SanRule::None => (AltNames::default(), Vec::new()),
            SanRule::ApiServer => api_server_alt_names(cfg),
            SanRule::EtcdServer | SanRule::EtcdPeer => {
                let extra = match (&self.sans, local) {
                    (SanRule::EtcdServer, Some(l)) => l.server_cert_sans.as_slice(),
                    (SanRule::EtcdPeer, Some(l)) => l.peer_cert_sans.as_slice(),
                    _ => &[],
                };
                let mut names = etcd_alt_names(cfg);
                let warnings = names.extend_from_config(extra, self.name);
                (names, warnings)
            }
        };
        alt_names.dedup();
        let config = CertConfig {
            common_name,
            organization: self.organization.iter().map(|o| o.to_string()).collect(),
            usages: self.usages.to_vec(),
            alt_names,
        };
        (config, warnings)
    }
}

/// upstream `GetAPIServerAltNames`.
fn api_server_alt_names(cfg: &InitConfig) -> (AltNames, Vec<String>) {
    let domain = &cfg.cluster.networking.dns_domain;
    let mut names = AltNames {
        dns: vec![
            cfg.node_name().to_string(),
            "kubernetes".into(),
            "kubernetes.default".into(),
            "kubernetes.default.svc".into(),
            format!("kubernetes.default.svc.{domain}"),
        ],
        ips: vec![cfg.api_server_service_ip(), cfg.advertise_address()],
    };
    if let Some(host) = endpoint_host(&cfg.cluster.control_plane_endpoint) {
        match parse_ip_sloppy(host) {
            Some(ip) => names.ips.push(ip),
            None => names.dns.push(host.to_string()),
        }
    }
    let warnings = names.extend_from_config(&cfg.cluster.api_server.cert_sans, "apiserver");
    (names, warnings)
}

/// upstream `getAltNames` for the etcd server and peer certificates.
fn etcd_alt_names(cfg: &InitConfig) -> AltNames {
    AltNames {
        dns: vec![cfg.node_name().to_string(), "localhost".into()],
        ips: vec![
            cfg.advertise_address(),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
    }
}

/// The host of `controlPlaneEndpoint` (`host`, `host:port`, `[v6]:port` or a bare IPv6).
fn endpoint_host(endpoint: &str) -> Option<&str> {
    if endpoint.is_empty() {
        return None;
    }
    if let Some(rest) = endpoint.strip_prefix('[') {
        return rest.split_once(']').map(|(host, _)| host);
    }
    match endpoint.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => Some(host),
        _ => Some(endpoint),
    }
}

#[cfg(test)]
mod tests;
