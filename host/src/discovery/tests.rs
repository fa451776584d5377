use std::time::Duration;

use super::token::{cluster_info_url, match_pins, parse_pins};
use super::*;
use crate::config::GoDuration;
use crate::config::v1beta4::{BootstrapTokenDiscovery, Discovery, FileDiscovery, Timeouts};

const TOKEN: &str = "abcdef.0123456789abcdef";

/// A self-signed CA (ECDSA P-256) and the SHA-256 of its SubjectPublicKeyInfo, computed from
/// the key rather than by the code under test.
fn ca() -> (Certificate, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        pem::parse(key.public_key_pem()).unwrap().contents(),
    );
    (
        Certificate::from_der(cert.der().to_vec()).unwrap(),
        hex::encode(digest.as_ref()),
    )
}

#[test]
fn pins_parse_in_either_case_and_refuse_other_forms() {
    let hex = "181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
    let ok = |input: &str| parse_pins(&[input.to_string()]).map(|p| p[0].to_string());
    let want = format!("sha256:{hex}");
    assert_eq!(ok(&want).unwrap(), want);
    assert_eq!(ok(&format!("SHA256:{}", hex.to_uppercase())).unwrap(), want);
    assert_eq!(ok(&format!("Sha256:{hex}")).unwrap(), want);
    for bad in [
        hex.to_string(),
        format!("sha1:{hex}"),
        format!("sha256:{}", &hex[..62]),
        format!("sha256:{hex}00"),
        format!("sha256:{}", hex.replace('1', "z")),
        format!("sha256: {hex}"),
        String::new(),
    ] {
        let err = parse_pins(&["sha256:".to_string() + hex, bad.clone()]).unwrap_err();
        assert!(
            matches!(&err, DiscoveryError::BadPin { input } if *input == bad),
            "{bad:?}: {err}"
        );
        let line = err.to_string();
        assert!(
            line.contains("caCertHashes") && line.contains("sha256:<64 hex digits>"),
            "{line}"
        );
    }
}

