//! Tokens in the cluster, as the `token` commands manage them: create (refusing an ID that is
//! taken), list (Secrets of the bootstrap-token type, reporting the ones that are not valid
//! tokens), and delete.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;

use super::*;
use crate::cluster::{Cluster, ClusterError};
use crate::config::v1beta4;

/// A token operation the cluster refused, or a token that cannot be stored.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("a token with id {0:?} already exists")]
    Exists(String),
    #[error("failed to create or update bootstrap token with name {name}: {source}")]
    Write {
        name: String,
        #[source]
        source: ClusterError,
    },
    #[error("failed to list bootstrap tokens: {0}")]
    List(#[source] ClusterError),
    #[error("failed to delete bootstrap token {id:?}: {source}")]
    Delete {
        id: String,
        #[source]
        source: ClusterError,
    },
    #[error("failed to delete bootstrap token {id:?}: secrets {name:?} not found")]
    NotFound { id: String, name: String },
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// `token create`'s flags as kubeadm reads them into a config token: `--ttl`, `--usages`,
/// `--groups`, `--description`, and the token argument (a new one is generated without it).
/// An empty usage list takes kubeadm's default; `groups` are exactly the given ones (an
/// explicit `--groups ""` makes a token with no extra groups), or kubeadm's default group when `None`.
pub fn spec_from_flags(
    token: Option<&str>,
    ttl: &str,
    usages: &[String],
    groups: Option<&[String]>,
    description: &str,
) -> Result<TokenSpec, TokenError> {
    let token = match token {
        Some(text) => text.parse::<BootstrapToken>()?,
        None => BootstrapToken::generate()?,
    };
    let config = v1beta4::BootstrapToken {
        token: token.expose(),
        description: description.to_string(),
        ttl: Some(parse_ttl(ttl)?),
        expires: None,
        usages: usages.to_vec(),
        groups: Vec::new(),
    };
    match groups {
        Some(groups) => TokenSpec::with_groups(&config, groups.to_vec()),
        None => TokenSpec::from_config(&config),
    }
}

/// kubeadm's `CreateNewTokens`: each token's Secret, created with its expiration counted from
/// `now`; an ID that already has a Secret is an error.
pub fn create_tokens(
    cluster: &Cluster,
    specs: &[TokenSpec],
    now: Timestamp,
) -> Result<(), ManageError> {
    for spec in specs {
        let id = spec.token.id();
        let name = id.secret_name();
        let exists = |source| match source {
            ClusterError::AlreadyExists { .. } => ManageError::Exists(id.to_string()),
            source => ManageError::Write {
                name: name.clone(),
                source,
            },
        };
        if cluster
            .get::<Secret>(NAMESPACE, &name)
            .map_err(exists)?
            .is_some()
        {
            return Err(ManageError::Exists(id.to_string()));
        }
        match cluster.create(&spec.to_secret(now)?) {
            Ok(_) => {}
            // A create that timed out may have landed before its retry: that token is ours.
            Err(ClusterError::AlreadyExists { .. })
                if stored_secret(cluster, &name).as_deref() == Some(spec.token.secret()) => {}
            Err(e) => return Err(exists(e)),
        }
    }
    Ok(())
}

/// The token secret stored in the Secret `name`, if it can be read.
fn stored_secret(cluster: &Cluster, name: &str) -> Option<String> {
    let secret = cluster.get::<Secret>(NAMESPACE, name).ok()??;
    let bytes = secret.data?.remove(super::KEY_TOKEN_SECRET)?;
    String::from_utf8(bytes.0).ok()
}

/// What `token list` finds: the tokens, and why each other bootstrap-token Secret is not one.
#[derive(Debug, Default)]
pub struct Listing {
    pub tokens: Vec<ListedToken>,
    pub invalid: Vec<TokenError>,
}

/// Every Secret of the bootstrap-token type in `kube-system`, in the order the API returns them.
pub fn list_tokens(cluster: &Cluster) -> Result<Listing, ManageError> {
    let secrets = cluster
        .list::<Secret>(NAMESPACE, None)
        .map_err(ManageError::List)?;
    let mut listing = Listing::default();
    for secret in secrets
        .iter()
        .filter(|s| s.type_.as_deref() == Some(SECRET_TYPE))
    {
        match ListedToken::from_secret(secret) {
            Ok(token) => listing.tokens.push(token),
            Err(e) => listing.invalid.push(e),
        }
    }
    Ok(listing)
}

/// Deletes a token's Secret; a token that is not there is an error, as in kubeadm.
pub fn delete_token(cluster: &Cluster, id: &TokenId) -> Result<(), ManageError> {
    let name = id.secret_name();
    match cluster.delete::<Secret>(NAMESPACE, &name) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ManageError::NotFound {
            id: id.to_string(),
            name,
        }),
        Err(source) => Err(ManageError::Delete {
            id: id.to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests;
