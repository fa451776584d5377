//! Decoding the Kubernetes protobuf bodies kubectl's typed clients send for built-in kinds
//! (`kubectl create configmap|secret|namespace|serviceaccount|role|clusterrolebinding ...` post
//! `application/vnd.kubernetes.protobuf`): the `k8s\0` envelope, `runtime.Unknown`, and the
//! messages of the kinds those commands create, with field numbers from upstream's
//! generated.proto. Other kinds are refused with a message that says to send JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// The four bytes before every Kubernetes protobuf object.
const MAGIC: &[u8] = b"k8s\0";

/// How a field's bytes become JSON.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Message(&'static [Field]),
    /// `map<string, string>`.
    StrMap,
    /// `map<string, bytes>`, base64 values.
    BytesMap,
}

#[derive(Clone, Copy)]
struct Field {
    number: u64,
    name: &'static str,
    kind: Kind,
    repeated: bool,
}

const fn one(number: u64, name: &'static str, kind: Kind) -> Field {
    Field {
        number,
        name,
        kind,
        repeated: false,
    }
}

const fn many(number: u64, name: &'static str, kind: Kind) -> Field {
    Field {
        number,
        name,
        kind,
        repeated: true,
    }
}

/// meta/v1 ObjectMeta: the fields a client sets on create (server-owned ones are ignored).
const OBJECT_META: &[Field] = &[
    one(1, "name", Kind::Str),
    one(2, "generateName", Kind::Str),
    one(3, "namespace", Kind::Str),
    one(5, "uid", Kind::Str),
    one(6, "resourceVersion", Kind::Str),
    one(11, "labels", Kind::StrMap),
    one(12, "annotations", Kind::StrMap),
    many(14, "finalizers", Kind::Str),
];
const CONFIG_MAP: &[Field] = &[
    one(1, "metadata", Kind::Message(OBJECT_META)),
    one(2, "data", Kind::StrMap),
    one(3, "binaryData", Kind::BytesMap),
    one(4, "immutable", Kind::Bool),
];
const SECRET: &[Field] = &[
    one(1, "metadata", Kind::Message(OBJECT_META)),
    one(2, "data", Kind::BytesMap),
    one(3, "type", Kind::Str),
    one(4, "stringData", Kind::StrMap),
    one(5, "immutable", Kind::Bool),
];
const NAMESPACE_SPEC: &[Field] = &[many(1, "finalizers", Kind::Str)];
const NAMESPACE: &[Field] = &[
    one(1, "metadata", Kind::Message(OBJECT_META)),
    one(2, "spec", Kind::Message(NAMESPACE_SPEC)),
];
const POLICY_RULE: &[Field] = &[
    many(1, "verbs", Kind::Str),
    many(2, "apiGroups", Kind::Str),
    many(3, "resources", Kind::Str),
    many(4, "resourceNames", Kind::Str),
    many(5, "nonResourceURLs", Kind::Str),
];
const ROLE: &[Field] = &[
    one(1, "metadata", Kind::Message(OBJECT_META)),
    many(2, "rules", Kind::Message(POLICY_RULE)),
];
const SUBJECT: &[Field] = &[
    one(1, "kind", Kind::Str),
    one(2, "apiGroup", Kind::Str),
    one(3, "name", Kind::Str),
    one(4, "namespace", Kind::Str),
];
const ROLE_REF: &[Field] = &[
    one(1, "apiGroup", Kind::Str),
    one(2, "kind", Kind::Str),
    one(3, "name", Kind::Str),
];
const SERVICE_ACCOUNT: &[Field] = &[
    one(1, "metadata", Kind::Message(OBJECT_META)),
    one(4, "automountServiceAccountToken", Kind::Bool),
];
const BINDING: &[Field] = &[
    one(1, "metadata", Kind::Message(OBJECT_META)),
    many(2, "subjects", Kind::Message(SUBJECT)),
    one(3, "roleRef", Kind::Message(ROLE_REF)),
];

/// The message of each kind whose protobuf form is understood.
fn message_of(api_version: &str, kind: &str) -> Option<&'static [Field]> {
    Some(match (api_version, kind) {
        ("v1", "ConfigMap") => CONFIG_MAP,
        ("v1", "Secret") => SECRET,
        ("v1", "Namespace") => NAMESPACE,
        ("v1", "ServiceAccount") => SERVICE_ACCOUNT,
        ("rbac.authorization.k8s.io/v1", "Role" | "ClusterRole") => ROLE,
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => BINDING,
        _ => return None,
    })
}

/// One field read off the wire.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// fixed32/fixed64: skipped, none of the decoded fields use them.
    Fixed,
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.buf.split_first().ok_or("truncated varint")?;
            self.buf = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.buf.len() < n {
            return Err(format!("field of {n} bytes runs past the end"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn next(&mut self) -> Result<Option<(u64, Wire<'a>)>, String> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let wire = match tag & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Wire::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed
            }
            other => return Err(format!("unsupported wire type {other}")),
        };
        Ok(Some((tag >> 3, wire)))
    }
}

fn text(bytes: &[u8], field: &str) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("{field} is not UTF-8"))
}

