//! A token read back from its Secret, as `token list` shows it (kubeadm's
//! `BootstrapTokenFromSecret`).

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::jiff::tz::{Offset, TimeZone};

use super::spec::parse_rfc3339;
use super::*;

/// A token's expiration time, with the UTC offset it was written in (Go keeps it when it prints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiration {
    pub at: Timestamp,
    pub offset: Offset,
}

impl Expiration {
    /// Reads an RFC 3339 time, keeping its offset.
    pub fn parse(s: &str) -> Option<Self> {
        let at = parse_rfc3339(s)?;
        let offset = match s.as_bytes()[s.len() - 6..] {
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let n = |a: u8, b: u8| i32::from(a - b'0') * 10 + i32::from(b - b'0');
                let seconds = n(h1, h2) * 3600 + n(m1, m2) * 60;
                Offset::from_seconds(if sign == b'-' { -seconds } else { seconds }).ok()?
            }
            _ => Offset::UTC,
        };
        Some(Expiration { at, offset })
    }

    /// As Go's `Format(time.RFC3339)` prints it: whole seconds, in its own offset, `Z` for UTC.
    pub fn text(&self) -> String {
        let local = self.at.to_zoned(TimeZone::fixed(self.offset));
        let seconds = self.offset.seconds();
        let zone = if seconds == 0 {
            "Z".to_string()
        } else {
            let sign = if seconds < 0 { '-' } else { '+' };
            let abs = seconds.unsigned_abs();
            format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
        };
        format!("{}{zone}", local.strftime("%Y-%m-%dT%H:%M:%S"))
    }
}

/// A token as listed: kubeadm shows every `usage-bootstrap-*` key set to `"true"`, known or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedToken {
    pub token: BootstrapToken,
    pub description: String,
    pub expires: Option<Expiration>,
    /// Sorted.
    pub usages: Vec<String>,
    pub groups: Vec<String>,
}

impl ListedToken {
    /// The token a Secret holds, or why the Secret is not a valid token (`token list` reports
    /// such Secrets and goes on).
    pub fn from_secret(secret: &Secret) -> Result<Self, TokenError> {
        let name = secret.metadata.name.clone().unwrap_or_default();
        let get = |key: &str| {
            secret
                .data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|v| String::from_utf8_lossy(&v.0).into_owned())
                .unwrap_or_default()
        };
        let id = get(KEY_TOKEN_ID);
        if id.is_empty() {
            return Err(TokenError::SecretWithoutId { name });
        }
        let expected = format!("{SECRET_NAME_PREFIX}{id}");
        if name != expected {
            return Err(TokenError::SecretMisnamed { name, expected });
        }
        let secret_part = get(KEY_TOKEN_SECRET);
        if secret_part.is_empty() {
            return Err(TokenError::SecretWithoutSecret { name });
        }
        let token = BootstrapToken::from_parts(&id, &secret_part).map_err(|e| {
            TokenError::SecretInvalid {
                name: name.clone(),
                reason: Box::new(e),
            }
        })?;
        let expiration = get(KEY_EXPIRATION);
        let expires = if expiration.is_empty() {
            None
        } else {
            Some(
                Expiration::parse(&expiration).ok_or(TokenError::SecretBadExpiration {
                    name: name.clone(),
                    value: expiration,
                })?,
            )
        };
        let mut usages: Vec<String> = secret
            .data
            .iter()
            .flatten()
            .filter(|(_, v)| v.0 == b"true")
            .filter_map(|(k, _)| k.strip_prefix(USAGE_PREFIX).map(str::to_string))
            .collect();
        usages.sort();
        // As kubeadm splits them: a list whose first entry is empty counts as no groups.
        let groups_text = get(KEY_EXTRA_GROUPS);
        let groups: Vec<String> = groups_text.split(',').map(str::to_string).collect();
        let groups = if groups[0].is_empty() {
            Vec::new()
        } else {
            groups
        };
        Ok(ListedToken {
            token,
            description: get(KEY_DESCRIPTION),
            expires,
            usages,
            groups,
        })
    }
}

#[cfg(test)]
mod tests;
