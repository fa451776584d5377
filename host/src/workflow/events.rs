//! The one event stream every phase reports through.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

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

/// Something that happened while a workflow ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    PhaseStarted {
        path: String,
    },
    PhaseFinished {
        path: String,
        #[serde(serialize_with = "as_millis")]
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
