//! The two views of the event stream: a human phase tree on stderr (data on stdout),
//! and `--output json`, one JSON object per line on stdout.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use super::events::{Event, RemovedKind, Reporter, Severity};

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

impl<W: Write + Send> Reporter for JsonRenderer<W> {
    fn emit(&self, event: Event) {
        let mut out = self.out.lock().expect("renderer lock");
        let line = serde_json::to_string(&event).expect("events serialize");
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
                ignored,
            } => {
                let (label, code) = match (severity, ignored) {
                    (Severity::Error, false) => ("ERROR", "31"),
                    (Severity::Error, true) | (Severity::Warning, _) => ("WARNING", "33"),
                    (Severity::Info, _) => ("INFO", "2"),
                };
                Some(format!(
                    "\t[{} {check}]: {message}",
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
            Event::Warning { message } => {
                Some(format!("{} {message}", self.paint("33", "warning:")))
            }
            Event::Info { message } => Some(message.clone()),
            Event::Output { .. } => None,
        };
        let mut guard = self.inner.lock().expect("renderer lock");
        let (progress, data) = &mut *guard;
        match (&event, line) {
            (Event::Output { text }, _) => {
                let _ = data.write_all(text.as_bytes());
                if !text.ends_with('\n') {
                    let _ = data.write_all(b"\n");
                }
                let _ = data.flush();
            }
            (_, Some(line)) => {
                let _ = writeln!(progress, "{line}");
            }
            _ => {}
        }
    }
}
