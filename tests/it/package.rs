//! The Debian package (`scripts/package-deb.sh`): what it holds, what lintian says of it, and
//! that it installs, runs and purges cleanly in a throw-away root (`dpkg --root`, its own
//! database and log), never touching the host's. It packs the `dist` binary that
//! `scripts/test.sh` builds once before the tests, so no test compiles a second release build.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Command as ClapCommand;
use kubeadm_rs::config::constants::{
    BOOTSTRAP_KUBELET_KUBECONFIG, KUBELET_CONFIG_FILE, KUBELET_FLAGS_ENV_FILE, KUBELET_KUBECONFIG,
    KUBERNETES_DIR, KUBERNETES_VERSION,
};

use crate::common::{run_err, run_ok, stdout, tool, tree};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const DROP_IN: &str = "usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf";

/// Lintian warnings the package keeps, each with the reason it is right for kubeadm-rs.
/// Any other warning, and every error, fails the test.
const ACCEPTED_WARNINGS: &[(&str, &str)] = &[];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

/// The package of the prebuilt `dist` binary, made by the first test that asks and shared by
/// the rest (`flock` serialises them; `--reuse` keeps a package newer than its inputs).
fn package() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let out = target.join("debian");
    std::fs::create_dir_all(&out).unwrap();
    let built = run_ok(
        tool("flock")
            .arg(out.join(".package.lock"))
            .arg("bash")
            .arg(repo().join("scripts/package-deb.sh"))
            .args(["--no-build", "--reuse", "--out"])
            .arg(&out),
    );
    let deb = PathBuf::from(stdout(&built).trim());
    assert_eq!(
        deb,
        out.join(format!("kubeadm-rs_{VERSION}_{}.deb", dpkg_architecture()))
    );
    assert!(
        deb.is_file(),
        "package-deb.sh named {deb:?}, which is not a file"
    );
    deb
}

fn dpkg_architecture() -> String {
    stdout(&run_ok(tool("dpkg").arg("--print-architecture")))
        .trim()
        .to_string()
}

/// One manual page per visible command, named as man(1) looks them up: `kubeadm-rs-init-phase.1`.
fn expected_man_pages() -> BTreeSet<String> {
    fn walk(cmd: &ClapCommand, out: &mut BTreeSet<String>) {
        let name = cmd.get_display_name().unwrap_or(cmd.get_name());
        out.insert(format!("usr/share/man/man1/{name}.1.gz"));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, out);
        }
    }
    let mut root = kubeadm_rs::cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = BTreeSet::new();
    walk(&root, &mut pages);
    pages
}

/// `dpkg-deb --contents`, one `(mode, owner, path)` per member, paths without the leading `./`.
fn contents(deb: &Path) -> Vec<(String, String, String)> {
    let listing = stdout(&run_ok(tool("dpkg-deb").arg("--contents").arg(deb)));
    listing
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let path = fields.last().unwrap().trim_start_matches("./");
            (
                fields[0].to_string(),
                fields[1].to_string(),
                path.trim_end_matches('/').to_string(),
            )
        })
        .filter(|(_, _, path)| !path.is_empty())
        .collect()
}

fn field(deb: &Path, name: &str) -> String {
    stdout(&run_ok(tool("dpkg-deb").arg("--field").arg(deb).arg(name)))
        .trim()
        .to_string()
}

