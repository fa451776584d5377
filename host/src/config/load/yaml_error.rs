//! One-line descriptions of YAML decoding errors: the field path, what was wrong with which value,
//! and the position in the file (not in the document), so a user can go straight to the line.

use serde_saphyr::{MessageFormatter, UserMessageFormatter};

/// Describes `err`, raised while decoding `text`, a document that starts on line `first_line` of its file.
pub(crate) fn describe(err: &serde_saphyr::Error, text: &str, first_line: usize) -> String {
    let err = err.without_snippet();
    let raw: String = UserMessageFormatter
        .format_message(err)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let message = friendly(raw.trim());
    let Some(location) = err.location().filter(|l| l.line() > 0) else {
        return message;
    };
    let (line, column) = (location.line() as usize, location.column() as usize);
    if let Some(described) = field_scalar_error(&message, text, (line, column), first_line) {
        return described;
    }
    let path = field_path(text, line, column);
    let value = offending_scalar(err, text).filter(|_| !message.starts_with("unknown field"));
    let what = match value {
        Some(v) => format!("{v:?} is invalid: {message}"),
        None => message,
    };
    let position = format!("(line {}, column {column})", first_line + line - 1);
    if path.is_empty() {
        format!("{what} {position}")
    } else {
        format!("{path}: {what} {position}")
    }
}

/// saphyr's wording for type mismatches names Rust types; say what the user should write instead.
fn friendly(message: &str) -> String {
    let integer = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
        .iter()
        .any(|t| message == format!("invalid {t}"));
    if integer {
        return "expected an integer".into();
    }
    match message {
        "invalid boolean" => "expected true or false".into(),
        "expected sequence start" => "expected a list".into(),
        "expected mapping start" => "expected a mapping of fields".into(),
        "expected string scalar" => "expected a string".into(),
        other => other.to_string(),
    }
}

/// An error raised by a field's own deserializer (`config::scalars`): saphyr reports it as
/// `invalid type: string "<value>", expected <what>` at the field's key on 1-based
/// `line`/`column`. Described as the others are, with the field's path and the value's position.
fn field_scalar_error(
    message: &str,
    text: &str,
    (line, column): (usize, usize),
    first_line: usize,
) -> Option<String> {
    let (got, expected) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?
        .split_once(", expected ")?;
    let got = got.strip_prefix("string ").unwrap_or(got);
    let source = text.lines().nth(line.checked_sub(1)?)?;
    let key_start = source.char_indices().nth(column.checked_sub(1)?)?.0;
    let (field, rest) = key_at_text(&source[key_start..])?;
    let value = source.len() - rest.trim_start().len();
    let path = field_path(text, line, column);
    let path = if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    };
    Some(format!(
        "{path}: {got} is invalid: expected {expected} (line {}, column {})",
        first_line + line - 1,
        value + 1
    ))
}

/// A plain `key:` at the start of `text`, and what follows its colon.
fn key_at_text(text: &str) -> Option<(&str, &str)> {
    let (key, rest) = text.split_once(':')?;
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    (plain && (rest.is_empty() || rest.starts_with(' '))).then_some((key, rest))
}

/// The scalar the error points at, when it is short and on one line.
fn offending_scalar(err: &serde_saphyr::Error, text: &str) -> Option<String> {
    let span = err.location()?.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    let value = text.get(start..start.checked_add(len)?)?;
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    (len > 0 && len <= 80 && !value.contains('\n') && !value.starts_with(['[', '{']))
        .then(|| value.to_string())
}

/// A block-YAML element that can enclose later lines: a list item dash or a `key:`.
#[derive(Debug, PartialEq)]
enum Token {
    Dash,
    /// A key and whether its value follows on the same line (then it cannot enclose later lines).
    Key(String, bool),
}

/// The dashes and the key that open a line, with their 0-based columns.
fn tokens(line: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        if i >= chars.len() || chars[i] == '#' {
            return out;
        }
        if chars[i] == '-' && chars.get(i + 1).is_none_or(|c| *c == ' ') {
            out.push((i, Token::Dash));
            i += 1;
            continue;
        }
        if let Some((key, end)) = key_at(&chars, i) {
            let rest: String = chars[end..].iter().collect();
            let rest = rest.trim();
            let inline = !(rest.is_empty() || rest.starts_with('#'));
            out.push((i, Token::Key(key, inline)));
        }
        return out;
    }
}

