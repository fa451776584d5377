//! The one event stream the runner, the phases, the node root, the cluster client and the
//! plugin host report through. A leaf: it knows nothing of terminals, clap or the rest of the
//! crate; the CLI's renderers (`cli::render`) turn events into text or JSON lines.
//!
//! Events are data: a file, an API object, a plugin's log record or a preflight finding is a
//! typed event with its fields; `Info`/`Warning` carry only what really is prose.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

/// The version of the JSON event schema (`schema` on every line of `--output json`); raised
/// when a field is removed or changes meaning, not when an event kind or field is added.
pub const SCHEMA_VERSION: u32 = 1;

/// How serious a preflight finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// What a removed node path was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RemovedKind {
    File,
    Directory,
    Symlink,
}

/// What was done (or, in dry-run, would be done) to an API object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectAction {
    Create,
    Update,
    /// Server-side apply.
    Apply,
    /// A merge or strategic-merge patch.
    Patch,
    Delete,
}

/// A plugin log record's level (records below `info` are not reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// Something that happened while a command ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    PhaseStarted {
        path: String,
    },
    PhaseFinished {
        path: String,
        #[serde(rename = "duration_ms", serialize_with = "as_millis")]
        duration: Duration,
        ok: bool,
    },
    PhaseSkipped {
        path: String,
        reason: String,
    },
    /// A preflight finding; `ignored` errors were demoted by `--ignore-preflight-errors`.
    Finding {
        check: String,
        severity: Severity,
        message: String,
        /// What the operator can do about it, when the check says.
        remedy: Option<String>,
        ignored: bool,
    },
    /// A file on the node root was written (or, with `reused`, found valid and kept).
    FileWritten {
        path: String,
        mode: u32,
        bytes: usize,
        reused: bool,
    },
    /// A node path was removed by `reset` (or, with `dry_run`, would have been).
    FileRemoved {
        path: String,
        kind: RemovedKind,
        dry_run: bool,
    },
    /// An API object was written (or, with `dry_run`, would have been).
    Object {
        action: ObjectAction,
        /// `apiVersion` as objects carry it (`v1`, `rbac.authorization.k8s.io/v1`).
        api_version: String,
        kind: String,
        /// The plural resource name the API path uses (`configmaps`).
        resource: String,
        /// `None` for cluster-scoped objects.
        namespace: Option<String>,
        name: String,
        dry_run: bool,
        /// In dry-run, what would be sent (the object, or the patch), Secret values redacted.
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
    },
    /// A plugin's log record, neutralised (hidden control characters escaped).
    PluginLog {
        plugin: String,
        level: LogLevel,
        message: String,
        #[serde(serialize_with = "as_map")]
        fields: Vec<(String, String)>,
    },
    Warning {
        message: String,
    },
    Info {
        message: String,
    },
    /// Data for the user (a manifest in dry-run, the join command): stdout in the terminal view.
    Output {
        text: String,
    },
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// Log fields as a JSON object, in the order the plugin gave them.
fn as_map<S: serde::Serializer>(fields: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(fields.len()))?;
    for (k, v) in fields {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// Receives events; the renderers implement it.
pub trait Reporter: Send + Sync {
    fn emit(&self, event: Event);
}

/// A cheap, cloneable handle to the reporter in use.
#[derive(Clone)]
pub struct Events(Arc<dyn Reporter>);

impl Events {
    pub fn new(reporter: impl Reporter + 'static) -> Self {
        Events(Arc::new(reporter))
    }

    /// An event sink that drops everything (for benchmarks and library callers).
    pub fn discard() -> Self {
        struct Discard;
        impl Reporter for Discard {
            fn emit(&self, _: Event) {}
        }
        Events::new(Discard)
    }

    pub fn emit(&self, event: Event) {
        self.0.emit(event);
    }

    pub fn info(&self, message: impl Into<String>) {
        self.emit(Event::Info {
            message: message.into(),
        });
    }

    pub fn warn(&self, message: impl Into<String>) {
        self.emit(Event::Warning {
            message: message.into(),
        });
    }

    pub fn output(&self, text: impl Into<String>) {
        self.emit(Event::Output { text: text.into() });
    }
}

/// Collects events in memory; used by tests.
#[derive(Default)]
pub struct Recorder(std::sync::Mutex<Vec<Event>>);

impl Recorder {
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut self.0.lock().expect("recorder lock"))
    }
}

impl Reporter for Arc<Recorder> {
    fn emit(&self, event: Event) {
        self.0.lock().expect("recorder lock").push(event);
    }
}

#[cfg(test)]
mod tests;
