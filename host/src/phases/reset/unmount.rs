//! Unmounting what is mounted below the kubelet's directory (volumes, projected secrets), so
//! emptying it cannot reach into a mounted file system: kubeadm's `unmountKubeletDirectory`.

use std::path::{Path, PathBuf};

use rustix::mount::{UnmountFlags, unmount};

use crate::system::System;

/// The `umount2(2)` flags for `unmountFlags` (names validated with the configuration).
fn flag_bits(names: &[String]) -> UnmountFlags {
    names
        .iter()
        .map(|n| match n.as_str() {
            "MNT_FORCE" => UnmountFlags::FORCE,
            "MNT_DETACH" => UnmountFlags::DETACH,
            "MNT_EXPIRE" => UnmountFlags::EXPIRE,
            "UMOUNT_NOFOLLOW" => UnmountFlags::NOFOLLOW,
            _ => UnmountFlags::empty(),
        })
        .fold(UnmountFlags::empty(), |bits, flag| bits | flag)
}

/// Mount points strictly below `dir` (a host path without a trailing `/`), deepest first,
/// from a `/proc/mounts` table (whose paths escape space, tab, newline and `\` in octal).
pub(super) fn mounts_below(table: &str, dir: &Path) -> Vec<PathBuf> {
    let prefix = format!("{}/", dir.display().to_string().trim_end_matches('/'));
    let mut found: Vec<PathBuf> = table
        .lines()
        .filter_map(|line| line.split(' ').nth(1))
        .map(unescape)
        .filter(|point| point.starts_with(&prefix))
        .map(PathBuf::from)
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found.dedup();
    found
}

fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                out.push(d.iter().fold(0u8, |n, c| n.wrapping_mul(8) + (c - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unmounts every mount below `dir` with `flags`; every failure is returned (and nothing below
/// a mount that is still there may then be removed).
pub(super) fn unmount_below(
    system: &dyn System,
    dir: &Path,
    flags: &[String],
) -> Result<Vec<PathBuf>, Vec<String>> {
    let table = system
        .read_host_file("/proc/mounts")
        .map_err(|e| vec![format!("reading /proc/mounts: {e}")])?;
    let points = mounts_below(&String::from_utf8_lossy(&table), dir);
    let bits = flag_bits(flags);
    let mut failed = Vec::new();
    for point in &points {
        if let Err(e) = unmount(point, bits) {
            failed.push(format!("{}: {e}", point.display()));
        }
    }
    if failed.is_empty() {
        Ok(points)
    } else {
        Err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mounts_strictly_below_the_directory_deepest_first() {
        let table = "\
proc /proc proc rw 0 0
tmpfs /var/lib/kubelet tmpfs rw 0 0
tmpfs /var/lib/kubelet/pods/a/volumes/x tmpfs rw 0 0
tmpfs /var/lib/kubelet/pods/a tmpfs rw 0 0
tmpfs /var/lib/kubelet-other/y tmpfs rw 0 0
tmpfs /var/lib/kubelet/pods/with\\040space tmpfs rw 0 0
";
        assert_eq!(
            mounts_below(table, Path::new("/var/lib/kubelet")),
            [
                "/var/lib/kubelet/pods/a/volumes/x",
                "/var/lib/kubelet/pods/a",
                "/var/lib/kubelet/pods/with space",
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn unmount_flags_map_to_their_bits() {
        let names = ["MNT_DETACH".to_string(), "UMOUNT_NOFOLLOW".to_string()];
        assert_eq!(
            flag_bits(&names),
            UnmountFlags::DETACH | UnmountFlags::NOFOLLOW
        );
        assert_eq!(flag_bits(&[]), UnmountFlags::empty());
    }
}
