//! kubectl's template printers for `token list -o`, applied to each token's output object as
//! kubeadm applies them: a JSONPath template (kubectl's dialect) and a Go text/template subset.
//!
//! JSONPath: text with `{expression}` blocks; an expression is `$` or `@`, `.field`,
//! `['field']`, `[n]` (negative from the end), `[a:b]`, `[*]`, `.*`, recursive descent
//! `..field` (every container at any depth, then the step after it), a filter
//! `[?(@.field)]` / `[?(@.field == "value")]` (`==`, `!=`), a string literal `{"\n"}`, or
//! `{range <path>}…{end}`. Several results of one expression are joined by a space; a missing
//! key prints nothing (kubectl's printer allows missing keys).
//!
//! Go template: text with `{{action}}` blocks (`{{-`/`-}}` trim whitespace); an action is
//! `.`, `.field.field`, a string literal, `range <pipeline>`, `if <pipeline>`, `with <pipeline>`,
//! `else` and `end`. Values print as Go's `%v` does; a missing key prints `<no value>`.
//! Functions, variables and pipes with `|` are not supported and are refused when parsed.

use serde_json::Value;

/// A template that could not be parsed or applied; the message names the template text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{printer} template {template:?}: {problem}")]
pub struct TemplateError {
    pub printer: &'static str,
    pub template: String,
    pub problem: String,
}

/// One step of a JSONPath expression.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// `$`: the object the template is applied to, even inside `{range}`.
    Root,
    Field(String),
    Wildcard,
    /// `..`: the value and every object or array inside it, outermost first.
    Descend,
    Index(i64),
    Slice(Option<i64>, Option<i64>),
    Filter {
        path: Vec<Step>,
        test: Option<(bool, Value)>,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum PathNode {
    Text(String),
    Expr(Vec<Step>),
    Range(Vec<Step>, Vec<PathNode>),
}

/// A parsed kubectl JSONPath template.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    nodes: Vec<PathNode>,
}

impl JsonPath {
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let fail = |problem: String| TemplateError {
            printer: "jsonpath",
            template: template.to_string(),
            problem,
        };
        // Each open `{range}` collects its body; the bottom frame is the template itself.
        let mut frames: Vec<(Option<Vec<Step>>, Vec<PathNode>)> = vec![(None, Vec::new())];
        let mut text = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = closing_brace(after).ok_or_else(|| fail("unclosed '{'".into()))?;
            let inner = after[..close].trim();
            rest = &after[close + 1..];
            let body = &mut frames.last_mut().expect("a frame").1;
            if !text.is_empty() {
                body.push(PathNode::Text(std::mem::take(&mut text)));
            }
            if let Some(path) = inner.strip_prefix("range ") {
                frames.push((Some(parse_path(path.trim()).map_err(fail)?), Vec::new()));
            } else if inner == "end" {
                let (Some(path), nodes) = frames.pop().expect("a frame") else {
                    return Err(fail("{end} without {range}".into()));
                };
                frames
                    .last_mut()
                    .ok_or_else(|| fail("{end} without {range}".into()))?
                    .1
                    .push(PathNode::Range(path, nodes));
            } else if inner.starts_with('"') {
                let literal = unquote(inner).ok_or_else(|| fail(format!("bad string {inner}")))?;
                body.push(PathNode::Text(literal));
            } else {
                body.push(PathNode::Expr(parse_path(inner).map_err(fail)?));
            }
        }
        text.push_str(rest);
        if frames.len() > 1 {
            return Err(fail("{range} without {end}".into()));
        }
        let mut nodes = frames.pop().expect("the template frame").1;
        if !text.is_empty() {
            nodes.push(PathNode::Text(text));
        }
        Ok(JsonPath { nodes })
    }

    /// The template applied to `root`.
    pub fn render(&self, root: &Value) -> String {
        let mut out = String::new();
        render_path_nodes(&self.nodes, root, root, &mut out);
        out
    }
}

/// The index of the `}` closing a block, skipping quoted strings and nested brackets.
fn closing_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '(' | '{' => depth += 1,
                ']' | ')' => depth = depth.saturating_sub(1),
                '}' if depth == 0 => return Some(i),
                '}' => depth -= 1,
                _ => {}
            },
        }
    }
    None
}

/// A Go-style double-quoted string literal (`\n`, `\t`, `\"`, `\\`), or a single-quoted one.
fn unquote(s: &str) -> Option<String> {
    if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
        return Some(s[1..s.len() - 1].to_string());
    }
    let body = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '"' => '"',
            '\'' => '\'',
            '\\' => '\\',
            _ => return None,
        });
    }
    Some(out)
}

