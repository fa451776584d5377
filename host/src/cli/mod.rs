//! Command-line interface: clap definitions; phase subcommands are derived from the phase tree.

use std::process::ExitCode;

/// Runs the CLI with the process arguments; the one place errors are printed.
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
