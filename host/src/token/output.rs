//! `token list` output, byte for byte as kubeadm prints it: the text table (Go's tabwriter,
//! fed one token at a time), and the `output.kubeadm.k8s.io/v1alpha3` `BootstrapToken` object
//! as JSON (`json.MarshalIndent`, four spaces) or YAML (sigs.k8s.io/yaml: keys sorted).

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::ListedToken;
use super::spec::format_rfc3339;

pub const OUTPUT_API_VERSION: &str = "output.kubeadm.k8s.io/v1alpha3";
const OUTPUT_KIND: &str = "BootstrapToken";
const COLUMNS: [&str; 6] = [
    "TOKEN",
    "TTL",
    "EXPIRES",
    "USAGES",
    "DESCRIPTION",
    "EXTRA GROUPS",
];

/// The text table at `now`. kubeadm flushes its tabwriter after every token, so the header
/// aligns with the first row only and each later row with itself; no tokens print nothing.
pub fn render_table(tokens: &[ListedToken], now: Timestamp) -> String {
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut text = String::new();
        if i == 0 {
            text.push_str(&COLUMNS.join("\t"));
            text.push('\n');
        }
        text.push_str(&table_row(token, now));
        out.push_str(&tabwrite(&text));
    }
    out
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}

/// One row, with kubeadm's fixed paddings inside the cells.
fn table_row(token: &ListedToken, now: Timestamp) -> String {
    let (ttl, expires) = match &token.expires {
        Some(e) => (
            short_human_duration(e.at.as_nanosecond() - now.as_nanosecond()),
            e.text(),
        ),
        None => ("<forever>".into(), "<never>".into()),
    };
    format!(
        "{}\t{ttl:<9}\t{expires}\t{:<22}\t{:<56}\t{}\n",
        token.token.expose(),
        none_if_empty(token.usages.join(",")),
        none_if_empty(token.description.clone()),
        none_if_empty(token.groups.join(",")),
    )
}

/// apimachinery's `ShortHumanDuration`: up to two seconds in the past still reads `0s`.
fn short_human_duration(nanos: i128) -> String {
    let seconds = nanos / 1_000_000_000;
    let (minutes, hours) = (seconds / 60, seconds / 3600);
    match seconds {
        s if s < -1 => "<invalid>".into(),
        s if s < 0 => "0s".into(),
        s if s < 60 => format!("{s}s"),
        _ if minutes < 60 => format!("{minutes}m"),
        _ if hours < 24 => format!("{hours}h"),
        _ if hours < 24 * 365 => format!("{}d", hours / 24),
        _ => format!("{}y", hours / 24 / 365),
    }
}

/// Go's `text/tabwriter` as kubeadm configures it (minwidth 10, padding 3, spaces, no flags):
/// tab-terminated cells in consecutive lines form columns, each as wide as its widest cell plus
/// the padding; the text after a line's last tab is not aligned.
fn tabwrite(text: &str) -> String {
    const MIN_WIDTH: usize = 10;
    const PADDING: usize = 3;

    fn write_lines(lines: &[Vec<&str>], widths: &[usize], out: &mut String) {
        for line in lines {
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if let Some(w) = widths.get(j) {
                    let pad = w.saturating_sub(cell.chars().count());
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
        }
    }

    fn format(lines: &[Vec<&str>], widths: &mut Vec<usize>, out: &mut String) {
        let column = widths.len();
        let has_column = |line: &Vec<&str>| column + 1 < line.len();
        let mut start = 0;
        let mut this = 0;
        while this < lines.len() {
            if !has_column(&lines[this]) {
                this += 1;
                continue;
            }
            write_lines(&lines[start..this], widths, out);
            start = this;
            let mut width = MIN_WIDTH;
            while this < lines.len() && has_column(&lines[this]) {
                width = width.max(lines[this][column].chars().count() + PADDING);
                this += 1;
            }
            widths.push(width);
            format(&lines[start..this], widths, out);
            widths.pop();
            start = this;
        }
        write_lines(&lines[start..], widths, out);
    }

    // A line without tabs flushes the writer, so what follows is aligned on its own.
    let mut out = String::new();
    let mut block: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        let flushes = cells.len() == 1;
        block.push(cells);
        if flushes {
            format(&block, &mut Vec::new(), &mut out);
            block.clear();
        }
    }
    format(&block, &mut Vec::new(), &mut out);
    out
}

