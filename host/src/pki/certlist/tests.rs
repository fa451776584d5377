use std::net::IpAddr;

use super::*;
use crate::config::InitOverrides;
use crate::test_support::{init_config, init_config_from_yaml};

fn ips(list: &[&str]) -> Vec<IpAddr> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn subjects_and_usages_follow_kubeadms_table() {
    let cfg = init_config(InitOverrides::default());
    let cases: [(&CertSpec, &str, &[&str], &[Usage]); 10] = [
        (&CA, "kubernetes", &[], &[]),
        (&API_SERVER, "kube-apiserver", &[], &[Usage::ServerAuth]),
        (
            &API_SERVER_KUBELET_CLIENT,
            "kube-apiserver-kubelet-client",
            &["kubeadm:cluster-admins"],
            &[Usage::ClientAuth],
        ),
        (&FRONT_PROXY_CA, "front-proxy-ca", &[], &[]),
        (
            &FRONT_PROXY_CLIENT,
            "front-proxy-client",
            &[],
            &[Usage::ClientAuth],
        ),
        (&ETCD_CA, "etcd-ca", &[], &[]),
        (
            &ETCD_SERVER,
            "node-a",
            &[],
            &[Usage::ServerAuth, Usage::ClientAuth],
        ),
        (
            &ETCD_PEER,
            "node-a",
            &[],
            &[Usage::ServerAuth, Usage::ClientAuth],
        ),
        (
            &ETCD_HEALTHCHECK_CLIENT,
            "kube-etcd-healthcheck-client",
            &[],
            &[Usage::ClientAuth],
        ),
        (
            &API_SERVER_ETCD_CLIENT,
            "kube-apiserver-etcd-client",
            &[],
            &[Usage::ClientAuth],
        ),
    ];
    for (spec, cn, org, usages) in cases {
        let (config, warnings) = spec.config(&cfg);
        assert_eq!(config.common_name, cn, "{}", spec.name);
        assert_eq!(config.organization, strings(org), "{}", spec.name);
        assert_eq!(config.usages, usages, "{}", spec.name);
        assert!(warnings.is_empty(), "{}: {warnings:?}", spec.name);
    }
}

#[test]
fn every_ca_precedes_the_certificates_it_signs() {
    for (i, spec) in ALL_CERTS.iter().enumerate() {
        if let Some(ca) = spec.ca {
            let at = ALL_CERTS
                .iter()
                .position(|s| *s == ca)
                .expect("signer is listed");
            assert!(at < i, "{} comes before its CA {}", spec.name, ca.name);
        }
    }
}

#[test]
fn api_server_sans_with_defaults() {
    let cfg = init_config(InitOverrides::default());
    let (config, _) = API_SERVER.config(&cfg);
    assert_eq!(
        config.alt_names.dns,
        [
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
            "node-a"
        ]
    );
    assert_eq!(config.alt_names.ips, ips(&["10.96.0.1", "192.168.1.10"]));
}

#[test]
fn api_server_sans_add_endpoint_and_extra_sans() {
    let cases: [(&str, &[&str], &[&str]); 4] = [
        ("lb.example.com:6443", &["lb.example.com"], &[]),
        ("lb.example.com", &["lb.example.com"], &[]),
        ("10.0.0.100:443", &[], &["10.0.0.100"]),
        ("[fd00::100]:6443", &[], &["fd00::100"]),
    ];
    for (endpoint, extra_dns, extra_ips) in cases {
        let mut cfg = init_config(InitOverrides {
            control_plane_endpoint: Some(endpoint.into()),
            cert_extra_sans: Some(strings(&["192.168.1.10", "extra.example", "10.0.0.9"])),
            ..Default::default()
        });
        // Validation rejects such a SAN in a config file; the certificate code drops it all the same.
        cfg.cluster.api_server.cert_sans.push("not valid".into());
        let (config, warnings) = API_SERVER.config(&cfg);
        for name in extra_dns.iter().chain(&["extra.example"]) {
            assert!(
                config.alt_names.dns.iter().any(|d| d == name),
                "{endpoint}: {name} missing"
            );
        }
        let mut want = ips(&["10.96.0.1", "192.168.1.10"]);
        want.extend(ips(extra_ips));
        want.extend(ips(&["10.0.0.9"]));
        assert_eq!(
            config.alt_names.ips, want,
            "{endpoint}: IPs keep first-seen order without duplicates"
        );
        assert_eq!(warnings.len(), 1, "{endpoint}: {warnings:?}");
        assert!(warnings[0].contains("'not valid'"), "{warnings:?}");
    }
}

#[test]
fn api_server_sans_follow_service_cidr_and_dns_domain() {
    let cfg = init_config(InitOverrides {
        service_cidr: Some("10.200.0.0/16".into()),
        service_dns_domain: Some("corp.internal".into()),
        ..Default::default()
    });
    let (config, _) = API_SERVER.config(&cfg);
    assert_eq!(
        config.alt_names.ips[0],
        "10.200.0.1".parse::<IpAddr>().unwrap()
    );
    assert!(
        config
            .alt_names
            .dns
            .contains(&"kubernetes.default.svc.corp.internal".to_string())
    );
}

#[test]
fn etcd_sans_are_node_localhost_and_loopbacks_plus_their_own_extras() {
    let text = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\netcd:\n  local:\n    serverCertSANs: [etcd.example, 10.1.1.1]\n    peerCertSANs: [peer.example]\n";
    let cfg = init_config_from_yaml(text);
    let (server, _) = ETCD_SERVER.config(&cfg);
    assert_eq!(
        server.alt_names.dns,
        ["etcd.example", "localhost", "node-a"]
    );
    assert_eq!(
        server.alt_names.ips,
        ips(&["192.168.1.10", "127.0.0.1", "::1", "10.1.1.1"])
    );
    let (peer, _) = ETCD_PEER.config(&cfg);
    assert_eq!(peer.alt_names.dns, ["localhost", "node-a", "peer.example"]);
    assert_eq!(
        peer.alt_names.ips,
        ips(&["192.168.1.10", "127.0.0.1", "::1"])
    );
}

#[test]
fn etcd_specs_are_the_etcd_ca_and_what_it_signs() {
    let etcd: Vec<&str> = ALL_CERTS
        .iter()
        .filter(|s| s.is_etcd())
        .map(|s| s.name)
        .collect();
    assert_eq!(
        etcd,
        [
            "etcd-ca",
            "etcd-server",
            "etcd-peer",
            "etcd-healthcheck-client",
            "apiserver-etcd-client"
        ]
    );
}