fn parse_path(expr: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut s = match expr.strip_prefix('$') {
        Some(rest) => {
            steps.push(Step::Root);
            rest
        }
        None => expr.strip_prefix('@').unwrap_or(expr),
    };
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix("..") {
            steps.push(Step::Descend);
            // `..name` continues with a field step, `..[0]` or `..*` with the step itself.
            s = match rest.chars().next() {
                Some('[') => rest,
                Some('.') | None => {
                    return Err(format!("'..' needs a field or '[' after it in {expr:?}"));
                }
                Some(_) => &s[1..],
            };
        } else if let Some(rest) = s.strip_prefix('.') {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let name = &rest[..end];
            match name {
                "" => return Err(format!("empty field name in {expr:?}")),
                "*" => steps.push(Step::Wildcard),
                _ => steps.push(Step::Field(name.to_string())),
            }
            s = &rest[end..];
        } else if let Some(rest) = s.strip_prefix('[') {
            let close = closing_bracket(rest).ok_or_else(|| format!("unclosed '[' in {expr:?}"))?;
            steps.push(parse_bracket(rest[..close].trim())?);
            s = &rest[close + 1..];
        } else {
            return Err(format!("unexpected {s:?} in {expr:?}"));
        }
    }
    Ok(steps)
}

fn closing_bracket(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ']') if depth == 0 => return Some(i),
            (None, ']') => depth -= 1,
            _ => {}
        }
    }
    None
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        return parse_filter(filter.trim());
    }
    if inner.starts_with(['"', '\'']) {
        return unquote(inner)
            .map(Step::Field)
            .ok_or_else(|| format!("bad field name {inner}"));
    }
    let number = |s: &str| -> Result<Option<i64>, String> {
        let s = s.trim();
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse()
                .map(Some)
                .map_err(|_| format!("{s:?} is not an index"))
        }
    };
    match inner.split_once(':') {
        Some((start, end)) => Ok(Step::Slice(number(start)?, number(end)?)),
        None => number(inner)?
            .map(Step::Index)
            .ok_or_else(|| "empty index '[]'".to_string()),
    }
}

fn parse_filter(filter: &str) -> Result<Step, String> {
    let (lhs, test) = match filter.find("==").or_else(|| filter.find("!=")) {
        Some(at) => {
            let equal = &filter[at..at + 2] == "==";
            let literal = filter[at + 2..].trim();
            let value = match unquote(literal) {
                Some(text) => Value::String(text),
                None => serde_json::from_str(literal)
                    .map_err(|_| format!("{literal:?} is not a string or number"))?,
            };
            (filter[..at].trim(), Some((equal, value)))
        }
        None => (filter, None),
    };
    if !lhs.starts_with('@') {
        return Err(format!("a filter compares @.field, not {lhs:?}"));
    }
    Ok(Step::Filter {
        path: parse_path(lhs)?,
        test,
    })
}

