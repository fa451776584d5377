//! The bootstrap token itself (`[a-z0-9]{6}.[a-z0-9]{16}`): a public ID and a private secret.
//! The secret never reaches `Debug`, `Display` or an error message; [`BootstrapToken::expose`]
//! is the one way to print it.

use std::fmt;
use std::str::FromStr;

use ring::error::Unspecified;
use ring::rand::{SecureRandom, SystemRandom};

use super::TokenError;

/// The characters a token is made of, `[0-9a-z]`.
const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const ID_LEN: usize = 6;
const SECRET_LEN: usize = 16;
/// cluster-bootstrap's patterns, quoted in messages as kubeadm quotes them.
pub const TOKEN_PATTERN: &str = r"\A([a-z0-9]{6})\.([a-z0-9]{16})\z";
pub const TOKEN_ID_PATTERN: &str = r"\A([a-z0-9]{6})\z";
/// What a user is told to type.
const TOKEN_FORM: &str = "[a-z0-9]{6}.[a-z0-9]{16}";

fn is_token_chars(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// A token ID, the public half of a token: it names the token's Secret and its user.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `bootstrap-token-<id>`, the Secret in `kube-system` that holds the token.
    pub fn secret_name(&self) -> String {
        format!("{}{}", super::SECRET_NAME_PREFIX, self.0)
    }

    /// What `token delete` accepts: a token ID, or a whole token (of which only the ID is kept).
    pub fn from_id_or_token(value: &str) -> Result<Self, TokenError> {
        if let Ok(id) = value.parse() {
            return Ok(id);
        }
        value
            .parse::<BootstrapToken>()
            .map(|t| t.id)
            .map_err(|_| TokenError::NotATokenOrId {
                shown: shown(value),
            })
    }
}

impl FromStr for TokenId {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_token_chars(s, ID_LEN) {
            Ok(TokenId(s.to_string()))
        } else {
            Err(TokenError::BadId {
                shown: shown(s),
                problem: chars_problem("the token ID", s, ID_LEN),
            })
        }
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bootstrap token. `Display` and `Debug` show the ID and hide the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct BootstrapToken {
    id: TokenId,
    secret: String,
}

impl BootstrapToken {
    /// A token from its two halves, as a token Secret stores them.
    pub fn from_parts(id: &str, secret: &str) -> Result<Self, TokenError> {
        format!("{id}.{secret}").parse()
    }

    /// A new random token from the operating system's generator, as kubeadm makes one.
    pub fn generate() -> Result<Self, TokenError> {
        let rng = SystemRandom::new();
        let chars = random_chars(ID_LEN + SECRET_LEN, |buf| rng.fill(buf))?;
        let (id, secret) = chars.split_at(ID_LEN);
        Ok(BootstrapToken {
            id: TokenId(id.to_string()),
            secret: secret.to_string(),
        })
    }

    pub fn id(&self) -> &TokenId {
        &self.id
    }

    /// The private half, for where it must be written (the token's Secret).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The whole token, `<id>.<secret>`, for where it is printed on purpose.
    pub fn expose(&self) -> String {
        format!("{}.{}", self.id, self.secret)
    }
}

/// Uniformly random characters of [`ALPHABET`]: bytes of 252 and above are drawn again, since
/// 252 is the largest multiple of 36 a byte holds.
fn random_chars(
    n: usize,
    mut fill: impl FnMut(&mut [u8]) -> Result<(), Unspecified>,
) -> Result<String, TokenError> {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 32];
    while out.len() < n {
        fill(&mut buf).map_err(|_| TokenError::Random)?;
        out.extend(
            buf.iter()
                .filter(|b| **b < 252)
                .map(|b| char::from(ALPHABET[usize::from(*b % 36)])),
        );
    }
    out.truncate(n);
    Ok(out)
}

impl FromStr for BootstrapToken {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem: String| TokenError::BadToken {
            shown: shown(s),
            problem,
        };
        if s.is_empty() {
            return Err(bad("it is empty".into()));
        }
        let Some((id, secret)) = s.split_once('.') else {
            return Err(bad(format!("it has no '.' (the form {TOKEN_FORM})")));
        };
        if !is_token_chars(id, ID_LEN) {
            return Err(bad(chars_problem("the token ID", id, ID_LEN)));
        }
        if !is_token_chars(secret, SECRET_LEN) {
            return Err(bad(chars_problem("the token secret", secret, SECRET_LEN)));
        }
        Ok(BootstrapToken {
            id: TokenId(id.to_string()),
            secret: secret.to_string(),
        })
    }
}

impl fmt::Display for BootstrapToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.<redacted>", self.id)
    }
}

impl fmt::Debug for BootstrapToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootstrapToken")
            .field("id", &self.id.0)
            .field("secret", &format_args!("<redacted>"))
            .finish()
    }
}

/// Says what is wrong with one half of a token without repeating it.
fn chars_problem(what: &str, part: &str, len: usize) -> String {
    let count = part.chars().count();
    if count != len {
        format!("{what} has {count} characters; expected {len} of [a-z0-9] (the form {TOKEN_FORM})")
    } else {
        format!("{what} has characters other than [a-z0-9] (the form {TOKEN_FORM})")
    }
}

/// A value as an error message may show it: whatever could be a token secret is withheld. The
/// part before a '.' is shown when it is short enough to be an ID, as is a short value without one.
pub(super) fn shown(value: &str) -> String {
    let part = |p: &str| {
        let n = p.chars().count();
        if n <= 8 {
            p.escape_debug().to_string()
        } else {
            format!("<{n} characters withheld>")
        }
    };
    match value.split_once('.') {
        Some((id, rest)) => format!(
            "\"{}.<{} characters withheld>\"",
            part(id),
            rest.chars().count()
        ),
        None => format!("\"{}\"", part(value)),
    }
}

#[cfg(test)]
mod tests;