/// The output API object, fields in kubeadm's order; a listed token never has a TTL.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutputToken<'a> {
    kind: &'static str,
    api_version: &'static str,
    token: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    usages: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    groups: &'a [String],
}

impl<'a> OutputToken<'a> {
    fn of(t: &'a ListedToken) -> Self {
        OutputToken {
            kind: OUTPUT_KIND,
            api_version: OUTPUT_API_VERSION,
            token: t.token.expose(),
            description: &t.description,
            expires: t.expires.map(|e| format_rfc3339(e.at)),
            usages: &t.usages,
            groups: &t.groups,
        }
    }
}

/// The output object of each token, as the template printers see it.
pub fn output_objects(tokens: &[ListedToken]) -> Vec<serde_json::Value> {
    tokens
        .iter()
        .map(|t| serde_json::to_value(OutputToken::of(t)).expect("strings serialize"))
        .collect()
}

/// `-o json`: one indented object per token, as kubeadm prints them one after another.
pub fn render_json(tokens: &[ListedToken]) -> String {
    let mut out = String::new();
    for t in tokens {
        let mut buf = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
        OutputToken::of(t)
            .serialize(&mut ser)
            .expect("strings serialize");
        out.push_str(&go_json_escapes(
            &String::from_utf8(buf).expect("JSON is UTF-8"),
        ));
        out.push('\n');
    }
    out
}

/// Go's encoder also escapes `<`, `>`, `&`, U+2028 and U+2029; in JSON text they can only be
/// inside strings, so replacing them everywhere is exact.
fn go_json_escapes(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// `-o yaml`: one document per token, `---` between them, keys sorted (sigs.k8s.io/yaml goes
/// through JSON and go-yaml v2, which sorts map keys).
pub fn render_yaml(tokens: &[ListedToken]) -> String {
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let o = OutputToken::of(t);
        yaml_field(&mut out, "apiVersion", o.api_version);
        if !o.description.is_empty() {
            yaml_field(&mut out, "description", o.description);
        }
        if let Some(expires) = &o.expires {
            yaml_field(&mut out, "expires", expires);
        }
        yaml_list(&mut out, "groups", o.groups);
        yaml_field(&mut out, "kind", o.kind);
        yaml_field(&mut out, "token", &o.token);
        yaml_list(&mut out, "usages", o.usages);
    }
    out
}

fn yaml_field(out: &mut String, key: &str, value: &str) {
    let prefix = format!("{key}: ");
    out.push_str(&prefix);
    out.push_str(&yaml_scalar(prefix.chars().count(), value));
    out.push('\n');
}

/// A block sequence, not indented below its key (go-yaml v2's layout).
fn yaml_list(out: &mut String, key: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(key);
    out.push_str(":\n");
    for item in items {
        out.push_str("- ");
        out.push_str(&yaml_scalar(2, item));
        out.push('\n');
    }
}

/// A string as go-yaml v2 writes it, starting at `column`: plain when it reads back as the same
/// string, single-quoted when plain would be misread, double-quoted when it would read back as
/// another type (a number, a bool, a time) or holds characters only escapes can carry. Plain and
/// single-quoted text is folded at the first space past column 80, continuing two columns in.
fn yaml_scalar(column: usize, s: &str) -> String {
    if s.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return serde_json::to_string(s).expect("strings serialize");
    }
    if yaml11_non_string(s) {
        return format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    }
    fold(column, s, !yaml_plain_allowed(s))
}

