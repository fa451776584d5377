//! What a plugin writes (stdout, stderr, log records): kept up to a cap, and made safe for a
//! terminal before anyone sees it, since a plugin could otherwise inject escape sequences.

use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::events::{self, Event, Events};

/// Bytes kept of each of stdout, stderr and the log records.
pub const CAPTURE_LIMIT: usize = 64 * 1024;

/// Bytes kept of one plugin string shown inside an error message (`err(...)`, a trap).
pub const MESSAGE_LIMIT: usize = 1024;

/// Whether `c` can change what a terminal shows without being seen: C0/C1 controls and DEL,
/// bidi embeddings, overrides, isolates and marks, zero-width and other invisible format
/// characters, line/paragraph separators, and tag characters.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{61c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// Replaces every [`is_hidden_control`] character with a visible `\u{..}` escape. Tabs
/// stay; newlines stay only when `keep_newlines`.
pub fn neutralise(text: &str, keep_newlines: bool) -> String {
    if !text.chars().any(|c| c != '\t' && is_hidden_control(c)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        let dangerous = match c {
            '\t' => false,
            '\n' => !keep_newlines,
            c => is_hidden_control(c),
        };
        if dangerous {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` neutralised onto one line and cut to at most `limit` bytes (on a character
/// boundary), with what was cut counted: for plugin strings shown in messages.
pub fn one_line(text: &str, limit: usize) -> String {
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut line = neutralise(&text[..end], false);
    if end < text.len() {
        line.push_str(&format!("… ({} bytes in all)", text.len()));
    }
    line
}

/// An object as YAML that shows exactly its value and is safe for a terminal: what
/// `--dry-run` prints. Block YAML when that holds no hidden controls (they can only be inside
/// scalars); otherwise flow YAML (JSON layout) with every hidden control in a string
/// written as a YAML escape (`\r`, `\u202E`, `\U000E0041`), which parses to the same value.
pub fn terminal_yaml(value: &serde_json::Value) -> String {
    if let Ok(text) = serde_saphyr::to_string(value)
        && !text
            .chars()
            .any(|c| !matches!(c, '\n' | '\t') && is_hidden_control(c))
    {
        return text;
    }
    // serde_json escapes C0 controls itself; outside strings its output is ASCII structure.
    let json = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("# {e}"));
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c as u32 {
            _ if c == '\n' || !is_hidden_control(c) => out.push(c),
            code @ ..=0xffff => out.push_str(&format!("\\u{code:04X}")),
            code => out.push_str(&format!("\\U{code:08X}")),
        }
    }
    out.push('\n');
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
        Some(one_line(&lines.join(" "), MESSAGE_LIMIT))
    }
}

/// Reports what a call captured: log records at info and above (as `plugin_log` events),
/// stdout lines, and (when the call did not fail with it in its message) stderr lines, each
/// tagged with the plugin.
pub fn report(events: &Events, plugin: &str, logs: &LogSink, streams: &Streams, with_stderr: bool) {
    for record in &logs.records {
        let level = match record.level {
            LogLevel::Error => events::LogLevel::Error,
            LogLevel::Warn => events::LogLevel::Warn,
            LogLevel::Info => events::LogLevel::Info,
            LogLevel::Debug | LogLevel::Trace => continue,
        };
        events.emit(Event::PluginLog {
            plugin: plugin.to_string(),
            level,
            message: record.message.clone(),
            fields: record.fields.clone(),
        });
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
