//! The `SystemVerification` check: what kubeadm's system validators (`k8s.io/system-validators`,
//! `DefaultSysSpec`) say about the kernel release, the operating system and the cgroup
//! controllers. Kernel build options (`/proc/config.gz`) are not inspected.

use super::Issue;
use crate::system::System;

const VERSIONS_NOTE: &str = "Supported LTS versions from the 5.x series are 5.4, 5.10 and 5.15. Any 6.x version is \
     also supported. For cgroups v2 support, the recommended version is 5.10 or newer";

const CGROUPS_V1_REQUIRED: [&str; 7] = [
    "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids",
];
const CGROUPS_V1_OPTIONAL: [&str; 2] = ["hugetlb", "blkio"];
const CGROUPS_V2_REQUIRED: [&str; 6] = ["cpu", "cpuset", "devices", "freezer", "memory", "pids"];
const CGROUPS_V2_OPTIONAL: [&str; 2] = ["hugetlb", "io"];

/// Every finding of the kernel, OS and cgroups validators, in that order.
pub fn system_verification(system: &dyn System) -> Vec<Issue> {
    let kernel = system.kernel();
    let mut issues = Vec::new();
    if !supported_kernel(&kernel.release) {
        issues.push(Issue::warning(format!(
            "kernel release {} is unsupported. {VERSIONS_NOTE}",
            kernel.release
        )));
    }
    if kernel.name != "Linux" {
        issues.push(Issue::error(format!(
            "unsupported operating system: {}",
            kernel.name
        )));
    }
    issues.extend(cgroup_issues(system, &kernel.release));
    issues
}

/// The release patterns of `DefaultSysSpec`: 5.4, 5.10 and 5.15 (any suffix), or major 6 and
/// later with three numeric components.
fn supported_kernel(release: &str) -> bool {
    if ["5.4", "5.10", "5.15"]
        .iter()
        .any(|p| release.starts_with(p))
    {
        return true;
    }
    let mut parts = release.splitn(3, '.');
    let (Some(major), Some(minor), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let major_ok = digits(major)
        && !major.starts_with('0')
        && (major.len() > 1 || major.as_bytes()[0] >= b'6');
    let patch_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    major_ok && digits(minor) && patch_len > 0
}

/// `(major, minor)` of a kernel release, if it starts with them.
fn kernel_major_minor(release: &str) -> Option<(u64, u64)> {
    let mut parts = release.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

enum CgroupMount {
    V1,
    V2 { mountpoint: String },
}

/// The cgroup hierarchy as the validators find it: the first `cgroup2` mount wins, otherwise
/// the first `cgroup` (v1) mount.
fn cgroup_mount(mounts: &str) -> Option<CgroupMount> {
    let mut v1 = false;
    for line in mounts.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.get(2) {
            Some(&"cgroup2") => {
                return Some(CgroupMount::V2 {
                    mountpoint: fields[1].to_string(),
                });
            }
            Some(&"cgroup") => v1 = true,
            _ => {}
        }
    }
    v1.then_some(CgroupMount::V1)
}

fn cgroup_issues(system: &dyn System, kernel_release: &str) -> Vec<Issue> {
    let mounts = match system.read_host_file("/proc/mounts") {
        Ok(m) => String::from_utf8_lossy(&m).into_owned(),
        Err(e) => {
            return vec![Issue::error(format!(
                "cannot find the cgroup hierarchy: /proc/mounts: {e}"
            ))];
        }
    };
    let mut issues = Vec::new();
    let (enabled, required, optional): (Vec<String>, &[&'static str], &[&'static str]) =
        match cgroup_mount(&mounts) {
            None => {
                return vec![Issue::error(
                    "cannot find the cgroup hierarchy: no cgroup or cgroup2 file system is mounted",
                )];
            }
            Some(CgroupMount::V2 { mountpoint }) => {
                let path = format!("{mountpoint}/cgroup.controllers");
                let listed = match system.read_host_file(&path) {
                    Ok(c) => String::from_utf8_lossy(&c).into_owned(),
                    Err(e) => {
                        return vec![Issue::error(format!(
                            "failed to get cgroups v2 subsystems: {path}: {e}"
                        ))];
                    }
                };
                // devices (kernel 4.15) and freezer (kernel 5.2) are built into cgroup v2 and never
                // listed; the validators assume the former and probe the latter.
                let mut enabled = vec!["devices".to_string()];
                if kernel_major_minor(kernel_release).is_some_and(|v| v >= (5, 2)) {
                    enabled.push("freezer".to_string());
                }
                enabled.extend(listed.split_whitespace().map(str::to_string));
                (enabled, &CGROUPS_V2_REQUIRED, &CGROUPS_V2_OPTIONAL)
            }
            Some(CgroupMount::V1) => {
                issues.push(Issue::warning(
                    "cgroups v1 support is in maintenance mode, please migrate to cgroups v2",
                ));
                let table = match system.read_host_file("/proc/cgroups") {
                    Ok(t) => String::from_utf8_lossy(&t).into_owned(),
                    Err(e) => {
                        issues.push(Issue::error(format!(
                            "failed to get cgroups v1 subsystems: /proc/cgroups: {e}"
                        )));
                        return issues;
                    }
                };
                // subsys_name hierarchy num_cgroups enabled
                let enabled = table
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| {
                        let f: Vec<&str> = l.split_whitespace().collect();
                        (f.len() >= 4 && f[3] != "0").then(|| f[0].to_string())
                    })
                    .collect();
                (enabled, &CGROUPS_V1_REQUIRED, &CGROUPS_V1_OPTIONAL)
            }
        };
    let missing = |wanted: &[&'static str]| -> Vec<&'static str> {
        wanted
            .iter()
            .copied()
            .filter(|w| !enabled.iter().any(|e| e == w))
            .collect()
    };
    let missing_required = missing(required);
    if !missing_required.is_empty() {
        issues.push(Issue::error(format!(
            "missing required cgroups: {}",
            missing_required.join(" ")
        )));
    }
    let missing_optional = missing(optional);
    if !missing_optional.is_empty() {
        issues.push(Issue::warning(format!(
            "missing optional cgroups: {}",
            missing_optional.join(" ")
        )));
    }
    issues
}

#[cfg(test)]
mod tests;
