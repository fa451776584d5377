//! The names and versions a plugin's `describe` carries, and the grants that name the same
//! things: one definition of each, for the SDK, the host's `describe` check and the
//! operator's `PluginConfiguration`.

/// Longest plugin or check name: it becomes a phase path segment and a finding's prefix.
pub const MAX_NAME_LEN: usize = 63;

/// Names a plugin may not take: its phase would share a path with a built-in phase beside it
/// (`addon/coredns`, `addon/kube-proxy`) or with `all`, and `--skip-phases` would name both.
pub const RESERVED_PLUGIN_NAMES: [&str; 3] = ["all", "coredns", "kube-proxy"];

/// What a plugin or check name looks like, for messages.
pub const KEBAB_EXPECTED: &str =
    "lowercase letters, digits and '-', starting with a letter, at most 63 characters";

/// A plugin or check name: lowercase letters, digits and `-`, starting with a letter, not
/// ending with `-`, at most [`MAX_NAME_LEN`] characters.
pub fn is_kebab_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A sysctl key as `/proc/sys` names it, dotted (`net.ipv4.ip_forward`, `net.ipv4.conf.all.rp_filter`).
pub fn is_sysctl_key(key: &str) -> bool {
    !key.is_empty()
        && key.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

/// An absolute path without `.`/`..` components or empty segments.
pub fn is_clean_absolute_path(path: &str) -> bool {
    path.starts_with('/')
        && (path == "/"
            || path[1..]
                .split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != ".."))
}

/// `MAJOR.MINOR.PATCH` as numbers, optionally followed by `-pre` and/or `+build` (not
/// compared): what `version` and `min-host-version` must be.
pub fn semver(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| {
        // `parse` takes a leading `+`; a version part is digits only.
        p.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| p.parse::<u64>().ok())
            .flatten()
    });
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests;
