use super::*;

#[test]
fn kebab_names_are_lowercase_words_joined_by_dashes() {
    for ok in ["net-sysctls", "a", "k8s-1", &"a".repeat(63)] {
        assert!(is_kebab_name(ok), "{ok}");
    }
    for bad in [
        "",
        "Net",
        "1net",
        "-net",
        "net-",
        "a/b",
        "a b",
        "a_b",
        &"a".repeat(64),
    ] {
        assert!(!is_kebab_name(bad), "{bad}");
    }
}

#[test]
fn sysctl_keys_and_paths_are_what_proc_sys_and_a_mount_take() {
    assert!(is_sysctl_key("net.ipv4.conf.all.rp_filter"));
    for bad in ["", "net..ipv4", ".net", "net/ipv4", "net.ipv4 "] {
        assert!(!is_sysctl_key(bad), "{bad}");
    }
    for ok in ["/", "/etc", "/etc/modprobe.d"] {
        assert!(is_clean_absolute_path(ok), "{ok}");
    }
    for bad in ["", "etc", "/etc/", "//etc", "/etc/../root", "/./etc"] {
        assert!(!is_clean_absolute_path(bad), "{bad}");
    }
}

#[test]
fn versions_are_three_numbers_with_optional_pre_release_and_build() {
    assert_eq!(semver("1.2.3"), Some((1, 2, 3)));
    assert_eq!(semver("0.1.0-rc.1+abc"), Some((0, 1, 0)));
    assert_eq!(semver("1.0.0+\u{1b}]0;x"), Some((1, 0, 0)));
    for bad in [
        "",
        "1.2",
        "1.2.3.4",
        "1.2.x",
        "v1.2.3",
        "1.+2.3",
        "latest",
        "99999999999999999999.0.0",
    ] {
        assert_eq!(semver(bad), None, "{bad}");
    }
}