#[test]
fn the_package_holds_the_binary_completions_pages_drop_in_and_docs_and_nothing_else() {
    let deb = package();

    let members = contents(&deb);
    let files: BTreeSet<String> = members
        .iter()
        .filter(|(mode, _, _)| !mode.starts_with('d'))
        .map(|(_, _, path)| path.clone())
        .collect();
    let mut expected: BTreeSet<String> = [
        "usr/bin/kubeadm-rs",
        DROP_IN,
        "usr/share/bash-completion/completions/kubeadm-rs",
        "usr/share/zsh/vendor-completions/_kubeadm-rs",
        "usr/share/fish/vendor_completions.d/kubeadm-rs.fish",
        "usr/share/doc/kubeadm-rs/copyright",
        "usr/share/doc/kubeadm-rs/changelog.gz",
        "usr/share/doc/kubeadm-rs/third-party-licenses.gz",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let pages = expected_man_pages();
    assert!(
        pages.contains("usr/share/man/man1/kubeadm-rs.1.gz")
            && pages.contains("usr/share/man/man1/kubeadm-rs-init-phase-certs-ca.1.gz"),
        "{pages:#?}"
    );
    expected.extend(pages);
    assert_eq!(files, expected, "the package's files");

    // Owned by root, executable only where it is a program, as lintian and dpkg expect.
    for (mode, owner, path) in &members {
        assert_eq!(owner, "root/root", "{path}");
        let want = if mode.starts_with('d') {
            "drwxr-xr-x"
        } else if path == "usr/bin/kubeadm-rs" {
            "-rwxr-xr-x"
        } else {
            "-rw-r--r--"
        };
        assert_eq!(mode, want, "{path}");
    }

    assert_eq!(field(&deb, "Package"), "kubeadm-rs");
    assert_eq!(field(&deb, "Version"), VERSION);
    assert_eq!(field(&deb, "Architecture"), dpkg_architecture());
    assert_eq!(field(&deb, "Section"), "admin");
    // Like kubeadm's own package (v1.32 on): no dependency on the cluster's tools; the kubelet
    // and kubectl are recommended. The drop-in is kubeadm's path, hence the conflict.
    let depends = field(&deb, "Depends");
    assert!(depends.starts_with("libc6 (>= "), "{depends}");
    assert!(!depends.contains("kube"), "{depends}");
    assert_eq!(field(&deb, "Recommends"), "kubelet, kubectl");
    assert_eq!(field(&deb, "Conflicts"), "kubeadm");
}

#[test]
fn lintian_finds_no_error_and_only_explained_warnings() {
    let deb = package();
    // Lintian shows errors and warnings by default; each line is judged, then its exit status.
    let report = tool("lintian")
        .args(["--tag-display-limit", "0"])
        .arg(&deb)
        .output()
        .expect("lintian runs");
    let text = stdout(&report);
    let stderr = String::from_utf8_lossy(&report.stderr);
    let mut unexplained = Vec::new();
    for line in text.lines() {
        let Some((severity, rest)) = line.split_once(": ") else {
            continue;
        };
        let tag = rest
            .strip_prefix("kubeadm-rs: ")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or(rest);
        let accepted = severity == "W" && ACCEPTED_WARNINGS.iter().any(|(t, _)| *t == tag);
        if matches!(severity, "E" | "W") && !accepted {
            unexplained.push(line.to_string());
        }
    }
    assert!(
        unexplained.is_empty(),
        "lintian:\n{}\nstderr:\n{stderr}",
        unexplained.join("\n")
    );
    assert!(
        report.status.success(),
        "lintian failed ({}):\n{text}\n{stderr}",
        report.status
    );
}

/// A throw-away root for `dpkg --root`: an empty database that knows only the host's records of
/// the packages kubeadm-rs depends on (they are the libraries its binary runs with here).
struct ThrowAwayRoot {
    dir: tempfile::TempDir,
}

impl ThrowAwayRoot {
    fn new(depends: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let admin = dir.path().join("var/lib/dpkg");
        std::fs::create_dir_all(admin.join("info")).unwrap();
        let mut status = String::new();
        for dep in depends.split(',') {
            let name = dep.split_whitespace().next().unwrap();
            let record = stdout(&run_ok(tool("dpkg-query").args(["--status", name])));
            let arch = record
                .lines()
                .find_map(|l| l.strip_prefix("Architecture: "))
                .expect("a package record names its architecture");
            let list = if record.contains("\nMulti-Arch: same") {
                format!("{name}:{arch}.list")
            } else {
                format!("{name}.list")
            };
            std::fs::write(admin.join("info").join(list), "").unwrap();
            status.push_str(record.trim_end());
            status.push_str("\n\n");
        }
        std::fs::write(admin.join("status"), status).unwrap();
        ThrowAwayRoot { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `dpkg` on this root, logging beside it rather than in the host's `/var/log/dpkg.log`.
    fn dpkg(&self) -> Command {
        let mut cmd = tool("dpkg");
        cmd.arg(format!("--root={}", self.path().display()))
            .arg(format!("--log={}", self.path().join("dpkg.log").display()));
        cmd
    }

    /// Everything below the root except dpkg's own database and log.
    fn files(&self) -> Vec<String> {
        tree(self.path())
            .into_iter()
            .filter(|p| !p.starts_with("var/lib/dpkg") && p != "dpkg.log")
            .collect()
    }
}

/// The paths the drop-in hands the kubelet: `--flag=path` values and `EnvironmentFile=` files.
fn drop_in_paths(drop_in: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in drop_in.lines().filter(|l| !l.starts_with('#')) {
        if let Some(file) = line.strip_prefix("EnvironmentFile=") {
            paths.push(file.trim_start_matches('-').to_string());
        }
        for word in line.split(['"', ' ']) {
            // `Environment="VAR=--flag=/path --flag=/path"`: a flag may follow `VAR=`.
            let flag = word.find("--").map(|at| &word[at..]);
            if let Some((_, value)) = flag.and_then(|f| f.split_once('='))
                && value.starts_with('/')
            {
                paths.push(value.to_string());
            }
        }
    }
    paths
}

#[test]
fn the_package_installs_runs_and_purges_cleanly_in_a_throwaway_root() {
    let deb = package();
    let root = ThrowAwayRoot::new(&field(&deb, "Depends"));
    let before = root.files();

    run_ok(root.dpkg().arg("--install").arg(&deb));
    let status = stdout(&run_ok(root.dpkg().args(["--status", "kubeadm-rs"])));
    assert!(status.contains("Status: install ok installed"), "{status}");
    let r = root.path();

    // The installed binary runs, and is the stripped one: no symbol table, no debug sections.
    let bin = r.join("usr/bin/kubeadm-rs");
    let short = stdout(&run_ok(Command::new(&bin).args(["version", "-o", "short"])));
    assert_eq!(short.trim(), KUBERNETES_VERSION);
    let json = stdout(&run_ok(Command::new(&bin).args(["version", "-o", "json"])));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["clientVersion"]["kubeadmRsVersion"], VERSION);
    let sections = stdout(&run_ok(tool("readelf").arg("--section-headers").arg(&bin)));
    assert!(
        !sections.contains(".symtab") && !sections.contains(".debug_"),
        "{sections}"
    );

    // Every crate the copyright lists has its own licence files (or a note) in the licences doc.
    let doc = r.join("usr/share/doc/kubeadm-rs");
    let copyright = std::fs::read_to_string(doc.join("copyright")).unwrap();
    let licences = stdout(&run_ok(
        tool("zcat").arg(doc.join("third-party-licenses.gz")),
    ));
    let listed: Vec<&str> = copyright
        .lines()
        .filter_map(|l| {
            l.strip_prefix(' ')?
                .split_once(": ")
                .map(|(crate_, _)| crate_)
        })
        .filter(|c| {
            c.split_once(" v")
                .is_some_and(|(_, v)| v.starts_with(|d: char| d.is_ascii_digit()))
        })
        .collect();
    assert!(listed.len() > 100, "{copyright}");
    for crate_ in &listed {
        let header = format!("=== {} ", crate_.replacen(" v", " ", 1));
        assert!(licences.contains(&header), "no licence entry for {crate_}");
    }
    assert!(licences.contains("Permission is hereby granted, free of charge"));
    assert!(licences.contains("=== serde_json "), "serde_json's entry");

    // The completions parse (bash) and register for kubeadm-rs (zsh, fish).
    let bash = r.join("usr/share/bash-completion/completions/kubeadm-rs");
    run_ok(tool("bash").arg("-n").arg(&bash));
    let bash = std::fs::read_to_string(&bash).unwrap();
    assert!(
        bash.lines()
            .any(|l| l.trim_start().starts_with("complete -F ")
                && l.trim_end().ends_with(" kubeadm-rs")),
        "{bash}"
    );
    let zsh =
        std::fs::read_to_string(r.join("usr/share/zsh/vendor-completions/_kubeadm-rs")).unwrap();
    assert!(zsh.starts_with("#compdef kubeadm-rs"), "{zsh}");
    let fish =
        std::fs::read_to_string(r.join("usr/share/fish/vendor_completions.d/kubeadm-rs.fish"))
            .unwrap();
    assert!(fish.contains("complete -c kubeadm-rs"), "{fish}");

    // Every page renders without a groff warning (lintian's check); man shows the top page.
    let man1 = r.join("usr/share/man/man1");
    for page in std::fs::read_dir(&man1).unwrap().flatten() {
        let rendered = run_ok(
            tool("man")
                .args(["--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z"])
                .arg(page.path())
                .env("MANWIDTH", "80"),
        );
        assert!(
            rendered.stderr.is_empty(),
            "{}: {}",
            page.path().display(),
            String::from_utf8_lossy(&rendered.stderr)
        );
    }
    let page = stdout(&run_ok(
        tool("man")
            .arg("-l")
            .arg(man1.join("kubeadm-rs.1.gz"))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100"),
    ));
    for section in [
        "NAME",
        "SYNOPSIS",
        "SUBCOMMANDS",
        "kubeadm-rs-init(1)",
        "kubeadm-rs-join(1)",
    ] {
        assert!(page.contains(section), "{section} in:\n{page}");
    }

    // The drop-in hands the kubelet exactly the files kubeadm-rs writes: a local init by the
    // installed binary into a node root writes each one the drop-in names (bootstrap-kubelet.conf
    // is join's, checked by name), and kubeadm-flags.env sets the variable ExecStart expands.
    let drop_in = std::fs::read_to_string(r.join(DROP_IN)).unwrap();
    let node = tempfile::tempdir().unwrap();
    run_ok(
        Command::new(&bin)
            .args(["init", "--skip-phases"])
            .arg("preflight,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,addon,show-join-command")
            .args(["--apiserver-advertise-address", "10.0.0.5", "--node-name", "node-1"])
            .args(["--kubernetes-version", KUBERNETES_VERSION, "--rootfs"])
            .arg(node.path())
            .env("NO_COLOR", "1"),
    );
    let bootstrap = format!("{KUBERNETES_DIR}/{BOOTSTRAP_KUBELET_KUBECONFIG}");
    let kubeconfig = format!("{KUBERNETES_DIR}/{KUBELET_KUBECONFIG}");
    assert_eq!(
        drop_in_paths(&drop_in),
        [
            bootstrap.as_str(),
            kubeconfig.as_str(),
            KUBELET_CONFIG_FILE,
            KUBELET_FLAGS_ENV_FILE,
            "/etc/default/kubelet",
        ],
        "{drop_in}"
    );
    for written in [
        kubeconfig.as_str(),
        KUBELET_CONFIG_FILE,
        KUBELET_FLAGS_ENV_FILE,
    ] {
        let file = node.path().join(written.trim_start_matches('/'));
        assert!(file.is_file(), "init did not write {written}");
    }
    let flags = std::fs::read_to_string(
        node.path()
            .join(KUBELET_FLAGS_ENV_FILE.trim_start_matches('/')),
    )
    .unwrap();
    assert!(flags.starts_with("KUBELET_KUBEADM_ARGS="), "{flags}");
    let exec_start = drop_in
        .lines()
        .rfind(|l| l.starts_with("ExecStart=/usr/bin/kubelet "))
        .expect("the drop-in starts the kubelet");
    for variable in [
        "$KUBELET_KUBECONFIG_ARGS",
        "$KUBELET_CONFIG_ARGS",
        "$KUBELET_KUBEADM_ARGS",
        "$KUBELET_EXTRA_ARGS",
    ] {
        assert!(exec_start.contains(variable), "{variable} in {exec_start}");
    }

    // Removal leaves the root as it was, and the package unknown to its database.
    run_ok(root.dpkg().args(["--remove", "kubeadm-rs"]));
    run_ok(root.dpkg().args(["--purge", "kubeadm-rs"]));
    assert_eq!(root.files(), before);
    let gone = run_err(root.dpkg().args(["--status", "kubeadm-rs"]));
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("is not installed"),
        "{gone:?}"
    );
}

#[test]
fn the_package_refuses_to_install_beside_kubeadm_which_owns_the_same_drop_in() {
    let deb = package();
    let root = ThrowAwayRoot::new(&field(&deb, "Depends"));

    // A stand-in for kubeadm's package: its name and its drop-in path are what matter here.
    let stand_in = tempfile::tempdir().unwrap();
    let kubeadm = stand_in.path().join("kubeadm");
    let drop_in = kubeadm.join(DROP_IN);
    std::fs::create_dir_all(drop_in.parent().unwrap()).unwrap();
    std::fs::write(&drop_in, "[Service]\n").unwrap();
    std::fs::create_dir_all(kubeadm.join("DEBIAN")).unwrap();
    std::fs::write(
        kubeadm.join("DEBIAN/control"),
        "Package: kubeadm\nVersion: 1.34.2-1.1\nArchitecture: all\n\
         Maintainer: test <test@example.invalid>\nDescription: stand-in\n stand-in\n",
    )
    .unwrap();
    let kubeadm_deb = stand_in.path().join("kubeadm.deb");
    run_ok(
        tool("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&kubeadm)
            .arg(&kubeadm_deb),
    );
    run_ok(root.dpkg().arg("--install").arg(&kubeadm_deb));

    let refused = run_err(root.dpkg().arg("--install").arg(&deb));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("kubeadm-rs conflicts with kubeadm"), "{said}");
    assert!(!root.path().join("usr/bin/kubeadm-rs").exists());
    assert_eq!(
        std::fs::read_to_string(root.path().join(DROP_IN)).unwrap(),
        "[Service]\n"
    );
}
