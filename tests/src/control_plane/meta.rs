//! Reading and writing object metadata in JSON, and the values the server generates for it.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::resources::{RBAC_GROUP, ResourceType};
use super::store::StoreError;

/// `metadata.name`, when set and non-empty.
pub fn name(object: &Value) -> Option<&str> {
    str_field(object, "/metadata/name").filter(|n| !n.is_empty())
}

pub fn namespace(object: &Value) -> Option<&str> {
    str_field(object, "/metadata/namespace").filter(|n| !n.is_empty())
}

pub fn resource_version(object: &Value) -> Option<&str> {
    str_field(object, "/metadata/resourceVersion")
}

/// A string at a JSON pointer.
pub fn str_field<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

/// The labels as a map (empty when there are none).
pub fn labels(object: &Value) -> Map<String, Value> {
    object
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `metadata`, created when missing; `object` must be a JSON object.
pub fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    let map = object.as_object_mut().expect("made an object above");
    let metadata = map.entry("metadata").or_insert_with(|| json!({}));
    if !metadata.is_object() {
        *metadata = json!({});
    }
    metadata.as_object_mut().expect("made an object above")
}

/// A timestamp as Kubernetes writes them: RFC 3339, UTC, whole seconds.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .expect("zero nanoseconds is valid")
        .format(&Rfc3339)
        .expect("a UTC time formats as RFC 3339")
}

pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    bytes
}

/// A random (version 4) UUID, the form of `metadata.uid`.
pub fn new_uid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The five characters kube-apiserver appends to a `generateName` prefix.
pub fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    random_bytes::<5>()
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Name rules as kube-apiserver applies them: RBAC objects take any path segment, namespaces
/// and services a DNS label, everything else a DNS subdomain.
pub fn validate_name(resource: &ResourceType, name: &str) -> Result<(), StoreError> {
    let problem = if resource.group == RBAC_GROUP {
        path_segment_problem(name)
    } else if matches!(resource.plural, "namespaces" | "services") {
        dns_label_problem(name)
    } else {
        dns_subdomain_problem(name)
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(StoreError::Invalid(format!(
            "{} \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": {why}",
            resource.kind
        ))),
    }
}

fn path_segment_problem(name: &str) -> Option<String> {
    if name == "." || name == ".." {
        return Some(format!("may not be '{name}'"));
    }
    ["/", "%"]
        .iter()
        .find(|c| name.contains(**c))
        .map(|c| format!("may not contain '{c}'"))
}

fn label_ok(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn dns_label_problem(name: &str) -> Option<String> {
    (!label_ok(name)).then(|| {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character".to_string()
    })
}

fn dns_subdomain_problem(name: &str) -> Option<String> {
    (name.len() > 253 || !name.split('.').all(label_ok)).then(|| {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".to_string()
    })
}
