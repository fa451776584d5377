//! The one binder from a phase tree to clap, for every command with phases (`init`, `join`,
//! later `reset` and `upgrade`): the phase table in the help, `<cmd> phase <path>` subcommands
//! with each phase's flags, and which phase the matches select.

use clap::{ArgMatches, Command};

use super::flags::{self, Verb};
use crate::workflow::{Flag, Flat, Phase, Workflow};

/// Flags every phase subcommand takes besides its own.
const PHASE_COMMON_FLAGS: [Flag; 3] = [Flag::Output, Flag::Rootfs, Flag::Verbosity];

/// A command whose work is a phase tree.
pub struct PhasedCommand<'w, C: ?Sized> {
    pub verb: Verb,
    /// The command as kubeadm's phase table names it (`join [api-server-endpoint]`).
    pub usage_name: &'static str,
    pub about: &'static str,
    /// Help shown above the phase table.
    pub long_about: &'static str,
    /// The command's own flags, in help order (phase-only flags left out).
    pub flags: &'w [Flag],
    pub workflow: &'w Workflow<C>,
}

/// kubeadm's phase table: names padded, children as `/name`, `all` and hidden phases left out.
pub fn phase_table<C: ?Sized>(command: &str, workflow: &Workflow<C>) -> String {
    let rows: Vec<(String, &str)> = workflow
        .flatten()
        .into_iter()
        .filter(|f| !f.phase.hidden)
        .map(|f: Flat<'_, C>| {
            let name = if f.depth == 0 {
                f.phase.name.clone()
            } else {
                format!("{}/{}", "  ".repeat(f.depth), f.phase.name)
            };
            (name, f.phase.short.as_str())
        })
        .collect();
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 2;
    let mut out = format!("The \"{command}\" command executes the following phases:\n```\n");
    for (name, short) in rows {
        out.push_str(&format!("{name:<width$}{short}\n"));
    }
    out.push_str("```");
    out
}

impl<C: ?Sized> PhasedCommand<'_, C> {
    /// The command with its flags and its `phase` subcommand tree.
    pub fn build(&self) -> Command {
        let name = self.verb.name();
        let mut cmd = Command::new(name)
            // The phase table is preformatted: wrapping would break its columns.
            .term_width(0)
            .about(self.about)
            .long_about(format!(
                "{}\n\n{}",
                self.long_about,
                phase_table(self.usage_name, self.workflow)
            ));
        for f in self.flags {
            cmd = cmd.arg(flags::flag(*f, self.verb));
        }
        cmd.subcommand(self.phase_command())
    }

    fn phase_command(&self) -> Command {
        let mut cmd = Command::new("phase")
            .about(format!(
                "Use this command to invoke single phase of the {} workflow",
                self.verb.name()
            ))
            .subcommand_required(true)
            .arg_required_else_help(true);
        for phase in self.workflow.phases.iter().filter(|p| !p.hidden) {
            cmd = cmd.subcommand(self.phase_subcommand(phase, &[]));
        }
        cmd
    }

    fn with_flags(&self, mut cmd: Command, own: &[Flag]) -> Command {
        let mut seen: Vec<Flag> = Vec::new();
        for f in own.iter().chain(PHASE_COMMON_FLAGS.iter()) {
            if !seen.contains(f) {
                seen.push(*f);
                cmd = cmd.arg(flags::flag(*f, self.verb));
            }
        }
        cmd
    }

    /// One phase as a subcommand: a leaf runs; a parent that only groups others prints help
    /// unless `all` or a child is chosen. A phase without flags of its own takes its parent's.
    fn phase_subcommand(&self, phase: &Phase<C>, inherited: &[Flag]) -> Command {
        let own: Vec<Flag> = if phase.flags.is_empty() {
            inherited.to_vec()
        } else {
            phase.flags.clone()
        };
        let mut cmd = Command::new(phase.name.clone()).about(phase.short.clone());
        if let Some(long) = &phase.long {
            cmd = cmd.long_about(long.clone());
        }
        let children: Vec<&Phase<C>> = phase.children.iter().filter(|c| !c.hidden).collect();
        if children.is_empty() {
            return self.with_flags(cmd, &own);
        }
        if !phase.run_all_siblings && (phase.run.is_some() || phase.finish.is_some()) {
            // A phase with work of its own and no `all` (preflight with plugin checks) runs
            // with all its children, so it takes their flags too; a child can still run alone.
            let mut all = own.clone();
            all.extend(children.iter().flat_map(|c| c.flags.iter().copied()));
            cmd = self.with_flags(cmd, &all);
        } else {
            cmd = cmd.subcommand_required(true).arg_required_else_help(true);
        }
        if phase.run_all_siblings {
            cmd = cmd.subcommand(self.with_flags(
                Command::new("all").about(format!("Run all {} phases", phase.name)),
                &own,
            ));
        }
        for child in children {
            cmd = cmd.subcommand(self.phase_subcommand(child, &own));
        }
        cmd
    }
}

/// What the matches of a phased command ask for: `Some(path)` for `<cmd> phase <path>`, and the
/// matches that hold the flags (the leaf's for a phase, the command's otherwise).
pub fn selected(m: &ArgMatches) -> (Option<String>, &ArgMatches) {
    let Some(("phase", mut cur)) = m.subcommand() else {
        return (None, m);
    };
    let mut path = Vec::new();
    while let Some((name, sub)) = cur.subcommand() {
        if name != "all" {
            path.push(name.to_string());
        }
        cur = sub;
    }
    (Some(path.join("/")), cur)
}

#[cfg(test)]
mod tests;
