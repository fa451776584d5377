//! kube-controller-manager's bootstrapsigner: `kube-public/cluster-info` carries one
//! `jws-kubeconfig-<id>` per valid token that may sign, a detached JWS (HS256, key = token
//! secret) over the exact `kubeconfig` value; signatures of other tokens are dropped.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::super::resources;
use super::super::store::{Store, StoreError};
use super::super::token::TokenSecret;

pub const CLUSTER_INFO: &str = "cluster-info";
pub const JWS_KEY_PREFIX: &str = "jws-kubeconfig-";

/// `<header>..<signature>`: the compact JWS with its payload left out.
pub fn detached_jws(payload: &str, token_id: &str, token_secret: &str) -> String {
    let header = format!(r#"{{"alg":"HS256","kid":"{token_id}"}}"#);
    let (header, _, signature) = sign_hs256(
        header.as_bytes(),
        payload.as_bytes(),
        token_secret.as_bytes(),
    );
    format!("{header}..{signature}")
}

/// The three base64url parts of an HS256 JWS (header, payload, signature).
fn sign_hs256(header: &[u8], payload: &[u8], key: &[u8]) -> (String, String, String) {
    let header = URL_SAFE_NO_PAD.encode(header);
    let payload = URL_SAFE_NO_PAD.encode(payload);
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, format!("{header}.{payload}").as_bytes());
    (header, payload, URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

pub fn sync(store: &Store, now: OffsetDateTime) -> Result<(), StoreError> {
    let configmaps = resources::named("", "configmaps");
    let Some(cluster_info) = store.get(configmaps, "kube-public", CLUSTER_INFO) else {
        return Ok(());
    };
    let data = cluster_info
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let Some(kubeconfig) = data.get("kubeconfig").and_then(Value::as_str) else {
        return Ok(());
    };
    let mut wanted: Map<String, Value> = data
        .iter()
        .filter(|(k, _)| !k.starts_with(JWS_KEY_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let secrets = store.list(resources::named("", "secrets"), Some("kube-system"));
    for token in secrets.items.iter().filter_map(TokenSecret::from_secret) {
        if token.signing && !token.expired(now) {
            wanted.insert(
                format!("{JWS_KEY_PREFIX}{}", token.id),
                json!(detached_jws(kubeconfig, &token.id, &token.secret)),
            );
        }
    }
    if wanted == data {
        return Ok(());
    }
    let mut next = cluster_info;
    next["data"] = Value::Object(wanted);
    store
        .update(configmaps, "kube-public", CLUSTER_INFO, next)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_matches_rfc_7515_appendix_a1() {
        let header = b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
        let payload =
            b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let (h, p, s) = sign_hs256(header, payload, &key);
        assert_eq!(h, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
        assert_eq!(
            p,
            "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        );
        assert_eq!(s, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    }

    #[test]
    fn detached_jws_has_kubeadms_header_and_no_payload() {
        let jws = detached_jws("payload\n", "abcdef", "0123456789abcdef");
        let (header, signature) = jws.split_once("..").expect("detached form");
        // real-tools.md §7: the header kubeadm's discovery expects, `{"alg":"HS256","kid":"abcdef"}`.
        assert_eq!(header, "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9");
        assert_eq!(URL_SAFE_NO_PAD.decode(signature).unwrap().len(), 32);
    }
}
