//! `kubeadm-rs certs`: certificate tasks outside `init`. For now the certificate key that
//! `init --upload-certs` and `join --control-plane` share.

use clap::{ArgMatches, Command};

use super::CliError;
use crate::certkey::CertificateKey;

pub fn command() -> Command {
    Command::new("certs")
        .about("Commands related to handling Kubernetes certificates")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("certificate-key")
                .about("Generate certificate keys")
                .long_about(
                    "This command will print out a secure randomly-generated certificate key that can be used with\n\
                     the \"init\" command.\n\n\
                     You can also use \"kubeadm init --upload-certs\" without specifying a certificate key and it will\n\
                     generate and print one for you.",
                ),
        )
}

pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    match m.subcommand() {
        Some(("certificate-key", _)) => {
            let key = CertificateKey::generate().map_err(|e| CliError::input(e.to_string()))?;
            println!("{}", key.expose());
            Ok(())
        }
        _ => unreachable!("clap requires a subcommand"),
    }
}
