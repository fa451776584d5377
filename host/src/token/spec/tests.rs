use super::*;

const TOKEN: &str = "abcdef.0123456789abcdef";

fn now() -> Timestamp {
    "2030-01-02T03:04:05Z".parse().unwrap()
}

fn config(f: impl FnOnce(&mut v1beta4::BootstrapToken)) -> v1beta4::BootstrapToken {
    let mut t = v1beta4::BootstrapToken {
        token: TOKEN.into(),
        ..Default::default()
    };
    f(&mut t);
    t
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn data(secret: &Secret) -> Vec<(String, String)> {
    secret
        .data
        .as_ref()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), String::from_utf8(v.0.clone()).unwrap()))
        .collect()
}

#[test]
fn unset_fields_take_kubeadms_defaults() {
    let spec = TokenSpec::from_config(&config(|_| {})).unwrap();
    assert_eq!(spec.token.expose(), TOKEN);
    assert_eq!(spec.description, "");
    assert_eq!(spec.expiry, Expiry::After(Duration::from_secs(86400)));
    assert_eq!(spec.usages, vec![Usage::Signing, Usage::Authentication]);
    assert_eq!(
        spec.groups,
        vec!["system:bootstrappers:kubeadm:default-node-token"]
    );
}

#[test]
fn usages_groups_and_lifetimes_are_checked_as_kubeadm_checks_them() {
    type Edit = fn(&mut v1beta4::BootstrapToken);
    // (case, edit, Ok(expiry) or Err(message))
    let cases: Vec<(&str, Edit, Result<Expiry, &str>)> = vec![
        (
            "ttl 0 never expires",
            |t| t.ttl = Some(GoDuration::from_secs(0)),
            Ok(Expiry::Never),
        ),
        (
            "ttl 2h",
            |t| t.ttl = Some(GoDuration::hours(2)),
            Ok(Expiry::After(Duration::from_secs(7200))),
        ),
        (
            "expires",
            |t| t.expires = Some("2031-05-06T07:08:09Z".into()),
            Ok(Expiry::At("2031-05-06T07:08:09Z".parse().unwrap())),
        ),
        (
            "expires wins over ttl",
            |t| {
                t.ttl = Some(GoDuration::hours(2));
                t.expires = Some("2031-05-06T09:08:09+02:00".into());
            },
            Ok(Expiry::At("2031-05-06T07:08:09Z".parse().unwrap())),
        ),
        (
            "expires that is not RFC 3339",
            |t| t.expires = Some("2031-05-06 07:08:09".into()),
            Err("invalid token expiration \"2031-05-06 07:08:09\": expected an RFC 3339 time"),
        ),
        (
            "both usages, either order",
            |t| t.usages = strings(&["authentication", "signing"]),
            Ok(Expiry::After(DEFAULT_TTL)),
        ),
        (
            "unknown usages, all named, sorted",
            |t| t.usages = strings(&["signing", "sign", "auth", "auth"]),
            Err(
                "invalid bootstrap token usage string: auth,sign, valid usage options: signing,authentication",
            ),
        ),
        (
            "signing only still has the default group",
            |t| t.usages = strings(&["signing"]),
            Err("token groups cannot be specified unless --usages includes \"authentication\""),
        ),
        (
            "extra group",
            |t| t.groups = strings(&["system:bootstrappers:my-nodes:2"]),
            Ok(Expiry::After(DEFAULT_TTL)),
        ),
        (
            "group outside system:bootstrappers",
            |t| t.groups = strings(&["system:masters"]),
            Err(
                r#"bootstrap group "system:masters" is invalid (must match \Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z)"#,
            ),
        ),
        (
            "group ending in a colon",
            |t| t.groups = strings(&["system:bootstrappers:x:"]),
            Err(r#"bootstrap group "system:bootstrappers:x:" is invalid"#),
        ),
        (
            "group with upper case",
            |t| t.groups = strings(&["system:bootstrappers:Nodes"]),
            Err(r#"bootstrap group "system:bootstrappers:Nodes" is invalid"#),
        ),
        (
            "bad token",
            |t| t.token = "abcdef.short".into(),
            Err("invalid bootstrap token \"abcdef.<5 characters withheld>\""),
        ),
        (
            "no token",
            |t| t.token = String::new(),
            Err("invalid bootstrap token \"\": it is empty"),
        ),
    ];
    for (case, edit, expected) in cases {
        let got = TokenSpec::from_config(&config(edit));
        match (got, expected) {
            (Ok(spec), Ok(expiry)) => assert_eq!(spec.expiry, expiry, "{case}"),
            (Err(e), Err(message)) => {
                let text = e.to_string();
                assert!(text.starts_with(message), "{case}: {text}");
                assert!(!text.contains("0123456789abcdef"), "{case} leaks: {text}");
            }
            (got, expected) => panic!("{case}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn ttl_flags_parse_as_go_durations() {
    for (text, secs) in [
        ("24h0m0s", 86400),
        ("2h", 7200),
        ("90m", 5400),
        ("0", 0),
        ("1s", 1),
    ] {
        assert_eq!(parse_ttl(text).unwrap().0.as_secs(), secs, "{text}");
    }
    for bad in ["1d", "", "-1h", "forever", "24"] {
        let err = parse_ttl(bad).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("invalid token TTL {bad:?}")),
            "{err}"
        );
    }
}

#[test]
fn the_secret_holds_exactly_kubeadms_keys() {
    let spec = TokenSpec::from_config(&config(|t| {
        t.description = "for the workers".into();
        t.groups = strings(&[
            "system:bootstrappers:kubeadm:default-node-token",
            "system:bootstrappers:workers",
        ]);
    }))
    .unwrap();
    let secret = spec.to_secret(now()).unwrap();
    assert_eq!(
        secret.metadata.name.as_deref(),
        Some("bootstrap-token-abcdef")
    );
    assert_eq!(secret.metadata.namespace.as_deref(), Some("kube-system"));
    assert_eq!(
        secret.type_.as_deref(),
        Some("bootstrap.kubernetes.io/token")
    );
    let expected: Vec<(String, String)> = [
        (
            "auth-extra-groups",
            "system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:workers",
        ),
        ("description", "for the workers"),
        ("expiration", "2030-01-03T03:04:05Z"),
        ("token-id", "abcdef"),
        ("token-secret", "0123456789abcdef"),
        ("usage-bootstrap-authentication", "true"),
        ("usage-bootstrap-signing", "true"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(data(&secret), expected);
}

#[test]
fn expiration_follows_the_lifetime() {
    let with = |expiry: Expiry| {
        let spec = TokenSpec {
            expiry,
            ..TokenSpec::from_config(&config(|_| {})).unwrap()
        };
        data(&spec.to_secret(now()).unwrap())
            .into_iter()
            .find(|(k, _)| k == "expiration")
            .map(|(_, v)| v)
    };
    assert_eq!(with(Expiry::Never), None);
    assert_eq!(
        with(Expiry::After(Duration::from_millis(1500))).as_deref(),
        Some("2030-01-02T03:04:06Z"),
        "whole seconds, truncated as Go's RFC3339 layout does"
    );
    assert_eq!(
        with(Expiry::At("2031-05-06T09:08:09+02:00".parse().unwrap())).as_deref(),
        Some("2031-05-06T07:08:09Z"),
        "written in UTC"
    );
    let far = TokenSpec {
        expiry: Expiry::After(Duration::from_secs(10_000 * 365 * 86400)),
        ..TokenSpec::from_config(&config(|_| {})).unwrap()
    };
    assert!(matches!(
        far.to_secret(now()),
        Err(TokenError::ExpiryOutOfRange { .. })
    ));
}

#[test]
fn a_token_without_usages_or_groups_has_no_such_keys() {
    let spec = TokenSpec {
        token: TOKEN.parse().unwrap(),
        description: String::new(),
        expiry: Expiry::Never,
        usages: Vec::new(),
        groups: Vec::new(),
    };
    let keys: Vec<String> = data(&spec.to_secret(now()).unwrap())
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["token-id", "token-secret"]);
}
