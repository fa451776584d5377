//! Smoke tests of the live host: each asserts only what holds on any Linux machine, usually by
//! comparing with a second source of the same fact.

use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;

use super::*;
use crate::config::HostFacts;
use crate::system::LIVE_CONFIG;

fn status_field(name: &str) -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("{name} missing from /proc/self/status"))
        .trim()
        .to_string()
}

#[test]
fn euid_is_the_effective_uid_the_kernel_reports() {
    // Uid: real effective saved filesystem
    let effective: u32 = status_field("Uid:")
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(LiveSystem.euid(), effective);
}

#[test]
fn cpu_count_covers_at_least_the_usable_parallelism() {
    let usable = std::thread::available_parallelism().unwrap().get();
    assert!(
        LiveSystem.cpu_count() >= usable,
        "{} < {usable}",
        LiveSystem.cpu_count()
    );
}

#[test]
fn total_memory_matches_proc_meminfo() {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(LiveSystem.total_memory_mb(), kib / 1024);
}

#[test]
fn kernel_is_linux_with_the_release_in_proc() {
    let kernel = LiveSystem.kernel();
    assert_eq!(kernel.name, "Linux");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(kernel.release, release.trim());
}

#[test]
fn a_port_with_a_listener_is_not_available() {
    let taken = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = LiveSystem.try_listen(port).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    // Port 0 asks the kernel for any free port, which always works.
    LiveSystem.try_listen(0).unwrap();
}

#[test]
fn unix_sockets_connect_only_when_something_listens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cri.sock");
    assert_eq!(
        LiveSystem.connect_unix(&path).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    LiveSystem.connect_unix(&path).unwrap();
}

#[test]
fn numeric_host_names_resolve_to_themselves() {
    assert_eq!(
        LiveSystem.lookup_host("127.0.0.1").unwrap(),
        vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
    );
}

#[test]
fn environment_variables_of_this_process_are_visible() {
    // cargo sets this for every test process it runs.
    assert_eq!(
        LiveSystem.env_var("CARGO_MANIFEST_DIR").as_deref(),
        Some(env!("CARGO_MANIFEST_DIR"))
    );
    assert_eq!(LiveSystem.env_var("KUBEADM_RS_TEST_SURELY_UNSET"), None);
}

#[test]
fn only_executable_files_are_found_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let tool = dir.path().join("tool");
    std::fs::write(&plain, "").unwrap();
    std::fs::write(&tool, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(dir.path().join("subdir")).unwrap();
    let path =
        std::env::join_paths([dir.path().join("missing"), dir.path().to_path_buf()]).unwrap();

    assert_eq!(find_in_path(&path, "tool"), Some(tool));
    assert_eq!(find_in_path(&path, "plain"), None);
    assert_eq!(find_in_path(&path, "subdir"), None);
    assert_eq!(find_in_path(&path, "absent"), None);
}

#[test]
fn host_facts_hostname_is_the_kernel_node_name_lower_cased() {
    let name = LIVE_CONFIG.hostname().unwrap();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(name, kernel.trim().to_ascii_lowercase());
}

#[test]
fn default_address_is_a_usable_ipv4_or_names_the_missing_route() {
    let has_default = default_route(&std::fs::read_to_string(ROUTE_TABLE).unwrap()).is_some();
    match LIVE_CONFIG.default_address() {
        Ok(addr) => {
            assert!(has_default);
            let ip: Ipv4Addr = addr.parse().unwrap();
            assert!(!ip.is_unspecified() && !ip.is_loopback(), "{ip}");
        }
        Err(e) => {
            assert!(!has_default, "{e}");
            assert!(e.contains("default route"), "{e}");
        }
    }
}

#[test]
fn new_tokens_are_random_and_in_bootstrap_token_form() {
    let a = LIVE_CONFIG.new_token();
    let b = LIVE_CONFIG.new_token();
    for token in [&a, &b] {
        let (id, secret) = token.split_once('.').unwrap();
        assert_eq!((id.len(), secret.len()), (6, 16), "{token}");
        assert!(
            format!("{id}{secret}")
                .bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()),
            "{token}"
        );
    }
    assert_ne!(a, b);
}
