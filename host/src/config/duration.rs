//! Go's `time.Duration` text form (`24h0m0s`, `8760h`, `500ms`), as kubeadm's config uses it.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written and read the way Go's `time.Duration` is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoDuration(pub Duration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {0:?}: expected a Go duration such as \"24h0m0s\", \"90m\" or \"30s\"")]
pub struct DurationError(pub String);

impl GoDuration {
    pub const fn from_secs(s: u64) -> Self {
        GoDuration(Duration::from_secs(s))
    }

    pub fn hours(h: u64) -> Self {
        GoDuration(Duration::from_secs(h * 3600))
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl std::str::FromStr for GoDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DurationError(s.to_string());
        let text = s.trim();
        if text == "0" {
            return Ok(GoDuration::default());
        }
        if text.is_empty() || text.starts_with('-') {
            return Err(bad());
        }
        let text = text.strip_prefix('+').unwrap_or(text);
        let mut total: f64 = 0.0;
        let mut rest = text;
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(bad)?;
            if num_len == 0 {
                return Err(bad());
            }
            let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
            rest = &rest[num_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let scale = match &rest[..unit_len] {
                "ns" => 1e-9,
                "us" | "µs" | "μs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                _ => return Err(bad()),
            };
            rest = &rest[unit_len..];
            total += value * scale;
        }
        if !total.is_finite() || total > u64::MAX as f64 / 1e9 {
            return Err(bad());
        }
        Ok(GoDuration(Duration::from_nanos(
            (total * 1e9).round() as u64
        )))
    }
}

impl fmt::Display for GoDuration {
    /// Formats as Go does: `24h0m0s`, `1m30s`, `500ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.is_zero() {
            return f.write_str("0s");
        }
        if d < Duration::from_secs(1) {
            let ns = d.as_nanos();
            return if ns.is_multiple_of(1_000_000) {
                write!(f, "{}ms", ns / 1_000_000)
            } else if ns.is_multiple_of(1_000) {
                write!(f, "{}µs", ns / 1_000)
            } else {
                write!(f, "{ns}ns")
            };
        }
        let secs = d.as_secs();
        let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
        let frac = d.subsec_nanos();
        let sec = if frac == 0 {
            format!("{s}")
        } else {
            format!("{s}.{}", format!("{frac:09}").trim_end_matches('0'))
        };
        if h > 0 {
            write!(f, "{h}h{m}m{sec}s")
        } else if m > 0 {
            write!(f, "{m}m{sec}s")
        } else {
            write!(f, "{sec}s")
        }
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms_round_trip() {
        for (text, secs, shown) in [
            ("24h0m0s", 86400, "24h0m0s"),
            ("24h", 86400, "24h0m0s"),
            ("8760h", 8760 * 3600, "8760h0m0s"),
            ("90m", 5400, "1h30m0s"),
            ("4m0s", 240, "4m0s"),
            ("30s", 30, "30s"),
            ("0s", 0, "0s"),
            ("0", 0, "0s"),
        ] {
            let d: GoDuration = text.parse().unwrap();
            assert_eq!(d.0.as_secs(), secs, "{text}");
            assert_eq!(d.to_string(), shown, "{text}");
        }
        assert_eq!("500ms".parse::<GoDuration>().unwrap().to_string(), "500ms");
        assert_eq!("1.5h".parse::<GoDuration>().unwrap().to_string(), "1h30m0s");
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for bad in ["", "h", "10", "10x", "-5m", "1d", "abc", "5m-3s"] {
            assert!(bad.parse::<GoDuration>().is_err(), "{bad:?} should fail");
        }
    }
}
