//! The client certificate, key and CA the etcd client authenticates with (mutual TLS).

use super::EtcdError;
use crate::node::NodeRoot;

/// A client identity etcd accepts and the CA its serving certificates chain to, as PEM.
#[derive(Clone)]
pub struct EtcdCredentials {
    pub(super) ca: Vec<u8>,
    pub(super) cert: Vec<u8>,
    pub(super) key: Vec<u8>,
}

impl std::fmt::Debug for EtcdCredentials {
    // The key stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdCredentials").finish_non_exhaustive()
    }
}

impl EtcdCredentials {
    /// `etcd/healthcheck-client.{crt,key}` under the node's certificate directory, as kubeadm's
    /// etcd client for join and reset uses.
    pub fn healthcheck_client(root: &NodeRoot, cert_dir: &str) -> Result<Self, EtcdError> {
        Self::from_node(root, cert_dir, "etcd/healthcheck-client")
    }

    /// `apiserver-etcd-client.{crt,key}` under the node's certificate directory.
    pub fn apiserver_etcd_client(root: &NodeRoot, cert_dir: &str) -> Result<Self, EtcdError> {
        Self::from_node(root, cert_dir, "apiserver-etcd-client")
    }

    /// `<cert_dir>/<pair>.{crt,key}` with `<cert_dir>/etcd/ca.crt`.
    fn from_node(root: &NodeRoot, cert_dir: &str, pair: &str) -> Result<Self, EtcdError> {
        let dir = cert_dir.trim_end_matches('/');
        let read = |name: String| -> Result<(Vec<u8>, String), EtcdError> {
            let path = format!("{dir}/{name}");
            match root.read(&path) {
                Ok(Some(bytes)) => Ok((bytes, path)),
                Ok(None) => Err(EtcdError::Credentials {
                    file: path,
                    reason: "no such file".into(),
                }),
                Err(e) => Err(EtcdError::Credentials {
                    file: path,
                    reason: e.source.to_string(),
                }),
            }
        };
        let ca = read("etcd/ca.crt".into())?;
        let cert = read(format!("{pair}.crt"))?;
        let key = read(format!("{pair}.key"))?;
        Self::checked((&ca.0, &ca.1), (&cert.0, &cert.1), (&key.0, &key.1))
    }

    /// PEM given directly; `source` names them in errors.
    pub fn from_pem(ca: &[u8], cert: &[u8], key: &[u8], source: &str) -> Result<Self, EtcdError> {
        Self::checked(
            (ca, &format!("{source} CA")),
            (cert, &format!("{source} certificate")),
            (key, &format!("{source} key")),
        )
    }

    /// Checks the PEM block types up front, so a wrong file fails at once rather than as a TLS
    /// handshake that is retried until the operation times out.
    fn checked(
        ca: (&[u8], &str),
        cert: (&[u8], &str),
        key: (&[u8], &str),
    ) -> Result<Self, EtcdError> {
        let expect = |(bytes, file): (&[u8], &str), what: &str, ok: fn(&str) -> bool| {
            let blocks = pem::parse_many(bytes).map_err(|e| EtcdError::Credentials {
                file: file.to_string(),
                reason: format!("not PEM: {e}"),
            })?;
            match blocks.first() {
                Some(block) if ok(block.tag()) => Ok(bytes.to_vec()),
                _ => Err(EtcdError::Credentials {
                    file: file.to_string(),
                    reason: format!("expected {what}"),
                }),
            }
        };
        Ok(EtcdCredentials {
            ca: expect(ca, "a PEM CERTIFICATE", |t| t == "CERTIFICATE")?,
            cert: expect(cert, "a PEM CERTIFICATE", |t| t == "CERTIFICATE")?,
            key: expect(key, "a PEM PRIVATE KEY", |t| t.ends_with("PRIVATE KEY"))?,
        })
    }
}
