//! The `KubeletVersion` check: the installed kubelet must be new enough for this kubeadm and
//! not newer than the control plane it will join.

use super::Issue;
use crate::config::constants::KUBERNETES_VERSION;
use crate::system::System;

/// kubeadm supports kubelets down to three minor releases older than itself.
const KUBELET_SKEW: u64 = 3;

/// A semantic version as `kubelet --version` prints it (`1.34.2`, `1.35.0-alpha.1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemVer {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Anything after the patch number (`-alpha.1`, `+build`); a pre-release sorts first.
    pub suffix: String,
}

impl SemVer {
    /// Parses `1.34.2` (numbers without leading zeros, then an optional `-pre`/`+build` suffix).
    pub fn parse(s: &str) -> Option<SemVer> {
        let number = |n: &str| {
            let ok = !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n == "0" || !n.starts_with('0'));
            ok.then(|| n.parse().ok()).flatten()
        };
        let end = s.find(['-', '+']).unwrap_or(s.len());
        let (core, suffix) = s.split_at(end);
        let valid_suffix = suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'));
        let mut parts = core.split('.');
        let v = SemVer {
            major: number(parts.next()?)?,
            minor: number(parts.next()?)?,
            patch: number(parts.next()?)?,
            suffix: suffix.to_string(),
        };
        (parts.next().is_none() && valid_suffix).then_some(v)
    }

    /// Whether this version sorts before the release `major.minor.patch`.
    fn is_before(&self, (major, minor, patch): (u64, u64, u64)) -> bool {
        let core = (self.major, self.minor, self.patch);
        core < (major, minor, patch)
            || (core == (major, minor, patch) && self.suffix.starts_with('-'))
    }
}

impl std::fmt::Display for SemVer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}{}",
            self.major, self.minor, self.patch, self.suffix
        )
    }
}

/// The version in `kubelet --version` output (`Kubernetes v1.34.2`).
pub fn parse_kubelet_version(output: &str) -> Option<SemVer> {
    SemVer::parse(output.trim().strip_prefix("Kubernetes v")?)
}

/// The oldest kubelet this build supports: three minor releases before its own.
pub fn minimum_kubelet_version() -> (u64, u64, u64) {
    let ours =
        crate::config::parse_version(KUBERNETES_VERSION).expect("the built-in version parses");
    (ours.0, ours.1.saturating_sub(KUBELET_SKEW), 0)
}

/// Errors for a kubelet that cannot run with this kubeadm or this control plane.
pub fn kubelet_version_check(system: &dyn System, control_plane_version: &str) -> Vec<Issue> {
    let output = match system.run("kubelet", &["--version"]) {
        Ok(out) => out,
        Err(e) => {
            return vec![Issue::error(format!(
                "couldn't get kubelet version: cannot execute 'kubelet --version': {e}"
            ))];
        }
    };
    let Some(kubelet) = parse_kubelet_version(&output) else {
        return vec![Issue::error(format!(
            "couldn't get kubelet version: Unable to parse output from Kubelet: {:?}",
            output.trim()
        ))];
    };
    if kubelet.is_before(minimum_kubelet_version()) {
        return vec![Issue::error(format!(
            "Kubelet version \"{kubelet}\" is lower than kubeadm can support. Please upgrade kubelet"
        ))];
    }
    // A joining node does not know the control plane's version yet.
    if control_plane_version.is_empty() {
        return Vec::new();
    }
    let Some(control_plane) = control_plane_version
        .strip_prefix('v')
        .and_then(SemVer::parse)
    else {
        return vec![Issue::error(format!(
            "couldn't parse Kubernetes version {control_plane_version:?}"
        ))];
    };
    if kubelet.major > control_plane.major || kubelet.minor > control_plane.minor {
        return vec![Issue::error(format!(
            "the kubelet version is higher than the control plane version. This is not a supported version skew \
             and may lead to a malfunctional cluster. Kubelet version: \"{kubelet}\" Control plane version: \
             \"{control_plane}\""
        ))];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_version_output_parses_like_kubeadm() {
        let cases = [
            ("Kubernetes v1.34.2\n", Some("1.34.2")),
            (
                "  Kubernetes v1.35.0-alpha.1+abc123 ",
                Some("1.35.0-alpha.1+abc123"),
            ),
            ("Kubernetes 1.34.2", None),
            ("Kubernetes v1.34", None),
            ("Kubernetes v1.034.2", None),
            ("Kubernetes v1.34.2 extra", None),
            ("kubelet version 1.34.2", None),
        ];
        for (output, want) in cases {
            assert_eq!(
                parse_kubelet_version(output)
                    .map(|v| v.to_string())
                    .as_deref(),
                want,
                "{output:?}"
            );
        }
    }

    #[test]
    fn pre_releases_sort_before_their_release() {
        let v = |s| SemVer::parse(s).unwrap();
        assert!(v("1.31.0-rc.1").is_before((1, 31, 0)));
        assert!(!v("1.31.0").is_before((1, 31, 0)));
        assert!(!v("1.31.0+build").is_before((1, 31, 0)));
        assert!(v("1.30.9").is_before((1, 31, 0)));
        assert!(!v("1.31.1-rc.1").is_before((1, 31, 0)));
    }

    #[test]
    fn the_minimum_kubelet_is_three_minors_back() {
        let ours = crate::config::parse_version(KUBERNETES_VERSION).unwrap();
        assert_eq!(minimum_kubelet_version(), (ours.0, ours.1 - 3, 0));
    }
}
