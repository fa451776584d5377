//! Whether Go's HTTP client would send an https request through a proxy, decided as
//! `http.ProxyFromEnvironment` (`golang.org/x/net/http/httpproxy`) does: `HTTPS_PROXY` or
//! `https_proxy` names the proxy, `NO_PROXY` or `no_proxy` lists exceptions. Nothing is sent.

use std::net::IpAddr;

use ipnet::IpNet;

/// One `NO_PROXY` entry.
#[derive(Clone, Debug, PartialEq)]
enum Exception {
    /// `*`: no request uses the proxy.
    All,
    /// `10.0.0.0/8`, `fd00::/8`.
    Cidr(IpNet),
    /// `10.0.0.1`, `10.0.0.1:443`, `[fd00::1]:443`; an empty port matches every port.
    Ip { ip: IpAddr, port: String },
    /// `example.com` (itself and subdomains), `.example.com` and `*.example.com` (subdomains only).
    Domain {
        suffix: String,
        match_host: bool,
        port: String,
    },
}

/// The proxy settings of an environment.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyEnv {
    https_proxy: Option<String>,
    exceptions: Vec<Exception>,
}

impl ProxyEnv {
    /// Reads the variables through `var` (unset and empty are the same, as in Go).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Self {
        let any = |names: [&str; 2]| names.iter().filter_map(|n| var(n)).find(|v| !v.is_empty());
        ProxyEnv {
            https_proxy: any(["HTTPS_PROXY", "https_proxy"]).map(|p| proxy_url(&p)),
            exceptions: any(["NO_PROXY", "no_proxy"])
                .map(|n| parse_no_proxy(&n))
                .unwrap_or_default(),
        }
    }

    /// The proxy (credentials redacted) an https request to `host:port` would go through.
    pub fn https_proxy_for(&self, host: &str, port: u16) -> Option<&str> {
        let proxy = self.https_proxy.as_deref()?;
        self.use_proxy(host, &port.to_string()).then_some(proxy)
    }

    fn use_proxy(&self, host: &str, port: &str) -> bool {
        if host == "localhost" {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok();
        if ip.is_some_and(|ip| ip.is_loopback()) {
            return false;
        }
        let host = host.trim().to_ascii_lowercase();
        !self.exceptions.iter().any(|e| match e {
            Exception::All => true,
            Exception::Cidr(net) => ip.is_some_and(|ip| net.contains(&ip)),
            Exception::Ip { ip: want, port: p } => ip == Some(*want) && (p.is_empty() || p == port),
            Exception::Domain {
                suffix,
                match_host,
                port: p,
            } => {
                (host.ends_with(suffix.as_str()) || (*match_host && host == suffix[1..]))
                    && (p.is_empty() || p == port)
            }
        })
    }
}

/// The proxy URL Go would use: values without an http, https or socks5 scheme get `http://`.
fn proxy_url(value: &str) -> String {
    let url = match value.split_once("://") {
        Some((scheme, rest))
            if matches!(
                scheme.to_ascii_lowercase().as_str(),
                "http" | "https" | "socks5"
            ) =>
        {
            format!("{}://{rest}", scheme.to_ascii_lowercase())
        }
        _ => format!("http://{value}"),
    };
    redact_password(&url)
}

/// Replaces a password in the URL's user info with `xxxxx`, as Go's `URL.Redacted`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split_once(':').map_or(user_info, |(u, _)| u);
            format!("{scheme}://{user}:xxxxx@{host}{tail}")
        }
        _ => url.to_string(),
    }
}

fn parse_no_proxy(value: &str) -> Vec<Exception> {
    let mut out = Vec::new();
    for entry in value.split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return vec![Exception::All];
        }
        if let Ok(net) = entry.parse::<IpNet>() {
            out.push(Exception::Cidr(net));
            continue;
        }
        let (host, port) = match split_host_port(&entry) {
            Some(("", _)) => continue,
            Some((host, port)) => (host.to_string(), port.to_string()),
            None => (entry.clone(), String::new()),
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            out.push(Exception::Ip { ip, port });
            continue;
        }
        let host = host
            .strip_prefix('*')
            .filter(|h| h.starts_with('.'))
            .unwrap_or(&host);
        let match_host = !host.starts_with('.');
        let suffix = if match_host {
            format!(".{host}")
        } else {
            host.to_string()
        };
        out.push(Exception::Domain {
            suffix,
            match_host,
            port,
        });
    }
    out
}

/// Go's `net.SplitHostPort`: `host:port` or `[ipv6]:port`; `None` where Go reports an error.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let colon = s.rfind(':')?;
    let (host, inner_from, inner_to) = if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')? + 1;
        if end + 1 != colon {
            return None;
        }
        (&s[1..end], 1, end + 1)
    } else {
        let host = &s[..colon];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if s[inner_from..].contains('[') || s[inner_to..].contains(']') {
        return None;
    }
    Some((host, &s[colon + 1..]))
}

#[cfg(test)]
mod tests;
