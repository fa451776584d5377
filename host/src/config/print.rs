//! What `kubeadm-rs config print|migrate|validate` compute: pure functions returning the text to
//! print. YAML is written as kubeadm writes it (Go's JSON→YAML path: keys sorted the way go-yaml
//! sorts them, `{}` for empty objects, `null` for unset taints), documents joined by `---`.

use std::cmp::Ordering;
use std::str::FromStr;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::Value;

use super::constants::KUBERNETES_VERSION;
use super::defaults::{
    HostFacts, default_cluster_configuration, default_init_configuration,
    default_join_configuration,
};
use super::load::{Documents, Known, load_documents};
use super::reset::{self, ResetConfiguration};
use super::resolve::{InitOverrides, JoinOverrides, resolve_init, resolve_join};
use super::upgrade::{self, UpgradeConfiguration};
use super::{
    ComponentConfig, ConfigError, InitConfig, KUBE_PROXY_CONFIG_GROUP_VERSION,
    KUBELET_CONFIG_GROUP_VERSION,
};

/// A component config `--component-configs` can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentKind {
    Kubelet,
    KubeProxy,
}

impl ComponentKind {
    /// The accepted names, sorted as kubeadm lists them.
    pub const NAMES: [&'static str; 2] = ["KubeProxyConfiguration", "KubeletConfiguration"];

    pub fn kind(self) -> &'static str {
        match self {
            ComponentKind::Kubelet => "KubeletConfiguration",
            ComponentKind::KubeProxy => "KubeProxyConfiguration",
        }
    }

    pub fn api_version(self) -> &'static str {
        match self {
            ComponentKind::Kubelet => KUBELET_CONFIG_GROUP_VERSION,
            ComponentKind::KubeProxy => KUBE_PROXY_CONFIG_GROUP_VERSION,
        }
    }
}

impl FromStr for ComponentKind {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "KubeletConfiguration" => Ok(ComponentKind::Kubelet),
            "KubeProxyConfiguration" => Ok(ComponentKind::KubeProxy),
            other => Err(ConfigError::Invalid(vec![format!(
                "--component-configs: {other:?} is not a component config; --component-configs needs to contain some of [{}]",
                Self::NAMES.join(" ")
            )])),
        }
    }
}

/// Parses the `--component-configs` list (already split on commas).
pub fn parse_component_kinds(names: &[String]) -> Result<Vec<ComponentKind>, ConfigError> {
    names.iter().map(|n| n.trim().parse()).collect()
}

/// Builds each component config from the defaulted configuration (supplied by `manifests`).
pub struct ComponentDefaults<'a> {
    pub kubelet: &'a dyn Fn(&InitConfig) -> ComponentConfig,
    pub kube_proxy: &'a dyn Fn(&InitConfig) -> ComponentConfig,
}

/// Serialises `value` as kubeadm prints API objects.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, ConfigError> {
    let json = serde_json::to_value(value)
        .map_err(|e| ConfigError::Invalid(vec![format!("serialising to YAML: {e}")]))?;
    let mut options = serde_saphyr::SerializerOptions::default();
    // Go's YAML writer never folds long strings into block scalars.
    options.prefer_block_scalars = false;
    // YAML 1.2 number rules leave "1.2.3.4" plain as go-yaml does; which strings go-yaml quotes,
    // and how, is decided by `GoYamlOrder`.
    options.yaml_12 = true;
    options.no_lang_directive = true;
    serde_saphyr::to_string_with_options(&GoYamlOrder(&json), options)
        .map(|yaml| plain_ipv6_values(&yaml))
        .map_err(|e| ConfigError::Invalid(vec![format!("serialising to YAML: {e}")]))
}

