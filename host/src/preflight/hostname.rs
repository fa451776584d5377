//! The `Hostname` check: the node name must be a DNS-1123 subdomain (or the kubelet will not
//! register the node and run its static Pods) and should resolve.

use super::Issue;
use crate::system::System;

const MAX_SUBDOMAIN_LENGTH: usize = 253;
const SUBDOMAIN_PROBLEM: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' \
     or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is \
     '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// What is wrong with `name` as a DNS-1123 subdomain, in apimachinery's words.
pub fn dns1123_subdomain_problems(name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if name.len() > MAX_SUBDOMAIN_LENGTH {
        problems.push(format!(
            "must be no more than {MAX_SUBDOMAIN_LENGTH} characters"
        ));
    }
    let label_ok = |label: &str| {
        let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && alnum(bytes[0])
            && alnum(bytes[bytes.len() - 1])
            && bytes.iter().all(|c| alnum(*c) || *c == b'-')
    };
    if !name.split('.').all(label_ok) {
        problems.push(SUBDOMAIN_PROBLEM.to_string());
    }
    problems
}

/// Warnings for a node name that is malformed or does not resolve.
pub fn hostname_check(system: &dyn System, node_name: &str) -> Vec<Issue> {
    let mut issues: Vec<Issue> = dns1123_subdomain_problems(node_name)
        .into_iter()
        .map(|p| Issue::warning(format!("invalid node name format {node_name:?}: {p}")))
        .collect();
    let unreachable = || Issue::warning(format!("hostname {node_name:?} could not be reached"));
    match system.lookup_host(node_name) {
        Ok(addrs) if !addrs.is_empty() => {}
        Ok(_) => issues.push(unreachable()),
        Err(e) => {
            issues.push(unreachable());
            issues.push(Issue::warning(format!("hostname {node_name:?}: {e}")));
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1123_subdomains() {
        let long = format!("{}.example", "a".repeat(250));
        let cases: &[(&str, usize)] = &[
            ("node-1", 0),
            ("node-1.example.com", 0),
            ("0node", 0),
            ("Node-1", 1),
            ("node_1", 1),
            ("-node", 1),
            ("node-", 1),
            ("node..example", 1),
            ("", 1),
            (&long, 1),
        ];
        for (name, problems) in cases {
            assert_eq!(
                dns1123_subdomain_problems(name).len(),
                *problems,
                "{name:?}"
            );
        }
        assert_eq!(
            dns1123_subdomain_problems(&long),
            vec!["must be no more than 253 characters".to_string()]
        );
    }
}
