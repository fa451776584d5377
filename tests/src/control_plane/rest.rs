//! The REST semantics of the served kinds: get, list (label and field selectors), create,
//! update (with resourceVersion conflicts), patch and delete, and the `status`/`approval`
//! subresources; failures as Kubernetes `Status` bodies.
//!
//! Simplifications, on purpose: strategic merge patch is applied as a JSON merge patch (the
//! served kinds are patched by kubeadm through fields, not list merge keys), and server-side
//! apply is create-or-merge without managedFields ownership tracking; `fieldValidation` is
//! accepted but unknown fields are kept rather than rejected.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::auth::UserInfo;
use super::meta;
use super::request::ResourceRequest;
use super::resources::{self, ResourceType};
use super::selector::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::Store;

/// A JSON answer with its HTTP status.
#[derive(Debug)]
pub struct Answer {
    pub code: u16,
    pub body: Value,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Answer { code: 200, body }
    }
    fn created(body: Value) -> Self {
        Answer { code: 201, body }
    }
}

/// What the REST layer needs of a request besides its target.
pub struct Call<'a> {
    pub user: &'a UserInfo,
    pub query: &'a BTreeMap<String, String>,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// Decodes a JSON (or YAML) object body.
fn decode_object(call: &Call<'_>) -> Result<Value, ApiError> {
    let value: Value = match media_type(call.content_type) {
        "application/json" | "" => serde_json::from_slice(call.body)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?,
        "application/yaml" | "application/apply-patch+yaml" => decode_yaml(call.body)?,
        "application/vnd.kubernetes.protobuf" => super::proto::decode(call.body).map_err(|e| {
            ApiError::new(
                415,
                "UnsupportedMediaType",
                format!("the protobuf body cannot be read: {e}"),
            )
        })?,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    if !value.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    Ok(value)
}

/// YAML is a superset of JSON, so JSON bodies sent as YAML parse too.
fn decode_yaml(body: &[u8]) -> Result<Value, ApiError> {
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the YAML body is not UTF-8"))?;
    serde_saphyr::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid YAML: {e}")))
}

/// Serves one resource request (watch excepted).
pub fn serve(store: &Store, req: &ResourceRequest, call: &Call<'_>) -> Result<Answer, ApiError> {
    let resource = resources::find(&req.group, &req.version, &req.resource)
        .ok_or_else(|| ApiError::not_found("the server could not find the requested resource"))?;
    if !req.subresource.is_empty() && !resource.subresources.contains(&req.subresource.as_str()) {
        return Err(ApiError::not_found(
            "the server could not find the requested resource",
        ));
    }
    let namespace = if resource.namespaced {
        req.namespace.as_str()
    } else {
        ""
    };
    if resource.namespaced && namespace.is_empty() && req.verb != "list" {
        return Err(ApiError::not_found(format!(
            "the server could not find the requested resource (a namespace is needed to {} {})",
            req.verb, resource.plural
        )));
    }
    if call.query.get("dryRun").is_some_and(|d| !d.is_empty()) {
        return Err(ApiError::bad_request(
            "dryRun is not supported by the test control plane",
        ));
    }
    let ctx = Ctx {
        store,
        resource,
        namespace,
        name: req.name.as_str(),
        subresource: req.subresource.as_str(),
    };
    match req.verb.as_str() {
        "get" if req.subresource.is_empty() || req.subresource == "status" => ctx.get(),
        "list" => ctx.list(call.query),
        "create" if req.subresource.is_empty() => ctx.create(call.user, decode_object(call)?),
        "update" => ctx.update(decode_object(call)?),
        "patch" => ctx.patch(call),
        "delete" if req.subresource.is_empty() => ctx.delete(),
        verb => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({verb} {})",
            resource.plural
        ))),
    }
}

/// One request's resource, namespace and name.
struct Ctx<'a> {
    store: &'a Store,
    resource: &'static ResourceType,
    namespace: &'a str,
    name: &'a str,
    subresource: &'a str,
}

