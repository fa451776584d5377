//! Token discovery: cluster-info read anonymously and trusted by its JWS and the CA pins,
//! then read again over TLS verified with the CA it named.

use std::collections::BTreeMap;

use super::fetch::{Credentials, FetchError, Trust};
use super::{CLUSTER_INFO_PATH, Discovered, DiscoveryError, Method, Retry, Run, jws};
use crate::config::v1beta4::BootstrapTokenDiscovery;
use crate::kubeconfig::Kubeconfig;
use crate::pki::{CaPin, Certificate};
use crate::token::BootstrapToken;

/// `jws-kubeconfig-<id>`: the signature a token puts on cluster-info.
const JWS_KEY_PREFIX: &str = "jws-kubeconfig-";

/// Why a read of cluster-info is worth trying again.
enum Waiting {
    Unreachable(String),
    /// cluster-info was read but the token's signature is not (yet) on it.
    NoSignature,
}

pub(super) fn discover(
    run: &Run<'_>,
    cfg: &BootstrapTokenDiscovery,
) -> Result<Discovered, DiscoveryError> {
    // Everything that can be wrong with the input is found before the first request.
    let token: BootstrapToken = cfg.token.parse().map_err(DiscoveryError::BadToken)?;
    let pins = parse_pins(&cfg.ca_cert_hashes)?;
    if pins.is_empty() && !cfg.unsafe_skip_ca_verification {
        return Err(DiscoveryError::NoPins);
    }
    let endpoint = cfg.api_server_endpoint.as_str();
    let url = cluster_info_url(endpoint)?;
    if pins.is_empty() {
        run.events.warn(format!(
            "[discovery] unsafeSkipCAVerification (--discovery-token-unsafe-skip-ca-verification): the cluster CA is not pinned, so the API server at {endpoint} is trusted on token {}'s signature alone; anyone who holds the token can impersonate the cluster. Pin the CA with --discovery-token-ca-cert-hash",
            token.id()
        ));
    }

    let first = read_signed(run, &url, endpoint, &Trust::Unverified, &token)?;
    let signature = &first[&format!("{JWS_KEY_PREFIX}{}", token.id())];
    let kubeconfig_text = first
        .get("kubeconfig")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| DiscoveryError::NotSetUp {
            endpoint: endpoint.into(),
        })?;
    jws::verify_detached(signature, kubeconfig_text, &token).map_err(|e| {
        DiscoveryError::BadSignature {
            token_id: token.id().to_string(),
            endpoint: endpoint.into(),
            reason: e.to_string(),
        }
    })?;
    let (server, ca_pem) = cluster_of(kubeconfig_text, endpoint)?;
    let cas =
        Certificate::from_pem_bundle(&ca_pem).map_err(|reason| DiscoveryError::BadClusterInfo {
            endpoint: endpoint.into(),
            reason: format!("certificate-authority-data: {reason}"),
        })?;
    if pins.is_empty() {
        let found: Vec<String> = cas.iter().map(|ca| CaPin::of(ca).to_string()).collect();
        run.events.info(format!(
            "[discovery] the cluster CA's pin is {}",
            found.join(", ")
        ));
    } else {
        match_pins(&cas, &pins).map_err(|found| DiscoveryError::PinMismatch {
            endpoint: endpoint.into(),
            found,
            pinned: pins.clone(),
        })?;
    }

    // The server must now prove it holds a key the signed CA vouches for.
    let trust = Trust::ca_bundle(&ca_pem).map_err(|reason| DiscoveryError::BadClusterInfo {
        endpoint: endpoint.into(),
        reason: format!("certificate-authority-data: {reason}"),
    })?;
    let second = read_signed(run, &url, endpoint, &trust, &token)?;
    if second.get("kubeconfig") != Some(kubeconfig_text) {
        return Err(DiscoveryError::Changed {
            endpoint: endpoint.into(),
        });
    }
    Ok(Discovered {
        method: Method::Token {
            endpoint: endpoint.into(),
            pinned: !pins.is_empty(),
        },
        server,
        ca_pem: Some(ca_pem),
        credentials: None,
    })
}

/// The pins, each `sha256:<64 hex>` in either case.
pub(super) fn parse_pins(hashes: &[String]) -> Result<Vec<CaPin>, DiscoveryError> {
    hashes
        .iter()
        .map(|h| {
            h.parse::<CaPin>()
                .map_err(|_| DiscoveryError::BadPin { input: h.clone() })
        })
        .collect()
}

