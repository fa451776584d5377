//! The detached JWS kube-controller-manager's bootstrapsigner puts on cluster-info: the compact
//! form `<header>..<signature>` with the payload (the `kubeconfig` value) left out, HS256 keyed
//! with the token secret, header `{"alg":"HS256","kid":"<token id>"}`.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::token::BootstrapToken;

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the signature is not a detached JWS: {0}")]
    Malformed(String),
    #[error("the signature names key {kid:?}, not token id {token_id:?}")]
    WrongKey { kid: String, token_id: String },
    #[error("the signature does not match the kubeconfig and the token secret")]
    Mismatch,
}

/// Checks `detached` over `payload` with the token's secret. The HMAC is compared in
/// constant time; the header must say HS256 and name the token's id.
pub fn verify_detached(
    detached: &str,
    payload: &str,
    token: &BootstrapToken,
) -> Result<(), JwsError> {
    let mut parts = detached.split('.');
    let (Some(header), Some(""), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed("expected <header>..<signature>".into()));
    };
    let header_json: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| JwsError::Malformed("the header is not base64url JSON".into()))?;
    match header_json.get("alg").and_then(Value::as_str) {
        Some("HS256") => {}
        other => {
            return Err(JwsError::Malformed(format!(
                "algorithm {other:?}, expected \"HS256\""
            )));
        }
    }
    let token_id = token.id().as_str();
    match header_json.get("kid").and_then(Value::as_str) {
        Some(kid) if kid == token_id => {}
        other => {
            return Err(JwsError::WrongKey {
                kid: other.unwrap_or_default().to_string(),
                token_id: token_id.to_string(),
            });
        }
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwsError::Malformed("the signature is not base64url".into()))?;
    verify_hs256(
        header,
        payload.as_bytes(),
        &signature,
        token.secret().as_bytes(),
    )
}

/// RFC 7515 HS256 over `<header>.<base64url(payload)>`.
fn verify_hs256(
    header_b64: &str,
    payload: &[u8],
    signature: &[u8],
    key: &[u8],
) -> Result<(), JwsError> {
    let signing_input = format!("{header_b64}.{}", URL_SAFE_NO_PAD.encode(payload));
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&key, signing_input.as_bytes(), signature).map_err(|_| JwsError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "abcdef.0123456789abcdef";
    const KUBECONFIG: &str =
        "apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.5:6443\n  name: \"\"\n";

    fn token() -> BootstrapToken {
        TOKEN.parse().unwrap()
    }

    /// Signs as the bootstrapsigner does (an HMAC computed here, not by the code under test).
    fn sign(header: &str, payload: &str, secret: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(header);
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
            input.as_bytes(),
        );
        format!("{header}..{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    fn good() -> String {
        sign(
            r#"{"alg":"HS256","kid":"abcdef"}"#,
            KUBECONFIG,
            "0123456789abcdef",
        )
    }

    #[test]
    fn hs256_matches_rfc_7515_appendix_a1() {
        let header = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
        let payload =
            b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let signature = URL_SAFE_NO_PAD
            .decode("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            .unwrap();
        assert_eq!(verify_hs256(header, payload, &signature, &key), Ok(()));
        assert_eq!(
            verify_hs256(header, b"{}", &signature, &key),
            Err(JwsError::Mismatch)
        );
    }

    #[test]
    fn kubeadms_header_for_token_abcdef_verifies() {
        // The header go-jose writes for kid "abcdef", as kubeadm's bootstrapsigner sends it.
        let jws = good();
        assert!(
            jws.starts_with("eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9.."),
            "{jws}"
        );
        assert_eq!(verify_detached(&jws, KUBECONFIG, &token()), Ok(()));
    }

    #[test]
    fn verification_cases() {
        let altered = KUBECONFIG.replace("10.0.0.5", "10.6.6.6");
        let wrong_secret = sign(
            r#"{"alg":"HS256","kid":"abcdef"}"#,
            KUBECONFIG,
            "0123456789abcdeX",
        );
        let other_kid = sign(
            r#"{"alg":"HS256","kid":"zzzzzz"}"#,
            KUBECONFIG,
            "0123456789abcdef",
        );
        let no_kid = sign(r#"{"alg":"HS256"}"#, KUBECONFIG, "0123456789abcdef");
        let alg_none = sign(
            r#"{"alg":"none","kid":"abcdef"}"#,
            KUBECONFIG,
            "0123456789abcdef",
        );
        let (header, signature) = good()
            .split_once("..")
            .map(|(h, s)| (h.to_string(), s.to_string()))
            .unwrap();
        let attached = format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(KUBECONFIG)
        );
        let truncated = format!("{header}..{}", &signature[..signature.len() - 3]);
        let mismatch = Err(JwsError::Mismatch);
        let malformed = |m: &str| Err(JwsError::Malformed(m.into()));
        // (case, signature, payload, expected)
        let cases: Vec<(&str, String, &str, Result<(), JwsError>)> = vec![
            ("good", good(), KUBECONFIG, Ok(())),
            (
                "payload altered after signing",
                good(),
                &altered,
                mismatch.clone(),
            ),
            (
                "payload with a trailing newline",
                good(),
                "x\n",
                mismatch.clone(),
            ),
            (
                "signed with another secret",
                wrong_secret,
                KUBECONFIG,
                mismatch.clone(),
            ),
            (
                "truncated signature",
                truncated,
                KUBECONFIG,
                mismatch.clone(),
            ),
            (
                "another token's key id",
                other_kid,
                KUBECONFIG,
                Err(JwsError::WrongKey {
                    kid: "zzzzzz".into(),
                    token_id: "abcdef".into(),
                }),
            ),
            (
                "no key id",
                no_kid,
                KUBECONFIG,
                Err(JwsError::WrongKey {
                    kid: String::new(),
                    token_id: "abcdef".into(),
                }),
            ),
            (
                "alg none",
                alg_none,
                KUBECONFIG,
                malformed("algorithm Some(\"none\"), expected \"HS256\""),
            ),
            (
                "payload attached",
                attached,
                KUBECONFIG,
                malformed("expected <header>..<signature>"),
            ),
            (
                "empty",
                String::new(),
                KUBECONFIG,
                malformed("expected <header>..<signature>"),
            ),
            (
                "one part",
                "abc".into(),
                KUBECONFIG,
                malformed("expected <header>..<signature>"),
            ),
            (
                "four parts",
                "a..b.c".into(),
                KUBECONFIG,
                malformed("expected <header>..<signature>"),
            ),
            (
                "header not base64",
                "!!!..abc".into(),
                KUBECONFIG,
                malformed("the header is not base64url JSON"),
            ),
            (
                "header not JSON",
                format!("{}..abc", URL_SAFE_NO_PAD.encode("alg=HS256")),
                KUBECONFIG,
                malformed("the header is not base64url JSON"),
            ),
            (
                "signature not base64url",
                format!("{header}..+/+/"),
                KUBECONFIG,
                malformed("the signature is not base64url"),
            ),
        ];
        for (case, jws, payload, expected) in cases {
            assert_eq!(verify_detached(&jws, payload, &token()), expected, "{case}");
        }
    }
}
