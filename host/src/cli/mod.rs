//! Command-line interface: clap definitions; phase subcommands are derived from the phase tree.
//! This is the one place errors are printed and mapped to exit codes:
//! 0 success, 1 a failed phase or bad input, 2 a command-line usage error.

// The command line is where results and the one error line are printed.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod binder;
mod certs;
mod config;
mod flags;
mod init;
mod join;
mod plugins;
pub mod render;
mod reset;
mod token;
mod version;

use std::process::ExitCode;

use clap::{ArgMatches, Command};

use crate::events::Events;
use crate::phases::common::PrepareError;
use crate::workflow::PhaseFailed;
use render::{HumanRenderer, JsonRenderer, OutputFormat};

pub use binder::phase_table;

/// An error on its way to the user: one line, optional hints, an exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub hints: Vec<String>,
    pub code: u8,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hints: Vec::new(),
            code: 1,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        CliError::input(e.to_string())
    }
}

impl From<crate::node::NodeError> for CliError {
    fn from(e: crate::node::NodeError) -> Self {
        CliError::input(e.to_string())
    }
}

impl From<crate::plugins::PluginError> for CliError {
    fn from(e: crate::plugins::PluginError) -> Self {
        CliError::input(e.to_string())
    }
}

impl CliError {
    /// A command that could not be prepared; a bad phase selection points at the phase list.
    fn prepare(e: PrepareError, verb: flags::Verb) -> Self {
        let plan = matches!(e, PrepareError::Plan(_));
        let err = CliError::input(e.to_string());
        if plan {
            err.hint(format!(
                "'kubeadm-rs {} --help' lists the phases",
                verb.name()
            ))
        } else {
            err
        }
    }
}

impl From<PhaseFailed> for CliError {
    fn from(e: PhaseFailed) -> Self {
        CliError::input(e.to_string())
    }
}

/// The event renderer `--output` asks for.
pub(crate) fn reporter(format: OutputFormat) -> Events {
    match format {
        OutputFormat::Text => Events::new(HumanRenderer::stdio()),
        OutputFormat::Json => Events::new(JsonRenderer::new(std::io::stdout())),
    }
}

/// The whole command tree, with the plugins a `--config` among `args` enables as phases.
pub fn command_for(args: &[std::ffi::OsString]) -> Command {
    command_with(&plugins::for_help(args))
}

/// The whole command tree, without plugin phases.
pub fn command() -> Command {
    command_with(&[])
}

fn command_with(plugins: &[std::sync::Arc<crate::plugins::LoadedPlugin>]) -> Command {
    Command::new("kubeadm-rs")
        .bin_name("kubeadm-rs")
        .about("kubeadm-rs: easily bootstrap a secure Kubernetes cluster")
        .long_about(
            "kubeadm-rs: easily bootstrap a secure Kubernetes cluster.\n\n\
             A kubeadm-compatible tool: the same flags, config files (kubeadm.k8s.io/v1beta4 and v1beta3),\n\
             files on disk and phases.\n\n\
             Example usage:\n\n    \
             On the first control-plane node:\n        kubeadm-rs init\n\n    \
             On each node that should join the cluster:\n        kubeadm-rs join <arguments-returned-from-init>\n",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(init::command(plugins))
        .subcommand(join::command(plugins))
        .subcommand(reset::command())
        .subcommand(config::command())
        .subcommand(certs::command())
        .subcommand(plugins::command())
        .subcommand(token::command())
        .subcommand(version::command())
        .subcommand(
            Command::new("completion")
                .about("Output shell completion code for the specified shell (bash, zsh or fish)")
                .arg(
                    clap::Arg::new("shell")
                        .required(true)
                        .value_parser(clap::value_parser!(clap_complete::Shell)),
                ),
        )
}

fn dispatch(m: &ArgMatches) -> Result<(), CliError> {
    match m.subcommand() {
        Some(("init", sub)) => init::run(sub),
        Some(("join", sub)) => join::run(sub),
        Some(("reset", sub)) => reset::run(sub),
        Some(("config", sub)) => config::run(sub),
        Some(("certs", sub)) => certs::run(sub),
        Some(("plugin", sub)) => plugins::run(sub),
        Some(("token", sub)) => token::run(sub),
        Some(("version", sub)) => version::run(sub),
        Some(("completion", sub)) => {
            let shell = *sub
                .get_one::<clap_complete::Shell>("shell")
                .expect("required");
            clap_complete::generate(shell, &mut command(), "kubeadm-rs", &mut std::io::stdout());
            Ok(())
        }
        _ => unreachable!("clap requires a subcommand"),
    }
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Plugin phases are only needed to parse `init phase <plugin>` and to show help; a plain
    // run loads its plugins once, when it runs.
    let needs_plugin_phases = args
        .iter()
        .skip(1)
        .any(|a| a == "phase" || a == "help" || a == "--help" || a == "-h");
    let command = if needs_plugin_phases {
        command_for(&args)
    } else {
        command()
    };
    let matches = match command.try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match dispatch(&matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            for hint in &e.hints {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(e.code)
        }
    }
}
