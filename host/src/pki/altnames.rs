//! Subject alternative names, handled as kubeadm's pkiutil does: each entry is an IP if it parses
//! as one, else an RFC 1123 (possibly wildcard) DNS name, else dropped with a warning.

use std::net::{IpAddr, Ipv4Addr};

/// The SANs of one certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AltNames {
    pub dns: Vec<String>,
    pub ips: Vec<IpAddr>,
}

impl AltNames {
    /// Adds user-supplied SANs for certificate `cert`; returns a warning for each one dropped.
    pub fn extend_from_config(&mut self, sans: &[String], cert: &str) -> Vec<String> {
        let mut warnings = Vec::new();
        for san in sans {
            if let Some(ip) = parse_ip_sloppy(san) {
                self.ips.push(ip);
            } else if is_dns1123_subdomain(san)
                || san.strip_prefix("*.").is_some_and(is_dns1123_subdomain)
            {
                self.dns.push(san.clone());
            } else {
                warnings.push(format!(
                    "[certificates] '{san}' was not added to the '{cert}' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry"
                ));
            }
        }
        warnings
    }

    /// kubeadm's RemoveDuplicateAltNames: DNS names de-duplicated and sorted, IPs de-duplicated
    /// keeping the first occurrence.
    pub fn dedup(&mut self) {
        self.dns.sort();
        self.dns.dedup();
        let mut seen = Vec::with_capacity(self.ips.len());
        self.ips.retain(|ip| {
            let new = !seen.contains(ip);
            seen.push(*ip);
            new
        });
    }
}

/// Go's ParseIPSloppy: like a strict parse, but IPv4 octets may carry leading zeros.
pub fn parse_ip_sloppy(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let octets: Vec<&str> = s.split('.').collect();
    if octets.len() != 4 {
        return None;
    }
    let mut out = [0u8; 4];
    for (slot, part) in out.iter_mut().zip(octets) {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    Some(IpAddr::V4(Ipv4Addr::from(out)))
}

/// RFC 1123 subdomain as Kubernetes validates it: at most 253 characters of dot-separated
/// labels of lower-case alphanumerics and '-', each starting and ending alphanumeric.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    !s.is_empty() && s.len() <= 253 && s.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn config_sans_are_classified_like_kubeadm() {
        let cases: [(&str, Option<&str>, Option<&str>); 8] = [
            ("10.0.0.1", None, Some("10.0.0.1")),
            ("010.000.000.001", None, Some("10.0.0.1")),
            ("fd00::1", None, Some("fd00::1")),
            ("api.example.com", Some("api.example.com"), None),
            ("*.example.com", Some("*.example.com"), None),
            ("Upper.Example", None, None),
            ("under_score", None, None),
            ("-lead.example", None, None),
        ];
        for (input, dns, addr) in cases {
            let mut names = AltNames::default();
            let warnings = names.extend_from_config(&[input.to_string()], "apiserver");
            assert_eq!(names.dns.first().map(String::as_str), dns, "{input}");
            assert_eq!(names.ips.first().copied(), addr.map(ip), "{input}");
            assert_eq!(
                warnings.len(),
                usize::from(dns.is_none() && addr.is_none()),
                "{input}"
            );
        }
    }

    #[test]
    fn dropped_san_warning_names_the_entry_and_the_certificate() {
        let mut names = AltNames::default();
        let warnings = names.extend_from_config(&["bad name".into()], "etcd-server");
        assert_eq!(
            warnings,
            [
                "[certificates] 'bad name' was not added to the 'etcd-server' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry"
            ]
        );
    }

    #[test]
    fn dedup_sorts_dns_and_keeps_ip_order() {
        let mut names = AltNames {
            dns: vec![
                "node".into(),
                "kubernetes".into(),
                "node".into(),
                "a.example".into(),
            ],
            ips: vec![
                ip("10.96.0.1"),
                ip("192.168.1.10"),
                ip("10.96.0.1"),
                ip("::1"),
                ip("192.168.1.10"),
            ],
        };
        names.dedup();
        assert_eq!(names.dns, ["a.example", "kubernetes", "node"]);
        assert_eq!(names.ips, [ip("10.96.0.1"), ip("192.168.1.10"), ip("::1")]);
    }

    #[test]
    fn dns1123_length_limit() {
        let long = format!("{}.example", "a".repeat(250));
        assert!(!is_dns1123_subdomain(&long));
        assert!(is_dns1123_subdomain("a-b.c0"));
        assert!(!is_dns1123_subdomain("a..b"));
    }
}
