//! Certificate upload (`init phase upload-certs`, `join --control-plane`): the certificate key,
//! the `kube-system/kubeadm-certs` Secret that carries the cluster's CAs and service-account
//! keys encrypted with it, the short-lived token that owns the Secret (so the garbage collector
//! removes it when the token expires), and the RBAC that lets joining nodes read it.

mod key;

pub use key::CertificateKey;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::config::ClusterConfiguration;
use crate::config::constants::DEFAULT_TOKEN_GROUP;
use crate::node::{NodeError, NodeRoot};
use crate::pki::{SERVICE_ACCOUNT_KEY, SERVICE_ACCOUNT_PUBLIC_KEY};
use crate::token::{BootstrapToken, Expiry, NAMESPACE, TokenSpec};

/// The Secret `upload-certs` writes and `join --control-plane` reads.
pub const SECRET_NAME: &str = "kubeadm-certs";
/// The Role and RoleBinding that let bootstrap tokens read the Secret.
pub const RBAC_NAME: &str = "kubeadm:kubeadm-certs";
/// How long the uploaded certificates live: the lifetime of the token that owns them.
pub const PROXY_TOKEN_TTL: Duration = Duration::from_secs(2 * 3600);
pub const PROXY_TOKEN_DESCRIPTION: &str = "Proxy for managing TTL for the kubeadm-certs secret";

/// A certificate key that is not usable, or a Secret that cannot be made or opened with it.
/// Messages never contain a key.
#[derive(Debug, thiserror::Error)]
pub enum CertKeyError {
    #[error(
        "invalid certificate key: {problem}; expected 64 hexadecimal characters (a 32-byte AES key)"
    )]
    BadKey { problem: String },
    #[error("the operating system's random number generator failed")]
    Random,
    #[error("AES-GCM encryption failed")]
    Encrypt,
    #[error("size of data is less than the nonce ({len} bytes)")]
    TooShort { len: usize },
    #[error("decryption failed: the certificate key is wrong or the data was changed")]
    Decrypt,
    #[error("reading {secret_key} for the {SECRET_NAME} Secret: {source}")]
    Read {
        secret_key: String,
        #[source]
        source: NodeError,
    },
    #[error("error decoding secret data with provided key: {secret_key}: {source}")]
    Entry {
        secret_key: String,
        #[source]
        source: Box<CertKeyError>,
    },
}

/// One file `upload-certs` carries: its key in the Secret and where it lives on the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFile {
    pub secret_key: String,
    pub path: PathBuf,
}

/// What a new control plane needs and cannot make itself: the cluster, front-proxy and etcd CAs
/// (or, with external etcd, the etcd CA and client pair the config names) and the
/// service-account key pair. Secret keys are file names below the certificates directory with
/// `/` replaced by `-`.
pub fn files_to_upload(cluster: &ClusterConfiguration) -> Vec<CertFile> {
    let dir = Path::new(&cluster.certificates_dir);
    let in_dir = |name: &str| CertFile {
        secret_key: name.replace('/', "-"),
        path: dir.join(name),
    };
    let mut files: Vec<CertFile> = [
        "ca.crt",
        "ca.key",
        "front-proxy-ca.crt",
        "front-proxy-ca.key",
        SERVICE_ACCOUNT_PUBLIC_KEY,
        SERVICE_ACCOUNT_KEY,
    ]
    .into_iter()
    .map(in_dir)
    .collect();
    match &cluster.etcd.external {
        None => files.extend(["etcd/ca.crt", "etcd/ca.key"].map(in_dir)),
        Some(external) => files.extend(
            [
                ("external-etcd-ca.crt", &external.ca_file),
                ("external-etcd.crt", &external.cert_file),
                ("external-etcd.key", &external.key_file),
            ]
            .map(|(key, path)| CertFile {
                secret_key: key.to_string(),
                path: PathBuf::from(path),
            }),
        ),
    }
    files
}

/// The `kube-system/kubeadm-certs` Secret: every file of [`files_to_upload`] read from the node
/// and encrypted with `key`; a file that is not there (or an external etcd file the config
/// leaves unset) is an empty value, as kubeadm leaves it. The Secret is controlled by the token
/// Secret `owner_name` (with `owner_uid`), so it goes when that token expires.
pub fn certs_secret(
    root: &NodeRoot,
    cluster: &ClusterConfiguration,
    key: &CertificateKey,
    owner_name: &str,
    owner_uid: &str,
) -> Result<Secret, CertKeyError> {
    let mut data = BTreeMap::new();
    for file in files_to_upload(cluster) {
        let contents = if file.path.as_os_str().is_empty() {
            None
        } else {
            root.read(&file.path).map_err(|source| CertKeyError::Read {
                secret_key: file.secret_key.clone(),
                source,
            })?
        };
        let value = match contents {
            Some(plain) => key.encrypt(&plain)?,
            None => Vec::new(),
        };
        data.insert(file.secret_key, ByteString(value));
    }
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(SECRET_NAME.into()),
            namespace: Some(NAMESPACE.into()),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Secret".into(),
                name: owner_name.into(),
                uid: owner_uid.into(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    })
}

/// The decrypted files of a `kubeadm-certs` Secret, by Secret key; empty values stay empty. Any
/// entry that does not decrypt fails the whole read, as in kubeadm.
pub fn decrypt_certs(
    secret: &Secret,
    key: &CertificateKey,
) -> Result<BTreeMap<String, Vec<u8>>, CertKeyError> {
    let mut files = BTreeMap::new();
    for (name, value) in secret.data.iter().flatten() {
        let plain = if value.0.is_empty() {
            Vec::new()
        } else {
            key.decrypt(&value.0).map_err(|e| CertKeyError::Entry {
                secret_key: name.clone(),
                source: Box::new(e),
            })?
        };
        files.insert(name.clone(), plain);
    }
    Ok(files)
}

/// The token whose Secret owns `kubeadm-certs`: two hours, no usages, no groups, so it can
/// neither sign nor authenticate; it exists only for its lifetime.
pub fn proxy_token_spec(token: BootstrapToken) -> TokenSpec {
    TokenSpec {
        token,
        description: PROXY_TOKEN_DESCRIPTION.into(),
        expiry: Expiry::After(PROXY_TOKEN_TTL),
        usages: Vec::new(),
        groups: Vec::new(),
    }
}

/// `kube-system/kubeadm:kubeadm-certs`: get the `kubeadm-certs` Secret.
pub fn certs_role() -> Role {
    Role {
        metadata: ObjectMeta {
            name: Some(RBAC_NAME.into()),
            namespace: Some(NAMESPACE.into()),
            ..Default::default()
        },
        rules: Some(vec![PolicyRule {
            verbs: vec!["get".into()],
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["secrets".into()]),
            resource_names: Some(vec![SECRET_NAME.into()]),
            ..Default::default()
        }]),
    }
}

/// Binds [`certs_role`] to the default node token's group, which joining nodes authenticate in.
pub fn certs_role_binding() -> RoleBinding {
    RoleBinding {
        metadata: ObjectMeta {
            name: Some(RBAC_NAME.into()),
            namespace: Some(NAMESPACE.into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: RBAC_NAME.into(),
        },
        subjects: Some(vec![Subject {
            kind: "Group".into(),
            name: DEFAULT_TOKEN_GROUP.into(),
            ..Default::default()
        }]),
    }
}

#[cfg(test)]
mod tests;
