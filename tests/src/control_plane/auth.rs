//! Authentication as kube-apiserver does it: an x509 client certificate signed by the cluster
//! CA (checked in the TLS handshake) names the user (CN) and groups (O); else a bootstrap token
//! `Authorization: Bearer <id>.<secret>` checked against its Secret; else anonymous.

use serde_json::Value;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::resources;
use super::store::Store;
use super::token::{BOOTSTRAPPERS_GROUP, TOKEN_SECRET_PREFIX, TokenSecret, parse_token};

pub const ANONYMOUS_USER: &str = "system:anonymous";
pub const UNAUTHENTICATED_GROUP: &str = "system:unauthenticated";
pub const AUTHENTICATED_GROUP: &str = "system:authenticated";
pub const MASTERS_GROUP: &str = "system:masters";

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

/// A bearer token was sent but is not valid (401), as kube-apiserver refuses it rather than
/// falling back to anonymous.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("Unauthorized")]
pub struct Unauthorized;

impl UserInfo {
    pub fn anonymous() -> Self {
        UserInfo {
            name: ANONYMOUS_USER.into(),
            groups: vec![UNAUTHENTICATED_GROUP.into()],
        }
    }

    /// Every authenticated user is also in `system:authenticated`.
    fn authenticated(name: String, mut groups: Vec<String>) -> Self {
        if !groups.iter().any(|g| g == AUTHENTICATED_GROUP) {
            groups.push(AUTHENTICATED_GROUP.into());
        }
        UserInfo { name, groups }
    }

    /// The user a verified client certificate names: CN is the user, each O a group.
    pub fn from_client_cert(der: &[u8]) -> Option<UserInfo> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let subject = cert.subject();
        let name = subject
            .iter_common_name()
            .next()?
            .as_str()
            .ok()?
            .to_string();
        let groups = subject
            .iter_organization()
            .filter_map(|o| o.as_str().ok().map(String::from))
            .collect();
        Some(UserInfo::authenticated(name, groups))
    }

    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// The user of a request: the certificate's user, else the bootstrap token's, else anonymous.
pub fn authenticate(
    cert_user: Option<&UserInfo>,
    authorization: Option<&str>,
    store: &Store,
    now: OffsetDateTime,
) -> Result<UserInfo, Unauthorized> {
    if let Some(user) = cert_user {
        return Ok(user.clone());
    }
    let Some(header) = authorization else {
        return Ok(UserInfo::anonymous());
    };
    // The scheme is case-insensitive, as kube-apiserver's bearer token reader takes it.
    let token = header
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or(Unauthorized)?;
    bootstrap_token_user(token, store, now).ok_or(Unauthorized)
}

/// kube-apiserver's bootstrap token authenticator.
fn bootstrap_token_user(token: &str, store: &Store, now: OffsetDateTime) -> Option<UserInfo> {
    let (id, secret) = parse_token(token)?;
    let secrets = resources::named("", "secrets");
    let stored: Value = store.get(
        secrets,
        "kube-system",
        &format!("{TOKEN_SECRET_PREFIX}{id}"),
    )?;
    let t = TokenSecret::from_secret(&stored)?;
    let secret_matches =
        aws_lc_rs::constant_time::verify_slices_are_equal(t.secret.as_bytes(), secret.as_bytes())
            .is_ok();
    if !secret_matches || t.expired(now) || !t.authentication {
        return None;
    }
    let mut groups = vec![BOOTSTRAPPERS_GROUP.to_string()];
    groups.extend(t.extra_groups);
    Some(UserInfo::authenticated(
        format!("system:bootstrap:{id}"),
        groups,
    ))
}

#[cfg(test)]
mod tests;
