//! What can go wrong in discovery, one line each, naming the field, file, URL or endpoint.
//! No message carries a token secret.

use std::time::Duration;

use crate::pki::CaPin;
use crate::token::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(
        "discovery: no method configured: set discovery.bootstrapToken (--token and an API server endpoint) or discovery.file (--discovery-file)"
    )]
    NoMethod,
    #[error("discovery.bootstrapToken.token: {0}")]
    BadToken(TokenError),
    #[error("discovery.tlsBootstrapToken: {0}")]
    BadTlsBootstrapToken(TokenError),
    #[error("discovery.bootstrapToken.apiServerEndpoint {endpoint:?}: {reason}")]
    BadEndpoint { endpoint: String, reason: String },
    #[error(
        "discovery.bootstrapToken.caCertHashes: invalid discovery token CA certificate hash {input:?}: expected sha256:<64 hex digits>, the SHA-256 of the CA's SubjectPublicKeyInfo"
    )]
    BadPin { input: String },
    #[error(
        "discovery.bootstrapToken: no CA pin (caCertHashes, --discovery-token-ca-cert-hash) and unsafeSkipCAVerification is not set; pass the sha256:<hex> pin `kubeadm init` printed, or --discovery-token-unsafe-skip-ca-verification to trust the cluster on the token alone"
    )]
    NoPins,
    #[error(
        "no successful answer from the API server at {endpoint} within {timeout:?} while reading the kube-public/cluster-info ConfigMap; last error: {cause}"
    )]
    Unreachable {
        endpoint: String,
        timeout: Duration,
        cause: String,
    },
    #[error(
        "token id {token_id:?} is invalid for this cluster or it has expired: the cluster-info ConfigMap at {endpoint} carried no jws-kubeconfig-{token_id} signature within {timeout:?}. Use \"kubeadm token create\" on the control-plane node to create a new valid token"
    )]
    NoSignature {
        token_id: String,
        endpoint: String,
        timeout: Duration,
    },
    #[error(
        "there is no kubeconfig key in the cluster-info ConfigMap at {endpoint}. This API Server isn't set up for token bootstrapping, can't connect"
    )]
    NotSetUp { endpoint: String },
    #[error(
        "failed to verify the JWS signature (jws-kubeconfig-{token_id}) of the cluster-info ConfigMap from {endpoint}, can't trust this API Server: {reason}"
    )]
    BadSignature {
        token_id: String,
        endpoint: String,
        reason: String,
    },
    #[error("the kubeconfig in the cluster-info ConfigMap from {endpoint} is malformed: {reason}")]
    BadClusterInfo { endpoint: String, reason: String },
    #[error(
        "the cluster CA in the cluster-info ConfigMap from {endpoint} is not trusted: none of its public keys ({found}) match the pins given ({pinned})",
        found = pins(.found),
        pinned = pins(.pinned)
    )]
    PinMismatch {
        endpoint: String,
        found: Vec<CaPin>,
        pinned: Vec<CaPin>,
    },
    #[error("the API server at {endpoint} failed TLS verification with {trusting}: {cause}")]
    Untrusted {
        endpoint: String,
        trusting: String,
        cause: String,
    },
    #[error(
        "the second kubeconfig from the cluster-info ConfigMap at {endpoint} (fetched with validated TLS) was different from the first"
    )]
    Changed { endpoint: String },
    #[error("discovery file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("discovery file URL {url}: {reason}")]
    Url { url: String, reason: String },
    #[error(
        "couldn't find authentication credentials for the TLS bootstrap process. Please use Token discovery, a discovery file with embedded authentication credentials or a discovery file without authentication credentials but with the TLSBootstrapToken flag"
    )]
    NoCredentials,
    #[error("discovery: starting the HTTPS client: {0}")]
    Client(String),
}

fn pins(pins: &[CaPin]) -> String {
    pins.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
