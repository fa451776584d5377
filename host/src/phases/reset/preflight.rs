//! Reset's `preflight`: the operator confirms (unless `--force` or `--dry-run`), then the root
//! check, judged with `--ignore-preflight-errors`.

use super::ResetContext;
use crate::phases::common::{record_findings, verdict};
use crate::preflight::{Host, NodeCheck};
use crate::workflow::{Flag, Phase};

/// Why reset did not go ahead without `--force`.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error(
        "reset asks for confirmation, but standard input is not a terminal; run with --force (-f) to reset without a prompt"
    )]
    NoTerminal,
    #[error("won't proceed; the user didn't answer (Y|y) in order to continue")]
    Declined,
    #[error("reading the answer: {0}")]
    Read(#[from] std::io::Error),
}

/// Who answers reset's question.
pub trait Prompt: Send + Sync {
    /// Shows `question` and returns when the answer is yes.
    fn confirm(&self, question: &str) -> Result<(), ConfirmError>;
}

pub fn preflight_phase() -> Phase<dyn ResetContext> {
    Phase::new("preflight", "Run reset pre-flight checks")
        .long("Run pre-flight checks for kubeadm reset.")
        .flags(&[Flag::IgnorePreflightErrors, Flag::Force, Flag::DryRun])
        .run(run)
}

fn run<C: ?Sized + ResetContext>(ctx: &mut C) -> anyhow::Result<()> {
    let cfg = ctx.reset_cfg();
    if !cfg.force && !ctx.dry_run() {
        ctx.events().warn(
            "[reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be reverted.",
        );
        ctx.prompt()
            .confirm("[reset] Are you sure you want to proceed? [y/N]: ")?;
    }
    ctx.events().info("[preflight] Running pre-flight checks");
    let check = NodeCheck::IsPrivilegedUser;
    let host = Host {
        system: ctx.system(),
        root: ctx.root(),
    };
    let findings: Vec<_> = check
        .run(&host)
        .into_iter()
        .map(|issue| (check.name(), issue))
        .collect();
    record_findings(ctx, findings)?;
    verdict(ctx)?;
    Ok(())
}
