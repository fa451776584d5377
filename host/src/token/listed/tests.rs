use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;
use crate::config::v1beta4;

fn secret(name: &str, data: &[(&str, &str)]) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("kube-system".into()),
            ..Default::default()
        },
        type_: Some(SECRET_TYPE.into()),
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Default::default()
    }
}

#[test]
fn a_created_secret_reads_back_as_the_token_it_was_made_from() {
    let now: Timestamp = "2030-01-02T03:04:05Z".parse().unwrap();
    let spec = TokenSpec::from_config(&v1beta4::BootstrapToken {
        token: "abcdef.0123456789abcdef".into(),
        description: "workers".into(),
        groups: vec![
            "system:bootstrappers:a".into(),
            "system:bootstrappers:b".into(),
        ],
        ..Default::default()
    })
    .unwrap();
    let listed = ListedToken::from_secret(&spec.to_secret(now).unwrap()).unwrap();
    assert_eq!(listed.token, spec.token);
    assert_eq!(listed.description, "workers");
    assert_eq!(
        listed.expires.map(|e| e.text()).as_deref(),
        Some("2030-01-03T03:04:05Z")
    );
    assert_eq!(listed.usages, ["authentication", "signing"]);
    assert_eq!(
        listed.groups,
        ["system:bootstrappers:a", "system:bootstrappers:b"]
    );
}

#[test]
fn usages_are_every_true_usage_key_sorted_and_groups_split_as_kubeadm_splits_them() {
    let listed = ListedToken::from_secret(&secret(
        "bootstrap-token-abcdef",
        &[
            ("token-id", "abcdef"),
            ("token-secret", "0123456789abcdef"),
            ("usage-bootstrap-signing", "true"),
            ("usage-bootstrap-authentication", "false"),
            ("usage-bootstrap-other", "true"),
            ("auth-extra-groups", ",system:bootstrappers:x"),
        ],
    ))
    .unwrap();
    assert_eq!(listed.usages, ["other", "signing"]);
    assert!(listed.groups.is_empty(), "{:?}", listed.groups);
    assert_eq!(listed.expires, None);
    assert_eq!(listed.description, "");
}

#[test]
fn secrets_that_are_not_valid_tokens_are_refused_with_kubeadms_reasons() {
    let good_secret = ("token-secret", "0123456789abcdef");
    let cases: Vec<(&str, Secret, &str)> = vec![
        (
            "no token-id",
            secret("bootstrap-token-abcdef", &[good_secret]),
            "bootstrap Token Secret has no token-id data: bootstrap-token-abcdef",
        ),
        (
            "name does not match the id",
            secret(
                "bootstrap-token-zzzzzz",
                &[("token-id", "abcdef"), good_secret],
            ),
            "bootstrap token name is not of the form 'bootstrap-token-(token-id)'. Actual: \
             \"bootstrap-token-zzzzzz\". Expected: \"bootstrap-token-abcdef\"",
        ),
        (
            "no token-secret",
            secret("bootstrap-token-abcdef", &[("token-id", "abcdef")]),
            "bootstrap Token Secret has no token-secret data: bootstrap-token-abcdef",
        ),
        (
            "malformed secret",
            secret(
                "bootstrap-token-abcdef",
                &[("token-id", "abcdef"), ("token-secret", "NOTLOWERCASE0123")],
            ),
            "bootstrap Token Secret bootstrap-token-abcdef is invalid and couldn't be parsed: \
             invalid bootstrap token \"abcdef.<16 characters withheld>\"",
        ),
        (
            "bad expiration",
            secret(
                "bootstrap-token-abcdef",
                &[
                    ("token-id", "abcdef"),
                    good_secret,
                    ("expiration", "tomorrow"),
                ],
            ),
            "can't parse expiration time of bootstrap token \"bootstrap-token-abcdef\": \
             \"tomorrow\" is not an RFC 3339 time",
        ),
    ];
    for (case, secret, message) in cases {
        let err = ListedToken::from_secret(&secret).unwrap_err().to_string();
        assert!(err.starts_with(message), "{case}: {err}");
        assert!(!err.contains("NOTLOWERCASE0123"), "{case} leaks: {err}");
    }
}

#[test]
fn expirations_keep_the_offset_they_were_written_in() {
    for (written, shown, utc) in [
        (
            "2030-01-02T03:04:05Z",
            "2030-01-02T03:04:05Z",
            "2030-01-02T03:04:05Z",
        ),
        (
            "2030-01-02T05:04:05+02:00",
            "2030-01-02T05:04:05+02:00",
            "2030-01-02T03:04:05Z",
        ),
        (
            "2030-01-01T22:34:05-04:30",
            "2030-01-01T22:34:05-04:30",
            "2030-01-02T03:04:05Z",
        ),
        (
            "2030-01-02T03:04:05+00:00",
            "2030-01-02T03:04:05Z",
            "2030-01-02T03:04:05Z",
        ),
        (
            "2030-01-02T03:04:05.999Z",
            "2030-01-02T03:04:05Z",
            "2030-01-02T03:04:05Z",
        ),
    ] {
        let e = Expiration::parse(written).unwrap();
        assert_eq!(e.text(), shown, "{written}");
        assert_eq!(super::super::spec::format_rfc3339(e.at), utc, "{written}");
    }
}