/// The pin of the first CA in `cas` that one of `pins` names; else the pins of them all.
pub(super) fn match_pins(cas: &[Certificate], pins: &[CaPin]) -> Result<CaPin, Vec<CaPin>> {
    let found: Vec<CaPin> = cas.iter().map(CaPin::of).collect();
    match found.iter().find(|f| pins.contains(f)) {
        Some(pin) => Ok(pin.clone()),
        None => Err(found),
    }
}

/// `https://<endpoint>/api/v1/namespaces/kube-public/configmaps/cluster-info`.
pub(super) fn cluster_info_url(endpoint: &str) -> Result<String, DiscoveryError> {
    let bad = |reason: &str| DiscoveryError::BadEndpoint {
        endpoint: endpoint.into(),
        reason: reason.into(),
    };
    if endpoint.is_empty() {
        return Err(bad(
            "expected host:port of the API server (the positional argument of join)",
        ));
    }
    if endpoint.contains("://") || endpoint.contains('/') {
        return Err(bad("expected host:port, without a scheme or path"));
    }
    let url = format!("https://{endpoint}{CLUSTER_INFO_PATH}");
    let uri: hyper::Uri = url.parse().map_err(|_| bad("expected host:port"))?;
    if uri.port_u16().is_none() {
        return Err(bad("expected host:port, with a port"));
    }
    Ok(url)
}

/// Reads cluster-info until it carries the token's signature.
fn read_signed(
    run: &Run<'_>,
    url: &str,
    endpoint: &str,
    trust: &Trust,
    token: &BootstrapToken,
) -> Result<BTreeMap<String, String>, DiscoveryError> {
    let key = format!("{JWS_KEY_PREFIX}{}", token.id());
    let read = run.poll(|budget| {
        let answer = run
            .fetcher
            .get(url, trust, &Credentials::Anonymous, budget)
            .map_err(|e| match e {
                FetchError::Transport(cause) => Retry::Again(Waiting::Unreachable(cause)),
                FetchError::Certificate(cause) => Retry::Stop(DiscoveryError::Untrusted {
                    endpoint: endpoint.into(),
                    trusting: "the CA from the signed cluster-info".into(),
                    cause,
                }),
                FetchError::TooLarge => Retry::Stop(DiscoveryError::BadClusterInfo {
                    endpoint: endpoint.into(),
                    reason: FetchError::TooLarge.to_string(),
                }),
                FetchError::Request(reason) => Retry::Stop(DiscoveryError::BadEndpoint {
                    endpoint: endpoint.into(),
                    reason,
                }),
            })?;
        if answer.status != 200 {
            return Err(Retry::Again(Waiting::Unreachable(format!(
                "GET {url}: {}",
                super::status_line(answer.status, &answer.body)
            ))));
        }
        let data = super::configmap_data(&answer.body).map_err(|reason| {
            Retry::Stop(DiscoveryError::BadClusterInfo {
                endpoint: endpoint.into(),
                reason,
            })
        })?;
        // The bootstrapsigner adds the signature shortly after the token appears.
        if data.get(&key).is_none_or(|s| s.is_empty()) {
            return Err(Retry::Again(Waiting::NoSignature));
        }
        Ok(data)
    });
    read.map_err(|e| match e {
        Retry::Stop(e) => e,
        Retry::Again(Waiting::NoSignature) => DiscoveryError::NoSignature {
            token_id: token.id().to_string(),
            endpoint: endpoint.into(),
            timeout: run.timeout,
        },
        Retry::Again(Waiting::Unreachable(cause)) => DiscoveryError::Unreachable {
            endpoint: endpoint.into(),
            timeout: run.timeout,
            cause,
        },
    })
}

/// The server and CA bundle of the (only) cluster in cluster-info's kubeconfig.
fn cluster_of(text: &str, endpoint: &str) -> Result<(String, Vec<u8>), DiscoveryError> {
    let bad = |reason: String| DiscoveryError::BadClusterInfo {
        endpoint: endpoint.into(),
        reason,
    };
    let kubeconfig = Kubeconfig::parse(text).map_err(bad)?;
    let cluster = match kubeconfig.clusters.as_slice() {
        [only] => &only.cluster,
        [] => return Err(bad("it defines no cluster".into())),
        _ => return Err(bad("it defines more than one cluster".into())),
    };
    if !cluster.server.starts_with("https://") {
        return Err(bad(format!(
            "server {:?} is not an https:// URL",
            cluster.server
        )));
    }
    let ca = cluster
        .certificate_authority_data
        .clone()
        .filter(|ca| !ca.is_empty())
        .ok_or_else(|| bad("it has no certificate-authority-data".into()))?;
    Ok((cluster.server.clone(), ca))
}