/// A map entry message: key = 1, value = 2.
fn map_entry(bytes: &[u8], binary: bool, field: &str) -> Result<(String, Value), String> {
    let mut reader = Reader { buf: bytes };
    let (mut key, mut value) = (String::new(), json!(""));
    while let Some((number, wire)) = reader.next()? {
        match (number, wire) {
            (1, Wire::Bytes(b)) => key = text(b, field)?,
            (2, Wire::Bytes(b)) if binary => value = json!(STANDARD.encode(b)),
            (2, Wire::Bytes(b)) => value = json!(text(b, field)?),
            _ => {}
        }
    }
    Ok((key, value))
}

fn message(bytes: &[u8], fields: &[Field]) -> Result<Value, String> {
    let mut out = Map::new();
    let mut reader = Reader { buf: bytes };
    while let Some((number, wire)) = reader.next()? {
        let Some(field) = fields.iter().find(|f| f.number == number) else {
            continue;
        };
        let value = match (field.kind, wire) {
            // Go writes every string field, set or not; JSON would have left the empty ones out.
            (Kind::Str, Wire::Bytes([])) if !field.repeated => continue,
            (Kind::Str, Wire::Bytes(b)) => json!(text(b, field.name)?),
            (Kind::Bool, Wire::Varint(v)) => json!(v != 0),
            (Kind::Message(inner), Wire::Bytes(b)) => message(b, inner)?,
            (Kind::StrMap | Kind::BytesMap, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b, matches!(field.kind, Kind::BytesMap), field.name)?;
                let map = out.entry(field.name).or_insert_with(|| json!({}));
                map[k] = v;
                continue;
            }
            _ => return Err(format!("field {} has an unexpected wire type", field.name)),
        };
        if field.repeated {
            let list = out.entry(field.name).or_insert_with(|| json!([]));
            if let Some(items) = list.as_array_mut() {
                items.push(value);
            }
        } else {
            out.insert(field.name.into(), value);
        }
    }
    Ok(Value::Object(out))
}

/// A protobuf request body as the JSON object it stands for.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let unknown = body
        .strip_prefix(MAGIC)
        .ok_or("the body does not start with the k8s protobuf magic bytes")?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    let mut reader = Reader { buf: unknown };
    while let Some((number, wire)) = reader.next()? {
        match (number, wire) {
            (1, Wire::Bytes(type_meta)) => {
                let mut tm = Reader { buf: type_meta };
                while let Some((n, w)) = tm.next()? {
                    match (n, w) {
                        (1, Wire::Bytes(b)) => api_version = text(b, "apiVersion")?,
                        (2, Wire::Bytes(b)) => kind = text(b, "kind")?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    let fields = message_of(&api_version, &kind).ok_or_else(|| {
        format!("protobuf bodies are not decoded for {api_version} {kind}; send it as JSON")
    })?;
    let mut object = message(raw, fields)?;
    object["apiVersion"] = json!(api_version);
    object["kind"] = json!(kind);
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3 | 2) as u8, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let type_meta = [field(1, api_version.as_bytes()), field(2, kind.as_bytes())].concat();
        [MAGIC.to_vec(), field(1, &type_meta), field(2, raw)].concat()
    }

    #[test]
    fn a_configmap_decodes_with_metadata_and_data() {
        let labels = [field(1, b"tier"), field(2, b"web")].concat();
        let meta = [
            field(1, b"demo"),
            field(3, b"kube-system"),
            field(11, &labels),
        ]
        .concat();
        let entry = [field(1, b"greeting"), field(2, b"hello")].concat();
        let raw = [field(1, &meta), field(2, &entry), vec![4 << 3, 1]].concat();
        let object = decode(&envelope("v1", "ConfigMap", &raw)).unwrap();
        assert_eq!(
            object,
            json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "demo", "namespace": "kube-system", "labels": {"tier": "web"}},
                "data": {"greeting": "hello"},
                "immutable": true,
            })
        );
    }

    #[test]
    fn empty_strings_are_left_out_as_json_would() {
        let meta = [field(1, b"s"), field(2, b"")].concat();
        let raw = [field(1, &meta), field(3, b"")].concat();
        let object = decode(&envelope("v1", "Secret", &raw)).unwrap();
        assert_eq!(object["metadata"], json!({"name": "s"}));
        assert!(object.get("type").is_none());
    }

    #[test]
    fn a_binding_decodes_repeated_subjects_and_its_role() {
        let subject = |name: &[u8]| field(2, &[field(1, b"Group"), field(3, name)].concat());
        let role_ref = field(
            3,
            &[field(2, b"ClusterRole"), field(3, b"cluster-admin")].concat(),
        );
        let raw = [
            field(1, &field(1, b"b")),
            subject(b"g1"),
            subject(b"g2"),
            role_ref,
        ]
        .concat();
        let object = decode(&envelope(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            &raw,
        ))
        .unwrap();
        assert_eq!(
            object["subjects"],
            json!([{"kind": "Group", "name": "g1"}, {"kind": "Group", "name": "g2"}])
        );
        assert_eq!(object["roleRef"]["name"], "cluster-admin");
    }

    #[test]
    fn bodies_that_are_not_understood_say_why() {
        assert!(decode(b"{}").unwrap_err().contains("magic"));
        let err = decode(&envelope("apps/v1", "Deployment", &[])).unwrap_err();
        assert!(err.contains("send it as JSON"), "{err}");
        let truncated = [MAGIC, &[0x0a, 0x05, b'x'][..]].concat();
        assert!(
            decode(&truncated)
                .unwrap_err()
                .contains("runs past the end")
        );
    }
}
