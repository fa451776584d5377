//! `kubeadm-rs-man OUT_DIR`: writes one roff manual page per command of kubeadm-rs
//! (`kubeadm-rs.1`, `kubeadm-rs-init.1`, `kubeadm-rs-init-phase-certs-ca.1`, ...), from the
//! same clap tree the binary parses with, so the pages cannot drift from the flags.
//! scripts/package-deb.sh runs it; a separate binary keeps the generator out of what ships.

// A command-line tool: it prints where it wrote the pages and its errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Command;
use clap_mangen::Man;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_dir] = args.as_slice() else {
        eprintln!("usage: kubeadm-rs-man OUT_DIR");
        return ExitCode::from(2);
    };
    // The changelog's date, so a rebuilt package holds byte-identical pages.
    let date = std::env::var("KUBEADM_RS_MAN_DATE").unwrap_or_default();
    // No `help` subcommand pages: `help` is clap's, not a kubeadm-rs command.
    let mut root = kubeadm_rs::cli::command().disable_help_subcommand(true);
    // Building names every subcommand `kubeadm-rs-init-phase-...`, the page names.
    root.build();
    let mut written = Vec::new();
    match write_pages(&root, Path::new(out_dir), &date, &mut written) {
        Ok(()) => {
            for page in written {
                println!("{}", page.display());
            }
            ExitCode::SUCCESS
        }
        Err((page, e)) => {
            eprintln!(
                "error: couldn't write the manual page {}: {e}",
                page.display()
            );
            ExitCode::from(1)
        }
    }
}

/// Writes `cmd`'s page, then its visible subcommands' pages, depth first.
fn write_pages(
    cmd: &Command,
    out_dir: &Path,
    date: &str,
    written: &mut Vec<PathBuf>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let man = Man::new(cmd.clone())
        .date(date)
        .source(format!("kubeadm-rs {}", env!("CARGO_PKG_VERSION")))
        .manual("kubeadm-rs Manual");
    let page = out_dir.join(man.get_filename());
    man.generate_to(out_dir).map_err(|e| (page.clone(), e))?;
    written.push(page);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, out_dir, date, written)?;
    }
    Ok(())
}
