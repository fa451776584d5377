//! The value formats kubeadm's validation relies on (apimachinery's DNS names, Go's host:port and
//! URL rules, cluster-bootstrap's token formats, the image reference grammar), as plain predicates.

/// `IsDNS1123Subdomain`: lower-case alphanumerics, '-' and '.', each dot-separated part starting
/// and ending with an alphanumeric, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && !s.is_empty() && s.split('.').all(is_label_syntax)
}

/// `IsDNS1123Label`: one part of a subdomain, at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && is_label_syntax(s)
}

fn is_label_syntax(s: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|&c| alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// `IsWildcardDNS1123Subdomain`: `*.` followed by a subdomain.
pub fn is_wildcard_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.strip_prefix("*.").is_some_and(is_dns1123_subdomain)
}

/// A port number as kubeadm's ParsePort accepts it: 1 to 65535.
pub fn parse_port(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|p| *p != 0)
}

/// Go's `net.SplitHostPort`: `host:port`, `[v6]:port`; the port may be empty or a name.
pub fn split_host_port(hostport: &str) -> Result<(String, String), String> {
    let missing_port = || format!("address {hostport}: missing port in address");
    let too_many = || format!("address {hostport}: too many colons in address");
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("address {hostport}: missing ']' in address"))?;
        let port = after.strip_prefix(':').ok_or_else(missing_port)?;
        (host, port)
    } else {
        let (host, port) = hostport.rsplit_once(':').ok_or_else(missing_port)?;
        if host.contains(':') {
            return Err(too_many());
        }
        (host, port)
    };
    if host.contains(['[', ']']) || port.contains(['[', ']']) {
        return Err(format!(
            "address {hostport}: unexpected '[' or ']' in address"
        ));
    }
    Ok((host.to_string(), port.to_string()))
}

/// kubeadm's ParseHostPort: `host[:port]` where host is an IP or a DNS-1123 subdomain.
pub fn parse_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) =
        split_host_port(hostport).unwrap_or_else(|_| (hostport.to_string(), String::new()));
    let port = if port.is_empty() {
        None
    } else {
        Some(
            parse_port(&port)
                .ok_or_else(|| format!("port {port:?} is not a number between 1 and 65535"))?,
        )
    };
    if host.parse::<std::net::IpAddr>().is_ok() || is_dns1123_subdomain(&host) {
        Ok((host, port))
    } else {
        Err(format!(
            "host {host:?} is neither an IP address nor a DNS-1123 subdomain"
        ))
    }
}

/// The scheme of a URL as Go's url.Parse finds it (`None` when there is none).
pub fn url_scheme(url: &str) -> Result<Option<&str>, String> {
    if url.chars().any(|c| c.is_control()) {
        return Err("contains a control character".into());
    }
    for (i, c) in url.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme".into()),
            ':' => return Ok(Some(&url[..i])),
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Go's `url.Parse` refuses a `%` not followed by two hexadecimal digits.
pub fn check_url_escapes(url: &str) -> Result<(), String> {
    let bytes = url.as_bytes();
    for (i, _) in url.match_indices('%') {
        let escape = bytes.get(i + 1..i + 3);
        if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
            let end = (i + 3).min(url.len());
            return Err(format!(
                "invalid URL escape {:?}",
                url.get(i..end).unwrap_or(&url[i..])
            ));
        }
    }
    Ok(())
}

/// Go's `url.Parse` refuses a port that is not all digits in `scheme://[user@]host:port/...`.
pub fn check_url_port(url: &str) -> Result<(), String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let port = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((_, "")) => return Ok(()),
            Some((_, tail)) => match tail.strip_prefix(':') {
                Some(port) => port,
                None => return Err(format!("invalid port {tail:?} after host")),
            },
            None => return Err("missing ']' in host".into()),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((_, port)) => port,
            None => return Ok(()),
        }
    };
    if port.bytes().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("invalid port \":{port}\" after host"))
    }
}

fn is_token_chars(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// cluster-bootstrap's `^[a-z0-9]{6}\.[a-z0-9]{16}$`.
pub fn is_bootstrap_token(s: &str) -> bool {
    s.split_once('.')
        .is_some_and(|(id, secret)| is_token_chars(id, 6) && is_token_chars(secret, 16))
}

/// cluster-bootstrap's `^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$`.
pub fn is_bootstrap_group(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("system:bootstrappers:") else {
        return false;
    };
    let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    rest.len() <= 256
        && rest.bytes().last().is_some_and(ok)
        && rest.bytes().all(|c| ok(c) || c == b':' || c == b'-')
}

/// An RFC 3339 timestamp as metav1.Time reads it: `2006-01-02T15:04:05Z` or with an offset.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let number = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    let date_time = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !date_time
        || !(1..=12).contains(&number(5..7))
        || !(1..=31).contains(&number(8..10))
        || number(11..13) > 23
        || number(14..16) > 59
        || number(17..19) > 60
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

/// A repository prefix such that `<repo>/name:tag` matches the distribution reference grammar.
pub fn is_image_repository(repo: &str) -> bool {
    let mut parts = repo.split('/');
    let first = parts.next().unwrap_or_default();
    (is_registry_domain(first) || is_path_component(first)) && parts.all(is_path_component)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !b.first().is_some_and(alnum) || !b.last().is_some_and(alnum) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(&b[i]) {
            i += 1;
            continue;
        }
        let sep_len = b[i..].iter().take_while(|c| !alnum(c)).count();
        let sep = &s[i..i + sep_len];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-')) {
            return false;
        }
        i += sep_len;
    }
    true
}

/// A registry host: DNS-like labels (upper case allowed) or a bracketed IPv6 address, optional `:port`.
fn is_registry_domain(s: &str) -> bool {
    let (host, port) = match s.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, after)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => {
                ("v6", after.strip_prefix(':'))
            }
            _ => return false,
        },
        None => match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        },
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    host.split('.').all(label_ok)
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// Go's strconv.ParseBool, which feature gates use.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Whether `path` is absolute on the node (kubeadm runs on Linux, so `/`-rooted).
pub fn is_absolute(path: &str) -> bool {
    path.starts_with('/')
}
