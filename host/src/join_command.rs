//! The `kubeadm-rs join` command (kubeadm's flags, so kubeadm can run it too) a token is handed out in (`init`'s closing words,
//! `token create --print-join-command`), laid out as kubeadm lays it out.

use std::path::Path;

use crate::certkey::CertificateKey;
use crate::kubeconfig::Kubeconfig;
use crate::node::NodeRoot;
use crate::pki::{CaPin, ca_pins};
use crate::token::BootstrapToken;

/// What `--skip-token-print` and `--skip-certificate-key-print` print instead of the value.
const WITHHELD: &str = "<value withheld>";

/// A secret value in a command line: printed, or replaced by kubeadm's placeholder.
#[derive(Clone, Copy, Debug)]
pub enum Shown<'a, T> {
    Value(&'a T),
    Withheld,
}

/// Why the join command cannot be made from a kubeconfig.
#[derive(Debug, thiserror::Error)]
pub enum JoinCommandError {
    #[error("malformed kubeconfig file: {path}: its current context names no cluster it defines")]
    NoCluster { path: String },
    #[error("failed to parse CA certificate from kubeconfig {path}: {reason}")]
    BadCaData { path: String, reason: String },
    #[error("failed to load CA certificate referenced by kubeconfig {path}: {file}: {reason}")]
    BadCaFile {
        path: String,
        file: String,
        reason: String,
    },
    #[error("no CA certificates found in kubeconfig {path}")]
    NoCa { path: String },
}

/// Where a joining node finds the cluster: the API server's host:port and the pins of its CAs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinCommand {
    host_port: String,
    ca_pins: Vec<CaPin>,
}

impl JoinCommand {
    pub fn new(host_port: impl Into<String>, ca_pins: Vec<CaPin>) -> Self {
        JoinCommand {
            host_port: host_port.into(),
            ca_pins,
        }
    }

    /// From the current cluster of a kubeconfig such as admin.conf, read from `path` on the node:
    /// its server without `https://`, and one pin per CA certificate (embedded, or in the file
    /// it names, relative to the kubeconfig's directory).
    pub fn from_kubeconfig(
        kubeconfig: &Kubeconfig,
        path: &Path,
        root: &NodeRoot,
    ) -> Result<Self, JoinCommandError> {
        let shown = path.display().to_string();
        let cluster = kubeconfig
            .current_cluster()
            .ok_or_else(|| JoinCommandError::NoCluster {
                path: shown.clone(),
            })?;
        let pins = match (
            &cluster.certificate_authority_data,
            cluster.certificate_authority.as_deref(),
        ) {
            (Some(pem), _) => ca_pins(pem).map_err(|reason| JoinCommandError::BadCaData {
                path: shown.clone(),
                reason,
            })?,
            (None, Some(file)) if !file.is_empty() => {
                let file_path = path.parent().unwrap_or(Path::new("/")).join(file);
                let bad = |reason: String| JoinCommandError::BadCaFile {
                    path: shown.clone(),
                    file: file_path.display().to_string(),
                    reason,
                };
                let pem = root
                    .read(&file_path)
                    .map_err(|e| bad(e.to_string()))?
                    .ok_or_else(|| bad("no such file".into()))?;
                ca_pins(&pem).map_err(bad)?
            }
            _ => return Err(JoinCommandError::NoCa { path: shown }),
        };
        Ok(JoinCommand::new(
            cluster.server.replace("https://", ""),
            pins,
        ))
    }

    /// The command for a worker node.
    pub fn worker(&self, token: Shown<'_, BootstrapToken>) -> String {
        self.render(token, None)
    }

    /// The command for another control-plane node; with a certificate key (or its placeholder)
    /// when the certificates were uploaded.
    pub fn control_plane(
        &self,
        token: Shown<'_, BootstrapToken>,
        certificate_key: Option<Shown<'_, CertificateKey>>,
    ) -> String {
        self.render(token, Some(certificate_key))
    }

    /// kubeadm's layout: continuation lines end in ` \` and start with a tab; a space follows
    /// every pin.
    fn render(
        &self,
        token: Shown<'_, BootstrapToken>,
        control_plane: Option<Option<Shown<'_, CertificateKey>>>,
    ) -> String {
        let token = match token {
            Shown::Value(t) => t.expose(),
            Shown::Withheld => WITHHELD.into(),
        };
        let mut out = format!("kubeadm-rs join {} --token {token} \\\n\t", self.host_port);
        for pin in &self.ca_pins {
            out.push_str(&format!("--discovery-token-ca-cert-hash {pin} "));
        }
        if let Some(key) = control_plane {
            out.push_str("\\\n\t--control-plane ");
            match key {
                Some(Shown::Value(k)) => out.push_str(&format!("--certificate-key {}", k.expose())),
                Some(Shown::Withheld) => out.push_str(&format!("--certificate-key {WITHHELD}")),
                None => {}
            }
        }
        out
    }
}

/// The command on one line, as `token create --print-join-command` prints it (kubeadm drops the
/// line continuations and tabs, keeping the spaces around them).
pub fn on_one_line(command: &str) -> String {
    command.replace("\\\n", "").replace('\t', "")
}

#[cfg(test)]
mod tests;
