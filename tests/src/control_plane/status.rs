//! Kubernetes `Status` failure bodies: the reason, code and message kubectl and client-go
//! read back (`Error from server (NotFound): configmaps "x" not found`).

use serde_json::{Value, json};

use super::store::StoreError;

/// A failed API request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApiError {
    #[error("{message}")]
    Status {
        code: u16,
        reason: &'static str,
        message: String,
        /// `details.name`, `details.group`, `details.kind` (the resource), when known.
        details: Option<(String, String, String)>,
    },
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::Status {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(403, "Forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(404, "NotFound", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got {content_type:?})"
            ),
        )
    }

    /// A store failure on `<group>/<resource>` named `name`.
    pub fn from_store(e: StoreError, group: &str, resource: &str, name: &str) -> Self {
        let (code, reason) = match &e {
            StoreError::NotFound { .. } => (404, "NotFound"),
            StoreError::AlreadyExists { .. } => (409, "AlreadyExists"),
            StoreError::Conflict { .. } => (409, "Conflict"),
            StoreError::Invalid(_) => (422, "Invalid"),
        };
        ApiError::Status {
            code,
            reason,
            message: e.to_string(),
            details: Some((name.to_string(), group.to_string(), resource.to_string())),
        }
    }

    pub fn code(&self) -> u16 {
        let ApiError::Status { code, .. } = self;
        *code
    }

    /// The `Status` object sent as the response body.
    pub fn body(&self) -> Value {
        let ApiError::Status {
            code,
            reason,
            message,
            details,
        } = self;
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        });
        if let Some((name, group, kind)) = details {
            let mut d = serde_json::Map::new();
            for (k, v) in [("name", name), ("group", group), ("kind", kind)] {
                if !v.is_empty() {
                    d.insert(k.into(), json!(v));
                }
            }
            status["details"] = Value::Object(d);
        }
        status
    }
}
