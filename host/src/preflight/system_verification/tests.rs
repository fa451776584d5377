use super::*;
use crate::events::Severity;
use crate::system::Kernel;
use crate::system::fake::FakeSystem;

#[test]
fn kernel_releases_follow_the_default_sys_spec() {
    let cases = [
        ("6.8.0-45-generic", true),
        ("6.18.44-fc-v782", true),
        ("10.0.1", true),
        ("5.15.0-119-generic", true),
        ("5.10.226", true),
        ("5.4.0-200-generic", true),
        ("5.14.0-665.el9.x86_64", false),
        ("4.19.0", false),
        ("3.10.0-1160.el7.x86_64", false),
        ("6.8", false),
        ("6.8-rc1", false),
        ("06.1.0", false),
        ("garbage", false),
    ];
    for (release, supported) in cases {
        assert_eq!(supported_kernel(release), supported, "{release}");
    }
}

fn with_kernel(name: &str, release: &str) -> FakeSystem {
    FakeSystem {
        kernel: Some(Kernel {
            name: name.into(),
            release: release.into(),
        }),
        ..FakeSystem::kubeadm_ready()
    }
}

fn issues(system: &FakeSystem) -> Vec<(Severity, String)> {
    system_verification(system)
        .into_iter()
        .map(|i| (i.severity, i.message))
        .collect()
}

const V1_MOUNTS: &str =
    "tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n";
const V1_CGROUPS: &str = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n\
cpuset\t2\t1\t1\ncpu\t3\t1\t1\ncpuacct\t3\t1\t1\nblkio\t4\t1\t1\nmemory\t5\t1\t1\n\
devices\t6\t1\t1\nfreezer\t7\t1\t1\npids\t8\t1\t1\nhugetlb\t9\t1\t0\n";

#[test]
fn system_verification_reports_what_the_validators_report() {
    let hybrid = "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
    type Case = (
        &'static str,
        FakeSystem,
        &'static [(Severity, &'static str)],
    );
    let cases: Vec<Case> = vec![
        (
            "a current kernel on cgroup v2",
            FakeSystem::kubeadm_ready(),
            &[],
        ),
        (
            "an old kernel is a warning",
            with_kernel("Linux", "5.14.0-665.el9.x86_64"),
            &[(
                Severity::Warning,
                "kernel release 5.14.0-665.el9.x86_64 is unsupported. Supported LTS versions from the 5.x series are \
                 5.4, 5.10 and 5.15. Any 6.x version is also supported. For cgroups v2 support, the recommended \
                 version is 5.10 or newer",
            )],
        ),
        (
            "another operating system is an error",
            with_kernel("Darwin", "6.1.0"),
            &[(Severity::Error, "unsupported operating system: Darwin")],
        ),
        (
            "a required v2 controller is missing",
            FakeSystem::kubeadm_ready().file(
                "/sys/fs/cgroup/cgroup.controllers",
                "cpuset cpu io hugetlb\n",
            ),
            &[(Severity::Error, "missing required cgroups: memory pids")],
        ),
        (
            "an optional v2 controller is missing",
            FakeSystem::kubeadm_ready().file(
                "/sys/fs/cgroup/cgroup.controllers",
                "cpuset cpu memory pids\n",
            ),
            &[(Severity::Warning, "missing optional cgroups: hugetlb io")],
        ),
        (
            "before 5.2 cgroup v2 has no freezer",
            with_kernel("Linux", "5.1.0"),
            &[
                (
                    Severity::Warning,
                    "kernel release 5.1.0 is unsupported. Supported LTS versions from the 5.x series are 5.4, 5.10 \
                     and 5.15. Any 6.x version is also supported. For cgroups v2 support, the recommended version is \
                     5.10 or newer",
                ),
                (Severity::Error, "missing required cgroups: freezer"),
            ],
        ),
        (
            "the first cgroup2 mount is the one used, even beside v1 mounts",
            FakeSystem::kubeadm_ready()
                .file("/proc/mounts", hybrid)
                .file("/sys/fs/cgroup/unified/cgroup.controllers", ""),
            &[
                (
                    Severity::Error,
                    "missing required cgroups: cpu cpuset memory pids",
                ),
                (Severity::Warning, "missing optional cgroups: hugetlb io"),
            ],
        ),
        (
            "cgroup v1 reads /proc/cgroups and warns about v1",
            FakeSystem::kubeadm_ready()
                .file("/proc/mounts", V1_MOUNTS)
                .file("/proc/cgroups", V1_CGROUPS),
            &[
                (
                    Severity::Warning,
                    "cgroups v1 support is in maintenance mode, please migrate to cgroups v2",
                ),
                (Severity::Warning, "missing optional cgroups: hugetlb"),
            ],
        ),
        (
            "no cgroup file system at all",
            FakeSystem::kubeadm_ready().file("/proc/mounts", "proc /proc proc rw 0 0\n"),
            &[(
                Severity::Error,
                "cannot find the cgroup hierarchy: no cgroup or cgroup2 file system is mounted",
            )],
        ),
    ];
    for (case, system, want) in cases {
        let want: Vec<(Severity, String)> = want.iter().map(|(s, m)| (*s, m.to_string())).collect();
        assert_eq!(issues(&system), want, "{case}");
    }
}

#[test]
fn a_missing_controller_file_is_an_error() {
    let mut system = FakeSystem::kubeadm_ready();
    system.files.remove("/sys/fs/cgroup/cgroup.controllers");
    let got = issues(&system);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, Severity::Error);
    assert!(
        got[0]
            .1
            .starts_with("failed to get cgroups v2 subsystems: /sys/fs/cgroup/cgroup.controllers:"),
        "{}",
        got[0].1
    );
}
