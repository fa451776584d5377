//! Checks of what plugins return, before anything reaches the operator: `describe` must be
//! coherent, findings must name declared checks and stay small, and addon manifests must be
//! Kubernetes objects of declared, granted kinds and namespaces, within the size caps.

use super::bindings::preflight::kubeadm_rs::plugin::types as wit;
use super::bindings::severity;
use super::capture::{neutralise, terminal_yaml};
use super::error::{Call, Denial, OutputProblem, PluginError};
use super::kinds;
use super::model::{Finding, KubeObject, Manifest, PluginInfo, PluginKind};
use super::sandbox::EffectiveLimits;
use crate::config::plugins::ObjectScope;

pub const MAX_FINDINGS: usize = 1000;
/// Bytes of check names, messages and remedies a `run` may return.
pub const MAX_FINDINGS_BYTES: usize = 1 << 20;
fn bad(plugin: &str, call: Call, problem: OutputProblem) -> PluginError {
    PluginError::BadOutput {
        plugin: plugin.to_string(),
        call,
        problem,
    }
}

/// Whether every string of `describe` is small enough to show: checked before any of them
/// goes into a message.
pub fn check_describe_sizes(info: &PluginInfo) -> Result<(), String> {
    joined(info.as_contract().size_problems())
}

/// What is wrong with `info` for a component of world `kind`, if anything: the world it
/// exports, then every rule of the plugin contract (the SDK's harness applies the same).
pub fn check_describe(info: &PluginInfo, kind: PluginKind) -> Result<(), String> {
    if info.kind != kind {
        return Err(format!(
            "describe says it is a {} plugin, but the component exports the {kind} world",
            info.kind
        ));
    }
    joined(info.as_contract().problems())
}

fn joined(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Validates findings against the declared checks; text is neutralised for the terminal.
pub fn findings(
    plugin: &str,
    info: &PluginInfo,
    raw: Vec<wit::Finding>,
) -> Result<Vec<Finding>, PluginError> {
    if raw.len() > MAX_FINDINGS {
        return Err(bad(
            plugin,
            Call::Run,
            OutputProblem::TooManyFindings {
                count: raw.len(),
                limit: MAX_FINDINGS,
            },
        ));
    }
    let bytes: usize = raw
        .iter()
        .map(|f| f.check.len() + f.message.len() + f.remedy.as_ref().map_or(0, String::len))
        .sum();
    if bytes > MAX_FINDINGS_BYTES {
        return Err(bad(
            plugin,
            Call::Run,
            OutputProblem::FindingsTooLarge {
                bytes,
                limit: MAX_FINDINGS_BYTES,
            },
        ));
    }
    raw.into_iter()
        .map(|f| {
            if !info.checks.iter().any(|c| c.name == f.check) {
                return Err(bad(
                    plugin,
                    Call::Run,
                    OutputProblem::UnknownCheck {
                        check: neutralise(&f.check, false),
                        declared: info.checks.iter().map(|c| c.name.clone()).collect(),
                    },
                ));
            }
            Ok(Finding {
                check: f.check,
                severity: severity(f.severity),
                message: neutralise(&f.message, false),
                remedy: f.remedy.map(|r| neutralise(&r, false)),
            })
        })
        .collect()
}

/// A required string field of an object: present, a string, not empty.
fn string_field(value: &serde_json::Value, path: &[&str]) -> Result<String, String> {
    match path.iter().try_fold(value, |v, key| v.get(key)) {
        None | Some(serde_json::Value::Null) => Err(format!("an object has no {}", path.join("."))),
        Some(serde_json::Value::String(s)) if s.is_empty() => {
            Err(format!("an object has no {}", path.join(".")))
        }
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("an object's {} is not a string", path.join("."))),
    }
}

