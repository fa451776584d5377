//! What an addon object must look like before any request is made for it: the rules of
//! `kubeadm-rs-plugin-contract`, which the SDK's test harness applies too, with values from
//! the object shown as every plugin string is (terminal controls made visible).

pub use kubeadm_rs_plugin_contract::object::is_path_segment;

use super::capture::neutralise;

/// A string from an object, quoted and with terminal controls made visible, for messages.
fn shown(s: &str) -> String {
    format!("\"{}\"", neutralise(s, false))
}

/// Checks an object's `apiVersion`, `kind`, `metadata.name` and `metadata.namespace`; the
/// error says which field is wrong and what is expected.
pub fn check_object(
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
) -> Result<(), String> {
    kubeadm_rs_plugin_contract::object::check_object_quoted(
        api_version,
        kind,
        name,
        namespace,
        &shown,
    )
}

#[cfg(test)]
mod tests;
