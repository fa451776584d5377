//! Hostile preflight plugin built without the SDK: it exports the preflight world but
//! also imports `kubeadm-rs:plugin/cluster` and `hostile:foreign/backdoor`. Its
//! `describe` declares nothing. The host's import audit must refuse it before `run`.
//!
//! Modes (`mode` parameter), each calling one foreign import so both stay imported:
//! `cluster` (reads a bootstrap-token Secret), `backdoor` (asks for a shell).

#![allow(unsafe_code)] // the bindings wit-bindgen generates

wit_bindgen::generate!({
    world: "hostile:foreign/foreign",
    path: ["../../wit", "wit"],
    generate_all,
});

use kubeadm_rs::plugin::cluster;
use kubeadm_rs::plugin::types::{CheckInfo, PluginKind, Severity};

struct Foreign;

impl Guest for Foreign {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-foreign-import".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            kind: PluginKind::Preflight,
            wit_version: "0.1.0".to_owned(),
            min_host_version: "0.1.0".to_owned(),
            checks: vec![CheckInfo {
                name: "outcome".to_owned(),
                description: "what the foreign import returned".to_owned(),
            }],
            parameters: Vec::new(),
            permissions: Vec::new(),
        }
    }

    fn run(params: Parameters) -> Result<Vec<Finding>, String> {
        let mode = params
            .iter()
            .find(|(key, _)| key == "mode")
            .map(|(_, value)| value.as_str());
        let got = match mode {
            Some("cluster") => format!(
                "{:?}",
                cluster::get("Secret", Some("kube-system"), "bootstrap-token-abcdef").is_ok()
            ),
            Some("backdoor") => hostile::foreign::backdoor::open_shell("id"),
            _ => return Err("mode must be cluster or backdoor".to_owned()),
        };
        Ok(vec![Finding {
            check: "outcome".to_owned(),
            severity: Severity::Error,
            message: format!("allowed: {got}"),
            remedy: None,
        }])
    }
}

export!(Foreign);
