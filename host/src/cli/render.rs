//! The two views of the event stream: a human phase tree on stderr (data on stdout),
//! and `--output json`, one JSON object per line on stdout (the schema is in the README).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use serde::Serialize;

use crate::events::{
    Event, LogLevel, ObjectAction, RemovedKind, Reporter, SCHEMA_VERSION, Severity,
};

/// Which renderer `--output` picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// One JSON object per event, per line, on stdout.
pub struct JsonRenderer<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonRenderer<W> {
    pub fn new(out: W) -> Self {
        JsonRenderer {
            out: Mutex::new(out),
        }
    }
}

/// One line of `--output json`: the schema version, then the event's tag and fields.
#[derive(Serialize)]
struct JsonLine<'a> {
    schema: u32,
    #[serde(flatten)]
    event: &'a Event,
}

impl<W: Write + Send> Reporter for JsonRenderer<W> {
    fn emit(&self, event: Event) {
        let line = JsonLine {
            schema: SCHEMA_VERSION,
            event: &event,
        };
        let line = serde_json::to_string(&line).expect("events serialize");
        let mut out = self.out.lock().expect("renderer lock");
        let _ = writeln!(out, "{line}");
    }
}

/// The terminal view: a phase tree with timings on `progress`, data on `data`.
pub struct HumanRenderer<P: Write + Send, D: Write + Send> {
    inner: Mutex<(P, D)>,
    colour: bool,
}

impl HumanRenderer<std::io::Stderr, std::io::Stdout> {
    /// stderr for progress and stdout for data; colour unless `NO_COLOR` is set or stderr is not a tty.
    pub fn stdio() -> Self {
        let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stderr().is_terminal();
        HumanRenderer::new(std::io::stderr(), std::io::stdout(), colour)
    }
}