/// The YAML writer quotes every scalar starting with ':'; go-yaml writes an IPv6 address such as
/// `::1` plain (a ':' not followed by a blank is no indicator), so those values are unquoted.
fn plain_ipv6_values(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len());
    for line in yaml.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let unquoted = body.rfind(" \"::").and_then(|at| {
            let (before, quoted) = (&body[..at], &body[at + 1..]);
            let value = quoted.strip_prefix('"')?.strip_suffix('"')?;
            let ipv6 = value
                .bytes()
                .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
                && !value.ends_with(':');
            let after_indicator = before.ends_with(':') || before.trim_start() == "-";
            (ipv6 && after_indicator).then(|| format!("{before} {value}"))
        });
        match unquoted {
            Some(text) => {
                out.push_str(&text);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Joins documents the way kubeadm does (`---` on its own line between them).
fn join_documents(docs: &[String]) -> String {
    docs.join("---\n")
}

/// The configuration `config print init-defaults` starts from: static defaults and placeholders.
fn placeholder_init_config() -> InitConfig {
    InitConfig {
        init: default_init_configuration(),
        cluster: default_cluster_configuration(),
        kubelet: None,
        kube_proxy: None,
        plugins: None,
    }
}

fn component_documents(
    components: &[ComponentKind],
    defaults: &ComponentDefaults<'_>,
    cfg: &InitConfig,
) -> Result<Vec<String>, ConfigError> {
    components
        .iter()
        .map(|&component| {
            let mut config = match component {
                ComponentKind::Kubelet => (defaults.kubelet)(cfg),
                ComponentKind::KubeProxy => (defaults.kube_proxy)(cfg),
            };
            config.insert("apiVersion".into(), component.api_version().into());
            config.insert("kind".into(), component.kind().into());
            to_yaml(&config)
        })
        .collect()
}

/// `kubeadm config print init-defaults [--component-configs ...]`.
pub fn print_init_defaults(
    components: &[ComponentKind],
    defaults: &ComponentDefaults<'_>,
) -> Result<String, ConfigError> {
    let cfg = placeholder_init_config();
    let mut cluster = cfg.cluster.clone();
    // kubeadm prints its own version without the "v" here (it is a parsed semver, not a label).
    cluster.kubernetes_version = KUBERNETES_VERSION.trim_start_matches('v').to_string();
    let mut docs = vec![to_yaml(&cfg.init)?, to_yaml(&cluster)?];
    docs.extend(component_documents(components, defaults, &cfg)?);
    Ok(join_documents(&docs))
}

/// `kubeadm config print join-defaults [--component-configs ...]`: placeholders, except the node
/// name, which kubeadm fills from the host name.
pub fn print_join_defaults(
    components: &[ComponentKind],
    defaults: &ComponentDefaults<'_>,
    facts: &dyn HostFacts,
) -> Result<String, ConfigError> {
    let mut join = default_join_configuration();
    join.node_registration.name = facts
        .hostname()
        .map_err(|e| {
            ConfigError::field(
                "nodeRegistration.name",
                format!("the host name is unknown ({e})"),
            )
        })?
        .trim()
        .to_lowercase();
    let mut docs = vec![to_yaml(&join)?];
    docs.extend(component_documents(
        components,
        defaults,
        &placeholder_init_config(),
    )?);
    Ok(join_documents(&docs))
}

/// Fails on documents kubeadm does not know, as its validateKnownGVKs does for migrate and validate.
fn reject_unknown(known: &[(usize, Known)]) -> Result<(), ConfigError> {
    let unknown: Vec<String> = known
        .iter()
        .filter_map(|(_, k)| match k {
            Known::Unknown { location, api_version } => Some(format!(
                "{location}: unknown configuration API {api_version:?}; expected kubeadm.k8s.io, {KUBELET_CONFIG_GROUP_VERSION} or {KUBE_PROXY_CONFIG_GROUP_VERSION} documents"
            )),
            _ => None,
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid(unknown))
    }
}

/// `kubeadm config migrate --old-config F`: converts kubeadm documents to v1beta4, defaulted and
/// validated as kubeadm does (so host-derived values such as the node name and a fresh token are
/// filled in). Documents kubeadm does not convert (component configs, Reset/UpgradeConfiguration)
/// are kept as they were, after the converted ones.
pub fn migrate(old_text: &str, source: &str, facts: &dyn HostFacts) -> Result<String, ConfigError> {
    let docs = load_documents(old_text, source)?;
    // As kubeadm's MigrateOldConfig: no documents, nothing to convert, and no error.
    if docs.docs.is_empty() {
        return Ok(String::new());
    }
    let decoded = docs.decode_all()?;
    reject_unknown(&decoded.items)?;
    // Strict decoding problems only warn in init and join; validating is asking for them.
    if !decoded.strict.is_empty() {
        return Err(ConfigError::Invalid(decoded.strict));
    }
    let others = other_command_documents(&docs, Defaulting::Migrate)?;
    let has = |pred: fn(&Known) -> bool| decoded.items.iter().any(|(_, k)| pred(k));
    let mut out = Vec::new();
    if has(|k| matches!(k, Known::Init(_) | Known::Cluster { .. })) {
        let (cfg, _) = resolve_init(Some(&docs), &InitOverrides::default(), facts)?;
        out.push(to_yaml(&cfg.init)?);
        out.push(to_yaml(&cfg.cluster)?);
    }
    if has(|k| matches!(k, Known::Join(_))) {
        let join = resolve_join(Some(&docs), &JoinOverrides::default(), facts)?
            .0
            .join;
        out.push(to_yaml(&join)?);
    }
    out.extend(others);
    for (position, known) in &decoded.items {
        if matches!(
            known,
            Known::Kubelet(_) | Known::KubeProxy(_) | Known::Plugins(_)
        ) {
            out.push(docs.docs[*position].text.clone());
        }
    }
    if out.is_empty() {
        return Err(nothing_to_do(source));
    }
    let text = join_documents(&out);
    validate_file(&text, &format!("{source} (migrated)"), facts)?;
    Ok(text)
}

fn nothing_to_do(source: &str) -> ConfigError {
    ConfigError::Decode {
        location: source.to_string(),
        // Deliberately stricter than kubeadm, which reports "ok" for a file with none of them.
        message: "no InitConfiguration, ClusterConfiguration, JoinConfiguration, ResetConfiguration or UpgradeConfiguration found; expected at least one kubeadm document (kubeadm reports ok for such a file; kubeadm-rs refuses it, as validating nothing is most likely the wrong file)".into(),
    }
}

/// Whether reset and upgrade documents are written back with kubeadm's defaults filled in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defaulting {
    /// `config migrate`: defaulted, as kubeadm writes a migrated ResetConfiguration.
    Migrate,
    /// `config validate`: only checked.
    AsWritten,
}

/// The file's ResetConfiguration and UpgradeConfiguration, in that order, decoded strictly,
/// validated and written back as v1beta4, as kubeadm's `config validate` and `config migrate`
/// handle them (init and join only say they ignore them).
fn other_command_documents(
    docs: &Documents,
    defaulting: Defaulting,
) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for kind in [reset::KIND, upgrade::KIND] {
        for doc in docs.docs.iter().filter(|d| d.kind == kind) {
            let location = doc.location(&docs.source);
            let (yaml, problems) = if kind == reset::KIND {
                let mut cfg: ResetConfiguration = doc.decode(&docs.source)?;
                if defaulting == Defaulting::Migrate {
                    reset::set_defaults(&mut cfg);
                }
                let problems = match reset::validate_reset(&cfg) {
                    Ok(()) => Vec::new(),
                    Err(ConfigError::Invalid(problems)) => problems,
                    Err(other) => return Err(other),
                };
                (to_yaml(&cfg)?, problems)
            } else {
                let mut cfg: UpgradeConfiguration = doc.decode(&docs.source)?;
                if defaulting == Defaulting::Migrate {
                    upgrade::set_defaults(&mut cfg);
                }
                (to_yaml(&cfg)?, upgrade::validate_upgrade(&cfg))
            };
            if !problems.is_empty() {
                return Err(ConfigError::Invalid(
                    problems
                        .into_iter()
                        .map(|p| format!("{location}: {p}"))
                        .collect(),
                ));
            }
            out.push(yaml);
        }
    }
    Ok(out)
}