fn eval_path<'v>(steps: &[Step], root: &'v Value, start: &'v Value) -> Vec<&'v Value> {
    let mut current = vec![start];
    for step in steps {
        let mut next = Vec::new();
        for value in current {
            match (step, value) {
                (Step::Root, _) => next.push(root),
                (Step::Descend, _) => descend(value, &mut next),
                (Step::Field(name), Value::Object(map)) => next.extend(map.get(name)),
                (Step::Wildcard, Value::Object(map)) => next.extend(map.values()),
                (Step::Wildcard, Value::Array(items)) => next.extend(items),
                (Step::Index(i), Value::Array(items)) => {
                    let at = if *i < 0 { items.len() as i64 + i } else { *i };
                    next.extend(usize::try_from(at).ok().and_then(|at| items.get(at)));
                }
                (Step::Slice(start, end), Value::Array(items)) => {
                    let len = items.len() as i64;
                    let clamp = |v: i64| (if v < 0 { len + v } else { v }).clamp(0, len) as usize;
                    let (from, to) = (clamp(start.unwrap_or(0)), clamp(end.unwrap_or(len)));
                    if from < to {
                        next.extend(&items[from..to]);
                    }
                }
                (Step::Filter { path, test }, Value::Array(items)) => {
                    next.extend(items.iter().filter(|item| {
                        let found = eval_path(path, root, item);
                        match test {
                            None => !found.is_empty(),
                            Some((equal, wanted)) => found.contains(&wanted) == *equal,
                        }
                    }));
                }
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// kubectl's recursive descent: a container, then the containers inside it, depth first.
fn descend<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    let children: Vec<&Value> = match value {
        Value::Object(map) => map.values().collect(),
        Value::Array(items) => items.iter().collect(),
        _ => return,
    };
    out.push(value);
    for child in children {
        descend(child, out);
    }
}

fn render_path_nodes(nodes: &[PathNode], root: &Value, current: &Value, out: &mut String) {
    for node in nodes {
        match node {
            PathNode::Text(text) => out.push_str(text),
            PathNode::Expr(steps) => {
                let values = eval_path(steps, root, current);
                let shown: Vec<String> = values.iter().map(|v| jsonpath_text(v)).collect();
                out.push_str(&shown.join(" "));
            }
            PathNode::Range(steps, body) => {
                let values = eval_path(steps, root, current);
                // `{range .list}` walks the list's items, as `{range .list[*]}` does.
                let items: Vec<&Value> = match values.as_slice() {
                    [Value::Array(items)] => items.iter().collect(),
                    _ => values.clone(),
                };
                for item in items {
                    render_path_nodes(body, root, item, out);
                }
            }
        }
    }
}

/// A value as kubectl's JSONPath prints it: strings bare, other values as compact JSON.
fn jsonpath_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Term {
    Dot(Vec<String>),
    Literal(String),
}

#[derive(Clone, Debug, PartialEq)]
enum GoNode {
    Text(String),
    Print(Term),
    Range(Term, Vec<GoNode>, Vec<GoNode>),
    If(Term, Vec<GoNode>, Vec<GoNode>),
    With(Term, Vec<GoNode>, Vec<GoNode>),
}

/// A parsed Go template (the subset described in the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct GoTemplate {
    source: String,
    nodes: Vec<GoNode>,
}

#[derive(Clone, Copy, PartialEq)]
enum Block {
    Range,
    If,
    With,
}

struct Frame {
    block: Option<(Block, Term)>,
    body: Vec<GoNode>,
    otherwise: Option<Vec<GoNode>>,
}

impl Frame {
    fn nodes(&mut self) -> &mut Vec<GoNode> {
        self.otherwise.as_mut().unwrap_or(&mut self.body)
    }
}

impl GoTemplate {
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let fail = |problem: String| TemplateError {
            printer: "go-template",
            template: template.to_string(),
            problem,
        };
        let mut frames = vec![Frame {
            block: None,
            body: Vec::new(),
            otherwise: None,
        }];
        let mut rest = template;
        let mut trim_next = false;
        loop {
            let (mut text, action) = match rest.find("{{") {
                Some(open) => (&rest[..open], Some(&rest[open + 2..])),
                None => (rest, None),
            };
            if trim_next {
                text = text.trim_start();
            }
            let Some(after) = action else {
                push_text(frames.last_mut().expect("a frame").nodes(), text);
                break;
            };
            let close = after
                .find("}}")
                .ok_or_else(|| fail("unclosed '{{'".into()))?;
            let mut inner = &after[..close];
            rest = &after[close + 2..];
            if let Some(trimmed) = inner.strip_prefix("- ") {
                text = text.trim_end();
                inner = trimmed;
            }
            trim_next = false;
            if let Some(trimmed) = inner.strip_suffix(" -") {
                trim_next = true;
                inner = trimmed;
            }
            push_text(frames.last_mut().expect("a frame").nodes(), text);
            let inner = inner.trim();
            let keyword = |word: &str| {
                inner
                    .strip_prefix(word)
                    .filter(|r| r.starts_with(char::is_whitespace))
                    .map(str::trim)
            };
            if let Some(pipeline) = keyword("range") {
                frames.push(open_block(Block::Range, pipeline).map_err(fail)?);
            } else if let Some(pipeline) = keyword("if") {
                frames.push(open_block(Block::If, pipeline).map_err(fail)?);
            } else if let Some(pipeline) = keyword("with") {
                frames.push(open_block(Block::With, pipeline).map_err(fail)?);
            } else if inner == "else" {
                let frame = frames.last_mut().expect("a frame");
                if frame.block.is_none() || frame.otherwise.is_some() {
                    return Err(fail("unexpected {{else}}".into()));
                }
                frame.otherwise = Some(Vec::new());
            } else if inner == "end" {
                let frame = frames.pop().expect("a frame");
                let Some((block, term)) = frame.block else {
                    return Err(fail("unexpected {{end}}".into()));
                };
                let otherwise = frame.otherwise.unwrap_or_default();
                let node = match block {
                    Block::Range => GoNode::Range(term, frame.body, otherwise),
                    Block::If => GoNode::If(term, frame.body, otherwise),
                    Block::With => GoNode::With(term, frame.body, otherwise),
                };
                frames.last_mut().expect("a frame").nodes().push(node);
            } else {
                let term = parse_term(inner).map_err(fail)?;
                frames
                    .last_mut()
                    .expect("a frame")
                    .nodes()
                    .push(GoNode::Print(term));
            }
        }
        if frames.len() > 1 {
            return Err(fail("missing {{end}}".into()));
        }
        Ok(GoTemplate {
            source: template.to_string(),
            nodes: frames.pop().expect("the template frame").body,
        })
    }

    /// The template applied to `root`.
    pub fn render(&self, root: &Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        render_go_nodes(&self.nodes, root, &mut out).map_err(|problem| TemplateError {
            printer: "go-template",
            template: self.source.clone(),
            problem,
        })?;
        Ok(out)
    }
}

fn push_text(nodes: &mut Vec<GoNode>, text: &str) {
    if !text.is_empty() {
        nodes.push(GoNode::Text(text.to_string()));
    }
}

fn open_block(block: Block, pipeline: &str) -> Result<Frame, String> {
    Ok(Frame {
        block: Some((block, parse_term(pipeline)?)),
        body: Vec::new(),
        otherwise: None,
    })
}

fn parse_term(s: &str) -> Result<Term, String> {
    if s.starts_with('"') {
        return unquote(s)
            .map(Term::Literal)
            .ok_or_else(|| format!("bad string {s}"));
    }
    if s == "." {
        return Ok(Term::Dot(Vec::new()));
    }
    match s.strip_prefix('.') {
        Some(path)
            if path
                .split('.')
                .all(|f| !f.is_empty() && f.chars().all(|c| c.is_alphanumeric() || c == '_')) =>
        {
            Ok(Term::Dot(path.split('.').map(str::to_string).collect()))
        }
        _ => Err(format!(
            "{s:?} is not supported; expected ., .field, a string, range, if, with, else or end"
        )),
    }
}

/// A term's value; `None` is Go's missing map key (`<no value>`).
fn eval_term(term: &Term, dot: &Value) -> Result<Option<Value>, String> {
    match term {
        Term::Literal(s) => Ok(Some(Value::String(s.clone()))),
        Term::Dot(fields) => {
            let mut value = dot;
            for field in fields {
                value = match value {
                    Value::Object(map) => match map.get(field) {
                        Some(v) => v,
                        None => return Ok(None),
                    },
                    Value::Null => return Ok(None),
                    other => {
                        return Err(format!(
                            "can't evaluate field {field} in type {}",
                            go_type(other)
                        ));
                    }
                };
            }
            Ok(Some(value.clone()))
        }
    }
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's truth: false, 0, "", nil and empty lists and maps are false.
fn truthy(v: &Option<Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

fn render_go_nodes(nodes: &[GoNode], dot: &Value, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            GoNode::Text(text) => out.push_str(text),
            GoNode::Print(term) => match eval_term(term, dot)? {
                Some(v) => out.push_str(&go_text(&v)),
                None => out.push_str("<no value>"),
            },
            GoNode::If(term, then, otherwise) => {
                let branch = if truthy(&eval_term(term, dot)?) {
                    then
                } else {
                    otherwise
                };
                render_go_nodes(branch, dot, out)?;
            }
            GoNode::With(term, then, otherwise) => {
                let value = eval_term(term, dot)?;
                match value {
                    Some(v) if truthy(&Some(v.clone())) => render_go_nodes(then, &v, out)?,
                    _ => render_go_nodes(otherwise, dot, out)?,
                }
            }
            GoNode::Range(term, body, otherwise) => {
                let items: Vec<Value> = match eval_term(term, dot)? {
                    Some(Value::Array(items)) => items,
                    // Go ranges over a map's values in key order.
                    Some(Value::Object(map)) => map.into_iter().map(|(_, v)| v).collect(),
                    None | Some(Value::Null) => Vec::new(),
                    Some(other) => {
                        return Err(format!("range can't iterate over {}", go_text(&other)));
                    }
                };
                if items.is_empty() {
                    render_go_nodes(otherwise, dot, out)?;
                }
                for item in &items {
                    render_go_nodes(body, item, out)?;
                }
            }
        }
    }
    Ok(())
}

/// A value as Go's `%v` prints what `encoding/json` decoded: `[a b]`, `map[k:v]`, `<nil>`.
fn go_text(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let shown: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_text(v)))
                .collect();
            format!("map[{}]", shown.join(" "))
        }
    }
}

#[cfg(test)]
mod tests;
