//! `kubeadm-rs reset` and its `phase` subcommands: the phase tree bound to clap by the binder,
//! the run prepared by the library; confirmation is asked on the terminal.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use clap::{ArgMatches, Command};

use super::binder::{PhasedCommand, selected};
use super::flags::{self, RESET_FLAGS, Verb};
use super::{CliError, reporter};
use crate::phases::reset::{ConfirmError, Prompt, ResetRequest, prepare_reset, reset_workflow};
use crate::system::LiveSystem;

pub fn command() -> Command {
    let workflow = reset_workflow();
    PhasedCommand {
        verb: Verb::Reset,
        usage_name: "reset",
        about: "Performs a best effort revert of changes made to this host by 'kubeadm init' or 'kubeadm join'",
        long_about: "Performs a best effort revert of changes made to this host by 'kubeadm init' or 'kubeadm join'",
        flags: &RESET_FLAGS,
        workflow: &workflow,
    }
    .build()
}

/// Asks on the terminal; without one there is nobody to answer, so reset does not go ahead.
struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn confirm(&self, question: &str) -> Result<(), ConfirmError> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Err(ConfirmError::NoTerminal);
        }
        let mut stderr = std::io::stderr();
        write!(stderr, "{question}")?;
        stderr.flush()?;
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err(ConfirmError::Declined),
        }
    }
}

/// Runs `reset` (all phases) or `reset phase <path>`.
pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    let (phase, m) = selected(m);
    let events = reporter(flags::output(m));
    let request = ResetRequest {
        config: flags::config_path(m),
        overrides: flags::reset_overrides(m),
        phase,
        rootfs: flags::rootfs(m),
        kubeconfig: flags::kubeconfig(m),
    };
    let prepared = prepare_reset(
        request,
        Box::new(LiveSystem),
        Box::new(TerminalPrompt),
        &events,
    )
    .map_err(|e| CliError::prepare(e, Verb::Reset))?;
    prepared.run(&events)?;
    Ok(())
}
