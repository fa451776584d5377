//! The node-specific kubelet files: `kubeadm-flags.env` and `instance-config.yaml`
//! (kubeadm's `phases/kubelet/flags.go` and `WriteInstanceConfigToDisk`).

use super::args::{arg, arguments_to_command, last_value};
use crate::config::v1beta4::{Arg, NodeRegistrationOptions, Taint};

/// The variable the kubelet's systemd drop-in reads its kubeadm flags from.
pub const KUBELET_ENV_VARIABLE: &str = "KUBELET_KUBEADM_ARGS";

/// What goes into the kubelet's flags besides `kubeletExtraArgs`.
pub struct KubeletFlags<'a> {
    pub node_registration: &'a NodeRegistrationOptions,
    /// `<repo>/pause:<version>`, which also keeps the image from being garbage collected.
    pub pause_image: String,
    /// Passed as `--container-runtime-endpoint` only without NodeLocalCRISocket (which
    /// moves it into `instance-config.yaml`).
    pub cri_socket_flag: bool,
    /// Joining workers register their taints with the kubelet; init marks the node itself.
    pub register_taints: bool,
    /// The host name as the kernel reports it.
    pub hostname: &'a str,
}

/// The node name: host name, then `nodeRegistration.name`, then a `hostname-override`
/// kubelet argument, the last one set winning.
pub fn node_name(node_registration: &NodeRegistrationOptions, hostname: &str) -> String {
    last_value(&node_registration.kubelet_extra_args, "hostname-override")
        .map(str::to_string)
        .or_else(|| (!node_registration.name.is_empty()).then(|| node_registration.name.clone()))
        .unwrap_or_else(|| hostname.to_string())
}

/// kubeadm's own kubelet flags (before `kubeletExtraArgs` are merged in).
pub fn kubelet_args(flags: &KubeletFlags<'_>) -> Vec<Arg> {
    let reg = flags.node_registration;
    let mut args = Vec::new();
    if flags.cri_socket_flag && !reg.cri_socket.is_empty() {
        args.push(arg("container-runtime-endpoint", &reg.cri_socket));
    }
    if !flags.pause_image.is_empty() {
        args.push(arg("pod-infra-container-image", &flags.pause_image));
    }
    if flags.register_taints
        && let Some(taints) = reg.taints.as_ref().filter(|t| !t.is_empty())
    {
        let taints: Vec<String> = taints.iter().map(taint_flag).collect();
        args.push(arg("register-with-taints", taints.join(",")));
    }
    // The kubelet uses the host name unless told otherwise, so only a different name is passed.
    let name = node_name(reg, flags.hostname);
    if name != flags.hostname {
        args.push(arg("hostname-override", name));
    }
    args
}

/// `key=value:Effect`, or `key:Effect` without a value.
fn taint_flag(t: &Taint) -> String {
    if t.value.is_empty() {
        format!("{}:{}", t.key, t.effect)
    } else {
        format!("{}={}:{}", t.key, t.value, t.effect)
    }
}

/// The whole `kubeadm-flags.env`: one line, the flags sorted and Go-quoted.
pub fn kubeadm_flags_env(flags: &KubeletFlags<'_>) -> String {
    let args = arguments_to_command(
        &kubelet_args(flags),
        &flags.node_registration.kubelet_extra_args,
    );
    format!("{KUBELET_ENV_VARIABLE}={}\n", go_quote(&args.join(" ")))
}

/// `instance-config.yaml`: the node's own KubeletConfiguration fields (its CRI socket).
pub fn instance_config(cri_socket: &str) -> String {
    format!("containerRuntimeEndpoint: {}\n", go_quote(cri_socket))
}

/// Go's `%q`: a double-quoted string with Go escape sequences.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
