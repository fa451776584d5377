//! `show-join-command`: kubeadm's closing instructions: where the admin kubeconfig is, and the
//! commands that join control-plane and worker nodes, with the real token and CA hash.

use std::path::Path;

use anyhow::Context as _;

use super::InitContext;
use super::api::read_text;
use crate::certkey::CertificateKey;
use crate::config::constants::ADMIN_KUBECONFIG;
use crate::join_command::{JoinCommand, Shown};
use crate::kubeconfig::Kubeconfig;
use crate::token::BootstrapToken;
use crate::workflow::{Flag, Phase};

pub fn show_join_command_phase() -> Phase<dyn InitContext> {
    Phase::new(
        "show-join-command",
        "Show the join command for control-plane and worker node",
    )
    .flags(&[
        Flag::Config,
        Flag::KubeconfigDir,
        Flag::SkipTokenPrint,
        Flag::SkipCertificateKeyPrint,
        Flag::UploadCerts,
        Flag::CertificateKey,
        Flag::DryRun,
    ])
    .run(|ctx| run(ctx))
}

fn run(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let cfg = ctx.cfg();
    let admin = format!("{}/{ADMIN_KUBECONFIG}", ctx.kubeconfig_dir());
    let kubeconfig =
        Kubeconfig::parse(&read_text(ctx, &admin)?).map_err(|e| anyhow::anyhow!("{admin}: {e}"))?;
    let join = JoinCommand::from_kubeconfig(&kubeconfig, Path::new(&admin), ctx.root())?;
    let first = cfg
        .init
        .bootstrap_tokens
        .first()
        .context("the configuration has no bootstrap token to join with")?;
    let token: BootstrapToken = first.token.parse()?;
    let shown_token = || {
        if ctx.skip_token_print() {
            Shown::Withheld
        } else {
            Shown::Value(&token)
        }
    };
    let key: Option<CertificateKey> = if ctx.upload_certs() {
        Some(cfg.init.certificate_key.parse().context("certificateKey")?)
    } else {
        None
    };
    let shown_key = key.as_ref().map(|k| {
        if ctx.skip_certificate_key_print() {
            Shown::Withheld
        } else {
            Shown::Value(k)
        }
    });
    let control_plane = (!cfg.cluster.control_plane_endpoint.is_empty())
        .then(|| join.control_plane(shown_token(), shown_key));
    ctx.events().output(closing_text(
        &admin,
        control_plane.as_deref(),
        key.is_some(),
        &join.worker(shown_token()),
    ));
    Ok(())
}

/// kubeadm's closing text; the control-plane part only when a control-plane endpoint is set.
fn closing_text(
    admin: &str,
    control_plane_join: Option<&str>,
    uploaded_certs: bool,
    worker_join: &str,
) -> String {
    // kubeadm's message starts with a blank line, setting it off from the phase output.
    let mut text = format!(
        "\nYour Kubernetes control-plane has initialized successfully!\n\n\
         To start using your cluster, you need to run the following as a regular user:\n\n\
         \x20 mkdir -p $HOME/.kube\n\
         \x20 sudo cp -i {admin} $HOME/.kube/config\n\
         \x20 sudo chown $(id -u):$(id -g) $HOME/.kube/config\n\n\
         Alternatively, if you are the root user, you can run:\n\n\
         \x20 export KUBECONFIG={admin}\n\n\
         You should now deploy a pod network to the cluster.\n\
         Run \"kubectl apply -f [podnetwork].yaml\" with one of the options listed at:\n\
         \x20 https://kubernetes.io/docs/concepts/cluster-administration/addons/\n\n"
    );
    match (control_plane_join, uploaded_certs) {
        (Some(join), true) => text.push_str(&format!(
            "You can now join any number of control-plane nodes running the following command on each as root:\n\n\
             \x20 {join}\n\n\
             Please note that the certificate-key gives access to cluster sensitive data, keep it secret!\n\
             As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use\n\
             \"kubeadm init phase upload-certs --upload-certs\" to reload certs afterward.\n\n"
        )),
        (Some(join), false) => text.push_str(&format!(
            "You can now join any number of control-plane nodes by copying certificate authorities\n\
             and service account keys on each node and then running the following as root:\n\n\
             \x20 {join}\n\n"
        )),
        (None, _) => {}
    }
    text.push_str(&format!(
        "Then you can join any number of worker nodes by running the following on each as root:\n\n{worker_join}\n"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_plane_part_follows_the_endpoint_and_the_upload() {
        let worker = "kubeadm-rs join 10.0.0.5:6443 --token <value withheld> \\\n\t--discovery-token-ca-cert-hash sha256:00 ";
        let without = closing_text("/etc/kubernetes/admin.conf", None, false, worker);
        assert!(
            without.starts_with("\nYour Kubernetes control-plane has initialized successfully!\n")
        );
        assert!(without.contains("  export KUBECONFIG=/etc/kubernetes/admin.conf\n"));
        assert!(!without.contains("control-plane nodes"));
        assert!(without.ends_with(&format!("on each as root:\n\n{worker}\n")));
        let copied = closing_text(
            "/etc/kubernetes/admin.conf",
            Some("kubeadm-rs join x"),
            false,
            worker,
        );
        assert!(copied.contains("by copying certificate authorities\n"));
        assert!(copied.contains("\n\n  kubeadm-rs join x\n\n"));
        let uploaded = closing_text(
            "/etc/kubernetes/admin.conf",
            Some("kubeadm-rs join x"),
            true,
            worker,
        );
        assert!(uploaded.contains(
            "keep it secret!\nAs a safeguard, uploaded-certs will be deleted in two hours"
        ));
    }
}