#[test]
fn a_ca_matches_when_any_pin_names_it() {
    let (cluster_ca, cluster_hex) = ca();
    let (other_ca, other_hex) = ca();
    let pin = |hex: &str| format!("sha256:{hex}").parse::<CaPin>().unwrap();
    let upper = format!("SHA256:{}", cluster_hex.to_uppercase())
        .parse::<CaPin>()
        .unwrap();
    // (case, CAs in cluster-info, pins given, the pin matched)
    type Case = (&'static str, Vec<Certificate>, Vec<CaPin>, Option<CaPin>);
    let cases: Vec<Case> = vec![
        (
            "its own pin",
            vec![cluster_ca.clone()],
            vec![pin(&cluster_hex)],
            Some(pin(&cluster_hex)),
        ),
        (
            "its pin in upper case",
            vec![cluster_ca.clone()],
            vec![upper],
            Some(pin(&cluster_hex)),
        ),
        (
            "one of several pins",
            vec![cluster_ca.clone()],
            vec![pin(&other_hex), pin(&cluster_hex)],
            Some(pin(&cluster_hex)),
        ),
        (
            "a bundle whose second CA is pinned",
            vec![other_ca.clone(), cluster_ca.clone()],
            vec![pin(&cluster_hex)],
            Some(pin(&cluster_hex)),
        ),
        (
            "another CA's pin",
            vec![cluster_ca.clone()],
            vec![pin(&other_hex)],
            None,
        ),
        ("no CA", vec![], vec![pin(&cluster_hex)], None),
    ];
    for (case, cas, pins, matched) in cases {
        match (match_pins(&cas, &pins), matched) {
            (Ok(got), Some(want)) => assert_eq!(got, want, "{case}"),
            (Err(found), None) => {
                let actual: Vec<CaPin> = cas.iter().map(CaPin::of).collect();
                assert_eq!(found, actual, "{case}: the error carries the actual pins");
            }
            (got, want) => panic!("{case}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn a_pin_mismatch_prints_the_actual_pin() {
    let (cluster_ca, cluster_hex) = ca();
    let (_, other_hex) = ca();
    let pinned = vec![format!("sha256:{other_hex}").parse().unwrap()];
    let found = match_pins(std::slice::from_ref(&cluster_ca), &pinned).unwrap_err();
    let line = DiscoveryError::PinMismatch {
        endpoint: "10.0.0.5:6443".into(),
        found,
        pinned,
    }
    .to_string();
    assert!(line.contains(&format!("sha256:{cluster_hex}")), "{line}");
    assert!(line.contains(&format!("sha256:{other_hex}")), "{line}");
    assert!(!line.contains('\n'), "{line}");
}

#[test]
fn endpoints_are_host_and_port() {
    let good = [
        ("10.0.0.5:6443", "https://10.0.0.5:6443"),
        ("[fd00::1]:6443", "https://[fd00::1]:6443"),
        ("cp.example:443", "https://cp.example:443"),
    ];
    for (endpoint, base) in good {
        assert_eq!(
            cluster_info_url(endpoint).unwrap(),
            format!("{base}/api/v1/namespaces/kube-public/configmaps/cluster-info")
        );
    }
    for bad in [
        "",
        "10.0.0.5",
        "https://10.0.0.5:6443",
        "10.0.0.5:6443/x",
        "a b:1",
    ] {
        let err = cluster_info_url(bad).unwrap_err();
        assert!(
            matches!(&err, DiscoveryError::BadEndpoint { endpoint, .. } if endpoint == bad),
            "{bad:?}: {err}"
        );
    }
}

fn join_config(discovery: Discovery) -> JoinConfiguration {
    JoinConfiguration {
        discovery,
        timeouts: Some(Timeouts {
            discovery: Some(GoDuration(Duration::from_secs(1))),
            ..Timeouts::default()
        }),
        ..JoinConfiguration::default()
    }
}

fn token_discovery(token: &str, hashes: &[&str], unsafe_skip: bool, endpoint: &str) -> Discovery {
    Discovery {
        bootstrap_token: Some(BootstrapTokenDiscovery {
            token: token.into(),
            api_server_endpoint: endpoint.into(),
            ca_cert_hashes: hashes.iter().map(|h| h.to_string()).collect(),
            unsafe_skip_ca_verification: unsafe_skip,
        }),
        file: None,
        tls_bootstrap_token: token.into(),
    }
}

/// Input that is wrong is refused before any request: these endpoints are never dialled.
#[test]
fn bad_input_is_refused_before_any_request() {
    let pin = "sha256:181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
    // (case, discovery, what the one line must say)
    let cases: Vec<(&str, Discovery, &str)> = vec![
        ("no method", Discovery::default(), "no method configured"),
        (
            "a malformed token",
            token_discovery("abcdef.0123", &[pin], false, "127.0.0.1:1"),
            "discovery.bootstrapToken.token: invalid bootstrap token",
        ),
        (
            "a malformed pin",
            token_discovery(TOKEN, &["sha256:abc"], false, "127.0.0.1:1"),
            "invalid discovery token CA certificate hash \"sha256:abc\"",
        ),
        (
            "no pin and no unsafe skip",
            token_discovery(TOKEN, &[], false, "127.0.0.1:1"),
            "no CA pin",
        ),
        (
            "an endpoint without a port",
            token_discovery(TOKEN, &[pin], false, "127.0.0.1"),
            "apiServerEndpoint \"127.0.0.1\"",
        ),
        (
            "an http:// discovery file",
            Discovery {
                file: Some(FileDiscovery {
                    kube_config_path: "http://127.0.0.1:1/cluster.conf".into(),
                }),
                ..Discovery::default()
            },
            "only https:// URLs",
        ),
        (
            "a discovery file that is not there",
            Discovery {
                file: Some(FileDiscovery {
                    kube_config_path: "/nonexistent/discovery.conf".into(),
                }),
                ..Discovery::default()
            },
            "discovery file /nonexistent/discovery.conf: No such file",
        ),
    ];
    for (case, discovery, says) in cases {
        let err = discover(
            &join_config(discovery),
            &DiscoveryOptions::default(),
            &Events::discard(),
        )
        .unwrap_err();
        let line = err.to_string();
        assert!(line.contains(says), "{case}: {line}");
        assert!(
            !line.contains("0123456789abcdef"),
            "{case}: secret in {line}"
        );
        assert!(!line.contains('\n'), "{case}: {line}");
    }
}

fn discovered(credentials: Option<NamedUser>) -> Discovered {
    Discovered {
        method: Method::Token {
            endpoint: "10.0.0.5:6443".into(),
            pinned: true,
        },
        server: "https://10.0.0.5:6443".into(),
        ca_pem: Some(b"CA PEM\n".to_vec()),
        credentials,
    }
}

fn file_user() -> NamedUser {
    NamedUser {
        name: "file-user".into(),
        user: User {
            client_certificate_data: Some(b"CERT".to_vec()),
            client_key_data: Some(b"KEY".to_vec()),
            ..User::default()
        },
    }
}

#[test]
fn tls_bootstrap_kubeconfig_follows_kubeadms_discovery_for() {
    // A TLS-bootstrap token wins, even over a file's own credentials.
    for credentials in [None, Some(file_user())] {
        let config = discovered(credentials)
            .tls_bootstrap_kubeconfig(TOKEN)
            .unwrap();
        let cluster = config.current_cluster().expect("a current cluster");
        assert_eq!(cluster.server, "https://10.0.0.5:6443");
        assert_eq!(
            cluster.certificate_authority_data.as_deref(),
            Some(&b"CA PEM\n"[..])
        );
        assert_eq!(config.clusters[0].name, "kubernetes");
        assert_eq!(
            config.current_context,
            "tls-bootstrap-token-user@kubernetes"
        );
        assert_eq!(config.users.len(), 1);
        assert_eq!(config.users[0].name, "tls-bootstrap-token-user");
        assert_eq!(config.current_user().unwrap().token.as_deref(), Some(TOKEN));
        // The text form reads back as the same kubeconfig.
        assert_eq!(Kubeconfig::parse(&config.to_yaml()).unwrap(), config);
    }

    // Without one, the file's credentials.
    let config = discovered(Some(file_user()))
        .tls_bootstrap_kubeconfig("")
        .unwrap();
    assert_eq!(config.current_context, "file-user@kubernetes");
    assert_eq!(config.current_user(), Some(&file_user().user));

    // With neither, kubeadm's error.
    let err = discovered(None).tls_bootstrap_kubeconfig("").unwrap_err();
    assert!(matches!(err, DiscoveryError::NoCredentials), "{err}");
    assert!(
        err.to_string()
            .contains("couldn't find authentication credentials")
    );

    // A malformed TLS-bootstrap token is named, its value not shown.
    let err = discovered(None)
        .tls_bootstrap_kubeconfig("abcdef.0123456789abcdeF")
        .unwrap_err();
    let line = err.to_string();
    assert!(line.starts_with("discovery.tlsBootstrapToken: "), "{line}");
    assert!(!line.contains("0123456789abcde"), "{line}");
}

#[test]
fn the_discovered_ca_is_available_as_der_and_pin() {
    let (ca, hex) = ca();
    let mut found = discovered(None);
    found.ca_pem = Some(ca.to_pem().into_bytes());
    assert_eq!(found.ca_der(), vec![ca.der().to_vec()]);
    assert_eq!(
        found.ca_pins(),
        vec![format!("sha256:{hex}").parse().unwrap()]
    );
    assert!(!format!("{found:?}").contains("0123456789abcdef"));
}
