use std::collections::BTreeMap;

use super::*;

fn env(vars: &[(&str, &str)]) -> ProxyEnv {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProxyEnv::from_env(|name| vars.get(name).cloned())
}

const PROXY: (&str, &str) = ("HTTPS_PROXY", "http://proxy.corp:3128");

/// (case, environment, host, port, proxy used)
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    u16,
    Option<&'static str>,
);

#[test]
fn proxy_decisions_follow_go_httpproxy() {
    let cases: &[Case] = &[
        ("no proxy configured", &[], "10.96.0.1", 1234, None),
        (
            "HTTPS_PROXY applies",
            &[PROXY],
            "10.96.0.1",
            1234,
            Some("http://proxy.corp:3128"),
        ),
        (
            "https_proxy applies",
            &[("https_proxy", "http://lower:1")],
            "10.0.0.1",
            443,
            Some("http://lower:1"),
        ),
        (
            "empty HTTPS_PROXY falls back to https_proxy",
            &[("HTTPS_PROXY", ""), ("https_proxy", "http://lower:1")],
            "10.0.0.1",
            443,
            Some("http://lower:1"),
        ),
        (
            "HTTP_PROXY is not used for https",
            &[("HTTP_PROXY", "http://p:1")],
            "10.0.0.1",
            443,
            None,
        ),
        (
            "a bare host:port gets http://",
            &[("HTTPS_PROXY", "proxy:3128")],
            "10.0.0.1",
            443,
            Some("http://proxy:3128"),
        ),
        (
            "the scheme is lower-cased",
            &[("HTTPS_PROXY", "HTTPS://proxy:3128")],
            "10.0.0.1",
            443,
            Some("https://proxy:3128"),
        ),
        (
            "socks5 is kept",
            &[("HTTPS_PROXY", "socks5://proxy:1080")],
            "10.0.0.1",
            443,
            Some("socks5://proxy:1080"),
        ),
        (
            "a password is redacted",
            &[("HTTPS_PROXY", "http://user:secret@proxy:3128/")],
            "10.0.0.1",
            443,
            Some("http://user:xxxxx@proxy:3128/"),
        ),
        ("loopback v4 is direct", &[PROXY], "127.0.0.1", 6443, None),
        ("loopback v6 is direct", &[PROXY], "::1", 6443, None),
        ("localhost is direct", &[PROXY], "localhost", 6443, None),
        (
            "NO_PROXY * is direct",
            &[PROXY, ("NO_PROXY", "*")],
            "10.0.0.1",
            443,
            None,
        ),
        (
            "NO_PROXY CIDR contains",
            &[PROXY, ("NO_PROXY", "10.96.0.0/12")],
            "10.96.0.1",
            1234,
            None,
        ),
        (
            "NO_PROXY CIDR elsewhere",
            &[PROXY, ("NO_PROXY", "10.96.0.0/12")],
            "10.112.0.1",
            1234,
            Some("http://proxy.corp:3128"),
        ),
        (
            "no_proxy is read when NO_PROXY is empty",
            &[PROXY, ("NO_PROXY", ""), ("no_proxy", "10.0.0.0/8")],
            "10.1.2.3",
            443,
            None,
        ),
        (
            "NO_PROXY exact IP",
            &[PROXY, ("NO_PROXY", "192.0.2.10")],
            "192.0.2.10",
            443,
            None,
        ),
        (
            "NO_PROXY IP and same port",
            &[PROXY, ("NO_PROXY", "192.0.2.10:443")],
            "192.0.2.10",
            443,
            None,
        ),
        (
            "NO_PROXY IP and other port",
            &[PROXY, ("NO_PROXY", "192.0.2.10:443")],
            "192.0.2.10",
            1234,
            Some("http://proxy.corp:3128"),
        ),
        (
            "NO_PROXY bracketed IPv6 with port",
            &[PROXY, ("NO_PROXY", "[fd00::1]:1234")],
            "fd00::1",
            1234,
            None,
        ),
        (
            "NO_PROXY IPv6 CIDR",
            &[PROXY, ("NO_PROXY", "fd00::/8")],
            "fd00::10",
            1234,
            None,
        ),
        (
            "entries are trimmed and lower-cased",
            &[PROXY, ("NO_PROXY", " foo.io , 10.0.0.0/8 ")],
            "10.9.9.9",
            443,
            None,
        ),
        (
            "a domain matches itself",
            &[PROXY, ("NO_PROXY", "Example.COM")],
            "example.com",
            443,
            None,
        ),
        (
            "a domain matches subdomains",
            &[PROXY, ("NO_PROXY", "example.com")],
            "api.example.com",
            443,
            None,
        ),
        (
            "a leading dot excludes the domain itself",
            &[PROXY, ("NO_PROXY", ".example.com")],
            "example.com",
            443,
            Some("http://proxy.corp:3128"),
        ),
        (
            "*. is a leading dot",
            &[PROXY, ("NO_PROXY", "*.example.com")],
            "a.example.com",
            443,
            None,
        ),
        (
            "a suffix is not a subdomain",
            &[PROXY, ("NO_PROXY", "example.com")],
            "notexample.com",
            443,
            Some("http://proxy.corp:3128"),
        ),
        (
            "a domain with another port",
            &[PROXY, ("NO_PROXY", "example.com:80")],
            "example.com",
            443,
            Some("http://proxy.corp:3128"),
        ),
        (
            "entries without a host are skipped",
            &[PROXY, ("NO_PROXY", ":443,,")],
            "10.0.0.1",
            443,
            Some("http://proxy.corp:3128"),
        ),
    ];
    for (case, vars, host, port, want) in cases {
        assert_eq!(env(vars).https_proxy_for(host, *port), *want, "{case}");
    }
}

#[test]
fn split_host_port_agrees_with_go() {
    let cases = [
        ("host:80", Some(("host", "80"))),
        ("host:", Some(("host", ""))),
        ("[::1]:80", Some(("::1", "80"))),
        ("host", None),
        ("::1", None),
        ("[::1]", None),
        ("[::1]x:80", None),
        ("a]:80", None),
    ];
    for (input, want) in cases {
        assert_eq!(split_host_port(input), want, "{input}");
    }
}
