//! Kubernetes strategic merge patch on JSON values: maps merge, `null` deletes, lists
//! merge by key or as sets where the API type says so and are replaced otherwise;
//! `$patch`, `$retainKeys`, `$deleteFromPrimitiveList/` and `$setElementOrder/` directives.

use serde_json::{Map, Value};

/// How a list field is patched, from the `patchStrategy`/`patchMergeKey` tags of its API type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch's list replaces the original (lists without a patch strategy).
    Replace,
    /// Items are objects identified by this field; matching items merge, new ones are added.
    MergeByKey(&'static str),
    /// Items are scalars merged as a set (such as `metadata.finalizers`).
    MergeSet,
}

/// The strategy of the list at a field path (object keys from the root, no indices).
pub type ListStrategies = fn(&[&str]) -> ListStrategy;

/// A patch that cannot be applied, with the field path it failed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StrategicError {
    pub path: String,
    pub message: String,
}

/// For targets whose type has no merge keys (component configs): every list is replaced.
pub fn no_merge_keys(_: &[&str]) -> ListStrategy {
    ListStrategy::Replace
}

/// core/v1 Pod.
pub fn pod_lists(path: &[&str]) -> ListStrategy {
    match path {
        ["metadata", "finalizers"] => ListStrategy::MergeSet,
        ["metadata", "ownerReferences"] => ListStrategy::MergeByKey("uid"),
        ["spec", rest @ ..] => pod_spec_lists(rest),
        _ => ListStrategy::Replace,
    }
}

/// core/v1 PodSpec, also inside workload templates.
pub fn pod_spec_lists(path: &[&str]) -> ListStrategy {
    match path {
        ["containers" | "initContainers" | "ephemeralContainers"] => {
            ListStrategy::MergeByKey("name")
        }
        [
            "containers" | "initContainers" | "ephemeralContainers",
            rest @ ..,
        ] => container_lists(rest),
        ["volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims"] => {
            ListStrategy::MergeByKey("name")
        }
        ["hostAliases"] => ListStrategy::MergeByKey("ip"),
        ["topologySpreadConstraints"] => ListStrategy::MergeByKey("topologyKey"),
        _ => ListStrategy::Replace,
    }
}

fn container_lists(path: &[&str]) -> ListStrategy {
    match path {
        ["ports"] => ListStrategy::MergeByKey("containerPort"),
        ["env"] => ListStrategy::MergeByKey("name"),
        ["volumeMounts"] => ListStrategy::MergeByKey("mountPath"),
        ["volumeDevices"] => ListStrategy::MergeByKey("devicePath"),
        _ => ListStrategy::Replace,
    }
}

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";

/// Applies a strategic merge patch to `original`.
pub fn strategic_merge(
    original: &Value,
    patch: &Value,
    lists: ListStrategies,
) -> Result<Value, StrategicError> {
    let mut merger = Merger {
        lists,
        path: Vec::new(),
    };
    match (original, patch) {
        (Value::Object(o), Value::Object(p)) => Ok(match merger.map(o, p)? {
            Merged::Keep(v) => v,
            Merged::Delete => Value::Object(Map::new()),
        }),
        (_, Value::Object(_)) => Err(merger.error("the patch target is not an object")),
        _ => Err(merger.error("a strategic merge patch must be an object")),
    }
}

enum Merged {
    Keep(Value),
    Delete,
}

struct Merger {
    lists: ListStrategies,
    path: Vec<String>,
}

impl Merger {
    fn error(&self, message: impl Into<String>) -> StrategicError {
        StrategicError {
            path: if self.path.is_empty() {
                "<root>".into()
            } else {
                self.path.join(".")
            },
            message: message.into(),
        }
    }

    fn strategy(&self) -> ListStrategy {
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        (self.lists)(&path)
    }

