//! Facts about the live host that preflight and kubelet-start look at, behind a trait so
//! tests can substitute a host of their own.

use std::path::PathBuf;

/// What phases may ask of the host beyond the node root.
pub trait System: Send + Sync {
    /// The effective user id.
    fn euid(&self) -> u32;
    /// The host name, as the kernel reports it.
    fn hostname(&self) -> String;
    /// Looks up an executable on `PATH`.
    fn find_executable(&self, name: &str) -> Option<PathBuf>;
    /// Whether systemd is running as the init system.
    fn systemd_running(&self) -> bool;
    /// Runs a program and returns its standard output, or a one-line error.
    fn run(&self, program: &str, args: &[&str]) -> Result<String, String>;
}

/// The machine this process runs on.
pub struct LiveSystem;

impl System for LiveSystem {
    fn euid(&self) -> u32 {
        rustix::process::geteuid().as_raw()
    }

    fn hostname(&self) -> String {
        rustix::system::uname().nodename().to_string_lossy().into_owned()
    }

    fn find_executable(&self, name: &str) -> Option<PathBuf> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    }

    fn systemd_running(&self) -> bool {
        std::path::Path::new("/run/systemd/system").is_dir()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "{program} {} failed ({}): {}",
                args.join(" "),
                out.status,
                err.lines().next().unwrap_or("").trim()
            ))
        }
    }
}
