//! `kubeadm-rs version`: kubeadm's output forms, so scripts that parse them keep working.

use clap::{Arg, ArgMatches, Command};
use serde::Serialize;

use super::CliError;
use crate::config::constants::KUBERNETES_VERSION;

/// kubeadm's `version.Info`, reporting the kubeadm release this build is compatible with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info {
    major: String,
    minor: String,
    git_version: String,
    git_commit: String,
    git_tree_state: String,
    build_date: String,
    go_version: String,
    compiler: String,
    platform: String,
    kubeadm_rs_version: String,
}

fn info() -> Info {
    let (major, minor, _) =
        crate::config::parse_version(KUBERNETES_VERSION).expect("built-in version parses");
    Info {
        major: major.to_string(),
        minor: minor.to_string(),
        git_version: KUBERNETES_VERSION.to_string(),
        git_commit: option_env!("KUBEADM_RS_GIT_COMMIT")
            .unwrap_or("")
            .to_string(),
        git_tree_state: String::new(),
        build_date: String::new(),
        go_version: String::new(),
        compiler: "rustc".to_string(),
        platform: format!("{}/{}", std::env::consts::OS, go_arch()),
        kubeadm_rs_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

pub fn command() -> Command {
    Command::new("version")
        .about("Print the version of kubeadm-rs")
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FORMAT")
                .value_parser(["", "short", "json", "yaml"])
                .default_value("")
                .help("Output format; available options are 'yaml', 'json' and 'short'"),
        )
}

pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    let info = info();
    match m
        .get_one::<String>("output")
        .map(String::as_str)
        .unwrap_or("")
    {
        "short" => println!("{}", info.git_version),
        "json" => {
            let doc = serde_json::json!({ "clientVersion": info });
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).expect("version serializes")
            );
        }
        "yaml" => {
            let doc = serde_json::json!({ "clientVersion": info });
            print!(
                "{}",
                serde_saphyr::to_string(&doc).expect("version serializes")
            );
        }
        _ => println!(
            "kubeadm-rs version: &version.Info{{Major:{:?}, Minor:{:?}, GitVersion:{:?}, GitCommit:{:?}, GitTreeState:{:?}, BuildDate:{:?}, GoVersion:{:?}, Compiler:{:?}, Platform:{:?}, KubeadmRsVersion:{:?}}}",
            info.major,
            info.minor,
            info.git_version,
            info.git_commit,
            info.git_tree_state,
            info.build_date,
            info.go_version,
            info.compiler,
            info.platform,
            info.kubeadm_rs_version
        ),
    }
    Ok(())
}
