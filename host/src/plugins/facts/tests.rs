use super::*;

#[test]
fn meminfo_lines_are_read_in_bytes() {
    let meminfo =
        "MemTotal:       16305420 kB\nMemFree:         1234 kB\nSwapTotal:             0 kB\n";
    assert_eq!(meminfo_bytes(meminfo, "MemTotal"), Some(16305420 * 1024));
    assert_eq!(meminfo_bytes(meminfo, "SwapTotal"), Some(0));
    assert_eq!(meminfo_bytes(meminfo, "Mem"), None);
}

#[test]
fn os_release_values_are_unquoted() {
    let text = "# comment\nID=debian\nVERSION_ID=\"13\"\nPRETTY_NAME='Debian GNU/Linux 13 (trixie)'\n\nNAME=\"say \\\"hi\\\"\"\n";
    assert_eq!(
        parse_os_release(text),
        vec![
            ("ID".to_string(), "debian".to_string()),
            ("VERSION_ID".to_string(), "13".to_string()),
            (
                "PRETTY_NAME".to_string(),
                "Debian GNU/Linux 13 (trixie)".to_string()
            ),
            ("NAME".to_string(), "say \"hi\"".to_string()),
        ]
    );
}

#[test]
fn only_listening_sockets_count_as_ports() {
    let tcp = "  sl  local_address rem_address   st\n   0: 00000000:1A0A 00000000:0000 0A 0\n   1: 0100007F:0CEA 0100007F:1A0A 01 0\n";
    let tcp6 = "  sl  local_address rem_address st\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0\n";
    let mut ports = BTreeSet::new();
    listening_ports(tcp, &mut ports);
    listening_ports(tcp6, &mut ports);
    assert_eq!(ports.into_iter().collect::<Vec<_>>(), vec![22, 6666]);
}

#[test]
fn modules_come_from_proc_modules_and_the_builtin_list() {
    let mut names = BTreeSet::new();
    module_names(
        "overlay 151552 0 - Live 0x0\nbr_netfilter 32768 0 - Live 0x0\n",
        "kernel/net/ipv4/netfilter/nf-nat.ko\nkernel/fs/ext4/ext4.ko.zst\n",
        &mut names,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec!["br_netfilter", "ext4", "nf_nat", "overlay"]
    );
}

#[test]
fn machines_are_named_as_go_names_them() {
    for (machine, arch) in [
        ("x86_64", "amd64"),
        ("aarch64", "arm64"),
        ("armv7l", "arm"),
        ("ppc64le", "ppc64le"),
        ("s390x", "s390x"),
    ] {
        assert_eq!(go_arch(machine), arch);
    }
}

#[test]
fn the_live_host_answers_its_own_facts() {
    let facts = LIVE_NODE;
    assert!(!facts.kernel_release().unwrap().is_empty());
    assert!(facts.cpu_count().unwrap() >= 1);
    assert!(facts.memory_bytes().unwrap() > 0);
    assert_eq!(facts.sysctl("kernel.ostype").unwrap(), "Linux");
    assert_eq!(facts.sysctl("kernel.no_such_key"), Err(FactError::NotFound));
    assert_eq!(
        facts.sysctl("kernel/../../etc/passwd"),
        Err(FactError::NotFound)
    );
}
