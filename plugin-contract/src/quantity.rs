//! Byte sizes written as Kubernetes quantities: what an operator writes for a plugin's
//! `limits.memory` and `limits.maxOutputBytes`, and what a plugin reads from a parameter
//! with the SDK's `Params::bytes_or`. One parser, so both accept exactly the same texts.
//!
//! Accepted: a non-negative decimal number, optionally with a fraction, and one unit of
//! `Ki Mi Gi Ti` (powers of 1024) or `k M G T` (powers of 1000), or none (bytes). The result
//! must be a whole number of bytes that fits in 64 bits: `1.5Gi` is, `0.5` is not. Exponents
//! (`1e3`), milli (`m`) and `P`/`E` units are refused: no byte size here needs them.

use std::fmt;

/// What a byte size looks like, for messages.
pub const EXPECTED: &str = "a whole number of bytes, optionally with a unit Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), such as 64Mi or 1.5G";

/// The units, longest first where one is a prefix of another.
const UNITS: [(&str, u128); 8] = [
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
];

/// A text that is not a byte size; shows the text and what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAByteSize(pub String);

impl fmt::Display for NotAByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a byte size; expected {EXPECTED}", self.0)
    }
}

impl std::error::Error for NotAByteSize {}

/// The bytes `text` stands for (surrounding spaces ignored).
pub fn parse_bytes(text: &str) -> Result<u64, NotAByteSize> {
    bytes(text.trim()).ok_or_else(|| NotAByteSize(text.to_owned()))
}

fn bytes(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier = match unit {
        "" => 1,
        unit => UNITS.iter().find(|(u, _)| *u == unit)?.1,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    // At most 12 decimals: with Ti (2^40) every exact fraction fits, and u128 cannot overflow.
    if whole.is_empty() || whole.len() > 20 || fraction.len() > 12 || fraction.contains('.') {
        return None;
    }
    if number.ends_with('.') {
        return None;
    }
    let digits: u128 = format!("{whole}{fraction}").parse().ok()?;
    let scale = 10u128.pow(u32::try_from(fraction.len()).ok()?);
    let scaled = digits.checked_mul(multiplier)?;
    if scaled % scale != 0 {
        return None;
    }
    u64::try_from(scaled / scale).ok()
}

/// `bytes` in the largest binary unit that divides it (`64Mi`), else as a plain number.
pub fn format_bytes(bytes: u64) -> String {
    const BINARY: [(&str, u64); 4] = [
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    match BINARY
        .iter()
        .find(|(_, n)| bytes >= *n && bytes.is_multiple_of(*n))
    {
        Some((unit, n)) => format!("{}{unit}", bytes / n),
        None => bytes.to_string(),
    }
}

/// Texts and what they must parse to (`None`: refused), for the tests of every caller: the
/// host's `limits.memory` and the SDK's `Params::bytes_or` run this same table.
#[doc(hidden)]
pub const CASES: &[(&str, Option<u64>)] = &[
    ("0", Some(0)),
    ("100", Some(100)),
    ("1048576", Some(1 << 20)),
    (" 64Mi ", Some(64 << 20)),
    ("512Ki", Some(512 << 10)),
    ("1Gi", Some(1 << 30)),
    ("2Ti", Some(2 << 40)),
    ("500k", Some(500_000)),
    ("2M", Some(2_000_000)),
    ("1.5G", Some(1_500_000_000)),
    ("1.5Gi", Some(3 << 29)),
    ("3T", Some(3_000_000_000_000)),
    ("0.5Ki", Some(512)),
    ("18446744073709551615", Some(u64::MAX)),
    ("", None),
    ("Mi", None),
    ("-1", None),
    ("64MB", None),
    ("64mb", None),
    ("64 Mi", None),
    ("1Pi", None),
    ("1E", None),
    ("1e3", None),
    ("100m", None),
    ("0.5", None),
    ("1.", None),
    (".5Gi", None),
    ("1.2.3", None),
    ("1K", None),
    ("18446744073709551616", None),
    ("99999999999999999999Gi", None),
    ("16777216Ti", None),
];

#[cfg(test)]
mod tests;