/// libyaml's plain and single-quoted writers: a space (not after another space, not before one)
/// becomes a line break once the line is past 80 columns.
fn fold(mut column: usize, value: &str, single_quoted: bool) -> String {
    const BEST_WIDTH: usize = 80;
    const INDENT: &str = "  ";
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::new();
    if single_quoted {
        out.push('\'');
        column += 1;
    }
    let mut after_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let inside = !single_quoted || (i > 0 && i + 1 < chars.len());
            let before_space = chars.get(i + 1) == Some(&' ');
            if !after_space && column > BEST_WIDTH && !before_space && inside {
                out.push('\n');
                out.push_str(INDENT);
                column = INDENT.len();
            } else {
                out.push(' ');
                column += 1;
            }
            after_space = true;
        } else {
            if single_quoted && c == '\'' {
                out.push('\'');
                column += 1;
            }
            out.push(c);
            column += 1;
            after_space = false;
        }
    }
    if single_quoted {
        out.push('\'');
    }
    out
}

/// Whether YAML 1.1 (as go-yaml v2 resolves plain scalars) reads `s` as something other than a
/// string: null, a bool, a number, a base-60 number or a timestamp.
fn yaml11_non_string(s: &str) -> bool {
    // go-yaml v2's resolve table: nulls, YAML 1.1 bools, infinities, not-a-number, merge.
    const WORDS: [&str; 40] = [
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return false;
    }
    let plain = s.replace('_', "");
    let unsigned = plain.trim_start_matches(['+', '-']);
    let is_int = unsigned
        .strip_prefix("0x")
        .map(|h| !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()))
        .or_else(|| {
            unsigned
                .strip_prefix("0b")
                .map(|b| !b.is_empty() && b.bytes().all(|c| matches!(c, b'0' | b'1')))
        })
        .or_else(|| {
            unsigned
                .strip_prefix("0o")
                .map(|o| !o.is_empty() && o.bytes().all(|c| matches!(c, b'0'..=b'7')))
        })
        .unwrap_or(!unsigned.is_empty() && unsigned.bytes().all(|c| c.is_ascii_digit()));
    let is_float = plain
        .parse::<f64>()
        .is_ok_and(|f| f.is_finite() || !unsigned.bytes().any(|c| c.is_ascii_digit()));
    is_int || is_float || is_base60(s) || is_yaml_timestamp(s)
}

/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`, which go-yaml quotes for old parsers' sake.
fn is_base60(s: &str) -> bool {
    let s = s.trim_start_matches(['+', '-']);
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = whole.split(':');
    let head = parts.next().unwrap_or_default();
    let sixties: Vec<&str> = parts.collect();
    head.bytes().next().is_some_and(|c| c.is_ascii_digit())
        && head.bytes().all(|c| c.is_ascii_digit() || c == b'_')
        && !sixties.is_empty()
        && sixties.iter().all(|p| {
            (1..=2).contains(&p.len())
                && p.bytes().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || p.as_bytes()[0] <= b'5')
        })
        && frac.bytes().all(|c| c.is_ascii_digit() || c == b'_')
}

/// A YAML 1.1 timestamp's start: `YYYY-M-D`, alone or followed by a time.
fn is_yaml_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| !r.is_empty() && r.iter().all(u8::is_ascii_digit);
    if b.len() < 8 || !digits(&b[..4]) || b[4] != b'-' {
        return false;
    }
    let rest = &s[5..];
    let date_end = rest.find(['T', 't', ' ']).unwrap_or(rest.len());
    let mut date = rest[..date_end].split('-');
    let (month, day) = (date.next().unwrap_or(""), date.next().unwrap_or(""));
    date.next().is_none()
        && (1..=2).contains(&month.len())
        && (1..=2).contains(&day.len())
        && digits(month.as_bytes())
        && digits(day.as_bytes())
}

/// libyaml's test for a plain scalar in block context.
fn yaml_plain_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let blank_at = |i: usize| chars.get(i).is_none_or(|c| *c == ' ' || *c == '\t');
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if chars[0] == ' ' || chars[chars.len() - 1] == ' ' {
        return false;
    }
    for (i, c) in chars.iter().enumerate() {
        let indicator = if i == 0 {
            matches!(
                c,
                '#' | ','
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '&'
                    | '*'
                    | '!'
                    | '|'
                    | '>'
                    | '\''
                    | '"'
                    | '%'
                    | '@'
                    | '`'
            ) || (matches!(c, '?' | ':' | '-') && blank_at(1))
        } else {
            (*c == ':' && blank_at(i + 1)) || (*c == '#' && chars[i - 1] == ' ')
        };
        if indicator {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
