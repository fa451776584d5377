//! Bootstrap tokens as kubeadm manages them: the token value ([`BootstrapToken`]), what a
//! config or `token create` asks for ([`TokenSpec`]), the `kube-system/bootstrap-token-<id>`
//! Secret it becomes, the tokens read back from Secrets ([`ListedToken`]), `token list`'s
//! output, the `kubeadm join` command a token is handed out in, and the `token` commands'
//! work against a cluster.

mod listed;
mod manage;
mod output;
mod spec;
pub mod template;
mod value;

pub use listed::{Expiration, ListedToken};
pub use manage::{Listing, ManageError, create_tokens, delete_token, list_tokens, spec_from_flags};
pub use output::{OUTPUT_API_VERSION, output_objects, render_json, render_table, render_yaml};
pub use spec::{Expiry, TokenSpec, Usage, parse_ttl};
pub use value::{BootstrapToken, TOKEN_ID_PATTERN, TOKEN_PATTERN, TokenId};

/// Where token Secrets live.
pub const NAMESPACE: &str = "kube-system";
/// The type of a token Secret; `token list` selects Secrets by it.
pub const SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";
pub const SECRET_NAME_PREFIX: &str = "bootstrap-token-";
/// The data keys of a token Secret (cluster-bootstrap's `token/api`).
pub const KEY_TOKEN_ID: &str = "token-id";
pub const KEY_TOKEN_SECRET: &str = "token-secret";
pub const KEY_DESCRIPTION: &str = "description";
pub const KEY_EXPIRATION: &str = "expiration";
pub const KEY_EXTRA_GROUPS: &str = "auth-extra-groups";
pub const USAGE_PREFIX: &str = "usage-bootstrap-";
/// What extra groups must look like.
pub const GROUP_PATTERN: &str = r"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z";

/// A token, a token's settings or a token Secret that is not what kubeadm accepts. Messages
/// never contain a token secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("invalid bootstrap token {shown}: {problem}")]
    BadToken { shown: String, problem: String },
    #[error("invalid bootstrap token ID {shown}: {problem}")]
    BadId { shown: String, problem: String },
    #[error("given token {shown} didn't match pattern {token:?} or {id:?}", token = TOKEN_PATTERN, id = TOKEN_ID_PATTERN)]
    NotATokenOrId { shown: String },
    #[error("invalid bootstrap token usage string: {}, valid usage options: {}", .usages.join(","), Usage::NAMES.join(","))]
    UnknownUsages { usages: Vec<String> },
    #[error("token groups cannot be specified unless --usages includes \"authentication\"")]
    GroupsWithoutAuthentication,
    #[error("bootstrap group {group:?} is invalid (must match {GROUP_PATTERN})")]
    BadGroup { group: String },
    #[error(
        "invalid token TTL {value:?}: expected a duration such as 24h0m0s, 2h or 30m (0 means the token never expires)"
    )]
    BadTtl { value: String },
    #[error(
        "invalid token expiration {value:?}: expected an RFC 3339 time such as 2030-01-02T15:04:05Z"
    )]
    BadExpires { value: String },
    #[error("a token that expires {ttl} from now would expire after the year 9999")]
    ExpiryOutOfRange { ttl: String },
    #[error("bootstrap Token Secret has no token-id data: {name}")]
    SecretWithoutId { name: String },
    #[error(
        "bootstrap token name is not of the form '{SECRET_NAME_PREFIX}(token-id)'. Actual: {name:?}. Expected: {expected:?}"
    )]
    SecretMisnamed { name: String, expected: String },
    #[error("bootstrap Token Secret has no token-secret data: {name}")]
    SecretWithoutSecret { name: String },
    #[error("bootstrap Token Secret {name} is invalid and couldn't be parsed: {reason}")]
    SecretInvalid {
        name: String,
        reason: Box<TokenError>,
    },
    #[error(
        "can't parse expiration time of bootstrap token {name:?}: {value:?} is not an RFC 3339 time"
    )]
    SecretBadExpiration { name: String, value: String },
    #[error("the operating system's random number generator failed")]
    Random,
}
