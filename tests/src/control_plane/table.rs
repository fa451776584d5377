//! `Table` answers (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which kubectl asks
//! for to print `get`: a Name and an Age column, as kube-apiserver's default table convertor
//! gives (its per-kind printers add columns; these are left out).

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::meta;

/// Whether the Accept header asks for a meta.k8s.io/v1 Table first.
pub fn wanted(accept: &str) -> bool {
    accept.split(',').next().is_some_and(|first| {
        first.contains("as=Table") && first.contains("v=v1") && first.contains("g=meta.k8s.io")
    })
}

/// kubectl's short ages: `45s`, `12m`, `5h`, `3d`, `2y` (the largest unit, whole).
pub fn age(created: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (now - created).whole_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 2 * 3600 => format!("{}m", s / 60),
        s if s < 48 * 3600 => format!("{}h", s / 3600),
        s if s < 2 * 365 * 86400 => format!("{}d", s / 86400),
        s => format!("{}y", s / (365 * 86400)),
    }
}

fn row(object: &Value, now: OffsetDateTime) -> Value {
    let created = meta::str_field(object, "/metadata/creationTimestamp")
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
    let age = created.map_or_else(|| "<unknown>".to_string(), |c| age(c, now));
    json!({
        "cells": [meta::name(object).unwrap_or(""), age],
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object.get("metadata").cloned().unwrap_or(json!({})),
        },
    })
}

/// The Table for one object or for a list (`items`).
pub fn table(answer: &Value, now: OffsetDateTime) -> Value {
    let (rows, resource_version) = match answer.get("items").and_then(Value::as_array) {
        Some(items) => (
            items.iter().map(|o| row(o, now)).collect::<Vec<_>>(),
            answer.pointer("/metadata/resourceVersion").cloned(),
        ),
        None => (
            vec![row(answer, now)],
            answer.pointer("/metadata/resourceVersion").cloned(),
        ),
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version.unwrap_or(json!(""))},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0},
            {"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": 0},
        ],
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectls_table_accept_header_is_recognised() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert!(wanted(kubectl));
        assert!(!wanted("application/json"));
        assert!(!wanted(
            "application/json, application/json;as=Table;v=v1;g=meta.k8s.io"
        ));
    }

    #[test]
    fn ages_use_the_largest_whole_unit() {
        let t0 = OffsetDateTime::parse("2026-01-01T00:00:00Z", &Rfc3339).unwrap();
        let cases = [
            (5, "5s"),
            (119, "119s"),
            (600, "10m"),
            (3 * 3600, "3h"),
            (3 * 86400, "3d"),
            (800 * 86400, "2y"),
        ];
        for (secs, want) in cases {
            assert_eq!(age(t0, t0 + time::Duration::seconds(secs)), want, "{secs}s");
        }
    }

    #[test]
    fn lists_become_one_row_per_item_with_partial_metadata() {
        let list = json!({"metadata": {"resourceVersion": "7"}, "items": [
            {"metadata": {"name": "a", "creationTimestamp": "2026-01-01T00:00:00Z"}, "data": {"secret": "x"}},
        ]});
        let now = OffsetDateTime::parse("2026-01-01T00:01:00Z", &Rfc3339).unwrap();
        let t = table(&list, now);
        assert_eq!(t["rows"][0]["cells"], json!(["a", "60s"]));
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert!(
            t["rows"][0]["object"].get("data").is_none(),
            "only metadata is carried"
        );
        assert_eq!(t["metadata"]["resourceVersion"], "7");
    }
}