/// One document as a Kubernetes object: apiVersion, kind and metadata.name must be set, and
/// they and the namespace must be what the API server accepts (they go into request URLs).
fn object(doc: &str) -> Result<KubeObject, String> {
    let value: serde_json::Value = serde_saphyr::from_str(doc).map_err(|e| {
        let e = e.to_string();
        format!(
            "invalid YAML: {}",
            neutralise(e.lines().next().unwrap_or(""), false)
        )
    })?;
    if !value.is_object() {
        return Err("a document is not a mapping".into());
    }
    let api_version = string_field(&value, &["apiVersion"])?;
    let kind = string_field(&value, &["kind"])?;
    let name = string_field(&value, &["metadata", "name"])?;
    let namespace = match value.pointer("/metadata/namespace") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(ns)) => Some(ns.clone()),
        Some(_) => {
            return Err(format!(
                "{kind} {}: metadata.namespace is not a string",
                neutralise(&name, false)
            ));
        }
    };
    kinds::check_object(&api_version, &kind, &name, namespace.as_deref())?;
    Ok(KubeObject {
        api_version,
        kind,
        name,
        namespace,
        value,
    })
}

/// Validates rendered manifests: total size, object count, object shape, and that every
/// object's kind and namespace is one of `apply` (declared and granted).
pub fn manifests(
    plugin: &str,
    apply: &[ObjectScope],
    limits: &EffectiveLimits,
    raw: Vec<wit::Manifest>,
) -> Result<Vec<Manifest>, PluginError> {
    // Counting documents is cheap, so a flood of objects is named as such before its size.
    let split: Vec<(wit::Manifest, Vec<String>)> = raw
        .into_iter()
        .map(|m| {
            let docs = kubeadm_rs_plugin_contract::object::documents(&m.content);
            (m, docs)
        })
        .collect();
    let count: usize = split.iter().map(|(_, docs)| docs.len()).sum();
    if count > limits.max_objects as usize {
        return Err(bad(
            plugin,
            Call::Render,
            OutputProblem::TooManyObjects {
                count,
                limit: limits.max_objects,
            },
        ));
    }
    let bytes: usize = split
        .iter()
        .map(|(m, _)| m.name.len() + m.content.len())
        .sum();
    if bytes as u64 > limits.max_output_bytes.0 {
        return Err(bad(
            plugin,
            Call::Render,
            OutputProblem::TooLarge {
                bytes,
                limit: limits.max_output_bytes.0,
            },
        ));
    }
    let mut out = Vec::with_capacity(split.len());
    for (m, docs) in split {
        let name = neutralise(&m.name, false);
        // Raw terminal controls have no place in manifest text; a value that needs one is
        // written as a YAML escape (and shown escaped in --dry-run).
        if let Some(c) = m
            .content
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            return Err(bad(
                plugin,
                Call::Render,
                OutputProblem::InvalidManifest {
                    manifest: name,
                    reason: format!("it contains the control character U+{:04X}", c as u32),
                },
            ));
        }
        let mut objects = Vec::new();
        for doc in docs {
            let object = object(&doc).map_err(|reason| {
                bad(
                    plugin,
                    Call::Render,
                    OutputProblem::InvalidManifest {
                        manifest: name.clone(),
                        reason,
                    },
                )
            })?;
            if !apply.contains(&object.scope()) {
                return Err(PluginError::PermissionDenied {
                    plugin: plugin.to_string(),
                    denials: vec![Denial::rendered(&name, &object)],
                });
            }
            objects.push(object);
        }
        if objects.is_empty() {
            return Err(bad(
                plugin,
                Call::Render,
                OutputProblem::InvalidManifest {
                    manifest: name,
                    reason: "it holds no objects".into(),
                },
            ));
        }
        // What is shown is what is applied: the parsed objects, written out again.
        let content = objects
            .iter()
            .map(|o| terminal_yaml(&o.value))
            .collect::<Vec<_>>()
            .join("---\n");
        out.push(Manifest {
            name,
            content,
            objects,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
