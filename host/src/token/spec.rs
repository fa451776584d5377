//! What a token is created with (a config's `BootstrapToken`, or `token create`'s flags), checked
//! as kubeadm checks it, and the Secret that stores it.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;

use super::*;
use crate::config::GoDuration;
use crate::config::constants::DEFAULT_TOKEN_GROUP;
use crate::config::v1beta4;
use crate::config::validation::syntax::{is_bootstrap_group, is_rfc3339};

/// What a token may be used for; each is a `usage-bootstrap-<name>: "true"` key of its Secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Usage {
    /// Signing the `cluster-info` ConfigMap, which `join` discovery checks.
    Signing,
    /// Authenticating to the API server as `system:bootstrap:<id>`.
    Authentication,
}

impl Usage {
    pub const NAMES: [&'static str; 2] = ["signing", "authentication"];
    /// kubeadm's default usages, in its order.
    pub const DEFAULT: [Usage; 2] = [Usage::Signing, Usage::Authentication];

    pub fn as_str(self) -> &'static str {
        match self {
            Usage::Signing => "signing",
            Usage::Authentication => "authentication",
        }
    }

    /// Parses every usage, reporting all unknown ones at once (sorted, as kubeadm does).
    pub fn parse_all(names: &[String]) -> Result<Vec<Usage>, TokenError> {
        let mut unknown: Vec<String> = names
            .iter()
            .filter(|n| n.parse::<Usage>().is_err())
            .cloned()
            .collect();
        if !unknown.is_empty() {
            unknown.sort();
            unknown.dedup();
            return Err(TokenError::UnknownUsages { usages: unknown });
        }
        Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
    }
}

impl FromStr for Usage {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "signing" => Ok(Usage::Signing),
            "authentication" => Ok(Usage::Authentication),
            other => Err(TokenError::UnknownUsages {
                usages: vec![other.to_string()],
            }),
        }
    }
}

/// When a token stops working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Never,
    /// A time to live, counted from when the Secret is made.
    After(Duration),
    At(Timestamp),
}

impl Expiry {
    /// The expiration time the Secret records, if any.
    pub fn at(&self, now: Timestamp) -> Result<Option<Timestamp>, TokenError> {
        match *self {
            Expiry::Never => Ok(None),
            Expiry::At(t) => Ok(Some(t)),
            Expiry::After(ttl) => {
                now.checked_add(ttl)
                    .map(Some)
                    .map_err(|_| TokenError::ExpiryOutOfRange {
                        ttl: GoDuration(ttl).to_string(),
                    })
            }
        }
    }
}

/// kubeadm's token lifetime: 24 hours.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

/// Parses `--ttl`: a Go duration; `0` means the token never expires.
pub fn parse_ttl(value: &str) -> Result<GoDuration, TokenError> {
    value.parse().map_err(|_| TokenError::BadTtl {
        value: value.to_string(),
    })
}

/// One token to create: the token, its description, lifetime, usages and extra groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSpec {
    pub token: BootstrapToken,
    pub description: String,
    pub expiry: Expiry,
    pub usages: Vec<Usage>,
    pub groups: Vec<String>,
}

impl TokenSpec {
    /// The spec of a config's token, with kubeadm's defaults for what is unset (24h, signing and
    /// authentication, the default node group) and its validation. `expires` wins over `ttl`.
    pub fn from_config(t: &v1beta4::BootstrapToken) -> Result<Self, TokenError> {
        let groups = if t.groups.is_empty() {
            vec![DEFAULT_TOKEN_GROUP.to_string()]
        } else {
            t.groups.clone()
        };
        Self::with_groups(t, groups)
    }

    /// Like [`TokenSpec::from_config`], with exactly these extra groups (none for a
    /// signing-only token) instead of defaulting an empty list.
    pub fn with_groups(
        t: &v1beta4::BootstrapToken,
        groups: Vec<String>,
    ) -> Result<Self, TokenError> {
        let token: BootstrapToken = t.token.parse()?;
        let usages = if t.usages.is_empty() {
            Usage::DEFAULT.to_vec()
        } else {
            Usage::parse_all(&t.usages)?
        };
        if !groups.is_empty() && !usages.contains(&Usage::Authentication) {
            return Err(TokenError::GroupsWithoutAuthentication);
        }
        if let Some(bad) = groups.iter().find(|g| !is_bootstrap_group(g)) {
            return Err(TokenError::BadGroup { group: bad.clone() });
        }
        let expiry = match (&t.expires, t.ttl) {
            (Some(expires), _) => {
                Expiry::At(
                    parse_rfc3339(expires).ok_or_else(|| TokenError::BadExpires {
                        value: expires.clone(),
                    })?,
                )
            }
            (None, Some(ttl)) if ttl.is_zero() => Expiry::Never,
            (None, Some(ttl)) => Expiry::After(ttl.0),
            (None, None) => Expiry::After(DEFAULT_TTL),
        };
        Ok(TokenSpec {
            token,
            description: t.description.clone(),
            expiry,
            usages,
            groups,
        })
    }

    /// The `kube-system/bootstrap-token-<id>` Secret, with the expiration counted from `now`.
    pub fn to_secret(&self, now: Timestamp) -> Result<Secret, TokenError> {
        let mut data = BTreeMap::new();
        let mut put = |key: String, value: &str| {
            data.insert(key, ByteString(value.as_bytes().to_vec()));
        };
        put(KEY_TOKEN_ID.into(), self.token.id().as_str());
        put(KEY_TOKEN_SECRET.into(), self.token.secret());
        if !self.description.is_empty() {
            put(KEY_DESCRIPTION.into(), &self.description);
        }
        if let Some(at) = self.expiry.at(now)? {
            put(KEY_EXPIRATION.into(), &format_rfc3339(at));
        }
        for usage in &self.usages {
            put(format!("{USAGE_PREFIX}{}", usage.as_str()), "true");
        }
        if !self.groups.is_empty() {
            put(KEY_EXTRA_GROUPS.into(), &self.groups.join(","));
        }
        Ok(Secret {
            metadata: ObjectMeta {
                name: Some(self.token.id().secret_name()),
                namespace: Some(NAMESPACE.into()),
                ..Default::default()
            },
            type_: Some(SECRET_TYPE.into()),
            data: Some(data),
            ..Default::default()
        })
    }
}

/// An RFC 3339 time (`2006-01-02T15:04:05Z` or with an offset), as Go's `time.RFC3339` reads it.
pub(super) fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    if !is_rfc3339(s) {
        return None;
    }
    s.to_ascii_uppercase().parse().ok()
}

/// `2006-01-02T15:04:05Z`: UTC, whole seconds, as kubeadm writes a token's expiration.
pub(super) fn format_rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests;