/// `kubeadm config validate --config F`: decodes strictly, defaults and validates the init part
/// and/or the join part of a file. Returns the warnings to show.
pub fn validate_file(
    text: &str,
    source: &str,
    facts: &dyn HostFacts,
) -> Result<Vec<String>, ConfigError> {
    let docs = load_documents(text, source)?;
    let decoded = docs.decode_all()?;
    reject_unknown(&decoded.items)?;
    // Strict decoding problems only warn in init and join; validating is asking for them.
    if !decoded.strict.is_empty() {
        return Err(ConfigError::Invalid(decoded.strict));
    }
    let others = other_command_documents(&docs, Defaulting::AsWritten)?;
    let has = |pred: fn(&Known) -> bool| decoded.items.iter().any(|(_, k)| pred(k));
    let (has_init, has_join) = (
        has(|k| matches!(k, Known::Init(_) | Known::Cluster { .. })),
        has(|k| matches!(k, Known::Join(_))),
    );
    if !has_init && !has_join && others.is_empty() {
        return Err(nothing_to_do(source));
    }
    let mut warnings = Vec::new();
    if has_init {
        warnings.extend(resolve_init(Some(&docs), &InitOverrides::default(), facts)?.1);
    }
    if has_join {
        for w in resolve_join(Some(&docs), &JoinOverrides::default(), facts)?.1 {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
    Ok(warnings)
}

/// A JSON value serialised with object keys in go-yaml's order.
struct GoYamlOrder<'a>(&'a Value);

impl Serialize for GoYamlOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| go_yaml_key_order(a.0, b.0));
                let mut out = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    out.serialize_entry(k, &GoYamlOrder(v))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&GoYamlOrder(item))?;
                }
                out.end()
            }
            // go-yaml double-quotes strings that would read back as another type, and single-quotes
            // the ones that are only unsafe as YAML syntax.
            Value::String(text) if go_yaml_reads_as_non_string(text) => {
                serde_saphyr::DoubleQuoted(text.as_str()).serialize(s)
            }
            Value::String(text) if needs_syntax_quotes(text) => {
                serde_saphyr::SingleQuoted(text.as_str()).serialize(s)
            }
            other => other.serialize(s),
        }
    }
}

