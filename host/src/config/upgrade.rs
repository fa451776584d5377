//! `UpgradeConfiguration` (`kubeadm.k8s.io/v1beta4`), field for field as kubeadm defines it.
//! kubeadm-rs has no `upgrade` command yet: the document is decoded strictly and validated
//! for `config validate` and converted by `config migrate`.

use serde::{Deserialize, Serialize};

use super::defaults::set_timeout_defaults;
use super::v1beta4::{Patches, Timeouts};

pub const KIND: &str = "UpgradeConfiguration";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UpgradeConfiguration {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "UpgradeApplyConfiguration::is_empty")]
    pub apply: UpgradeApplyConfiguration,
    #[serde(skip_serializing_if = "UpgradeDiffConfiguration::is_empty")]
    pub diff: UpgradeDiffConfiguration,
    #[serde(skip_serializing_if = "UpgradeNodeConfiguration::is_empty")]
    pub node: UpgradeNodeConfiguration,
    #[serde(skip_serializing_if = "UpgradePlanConfiguration::is_empty")]
    pub plan: UpgradePlanConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
}

/// `kubeadm upgrade apply`'s options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UpgradeApplyConfiguration {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kubernetes_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_experimental_upgrades: Option<bool>,
    #[serde(rename = "allowRCUpgrades", skip_serializing_if = "Option::is_none")]
    pub allow_rc_upgrades: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_renewal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etcd_upgrade: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_upgrade: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_preflight_errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patches: Option<Patches>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print_config: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_phases: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_pull_policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_serial: Option<bool>,
}

/// `kubeadm upgrade diff`'s options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UpgradeDiffConfiguration {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kubernetes_version: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub context_lines: i64,
}

/// `kubeadm upgrade node`'s options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UpgradeNodeConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_renewal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etcd_upgrade: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_preflight_errors: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_phases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patches: Option<Patches>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_pull_policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_serial: Option<bool>,
}

/// `kubeadm upgrade plan`'s options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UpgradePlanConfiguration {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kubernetes_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_experimental_upgrades: Option<bool>,
    #[serde(rename = "allowRCUpgrades", skip_serializing_if = "Option::is_none")]
    pub allow_rc_upgrades: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_preflight_errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print_config: Option<bool>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

macro_rules! is_empty_by_default {
    ($($t:ty),*) => {$(
        impl $t {
            /// Go's `omitempty` never drops a struct; kubeadm still writes `{}` for an unset one,
            /// which carries nothing, so it is left out.
            fn is_empty(&self) -> bool {
                *self == Self::default()
            }
        }
    )*};
}
is_empty_by_default!(
    UpgradeApplyConfiguration,
    UpgradeDiffConfiguration,
    UpgradeNodeConfiguration,
    UpgradePlanConfiguration
);

/// The image pull policies a Pod accepts.
const PULL_POLICIES: [&str; 3] = ["Always", "IfNotPresent", "Never"];

/// kubeadm's `ValidateUpgradeConfiguration` (absolute patch directories) and the pull policies
/// its type documents: every problem, each naming the field, the value and what is expected.
/// kubeadm's defaults for an UpgradeConfiguration, as `config migrate` writes them: etcd upgrades
/// and certificate renewal on, images pulled `IfNotPresent` one at a time, every timeout.
pub fn set_defaults(cfg: &mut UpgradeConfiguration) {
    let apply = &mut cfg.apply;
    apply.etcd_upgrade.get_or_insert(true);
    apply.certificate_renewal.get_or_insert(true);
    apply.image_pull_serial.get_or_insert(true);
    if apply.image_pull_policy.is_empty() {
        apply.image_pull_policy = DEFAULT_IMAGE_PULL_POLICY.into();
    }
    let node = &mut cfg.node;
    node.etcd_upgrade.get_or_insert(true);
    node.certificate_renewal.get_or_insert(true);
    node.image_pull_serial.get_or_insert(true);
    if node.image_pull_policy.is_empty() {
        node.image_pull_policy = DEFAULT_IMAGE_PULL_POLICY.into();
    }
    set_timeout_defaults(&mut cfg.timeouts);
}

const DEFAULT_IMAGE_PULL_POLICY: &str = "IfNotPresent";

pub fn validate_upgrade(cfg: &UpgradeConfiguration) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, patches) in [
        ("apply.patches.directory", &cfg.apply.patches),
        ("node.patches.directory", &cfg.node.patches),
    ] {
        if let Some(p) = patches
            && !p.directory.starts_with('/')
        {
            problems.push(format!(
                "{path}: {:?} is not an absolute path; expected e.g. /etc/kubernetes/patches",
                p.directory
            ));
        }
    }
    for (path, policy) in [
        ("apply.imagePullPolicy", &cfg.apply.image_pull_policy),
        ("node.imagePullPolicy", &cfg.node.image_pull_policy),
    ] {
        if !policy.is_empty() && !PULL_POLICIES.contains(&policy.as_str()) {
            problems.push(format!(
                "{path}: {policy:?} is not a pull policy; expected {}",
                PULL_POLICIES.join(", ")
            ));
        }
    }
    problems
}