impl Ctx<'_> {
    fn store_error(&self, name: &str) -> impl Fn(super::store::StoreError) -> ApiError + '_ {
        let name = name.to_string();
        move |e| ApiError::from_store(e, self.resource.group, self.resource.plural, &name)
    }

    fn get(&self) -> Result<Answer, ApiError> {
        self.store
            .get(self.resource, self.namespace, self.name)
            .map(Answer::ok)
            .ok_or_else(|| self.not_found())
    }

    fn not_found(&self) -> ApiError {
        ApiError::from_store(
            super::store::StoreError::NotFound {
                resource: super::store::qualified(self.resource),
                name: self.name.to_string(),
            },
            self.resource.group,
            self.resource.plural,
            self.name,
        )
    }

    fn list(&self, query: &BTreeMap<String, String>) -> Result<Answer, ApiError> {
        let bad = |e: super::selector::SelectorError| ApiError::bad_request(e.to_string());
        let labels = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))
            .map_err(bad)?;
        let fields = FieldSelector::parse(
            query.get("fieldSelector").map_or("", String::as_str),
            self.resource.plural,
        )
        .map_err(bad)?;
        let namespace = (!self.namespace.is_empty()).then_some(self.namespace);
        let listed = self.store.list(self.resource, namespace);
        let items: Vec<Value> = listed
            .items
            .into_iter()
            .filter(|o| labels.matches(o) && fields.matches(o))
            .collect();
        Ok(Answer::ok(json!({
            "kind": format!("{}List", self.resource.kind),
            "apiVersion": self.resource.api_version(),
            "metadata": {"resourceVersion": listed.revision.to_string()},
            "items": items,
        })))
    }

    /// The body's apiVersion, kind and namespace must agree with the URL.
    fn check_body(&self, object: &Value) -> Result<(), ApiError> {
        let api_version = self.resource.api_version();
        if let Some(v) = meta::str_field(object, "/apiVersion")
            && v != api_version
        {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
        if let Some(k) = meta::str_field(object, "/kind")
            && k != self.resource.kind
        {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                self.resource.kind
            )));
        }
        if self.resource.namespaced
            && let Some(ns) = meta::namespace(object)
            && ns != self.namespace
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        Ok(())
    }

    fn create(&self, user: &UserInfo, mut object: Value) -> Result<Answer, ApiError> {
        self.check_body(&object)?;
        prepare_create(self.resource, &mut object, user);
        normalize(self.resource, &mut object)?;
        let name = meta::name(&object).unwrap_or("").to_string();
        self.store
            .create(self.resource, self.namespace, object)
            .map(Answer::created)
            .map_err(self.store_error(&name))
    }

    /// The object to store for an update of the resource or one of its subresources.
    fn updated(&self, current: &Value, mut object: Value) -> Result<Value, ApiError> {
        self.check_body(&object)?;
        let rv = meta::resource_version(&object).map(String::from);
        let mut next = match self.subresource {
            "status" => {
                let mut next = current.clone();
                next["status"] = object.get("status").cloned().unwrap_or(json!({}));
                next
            }
            "approval" => {
                let mut next = current.clone();
                let conditions = object
                    .pointer("/status/conditions")
                    .cloned()
                    .unwrap_or(json!([]));
                next["status"]["conditions"] = conditions;
                next
            }
            _ => {
                if self.resource.has_status() {
                    keep_field(&mut object, current, "status");
                }
                if self.resource.plural == "certificatesigningrequests" {
                    keep_field(&mut object, current, "spec");
                }
                object
            }
        };
        let metadata = meta::metadata_mut(&mut next);
        match rv {
            Some(rv) => metadata.insert("resourceVersion".into(), json!(rv)),
            None => metadata.remove("resourceVersion"),
        };
        normalize(self.resource, &mut next)?;
        Ok(next)
    }

    fn store_update(&self, next: Value) -> Result<Answer, ApiError> {
        self.store
            .update(self.resource, self.namespace, self.name, next)
            .map(Answer::ok)
            .map_err(self.store_error(self.name))
    }

    fn update(&self, object: Value) -> Result<Answer, ApiError> {
        let current = self
            .store
            .get(self.resource, self.namespace, self.name)
            .ok_or_else(|| self.not_found())?;
        let next = self.updated(&current, object)?;
        self.store_update(next)
    }

    fn patch(&self, call: &Call<'_>) -> Result<Answer, ApiError> {
        let current = self.store.get(self.resource, self.namespace, self.name);
        let kind = media_type(call.content_type);
        if kind == "application/apply-patch+yaml" {
            if call.query.get("fieldManager").is_none_or(|m| m.is_empty()) {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                ));
            }
            let applied = decode_object(call)?;
            let Some(current) = current else {
                return self.apply_create(call.user, applied);
            };
            let mut merged = current.clone();
            json_patch::merge(&mut merged, &applied);
            return self.patched(&current, merged);
        }
        let current = current.ok_or_else(|| self.not_found())?;
        let mut next = current.clone();
        match kind {
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let patch: Value = serde_json::from_slice(call.body).map_err(|e| {
                    ApiError::bad_request(format!("the patch is not valid JSON: {e}"))
                })?;
                json_patch::merge(&mut next, &patch);
            }
            "application/json-patch+json" => {
                let patch: json_patch::Patch = serde_json::from_slice(call.body).map_err(|e| {
                    ApiError::bad_request(format!("the JSON patch is not valid: {e}"))
                })?;
                json_patch::patch(&mut next, &patch).map_err(|e| {
                    ApiError::new(
                        422,
                        "Invalid",
                        format!("the JSON patch could not be applied: {e}"),
                    )
                })?;
            }
            other => return Err(ApiError::unsupported_media_type(other)),
        }
        self.patched(&current, next)
    }

    /// A patched object is stored like an update, but an unchanged resourceVersion is no conflict.
    fn patched(&self, current: &Value, mut next: Value) -> Result<Answer, ApiError> {
        if meta::resource_version(&next) == meta::resource_version(current) {
            meta::metadata_mut(&mut next).remove("resourceVersion");
        }
        let next = self.updated(current, next)?;
        self.store_update(next)
    }

    fn apply_create(&self, user: &UserInfo, mut applied: Value) -> Result<Answer, ApiError> {
        if !self.subresource.is_empty() {
            return Err(self.not_found());
        }
        let metadata = meta::metadata_mut(&mut applied);
        metadata.insert("name".into(), json!(self.name));
        if self.resource.namespaced {
            metadata.insert("namespace".into(), json!(self.namespace));
        }
        self.create(user, applied)
    }

    fn delete(&self) -> Result<Answer, ApiError> {
        self.store
            .delete(self.resource, self.namespace, self.name)
            .map(Answer::ok)
            .map_err(self.store_error(self.name))
    }
}

