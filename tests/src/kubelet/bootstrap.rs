//! The kubelet's TLS bootstrap: with the bootstrap token of `bootstrap-kubelet.conf`, a CSR
//! for `system:node:<name>` in `system:nodes` to the kubelet client signer; once the
//! control plane approved and signed it, the certificate and key go to
//! `/var/lib/kubelet/pki/kubelet-client-current.pem` (0600) and `kubelet.conf` points there,
//! as the kubelet writes them.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use serde_json::{Value, json};

use super::files::{self, BOOTSTRAP_KUBECONFIG, FileError, KUBELET_KUBECONFIG};
use super::log;
use crate::control_plane::KUBELET_CLIENT_SIGNER;
use crate::control_plane::client::{ClientError, KubeClient};

/// Where the kubelet keeps its current client certificate and key (its default `--cert-dir`).
pub const CLIENT_CERT_NODE_PATH: &str = "/var/lib/kubelet/pki/kubelet-client-current.pem";
/// How long one CSR is waited for before the next pass starts over.
const SIGNING_TIMEOUT: Duration = Duration::from_secs(30);
const SIGNING_POLL: Duration = Duration::from_millis(50);
const CSRS: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{BOOTSTRAP_KUBECONFIG}: {0}")]
    Kubeconfig(String),
    #[error("the client key and CSR: {0}")]
    Key(String),
    #[error("creating the CSR: HTTP {status}: {message}")]
    Create { status: u16, message: String },
    #[error("CSR {name}: {reason}")]
    Refused { name: String, reason: String },
    #[error("CSR {name} was not signed within {SIGNING_TIMEOUT:?}")]
    Timeout { name: String },
}

/// The server and CA of a kubeconfig's current context.
struct Cluster {
    server: String,
    ca_pem: Vec<u8>,
}

fn current_cluster(root: &Path, text: &str) -> Result<Cluster, String> {
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let named = |list: &str, name: &str| {
        doc[list]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["name"].as_str() == Some(name)))
            .cloned()
    };
    let context = doc["current-context"]
        .as_str()
        .and_then(|c| named("contexts", c))
        .ok_or("the current context is not defined")?;
    let cluster_name = context["context"]["cluster"].as_str().unwrap_or("");
    let cluster = named("clusters", cluster_name)
        .ok_or_else(|| format!("cluster {cluster_name:?} is not defined"))?;
    let server = cluster["cluster"]["server"]
        .as_str()
        .ok_or("the cluster has no server")?
        .to_string();
    let ca_pem = match (
        cluster["cluster"]["certificate-authority-data"].as_str(),
        cluster["cluster"]["certificate-authority"].as_str(),
    ) {
        (Some(data), _) => STANDARD
            .decode(data.trim())
            .map_err(|e| format!("certificate-authority-data: {e}"))?,
        (None, Some(file)) => std::fs::read(files::under(root, file))
            .map_err(|e| format!("certificate-authority {file}: {e}"))?,
        (None, None) => return Err("the cluster has no certificate authority".into()),
    };
    Ok(Cluster { server, ca_pem })
}

/// kubelet.conf as the kubelet writes it after a bootstrap: the bootstrap cluster, and the
/// rotating client certificate file as the user.
fn kubelet_kubeconfig(cluster: &Cluster) -> String {
    format!(
        "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {{}}
users:
- name: default-auth
  user:
    client-certificate: {CLIENT_CERT_NODE_PATH}
    client-key: {CLIENT_CERT_NODE_PATH}
",
        ca = STANDARD.encode(&cluster.ca_pem),
        server = cluster.server,
    )
}

/// A new key and its PKCS#10 request for the node's client certificate.
fn node_csr(node_name: &str) -> Result<(KeyPair, String), BootstrapError> {
    let key_error = |e: rcgen::Error| BootstrapError::Key(e.to_string());
    let key = KeyPair::generate().map_err(key_error)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(key_error)?;
    // O before CN, as Go orders a subject (rcgen starts with a CN of its own).
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "system:nodes");
    params
        .distinguished_name
        .push(DnType::CommonName, format!("system:node:{node_name}"));
    let request = params
        .serialize_request(&key)
        .map_err(key_error)?
        .pem()
        .map_err(key_error)?;
    Ok((key, request))
}

fn conditions(csr: &Value) -> impl Iterator<Item = (&str, &str)> {
    csr.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["type"].as_str().unwrap_or(""),
                c["message"].as_str().unwrap_or(""),
            )
        })
}

/// Creates the CSR with the bootstrap credentials and waits for its certificate (PEM).
async fn request_certificate(
    client: &KubeClient,
    node_name: &str,
    csr_pem: &str,
) -> Result<(String, String), BootstrapError> {
    let object = json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"generateName": "csr-"},
        "spec": {
            "request": STANDARD.encode(csr_pem),
            "signerName": KUBELET_CLIENT_SIGNER,
            "usages": ["digital signature", "client auth"],
        },
    });
    let created = client.post(CSRS, &object).await?;
    if created.status != 201 {
        return Err(BootstrapError::Create {
            status: created.status,
            message: created.body["message"]
                .as_str()
                .map_or_else(|| created.body.to_string(), String::from),
        });
    }
    let name = created.body["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    log(&format!(
        "TLS bootstrap: CSR {name} for system:node:{node_name} created"
    ));
    let deadline = Instant::now() + SIGNING_TIMEOUT;
    while Instant::now() < deadline {
        let reply = client.get(&format!("{CSRS}/{name}")).await?;
        if reply.status == 200 {
            let csr = &reply.body;
            if let Some((kind, message)) =
                conditions(csr).find(|(kind, _)| matches!(*kind, "Denied" | "Failed"))
            {
                return Err(BootstrapError::Refused {
                    name,
                    reason: format!("{kind}: {message}"),
                });
            }
            if let Some(cert) = csr.pointer("/status/certificate").and_then(Value::as_str) {
                let pem = STANDARD
                    .decode(cert)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| BootstrapError::Refused {
                        name: name.clone(),
                        reason: "status.certificate is not base64 PEM".into(),
                    })?;
                return Ok((name, pem));
            }
        }
        tokio::time::sleep(SIGNING_POLL).await;
    }
    Err(BootstrapError::Timeout { name })
}

/// One TLS bootstrap on `root`: on success the client certificate file and kubelet.conf exist.
pub async fn tls_bootstrap(root: &Path, node_name: &str) -> Result<(), BootstrapError> {
    let bootstrap = root.join(BOOTSTRAP_KUBECONFIG);
    let text = files::read_optional(&bootstrap)?.unwrap_or_default();
    let cluster = current_cluster(root, &String::from_utf8_lossy(&text))
        .map_err(BootstrapError::Kubeconfig)?;
    let client = KubeClient::from_kubeconfig_in(&bootstrap, Some(root))?;
    let (key, csr_pem) = node_csr(node_name)?;
    let (name, cert_pem) = request_certificate(&client, node_name, &csr_pem).await?;
    let pair = format!("{}{}", cert_pem, key.serialize_pem());
    files::write_atomic(
        &files::under(root, CLIENT_CERT_NODE_PATH),
        pair.as_bytes(),
        0o600,
    )?;
    files::write_atomic(
        &root.join(KUBELET_KUBECONFIG),
        kubelet_kubeconfig(&cluster).as_bytes(),
        0o600,
    )?;
    log(&format!(
        "TLS bootstrap: CSR {name} signed; wrote {CLIENT_CERT_NODE_PATH} and /{KUBELET_KUBECONFIG}"
    ));
    Ok(())
}
