//! Bootstrap token Secrets (`kube-system/bootstrap-token-<id>`) as kube-apiserver's token
//! authenticator and the bootstrapsigner/tokencleaner controllers read them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::meta;

pub const TOKEN_SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";
pub const TOKEN_SECRET_PREFIX: &str = "bootstrap-token-";
pub const BOOTSTRAPPERS_GROUP: &str = "system:bootstrappers";

/// A token Secret that is well formed; whether it is expired or usable is asked separately.
#[derive(Debug, PartialEq, Eq)]
pub struct TokenSecret {
    pub id: String,
    pub secret: String,
    /// `None` never expires.
    pub expiration: Option<OffsetDateTime>,
    pub signing: bool,
    pub authentication: bool,
    pub extra_groups: Vec<String>,
}

fn is_token_part(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Splits `<id>.<secret>` when it has the bootstrap token form `[a-z0-9]{6}.[a-z0-9]{16}`.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    (is_token_part(id, 6) && is_token_part(secret, 16)).then_some((id, secret))
}

/// A `data` value of a Secret, decoded from base64.
pub fn secret_data(secret: &Value, key: &str) -> Option<String> {
    let encoded = secret.pointer(&format!("/data/{key}"))?.as_str()?;
    let bytes = STANDARD.decode(encoded).ok()?;
    String::from_utf8(bytes).ok()
}

/// Extra groups must be `system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]`.
fn group_ok(group: &str) -> bool {
    let Some(rest) = group.strip_prefix("system:bootstrappers:") else {
        return false;
    };
    !rest.is_empty()
        && rest.len() <= 256
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b':' || b == b'-')
        && rest
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl TokenSecret {
    /// Reads a Secret; `None` when it is not a well-formed bootstrap token Secret (wrong type,
    /// name not matching `token-id`, malformed id/secret/expiration/groups).
    pub fn from_secret(secret: &Value) -> Option<TokenSecret> {
        if meta::str_field(secret, "/type") != Some(TOKEN_SECRET_TYPE)
            || meta::namespace(secret) != Some("kube-system")
        {
            return None;
        }
        let id = secret_data(secret, "token-id")?;
        let token_secret = secret_data(secret, "token-secret")?;
        if !is_token_part(&id, 6)
            || !is_token_part(&token_secret, 16)
            || meta::name(secret) != Some(&format!("{TOKEN_SECRET_PREFIX}{id}"))
        {
            return None;
        }
        let expiration = match secret_data(secret, "expiration") {
            Some(text) => Some(OffsetDateTime::parse(&text, &Rfc3339).ok()?),
            None => None,
        };
        let extra_groups: Vec<String> = secret_data(secret, "auth-extra-groups")
            .map(|g| g.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default();
        if !extra_groups.iter().all(|g| group_ok(g)) {
            return None;
        }
        let usage = |name: &str| secret_data(secret, name).as_deref() == Some("true");
        Some(TokenSecret {
            id,
            secret: token_secret,
            expiration,
            signing: usage("usage-bootstrap-signing"),
            authentication: usage("usage-bootstrap-authentication"),
            extra_groups,
        })
    }

    pub fn expired(&self, now: OffsetDateTime) -> bool {
        self.expiration.is_some_and(|e| e <= now)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    fn token_secret(name: &str, data: &[(&str, &str)]) -> Value {
        let data: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| (k.to_string(), json!(b64(v))))
            .collect();
        json!({
            "metadata": {"name": name, "namespace": "kube-system"},
            "type": TOKEN_SECRET_TYPE,
            "data": data,
        })
    }

    #[test]
    fn token_strings_have_the_bootstrap_form() {
        assert_eq!(
            parse_token("abcdef.0123456789abcdef"),
            Some(("abcdef", "0123456789abcdef"))
        );
        for bad in [
            "abcdef0123456789abcdef",
            "ABCDEF.0123456789abcdef",
            "abcde.0123456789abcdef",
            "abcdef.0123456789abcde",
        ] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn well_formed_secrets_are_read_and_malformed_ones_ignored() {
        let good = token_secret(
            "bootstrap-token-abcdef",
            &[
                ("token-id", "abcdef"),
                ("token-secret", "0123456789abcdef"),
                ("expiration", "2030-01-02T03:04:05Z"),
                ("usage-bootstrap-signing", "true"),
                (
                    "auth-extra-groups",
                    "system:bootstrappers:kubeadm:default-node-token",
                ),
            ],
        );
        let t = TokenSecret::from_secret(&good).expect("a valid token secret");
        assert_eq!(t.id, "abcdef");
        assert!(t.signing && !t.authentication);
        assert_eq!(
            t.extra_groups,
            ["system:bootstrappers:kubeadm:default-node-token"]
        );
        let before = OffsetDateTime::parse("2030-01-02T03:04:04Z", &Rfc3339).unwrap();
        assert!(!t.expired(before));
        assert!(t.expired(before + time::Duration::seconds(1)));

        let wrong_name = token_secret(
            "bootstrap-token-zzzzzz",
            &[("token-id", "abcdef"), ("token-secret", "0123456789abcdef")],
        );
        let bad_group = token_secret(
            "bootstrap-token-abcdef",
            &[
                ("token-id", "abcdef"),
                ("token-secret", "0123456789abcdef"),
                ("auth-extra-groups", "system:masters"),
            ],
        );
        let bad_expiry = token_secret(
            "bootstrap-token-abcdef",
            &[
                ("token-id", "abcdef"),
                ("token-secret", "0123456789abcdef"),
                ("expiration", "tomorrow"),
            ],
        );
        for bad in [wrong_name, bad_group, bad_expiry] {
            assert_eq!(TokenSecret::from_secret(&bad), None, "{bad}");
        }
    }
}