/// Whether go-yaml v2 resolves this plain scalar to something other than a string (null, bool,
/// int, float, timestamp, merge key), which makes it quote the string.
fn go_yaml_reads_as_non_string(s: &str) -> bool {
    const WORDS: [&str; 40] = [
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let plain = s.replace('_', "");
    is_go_int(&plain) || is_go_float(&plain) || is_base60(s) || is_timestamp(s)
}

/// What Go's strconv.ParseInt(s, 0, 64) accepts (ignoring range): decimal, 0x, 0o, 0b, 0-octal.
fn is_go_int(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let all =
        |digits: &str, radix: u32| !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    match s.get(..2) {
        Some("0x" | "0X") => all(&s[2..], 16),
        Some("0o" | "0O") => all(&s[2..], 8),
        Some("0b" | "0B") => all(&s[2..], 2),
        _ => all(s, 10),
    }
}

/// go-yaml v2's float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_go_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (s, None),
    };
    let digits = |d: &str| d.bytes().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac),
        Some((whole, frac)) => digits(whole) && digits(frac),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// Whether a string cannot be written plain for syntax reasons (an indicator, `: `, ` #`...), as
/// the YAML writer decides; strings with control characters keep its double-quoted escapes.
fn needs_syntax_quotes(s: &str) -> bool {
    if s.chars().any(char::is_control) {
        return false;
    }
    // libyaml lets a block scalar start with ':' or '?' not followed by a blank (`::1`); the
    // rest of the string is judged as if it started with an ordinary character.
    if let Some(rest) = s.strip_prefix([':', '?'])
        && rest.starts_with(|c: char| !c.is_whitespace())
    {
        return needs_syntax_quotes(&format!("x{rest}"));
    }
    let mut options = serde_saphyr::SerializerOptions::default();
    options.yaml_12 = true;
    options.no_lang_directive = true;
    serde_saphyr::to_string_with_options(&s, options).is_ok_and(|out| out.starts_with('"'))
}

