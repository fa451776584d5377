//! Label selectors (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`) and the field selectors kubectl
//! sends (`metadata.name=x`, `metadata.namespace=y`), as list requests carry them.

use serde_json::Value;

use super::meta;

/// Why a selector did not parse; answered with 400 BadRequest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unable to parse requirement: {requirement:?}: {why}")]
pub struct SelectorError {
    requirement: String,
    why: &'static str,
}

#[derive(Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A parsed label selector; empty matches everything.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

/// Splits on commas outside parentheses (`a in (x,y),b` is two requirements).
fn split_requirements(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect()
}

fn set_values(requirement: &str, rest: &str) -> Result<Vec<String>, SelectorError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| SelectorError {
            requirement: requirement.to_string(),
            why: "set values must be in parentheses",
        })?;
    Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
}

fn key_ok(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut out = Vec::new();
        for req in split_requirements(text) {
            let bad = |why| SelectorError {
                requirement: req.to_string(),
                why,
            };
            let parsed = if let Some((k, v)) = req.split_once("!=") {
                Requirement::NotEquals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
                Requirement::Equals(k.trim().into(), v.trim().into())
            } else if let Some(k) = req.strip_prefix('!') {
                Requirement::NotExists(k.trim().into())
            } else if let Some((k, rest)) = req.split_once(" notin ") {
                Requirement::NotIn(k.trim().into(), set_values(req, rest)?)
            } else if let Some((k, rest)) = req.split_once(" in ") {
                Requirement::In(k.trim().into(), set_values(req, rest)?)
            } else {
                Requirement::Exists(req.into())
            };
            let key = match &parsed {
                Requirement::Equals(k, _)
                | Requirement::NotEquals(k, _)
                | Requirement::Exists(k)
                | Requirement::NotExists(k)
                | Requirement::In(k, _)
                | Requirement::NotIn(k, _) => k,
            };
            if !key_ok(key) {
                return Err(bad("invalid label key"));
            }
            out.push(parsed);
        }
        Ok(LabelSelector(out))
    }

    pub fn matches(&self, object: &Value) -> bool {
        let labels = meta::labels(object);
        let value = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => value(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => value(k) != Some(v.as_str()),
            Requirement::Exists(k) => value(k).is_some(),
            Requirement::NotExists(k) => value(k).is_none(),
            Requirement::In(k, vs) => value(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Requirement::NotIn(k, vs) => value(k).is_none_or(|v| vs.iter().all(|x| x != v)),
        })
    }
}

/// A field selector over the fields kube-apiserver indexes: `metadata.name` and
/// `metadata.namespace` for every kind, plus a few per kind (`type` of a Secret, which
/// `kubeadm token list` selects on).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

/// The extra fields a resource can be selected on.
fn kind_fields(plural: &str) -> &'static [&'static str] {
    match plural {
        "secrets" => &["type"],
        "certificatesigningrequests" => &["spec.signerName"],
        "nodes" => &["spec.unschedulable"],
        "namespaces" => &["status.phase"],
        _ => &[],
    }
}

impl FieldSelector {
    /// Parses a selector for the resource named `plural`.
    pub fn parse(text: &str, plural: &str) -> Result<Self, SelectorError> {
        let mut out = Vec::new();
        for req in split_requirements(text) {
            let (field, equal, value) = if let Some((f, v)) = req.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
                (f, true, v)
            } else {
                return Err(SelectorError {
                    requirement: req.to_string(),
                    why: "field selectors need = or !=",
                });
            };
            let field = field.trim();
            if !matches!(field, "metadata.name" | "metadata.namespace")
                && !kind_fields(plural).contains(&field)
            {
                return Err(SelectorError {
                    requirement: req.to_string(),
                    why: "field label not supported",
                });
            }
            out.push((field.to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector(out))
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let pointer = format!("/{}", field.replace('.', "/"));
            let actual = match object.pointer(&pointer) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => String::new(),
            };
            (actual == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(labels: Value) -> Value {
        json!({"metadata": {"name": "n", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn label_selectors_match_as_kubernetes_defines_them() {
        let obj = object(json!({"a": "b", "e": "", "tier": "web"}));
        let cases = [
            ("", true),
            ("a=b", true),
            ("a==b", true),
            ("a=c", false),
            ("c!=d", true),
            ("a!=b", false),
            ("e", true),
            ("missing", false),
            ("!missing", true),
            ("!a", false),
            ("a=b,c!=d,e", true),
            ("a=b,c!=d,missing", false),
            ("tier in (web,db)", true),
            ("tier in (db)", false),
            ("tier notin (db)", true),
            ("missing notin (db)", true),
            ("tier notin (web), a=b", false),
        ];
        for (selector, want) in cases {
            let parsed = LabelSelector::parse(selector).unwrap();
            assert_eq!(parsed.matches(&obj), want, "{selector:?}");
        }
    }

    #[test]
    fn malformed_label_selectors_are_rejected() {
        for selector in ["a in x", "a b=c", "=b"] {
            assert!(LabelSelector::parse(selector).is_err(), "{selector:?}");
        }
    }

    #[test]
    fn field_selectors_match_name_and_namespace() {
        let obj = object(json!({}));
        let cases = [
            ("metadata.name=n", true),
            ("metadata.name=m", false),
            ("metadata.name!=m,metadata.namespace=ns", true),
            ("metadata.namespace==other", false),
        ];
        for (selector, want) in cases {
            assert_eq!(
                FieldSelector::parse(selector, "configmaps")
                    .unwrap()
                    .matches(&obj),
                want,
                "{selector:?}"
            );
        }
        assert!(FieldSelector::parse("spec.nodeName=x", "configmaps").is_err());
    }

    #[test]
    fn secrets_select_on_their_type_as_kubeadm_token_list_does() {
        let token = json!({"metadata": {"name": "t"}, "type": "bootstrap.kubernetes.io/token"});
        let opaque = json!({"metadata": {"name": "o"}, "type": "Opaque"});
        let selector =
            FieldSelector::parse("type=bootstrap.kubernetes.io/token", "secrets").unwrap();
        assert!(selector.matches(&token));
        assert!(!selector.matches(&opaque));
        assert!(FieldSelector::parse("type=x", "configmaps").is_err());
    }
}