    fn map(
        &mut self,
        original: &Map<String, Value>,
        patch: &Map<String, Value>,
    ) -> Result<Merged, StrategicError> {
        match patch.get(PATCH) {
            None => {}
            Some(Value::String(d)) if d == "merge" => {}
            Some(Value::String(d)) if d == "delete" => return Ok(Merged::Delete),
            Some(Value::String(d)) if d == "replace" => {
                let mut replacement = patch.clone();
                replacement.remove(PATCH);
                return Ok(Merged::Keep(Value::Object(replacement)));
            }
            Some(other) => return Err(self.error(format!("unknown $patch directive {other}"))),
        }
        let mut result = original.clone();
        if let Some(retain) = patch.get(RETAIN_KEYS) {
            let keys = retain
                .as_array()
                .filter(|a| a.iter().all(Value::is_string))
                .ok_or_else(|| self.error("$retainKeys must be a list of field names"))?;
            result.retain(|k, _| keys.iter().any(|key| key == k));
        }
        for (key, value) in patch {
            if key == PATCH || key == RETAIN_KEYS {
                continue;
            }
            if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
                self.delete_from_primitive_list(&mut result, field, value)?;
                continue;
            }
            if let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) {
                if !patch.contains_key(field) {
                    self.path.push(field.to_string());
                    let reordered = match result.get(field) {
                        Some(Value::Array(items)) if self.strategy() != ListStrategy::Replace => {
                            Some(self.list(items, &[], Some(value))?)
                        }
                        _ => None,
                    };
                    self.path.pop();
                    if let Some(items) = reordered {
                        result.insert(field.to_string(), items);
                    }
                }
                continue;
            }
            if key.starts_with('$') {
                return Err(self.error(format!("unknown directive {key}")));
            }
            if value.is_null() {
                result.remove(key);
                continue;
            }
            self.path.push(key.clone());
            let order = patch.get(&format!("{SET_ELEMENT_ORDER}{key}"));
            let merged = match (result.get(key), value) {
                (Some(Value::Object(o)), Value::Object(p)) => self.map(o, p)?,
                (None, Value::Object(p)) => self.map(&Map::new(), p)?,
                (Some(Value::Array(o)), Value::Array(p)) => Merged::Keep(self.list(o, p, order)?),
                (None, Value::Array(p)) => Merged::Keep(self.list(&[], p, order)?),
                (_, v) => Merged::Keep(v.clone()),
            };
            self.path.pop();
            match merged {
                Merged::Keep(v) => {
                    result.insert(key.clone(), v);
                }
                Merged::Delete => {
                    result.remove(key);
                }
            }
        }
        Ok(Merged::Keep(Value::Object(result)))
    }

    fn delete_from_primitive_list(
        &self,
        result: &mut Map<String, Value>,
        field: &str,
        values: &Value,
    ) -> Result<(), StrategicError> {
        let values = values.as_array().ok_or_else(|| {
            self.error(format!(
                "{DELETE_FROM_PRIMITIVE_LIST}{field} must be a list"
            ))
        })?;
        if let Some(Value::Array(items)) = result.get_mut(field) {
            items.retain(|item| !values.contains(item));
        }
        Ok(())
    }

    fn list(
        &mut self,
        original: &[Value],
        patch: &[Value],
        order: Option<&Value>,
    ) -> Result<Value, StrategicError> {
        let order = match order {
            Some(Value::Array(items)) => Some(items.as_slice()),
            Some(_) => return Err(self.error("$setElementOrder must be a list")),
            None => None,
        };
        match self.strategy() {
            ListStrategy::Replace => Ok(Value::Array(patch.to_vec())),
            ListStrategy::MergeSet => self.merge_set(original, patch, order),
            ListStrategy::MergeByKey(key) => self.merge_by_key(original, patch, key, order),
        }
    }

    fn merge_set(
        &self,
        original: &[Value],
        patch: &[Value],
        order: Option<&[Value]>,
    ) -> Result<Value, StrategicError> {
        if patch.iter().any(|v| v.is_object() || v.is_array()) {
            return Err(self.error(
                "this list is merged as a set of scalars; the patch has an object or list in it",
            ));
        }
        let mut merged = original.to_vec();
        for item in patch {
            if !merged.contains(item) {
                merged.push(item.clone());
            }
        }
        let identity = |v: &Value| Some(v.clone());
        Ok(Value::Array(order_items(
            merged,
            order.unwrap_or(patch),
            original,
            identity,
        )))
    }

    fn merge_by_key(
        &mut self,
        original: &[Value],
        patch: &[Value],
        key: &'static str,
        order: Option<&[Value]>,
    ) -> Result<Value, StrategicError> {
        let key_of = |v: &Value| v.get(key).cloned();
        let mut items = Vec::new();
        for item in patch {
            let Value::Object(map) = item else {
                return Err(self.error(format!(
                    "list items are merged by {key:?}; each must be an object"
                )));
            };
            items.push(map);
        }
        let replace_all = items
            .iter()
            .any(|m| m.len() == 1 && m.get(PATCH).and_then(Value::as_str) == Some("replace"));
        let mut merged: Vec<Value> = if replace_all {
            Vec::new()
        } else {
            original.to_vec()
        };
        for map in items {
            let directive = map.get(PATCH).and_then(Value::as_str);
            if directive == Some("replace") && map.len() == 1 {
                continue;
            }
            let Some(id) = map.get(key) else {
                return Err(self.error(format!("a list item has no merge key {key:?}")));
            };
            let position = merged.iter().position(|m| m.get(key) == Some(id));
            if directive == Some("delete") {
                merged.retain(|m| m.get(key) != Some(id));
                continue;
            }
            let base = match position {
                Some(i) => merged[i].as_object().cloned().unwrap_or_default(),
                None => Map::new(),
            };
            let Merged::Keep(value) = self.map(&base, map)? else {
                continue;
            };
            match position {
                Some(i) => merged[i] = value,
                None => merged.push(value),
            }
        }
        if replace_all {
            return Ok(Value::Array(merged));
        }
        let patch_order: Vec<Value> = patch
            .iter()
            .filter(|p| p.get(PATCH).and_then(Value::as_str) != Some("delete"))
            .cloned()
            .collect();
        Ok(Value::Array(order_items(
            merged,
            order.unwrap_or(&patch_order),
            original,
            key_of,
        )))
    }
}

/// kubeadm's (apimachinery's) element order: items named by the patch come in the patch's
/// order, the other items in the original's order, interleaved by their original positions;
/// an item new to the list goes before the original items that follow it.
fn order_items(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key_of: impl Fn(&Value) -> Option<Value>,
) -> Vec<Value> {
    let patch_keys: Vec<Value> = patch_order.iter().filter_map(&key_of).collect();
    let server_keys: Vec<Value> = server_order.iter().filter_map(&key_of).collect();
    let index =
        |keys: &[Value], item: &Value| key_of(item).and_then(|k| keys.iter().position(|x| *x == k));
    let (mut from_patch, server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|item| index(&patch_keys, item).is_some());
    from_patch.sort_by_key(|item| index(&patch_keys, item));

    let mut out = Vec::with_capacity(from_patch.len() + server_only.len());
    let (mut left, mut right) = (
        server_only.into_iter().peekable(),
        from_patch.into_iter().peekable(),
    );
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (index(&server_keys, l), index(&server_keys, r)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}