/// A mapping key starting at `start`, and the index just past its colon.
fn key_at(chars: &[char], start: usize) -> Option<(String, usize)> {
    let first = chars[start];
    if first == '"' || first == '\'' {
        let close = (start + 1..chars.len()).find(|&j| chars[j] == first)?;
        let after = close + 1;
        let ends = chars.get(after) == Some(&':') && chars.get(after + 1).is_none_or(|c| *c == ' ');
        return ends.then(|| (chars[start + 1..close].iter().collect(), after + 1));
    }
    if "[{|>&*!%@`".contains(first) {
        return None;
    }
    let colon = (start..chars.len())
        .find(|&j| chars[j] == ':' && chars.get(j + 1).is_none_or(|c| *c == ' '))?;
    let key: String = chars[start..colon].iter().collect();
    (!key.contains(" #")).then(|| (key.trim_end().to_string(), colon + 1))
}

/// The position of a list item among its siblings: earlier dashes at the same column up to the parent.
fn item_index(lines: &[&str], line: usize, column: usize) -> usize {
    let mut index = 0;
    for prev in lines[..line].iter().rev() {
        match tokens(prev).first() {
            Some((c, Token::Dash)) if *c == column => index += 1,
            Some((c, _)) if *c <= column => break,
            _ => {}
        }
    }
    index
}

/// The field path (`bootstrapTokens[0].ttl`) enclosing 1-based `line`/`column`, from indentation.
pub(crate) fn field_path(text: &str, line: usize, column: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(target) = line.checked_sub(1).filter(|&l| l < lines.len()) else {
        return String::new();
    };
    let mut segments: Vec<String> = Vec::new();
    let (mut limit, mut limit_is_dash) = (column.saturating_sub(1), false);
    for idx in (0..=target).rev() {
        if limit == 0 && !limit_is_dash {
            break;
        }
        let enclosing: Vec<(usize, Token)> = tokens(lines[idx])
            .into_iter()
            .filter(|(col, tok)| {
                let inside = *col < limit
                    || (*col == limit && limit_is_dash && matches!(tok, Token::Key(..)));
                let can_enclose = idx == target || !matches!(tok, Token::Key(_, true));
                inside && can_enclose
            })
            .collect();
        let Some((leftmost, _)) = enclosing.first() else {
            continue;
        };
        limit = *leftmost;
        limit_is_dash = matches!(enclosing[0].1, Token::Dash);
        for (col, tok) in enclosing.into_iter().rev() {
            segments.push(match tok {
                Token::Dash => format!("[{}]", item_index(&lines, idx, col)),
                Token::Key(key, _) => key,
            });
        }
    }
    segments.iter().rev().fold(String::new(), |mut path, seg| {
        if !path.is_empty() && !seg.starts_with('[') {
            path.push('.');
        }
        path.push_str(seg);
        path
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_indentation_keys_and_list_items() {
        let doc = "kind: X\nnetworking:\n  podSubnet: a\nbootstrapTokens:\n- token: t\n  ttl: 5x\n- token: u\n  groups:\n  - g\n  - h\nextraArgs:\n  - name: n\n    value: v\n";
        for (line, column, want) in [
            (1, 7, "kind"),
            (2, 1, ""),
            (3, 3, "networking"),
            (3, 14, "networking.podSubnet"),
            (6, 8, "bootstrapTokens[0].ttl"),
            (7, 10, "bootstrapTokens[1].token"),
            (10, 5, "bootstrapTokens[1].groups[1]"),
            (13, 12, "extraArgs[0].value"),
            (13, 5, "extraArgs[0]"),
        ] {
            assert_eq!(
                field_path(doc, line, column),
                want,
                "line {line} column {column}"
            );
        }
    }

    #[test]
    fn quoted_keys_and_comments_are_understood() {
        let doc = "\"apiServer\":  # the API server\n  # a comment line\n  certSANs: [a]\n";
        assert_eq!(field_path(doc, 3, 13), "apiServer.certSANs");
    }

    #[test]
    fn rust_type_names_become_what_to_write() {
        assert_eq!(friendly("invalid i32"), "expected an integer");
        assert_eq!(friendly("expected sequence start"), "expected a list");
        assert_eq!(friendly("unclosed quote"), "unclosed quote");
    }
}