fn keep_field(object: &mut Value, current: &Value, field: &str) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    match current.get(field) {
        Some(v) => map.insert(field.into(), v.clone()),
        None => map.remove(field),
    };
}

/// What kube-apiserver's strategies set on create: a CSR records who asked and starts with
/// no status; workloads start with an empty status; namespaces start Active.
fn prepare_create(resource: &ResourceType, object: &mut Value, user: &UserInfo) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    match resource.plural {
        "certificatesigningrequests" => {
            let spec = map.entry("spec").or_insert_with(|| json!({}));
            if let Some(spec) = spec.as_object_mut() {
                spec.insert("username".into(), json!(user.name));
                spec.insert("groups".into(), json!(user.groups));
                spec.remove("uid");
                spec.remove("extra");
            }
            map.insert("status".into(), json!({}));
        }
        "deployments" | "daemonsets" => {
            map.insert("status".into(), json!({}));
        }
        "namespaces" => {
            map.insert("status".into(), json!({"phase": "Active"}));
        }
        _ => {}
    }
}

/// Secrets keep `data` only: `stringData` is folded in (base64) and the type defaults to Opaque.
fn normalize(resource: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
    if resource.plural != "secrets" {
        return Ok(());
    }
    let Some(map) = object.as_object_mut() else {
        return Ok(());
    };
    if let Some(string_data) = map.remove("stringData") {
        let string_data = string_data
            .as_object()
            .cloned()
            .ok_or_else(|| ApiError::bad_request("stringData must be a map of strings"))?;
        let data = map.entry("data").or_insert_with(|| json!({}));
        let data: &mut Map<String, Value> = data
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("data must be a map of base64 strings"))?;
        for (k, v) in string_data {
            let text = v
                .as_str()
                .ok_or_else(|| ApiError::bad_request(format!("stringData.{k} must be a string")))?;
            data.insert(k, json!(STANDARD.encode(text)));
        }
    }
    map.entry("type").or_insert_with(|| json!("Opaque"));
    Ok(())
}

#[cfg(test)]
mod tests;