/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`
fn is_base60(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = whole.split(':');
    let first = parts.next().unwrap_or_default();
    let sexagesimal: Vec<&str> = parts.collect();
    first.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && first.bytes().all(|c| c.is_ascii_digit() || c == b'_')
        && !sexagesimal.is_empty()
        && sexagesimal.iter().all(|p| match p.as_bytes() {
            [d] => d.is_ascii_digit(),
            [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
            _ => false,
        })
        && fraction.bytes().all(|c| c.is_ascii_digit() || c == b'_')
}

/// go-yaml v2's timestamp forms: `2006-1-2`, `2006-1-2T15:4:5[.9]Z07:00`, `2006-1-2 15:4:5[.9]`.
fn is_timestamp(s: &str) -> bool {
    fn digits(s: &str, min: usize, max: usize) -> Option<&str> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (min..=max).contains(&n).then(|| &s[n..])
    }
    let date = || -> Option<&str> {
        let rest = digits(s, 4, 4)?.strip_prefix('-')?;
        digits(digits(rest, 1, 2)?.strip_prefix('-')?, 1, 2)
    };
    let Some(rest) = date() else { return false };
    if rest.is_empty() {
        return true;
    }
    let (zoned, rest) = match rest.strip_prefix(['T', 't']) {
        Some(r) => (true, r),
        None => match rest.strip_prefix(' ') {
            Some(r) => (false, r),
            None => return false,
        },
    };
    let time = || -> Option<&str> {
        let rest = digits(digits(rest, 1, 2)?.strip_prefix(':')?, 1, 2)?.strip_prefix(':')?;
        let rest = digits(rest, 1, 2)?;
        match rest.strip_prefix('.') {
            Some(frac) => digits(frac, 1, usize::MAX),
            None => Some(rest),
        }
    };
    let Some(zone) = time() else { return false };
    if !zoned {
        return zone.is_empty();
    }
    zone == "Z"
        || zone
            .strip_prefix(['+', '-'])
            .and_then(|z| digits(z, 2, 2))
            .and_then(|z| z.strip_prefix(':'))
            .and_then(|z| digits(z, 2, 2))
            .is_some_and(str::is_empty)
}

/// go-yaml v2's map key order: letters by code point, non-letters before letters, and runs of
/// digits compared as numbers (so `a2` sorts before `a10`).
fn go_yaml_key_order(a: &str, b: &str) -> Ordering {
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let (al, bl) = (ar[i].is_alphabetic(), br[i].is_alphabetic());
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        // Both non-letters: compare the digit runs starting here numerically. A run continuing
        // digits with a non-zero lead starts from 1, so "10" and "100" differ from "1" and "01".
        let mut lead = 0u128;
        if ar[i] == '0' || br[i] == '0' {
            let continues_nonzero = ar[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|c| *c != '0');
            if continues_nonzero {
                lead = 1;
            }
        }
        let run = |s: &[char]| {
            let mut n = lead;
            let mut end = i;
            while end < s.len() && s[end].is_ascii_digit() {
                n = n
                    .saturating_mul(10)
                    .saturating_add(u128::from(s[end] as u8 - b'0'));
                end += 1;
            }
            (n, end)
        };
        let ((an, ae), (bn, be)) = (run(&ar), run(&br));
        return an.cmp(&bn).then(ae.cmp(&be)).then(ar[i].cmp(&br[i]));
    }
    ar.len().cmp(&br.len())
}

#[cfg(test)]
mod tests;
