//! `cleanup-node`: the kubelet stopped through the init system (as init starts it), the mounts
//! below `/var/lib/kubelet` undone, then kubeadm's directories emptied and its kubeconfig
//! files removed, all through the node root. Each failure is a warning, as in kubeadm: reset
//! does what it can.

use std::path::PathBuf;

use super::ResetContext;
use super::unmount::unmount_below;
use crate::config::constants::{
    ADMIN_KUBECONFIG, CONTROLLER_MANAGER_KUBECONFIG, DEFAULT_CERTIFICATES_DIR, KUBELET_DIR,
    KUBELET_KUBECONFIG, KUBERNETES_DIR, MANIFESTS_DIR, SCHEDULER_KUBECONFIG,
    SUPER_ADMIN_KUBECONFIG,
};
use crate::workflow::{Flag, Phase};

/// The kubeconfig files under `/etc/kubernetes` reset removes, in kubeadm's order.
pub const KUBECONFIG_FILES: [&str; 6] = [
    ADMIN_KUBECONFIG,
    SUPER_ADMIN_KUBECONFIG,
    KUBELET_KUBECONFIG,
    "bootstrap-kubelet.conf",
    CONTROLLER_MANAGER_KUBECONFIG,
    SCHEDULER_KUBECONFIG,
];

/// Where kubeadm keeps temporary files (`--cleanup-tmp-dir`).
const TMP_DIR: &str = "/etc/kubernetes/tmp";

/// The CNI configuration reset leaves to the operator.
const CNI_CONFIG_DIR: &str = "/etc/cni/net.d";

pub fn cleanup_node_phase() -> Phase<dyn ResetContext> {
    Phase::new("cleanup-node", "Run cleanup node.")
        .flags(&[
            Flag::CertDir,
            Flag::CriSocket,
            Flag::CleanupTmpDir,
            Flag::DryRun,
        ])
        .run(|ctx| run(ctx))
}

fn run(ctx: &dyn ResetContext) -> anyhow::Result<()> {
    let events = ctx.events().clone();
    let dry_run = ctx.dry_run();
    stop_kubelet(ctx);

    let mut dirs = vec![MANIFESTS_DIR.to_string()];
    if dry_run {
        events.info(format!(
            "[reset] Would unmount mounted directories in {KUBELET_DIR:?}"
        ));
        dirs.push(KUBELET_DIR.to_string());
    } else {
        events.info(format!(
            "[reset] Unmounting mounted directories in {KUBELET_DIR:?}"
        ));
        if unmount_kubelet_dir(ctx) {
            dirs.push(KUBELET_DIR.to_string());
        }
    }
    events.warn(
        "[reset] Kubernetes-managed containers are not removed by kubeadm-rs: remove them with the container runtime's tools (e.g. crictl rmp --all --force)",
    );

    let cert_dir = ctx.reset_cfg().cert_dir().to_string();
    if cert_dir != DEFAULT_CERTIFICATES_DIR {
        events.warn(format!(
            "[reset] WARNING: Cleaning a non-default certificates directory: {cert_dir:?}"
        ));
    }
    dirs.push(cert_dir);
    if ctx.reset_cfg().cleanup_tmp_dir {
        dirs.push(TMP_DIR.to_string());
    }
    let verb = if dry_run { "Would delete" } else { "Deleting" };
    events.info(format!(
        "[reset] {verb} contents of directories: [{}]",
        dirs.join(" ")
    ));
    for dir in &dirs {
        if let Err(e) = ctx.root().clean_dir(dir, dry_run) {
            events.warn(format!(
                "[reset] Failed to delete contents of {dir:?} directory: {e}"
            ));
        }
    }

    let files: Vec<String> = KUBECONFIG_FILES
        .iter()
        .map(|f| format!("{KUBERNETES_DIR}/{f}"))
        .collect();
    events.info(format!("[reset] {verb} files: [{}]", files.join(" ")));
    for file in &files {
        if let Err(e) = ctx.root().remove_all(file, dry_run) {
            events.warn(format!("[reset] Failed to remove file: {file:?} [{e}]"));
        }
    }
    Ok(())
}

/// Stops the kubelet through systemd, as `kubelet-start` starts it; a prepared root's or a
/// host without systemd gets kubeadm's warning instead.
fn stop_kubelet(ctx: &dyn ResetContext) {
    let events = ctx.events();
    let system = ctx.system();
    if ctx.prepared_root() || !system.systemd_running() {
        events.warn(
            "[reset] The kubelet service could not be stopped by kubeadm. Unable to detect a supported init system!",
        );
        events.warn("[reset] Please ensure kubelet is stopped manually");
    } else if ctx.dry_run() {
        events.info("[reset] Would stop the kubelet service");
    } else {
        events.info("[reset] Stopping the kubelet service");
        if let Err(e) = system.run("systemctl", &["stop", "kubelet"]) {
            events.warn(format!(
                "[reset] The kubelet service could not be stopped by kubeadm: [{e}]"
            ));
            events.warn("[reset] Please ensure kubelet is stopped manually");
        }
    }
}

/// Unmounts what is mounted below the kubelet directory of this root; `false` (with a
/// warning) when something stays mounted or the directory does not resolve inside the root,
/// so it is not emptied.
fn unmount_kubelet_dir(ctx: &dyn ResetContext) -> bool {
    let events = ctx.events();
    let root = ctx.root();
    let resolved = root.resolve(KUBELET_DIR).ok().and_then(|p| {
        let dir = std::fs::canonicalize(&p).ok()?;
        let base = std::fs::canonicalize(root.host_path()).ok()?;
        Some((dir, base))
    });
    let dir: PathBuf = match resolved {
        // Nothing there: nothing mounted, nothing to empty.
        None => return true,
        Some((dir, base)) if dir.starts_with(&base) => dir,
        Some((dir, _)) => {
            events.warn(format!(
                "[reset] {KUBELET_DIR} leads outside the node root (to {}): skipping its unmount and cleanup",
                dir.display()
            ));
            return false;
        }
    };
    match unmount_below(ctx.system(), &dir, &ctx.reset_cfg().unmount_flags) {
        Ok(points) => {
            for point in points {
                events.info(format!("[reset] Unmounted {}", point.display()));
            }
            true
        }
        Err(failures) => {
            for failure in failures {
                events.warn(format!(
                    "[reset] Failed to unmount mounted directory in {KUBELET_DIR}: {failure}"
                ));
            }
            false
        }
    }
}

/// What reset leaves to the operator, printed after a whole reset (kubeadm's closing text,
/// with what it stands for on this node).
pub fn manual_cleanup_instructions(cni_config_present: bool) -> String {
    let cni = if cni_config_present {
        format!("{CNI_CONFIG_DIR} is left in place: remove it to clean the CNI configuration")
    } else {
        format!("{CNI_CONFIG_DIR}: the CNI configuration directory (not present on this node)")
    };
    format!(
        "\nThe reset process does not perform cleanup of CNI plugin configuration,\n\
         network filtering rules and kubeconfig files.\n\n\
         \x20 - {cni}\n\
         \x20 - iptables/nftables rules and IPVS tables: reset them with iptables or nft, and ipvsadm --clear if the cluster used IPVS\n\
         \x20 - $HOME/.kube/config and other copies of the cluster's kubeconfig files\n\n\
         For information on how to perform this cleanup manually, please see:\n\
         \x20   https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/\n"
    )
}
