//! The kubelet's files and its restart, as `init` and `join` write and do them: the flags
//! environment file, the instance configuration, `config.yaml` from the cluster's
//! KubeletConfiguration (+ patches), and a stop/start through systemd when this host is ours.

use anyhow::Context as _;

use super::CommandContext;
use crate::config::InitConfig;
use crate::config::constants::{
    KUBELET_CONFIG_FILE, KUBELET_DIR, KUBELET_FLAGS_ENV_FILE, KUBELET_INSTANCE_CONFIG_FILE,
};
use crate::manifests::kubelet::{KubeletFlags, instance_config, kubeadm_flags_env};
use crate::manifests::patches::Patches;
use crate::manifests::{
    apply_systemd_resolved, defaulted_kubelet_configuration, render_kubelet_config,
};

/// The feature gate that moves the CRI socket from a Node annotation to the instance config.
pub const NODE_LOCAL_CRI_SOCKET: &str = "NodeLocalCRISocket";

/// Stops the kubelet so it does not start half-configured while its files change; returns
/// whether systemd manages this host's kubelet (false for a prepared root or no systemd).
pub fn stop_kubelet<C: ?Sized + CommandContext>(ctx: &C) -> bool {
    let events = ctx.events();
    let prepared_root = ctx.prepared_root();
    if prepared_root && !ctx.dry_run() {
        events.info("[kubelet-start] The node root is a prepared directory (--rootfs): the host's kubelet service is left alone");
    }
    let systemd = ctx.system().systemd_running() && !prepared_root;
    if ctx.dry_run() {
        events.info("[kubelet-start] Would stop the kubelet");
    } else if systemd {
        if let Err(e) = ctx.system().run("systemctl", &["stop", "kubelet"]) {
            events.warn(format!(
                "[kubelet-start] unable to stop the kubelet service momentarily: [{e}]"
            ));
        }
    } else {
        events.info(
            "[kubelet-start] No supported init system detected, won't make sure the kubelet not running for a short period of time",
        );
    }
    systemd
}

/// Writes `kubeadm-flags.env` (with `--register-with-taints` when `register_taints`, as for a
/// worker join), the instance configuration (NodeLocalCRISocket) and `config.yaml`.
pub fn write_kubelet_files<C: ?Sized + CommandContext>(
    ctx: &C,
    cfg: &InitConfig,
    systemd: bool,
    register_taints: bool,
) -> anyhow::Result<()> {
    let events = ctx.events();
    write_flags_env(ctx, cfg, register_taints)?;
    let node_local_cri_socket = cfg.feature_enabled(NODE_LOCAL_CRI_SOCKET);
    if node_local_cri_socket {
        let content = instance_config(&cfg.init.node_registration.cri_socket);
        events.info(format!(
            "[kubelet-start] Writing kubelet configuration to file {KUBELET_INSTANCE_CONFIG_FILE:?}"
        ));
        write_kubelet_file(ctx, KUBELET_INSTANCE_CONFIG_FILE, content.as_bytes())
            .context("error writing instance kubelet configuration to disk")?;
    } else {
        events.info(
            "[kubelet-start] Skipping writing instance kubelet configuration file as the NodeLocalCRISocket feature gate is disabled",
        );
    }
    write_config(ctx, cfg, systemd, node_local_cri_socket)
        .context("error writing kubelet configuration to disk")
}

/// Starts the kubelet after its files changed (or says who must, when this host is not ours).
pub fn start_kubelet<C: ?Sized + CommandContext>(ctx: &C, systemd: bool) {
    let events = ctx.events();
    if ctx.dry_run() {
        events.info("[kubelet-start] Would start the kubelet");
    } else if systemd {
        restart_kubelet(ctx);
    } else {
        events.warn(
            "[kubelet-start] systemd is not running on this host, so the kubelet was not (re)started: \
             start it with its new configuration yourself (with systemd: systemctl daemon-reload && systemctl restart kubelet)",
        );
    }
}

/// kubeadm's `TryStartKubelet`: a missing unit or a failed restart is a warning, not an error.
fn restart_kubelet<C: ?Sized + CommandContext>(ctx: &C) {
    let events = ctx.events();
    let system = ctx.system();
    if !system.service("kubelet").exists {
        events.warn(
            "[kubelet-start] Couldn't detect a kubelet service, can't make sure the kubelet is running properly.",
        );
        return;
    }
    events.info("[kubelet-start] Starting the kubelet");
    // As kubeadm's `ServiceRestart`: reload the unit files, then restart.
    let restarted = system
        .run("systemctl", &["daemon-reload"])
        .map_err(|e| format!("failed to reload systemd: {e}"))
        .and_then(|_| system.run("systemctl", &["restart", "kubelet"]));
    if let Err(e) = restarted {
        events.warn(format!(
            "[kubelet-start] unable to start the kubelet service: [{e}]; please ensure kubelet is reloaded and running manually"
        ));
    }
}

fn write_flags_env<C: ?Sized + CommandContext>(
    ctx: &C,
    cfg: &InitConfig,
    register_taints: bool,
) -> anyhow::Result<()> {
    let hostname = ctx.system().hostname().trim().to_lowercase();
    let flags = KubeletFlags {
        node_registration: &cfg.init.node_registration,
        pause_image: cfg.pause_image(),
        cri_socket_flag: !cfg.feature_enabled(NODE_LOCAL_CRI_SOCKET),
        register_taints,
        hostname: &hostname,
    };
    ctx.events().info(format!(
        "[kubelet-start] Writing kubelet environment file with flags to file {KUBELET_FLAGS_ENV_FILE:?}"
    ));
    write_kubelet_file(
        ctx,
        KUBELET_FLAGS_ENV_FILE,
        kubeadm_flags_env(&flags).as_bytes(),
    )
    .context("error writing a dynamic environment file for the kubelet")
}

/// config.yaml, from kubeadm's KubeletConfiguration, the patches and the instance config.
fn write_config<C: ?Sized + CommandContext>(
    ctx: &C,
    cfg: &InitConfig,
    systemd: bool,
    node_local_cri_socket: bool,
) -> anyhow::Result<()> {
    let events = ctx.events();
    let mut defaulted = defaulted_kubelet_configuration(cfg);
    if systemd && ctx.system().service("systemd-resolved").active {
        apply_systemd_resolved(&mut defaulted);
    }
    for warning in &defaulted.warnings {
        events.warn(warning.clone());
    }
    let patches = Patches::load_configured(cfg.patches_dir(), events)?;
    let instance = if node_local_cri_socket {
        let bytes = ctx
            .root()
            .read(KUBELET_INSTANCE_CONFIG_FILE)?
            .with_context(|| {
                format!("{KUBELET_INSTANCE_CONFIG_FILE} disappeared after it was written")
            })?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        None
    };
    let yaml = render_kubelet_config(
        defaulted.config,
        patches.as_ref(),
        instance.as_deref(),
        events,
    )
    .context("could not apply patches to the KubeletConfiguration")?;
    ctx.events().info(format!(
        "[kubelet-start] Writing kubelet configuration to file {KUBELET_CONFIG_FILE:?}"
    ));
    write_kubelet_file(ctx, KUBELET_CONFIG_FILE, yaml.as_bytes())
}

/// Writes a file under /var/lib/kubelet (created 0700), mode 0644 as kubeadm does.
fn write_kubelet_file<C: ?Sized + CommandContext>(
    ctx: &C,
    path: &str,
    content: &[u8],
) -> anyhow::Result<()> {
    ctx.root().create_dir_all(KUBELET_DIR, 0o700)?;
    ctx.root().write(path, content, 0o644)?;
    Ok(())
}
