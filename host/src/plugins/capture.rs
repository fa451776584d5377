//! What a plugin writes (stdout, stderr, log records): kept up to a cap, and made safe for a
//! terminal before anyone sees it, since a plugin could otherwise inject escape sequences.

use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::workflow::Events;

/// Bytes kept of each of stdout, stderr and the log records.
pub const CAPTURE_LIMIT: usize = 64 * 1024;

/// Replaces control characters (ESC, CR, BEL, C1, bidi overrides, line separators) with
/// visible `\u{..}` escapes. Tabs stay; newlines stay only when `keep_newlines`.
pub fn neutralise(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let dangerous = match c {
            '\t' => false,
            '\n' => !keep_newlines,
            c if c.is_control() => true,
            '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => true,
            _ => false,
        };
        if dangerous {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A log record's level, as the WIT `log.level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// One log record, neutralised to one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub level: LogLevel,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl LogRecord {
    fn size(&self) -> usize {
        self.message.len()
            + self
                .fields
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>()
    }

    /// `message key=value ...`
    pub fn line(&self) -> String {
        let mut line = self.message.clone();
        for (k, v) in &self.fields {
            line.push_str(&format!(" {k}={v}"));
        }
        line
    }
}

/// The log records of one call, up to [`CAPTURE_LIMIT`] bytes; the rest are counted, not kept.
#[derive(Default)]
pub struct LogSink {
    pub records: Vec<LogRecord>,
    bytes: usize,
    pub dropped: usize,
}

impl LogSink {
    pub fn push(&mut self, level: LogLevel, message: &str, fields: &[(String, String)]) {
        let record = LogRecord {
            level,
            message: neutralise(message, false),
            fields: fields
                .iter()
                .map(|(k, v)| (neutralise(k, false), neutralise(v, false)))
                .collect(),
        };
        let size = record.size();
        if self.bytes + size > CAPTURE_LIMIT {
            self.dropped += 1;
        } else {
            self.bytes += size;
            self.records.push(record);
        }
    }
}

/// The bounded stdout and stderr of one call (a full pipe makes the guest's writes fail).
#[derive(Clone)]
pub struct Streams {
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl Streams {
    pub fn new() -> Self {
        Streams {
            stdout: MemoryOutputPipe::new(CAPTURE_LIMIT),
            stderr: MemoryOutputPipe::new(CAPTURE_LIMIT),
        }
    }

    /// The stream the plugin filled up, if any.
    pub fn full(&self) -> Option<&'static str> {
        if self.stdout.contents().len() >= CAPTURE_LIMIT {
            Some("stdout")
        } else if self.stderr.contents().len() >= CAPTURE_LIMIT {
            Some("stderr")
        } else {
            None
        }
    }

    /// What the plugin wrote to stderr, neutralised, on one line, at most 1 KiB: the message
    /// of a panic, without the note about backtraces.
    pub fn stderr_summary(&self) -> Option<String> {
        let text = String::from_utf8_lossy(&self.stderr.contents()).into_owned();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .collect();
        if lines.is_empty() {
            return None;
        }
        let mut summary = neutralise(&lines.join(" "), false);
        if summary.len() > 1024 {
            let mut end = 1024;
            while !summary.is_char_boundary(end) {
                end -= 1;
            }
            summary.truncate(end);
            summary.push('…');
        }
        Some(summary)
    }
}

/// Reports what a call captured: log records at info and above, stdout lines, and (when the
/// call did not fail with it in its message) stderr lines, each tagged with the plugin.
pub fn report(events: &Events, plugin: &str, logs: &LogSink, streams: &Streams, with_stderr: bool) {
    for record in &logs.records {
        let line = format!("{plugin}: {}", record.line());
        match record.level {
            LogLevel::Warn | LogLevel::Error => events.warn(line),
            LogLevel::Info => events.info(line),
            LogLevel::Debug | LogLevel::Trace => {}
        }
    }
    if logs.dropped > 0 {
        events.warn(format!(
            "{plugin}: {} more log records dropped (over {} bytes)",
            logs.dropped, CAPTURE_LIMIT
        ));
    }
    let mut outputs = vec![("stdout", &streams.stdout)];
    if with_stderr {
        outputs.push(("stderr", &streams.stderr));
    }
    for (name, pipe) in outputs {
        let bytes = pipe.contents();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            events.info(format!("{plugin} ({name}): {}", neutralise(line, false)));
        }
        if bytes.len() >= CAPTURE_LIMIT {
            events.warn(format!(
                "{plugin}: {name} truncated at {CAPTURE_LIMIT} bytes; the rest was discarded"
            ));
        }
    }
}

#[cfg(test)]
mod tests;
