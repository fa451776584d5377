use std::sync::Arc;

use super::*;
use crate::events::{Events, Recorder};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn flags_become_a_token_as_kubeadm_reads_them() {
    let spec = spec_from_flags(
        Some("abcdef.0123456789abcdef"),
        "2h",
        &strings(&["authentication"]),
        Some(&strings(&["system:bootstrappers:workers"])),
        "workers",
    )
    .unwrap();
    assert_eq!(spec.token.expose(), "abcdef.0123456789abcdef");
    assert_eq!(
        spec.expiry,
        Expiry::After(std::time::Duration::from_secs(7200))
    );
    assert_eq!(spec.usages, [Usage::Authentication]);
    assert_eq!(spec.groups, ["system:bootstrappers:workers"]);
    assert_eq!(spec.description, "workers");

    // No token: a new one; empty lists: kubeadm's defaults; "0": never expires.
    let spec = spec_from_flags(None, "0", &[], None, "").unwrap();
    assert_eq!(spec.expiry, Expiry::Never);
    assert_eq!(spec.usages, Usage::DEFAULT);
    assert_eq!(
        spec.groups,
        ["system:bootstrappers:kubeadm:default-node-token"]
    );
    assert_ne!(
        spec.token,
        spec_from_flags(None, "0", &[], None, "").unwrap().token
    );
}

#[test]
fn an_explicitly_empty_group_list_makes_a_signing_only_token() {
    let signing = strings(&["signing"]);
    let spec = spec_from_flags(None, "1h", &signing, Some(&[]), "").unwrap();
    assert_eq!((spec.usages, spec.groups), (vec![Usage::Signing], vec![]));
    // Without groups given, kubeadm's default group needs authentication.
    let err = spec_from_flags(None, "1h", &signing, None, "").unwrap_err();
    assert!(err.to_string().contains("--usages includes"), "{err}");
}

#[test]
fn flags_are_checked_token_first() {
    for (token, ttl, usages, message) in [
        (
            Some("bad"),
            "1d",
            &["x"][..],
            "invalid bootstrap token \"bad\"",
        ),
        (None, "1d", &["x"][..], "invalid token TTL \"1d\""),
        (
            None,
            "1h",
            &["x"][..],
            "invalid bootstrap token usage string: x",
        ),
    ] {
        let err = spec_from_flags(token, ttl, &strings(usages), None, "").unwrap_err();
        assert!(err.to_string().starts_with(message), "{err}");
    }
}

#[test]
fn a_dry_run_shows_the_token_secret_without_its_values() {
    let recorder = Arc::new(Recorder::default());
    let cluster = Cluster::dry_run(Events::new(recorder.clone()));
    let spec = spec_from_flags(Some("abcdef.0123456789abcdef"), "24h", &[], None, "").unwrap();
    create_tokens(&cluster, &[spec], "2030-01-02T03:04:05Z".parse().unwrap()).unwrap();
    let events = format!("{:?}", recorder.take());
    assert!(
        events.contains("name: \"bootstrap-token-abcdef\""),
        "{events}"
    );
    assert!(!events.contains("0123456789abcdef"), "{events}");
    assert!(
        !events.contains("MDEyMzQ1Njc4OWFiY2RlZg"),
        "base64 of the secret: {events}"
    );
    assert!(list_tokens(&cluster).unwrap().tokens.is_empty());
    delete_token(&cluster, &"abcdef".parse().unwrap()).unwrap();
}