impl<P: Write + Send, D: Write + Send> HumanRenderer<P, D> {
    pub fn new(progress: P, data: D, colour: bool) -> Self {
        HumanRenderer {
            inner: Mutex::new((progress, data)),
            colour,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn indent(path: &str) -> String {
    "  ".repeat(path.matches('/').count())
}

/// Durations shown the way a person reads them: `850µs`, `12.3ms`, `1.20s`.
pub fn human_duration(d: std::time::Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", us as f64 / 1000.0)
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

impl<P: Write + Send, D: Write + Send> Reporter for HumanRenderer<P, D> {
    fn emit(&self, event: Event) {
        let line = match &event {
            Event::PhaseStarted { path } => {
                Some(format!("{}{} {path}", indent(path), self.paint("36", "▸")))
            }
            Event::PhaseFinished { path, duration, ok } => {
                let mark = if *ok {
                    self.paint("32", "✓")
                } else {
                    self.paint("31", "✗")
                };
                Some(format!(
                    "{}{mark} {path} {}",
                    indent(path),
                    self.paint("2", &human_duration(*duration))
                ))
            }
            Event::PhaseSkipped { path, reason } => Some(format!(
                "{}{} {path} (skipped: {reason})",
                indent(path),
                self.paint("2", "-")
            )),
            Event::Finding {
                check,
                severity,
                message,
                remedy,
                ignored,
            } => {
                let (label, code) = match (severity, ignored) {
                    (Severity::Error, false) => ("ERROR", "31"),
                    (Severity::Error, true) | (Severity::Warning, _) => ("WARNING", "33"),
                    (Severity::Info, _) => ("INFO", "2"),
                };
                let remedy = remedy
                    .as_ref()
                    .map(|r| format!(" (remedy: {r})"))
                    .unwrap_or_default();
                Some(format!(
                    "\t[{} {check}]: {message}{remedy}",
                    self.paint(code, label)
                ))
            }
            Event::FileWritten {
                path,
                mode,
                bytes,
                reused,
            } => {
                let verb = if *reused { "kept" } else { "wrote" };
                Some(format!("\t{verb} {path} ({mode:04o}, {bytes} bytes)"))
            }
            Event::FileRemoved {
                path,
                kind,
                dry_run,
            } => {
                let verb = if *dry_run { "would remove" } else { "removed" };
                let what = match kind {
                    RemovedKind::File => "",
                    RemovedKind::Directory => " (directory)",
                    RemovedKind::Symlink => " (symbolic link, not followed)",
                };
                Some(format!("\t{verb} {path}{what}"))
            }
            Event::Object {
                action,
                api_version,
                kind,
                resource,
                namespace,
                name,
                dry_run: true,
                ..
            } => {
                let verb = match action {
                    ObjectAction::Create => "CREATE",
                    ObjectAction::Update => "UPDATE",
                    ObjectAction::Apply => "APPLY",
                    ObjectAction::Patch => "PATCH",
                    ObjectAction::Delete => "DELETE",
                };
                let group = if api_version.contains('/') {
                    api_version.clone()
                } else {
                    format!("core/{api_version}")
                };
                let mut line = format!(
                    "[dryrun] Would perform action {verb} on resource {resource:?} in API group {group:?}"
                );
                if *action == ObjectAction::Delete {
                    line.push_str(&format!(
                        "\n[dryrun] Would delete {}",
                        describe(kind, namespace.as_deref(), name)
                    ));
                }
                Some(line)
            }
            Event::Object {
                action,
                kind,
                namespace,
                name,
                dry_run: false,
                ..
            } => {
                let verb = match action {
                    ObjectAction::Create => "created",
                    ObjectAction::Update => "updated",
                    ObjectAction::Apply => "applied",
                    ObjectAction::Patch => "patched",
                    ObjectAction::Delete => "deleted",
                };
                Some(format!(
                    "\t{verb} {}",
                    describe(kind, namespace.as_deref(), name)
                ))
            }
            Event::PluginLog {
                plugin,
                level,
                message,
                fields,
            } => {
                let mut line = format!("{plugin}: {message}");
                for (k, v) in fields {
                    line.push_str(&format!(" {k}={v}"));
                }
                Some(match level {
                    LogLevel::Info => line,
                    LogLevel::Warn | LogLevel::Error => {
                        format!("{} {line}", self.paint("33", "warning:"))
                    }
                })
            }
            Event::Warning { message } => {
                Some(format!("{} {message}", self.paint("33", "warning:")))
            }
            Event::Info { message } => Some(message.clone()),
            Event::Output { .. } => None,
        };
        let mut guard = self.inner.lock().expect("renderer lock");
        let (progress, data) = &mut *guard;
        if let Some(line) = line {
            let _ = writeln!(progress, "{line}");
        }
        let shown = match &event {
            Event::Output { text } => Some(text.clone()),
            Event::Object {
                action,
                name,
                dry_run: true,
                body: Some(body),
                ..
            } => {
                let label = match action {
                    ObjectAction::Patch => format!("Attached patch for {name}"),
                    _ => "Attached object".to_string(),
                };
                Some(format!(
                    "[dryrun] {label}:\n{}",
                    crate::plugins::terminal_yaml(body)
                ))
            }
            _ => None,
        };
        if let Some(text) = shown {
            let _ = data.write_all(text.as_bytes());
            if !text.ends_with('\n') {
                let _ = data.write_all(b"\n");
            }
            let _ = data.flush();
        }
    }
}

/// `configmap kube-system/kubeadm-config`, as the dry-run client has always named objects.
fn describe(kind: &str, namespace: Option<&str>, name: &str) -> String {
    let kind = kind.to_ascii_lowercase();
    match (namespace, name) {
        (None, "") => kind,
        (None, name) => format!("{kind} {name}"),
        (Some(ns), "") => format!("{kind}s in {ns}"),
        (Some(ns), name) => format!("{kind} {ns}/{name}"),
    }
}

#[cfg(test)]
mod tests;
