use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use super::*;

fn store_with_token(data: &[(&str, &str)]) -> Store {
    let store = Store::new();
    super::super::policy::seed(&store).unwrap();
    let data: serde_json::Map<String, Value> = data
        .iter()
        .map(|(k, v)| (k.to_string(), json!(STANDARD.encode(v))))
        .collect();
    store
        .create(
            resources::named("", "secrets"),
            "kube-system",
            json!({
                "metadata": {"name": "bootstrap-token-abcdef"},
                "type": "bootstrap.kubernetes.io/token",
                "data": data,
            }),
        )
        .unwrap();
    store
}

const GOOD: [(&str, &str); 4] = [
    ("token-id", "abcdef"),
    ("token-secret", "0123456789abcdef"),
    ("usage-bootstrap-authentication", "true"),
    (
        "auth-extra-groups",
        "system:bootstrappers:kubeadm:default-node-token",
    ),
];

fn now() -> OffsetDateTime {
    OffsetDateTime::parse("2030-01-01T00:00:00Z", &Rfc3339).unwrap()
}

#[test]
fn no_credentials_is_anonymous() {
    let user = authenticate(None, None, &Store::new(), now()).unwrap();
    assert_eq!(user, UserInfo::anonymous());
    assert_eq!(user.groups, ["system:unauthenticated"]);
}

#[test]
fn a_valid_bootstrap_token_is_its_bootstrap_user() {
    let store = store_with_token(&GOOD);
    let user = authenticate(None, Some("Bearer abcdef.0123456789abcdef"), &store, now()).unwrap();
    let lower = authenticate(None, Some("bearer abcdef.0123456789abcdef"), &store, now()).unwrap();
    assert_eq!(lower, user, "the scheme is case-insensitive");
    assert_eq!(user.name, "system:bootstrap:abcdef");
    assert_eq!(
        user.groups,
        [
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
            "system:authenticated"
        ]
    );
}

#[test]
fn unusable_bearer_tokens_are_unauthorized_not_anonymous() {
    let expired = [GOOD.as_slice(), &[("expiration", "2029-12-31T23:59:59Z")]].concat();
    let no_auth_usage = [GOOD[0], GOOD[1], GOOD[3]];
    let cases = [
        (
            "wrong secret",
            GOOD.to_vec(),
            "Bearer abcdef.0123456789abcdee",
        ),
        ("malformed", GOOD.to_vec(), "Bearer not-a-token"),
        (
            "not a bearer token",
            GOOD.to_vec(),
            "Basic YWRtaW46YWRtaW4=",
        ),
        (
            "unknown id",
            GOOD.to_vec(),
            "Bearer zzzzzz.0123456789abcdef",
        ),
        ("expired", expired, "Bearer abcdef.0123456789abcdef"),
        (
            "no authentication usage",
            no_auth_usage.to_vec(),
            "Bearer abcdef.0123456789abcdef",
        ),
    ];
    for (case, data, header) in cases {
        let store = store_with_token(&data);
        assert_eq!(
            authenticate(None, Some(header), &store, now()),
            Err(Unauthorized),
            "{case}"
        );
    }
}

#[test]
fn a_client_certificate_names_user_and_groups() {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kubernetes-admin");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "kubeadm:cluster-admins");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let user = UserInfo::from_client_cert(cert.der()).unwrap();
    assert_eq!(user.name, "kubernetes-admin");
    assert_eq!(
        user.groups,
        ["kubeadm:cluster-admins", "system:authenticated"]
    );
    let chosen = authenticate(
        Some(&user),
        Some("Bearer abcdef.0123456789abcdef"),
        &Store::new(),
        now(),
    );
    assert_eq!(chosen, Ok(user), "the certificate wins over a token");
}
