//! Write kubeadm-rs plugins in Rust.
//!
//! A plugin is a WebAssembly component built for `wasm32-wasip2` against the WIT package
//! `kubeadm-rs:plugin` (the `wit/` directory of kubeadm-rs). This crate hides the
//! bindings: implement [`PreflightPlugin`] or [`AddonPlugin`] for a type and register it
//! with [`export_plugin!`]. Plugin logic only sees [`NodeFacts`], [`Params`] and
//! [`ClusterObjects`], so it can be unit-tested natively with [`testing::MockNode`] and
//! [`testing::MockCluster`]; see `README.md` for the whole workflow.
//!
//! ```
//! use kubeadm_rs_plugin_sdk::{Check, Finding, NodeFacts, Params, Permission,
//!     PermissionRequest, PluginError, PreflightPlugin};
//!
//! struct IpForward;
//!
//! impl PreflightPlugin for IpForward {
//!     const NAME: &'static str = "ip-forward";
//!     const VERSION: &'static str = "1.0.0";
//!
//!     fn checks() -> Vec<Check> {
//!         vec![Check::new("enabled", "net.ipv4.ip_forward is 1")]
//!     }
//!
//!     fn permissions() -> Vec<PermissionRequest> {
//!         vec![Permission::sysctl("net.ipv4.ip_forward").because("pods are routed through the node")]
//!     }
//!
//!     fn run(node: &dyn NodeFacts, _params: &Params) -> Result<Vec<Finding>, PluginError> {
//!         let value = node.sysctl("net.ipv4.ip_forward")?;
//!         Ok((value != "1")
//!             .then(|| Finding::error("enabled", format!("net.ipv4.ip_forward is {value}, want 1")))
//!             .into_iter()
//!             .collect())
//!     }
//! }
//!
//! // In the plugin crate (a `cdylib`): kubeadm_rs_plugin_sdk::export_plugin!(preflight: IpForward);
//! # let node = kubeadm_rs_plugin_sdk::testing::MockNode::new().with_sysctl("net.ipv4.ip_forward", "0");
//! # let findings = kubeadm_rs_plugin_sdk::testing::run_preflight::<IpForward>(&node, &[]).unwrap();
//! # assert_eq!(findings[0].message, "net.ipv4.ip_forward is 0, want 1");
//! ```

mod cluster;
mod describe;
mod error;
#[doc(hidden)]
pub mod export;
mod finding;
pub mod log;
mod node;
mod params;
pub mod testing;

pub use cluster::{ClusterError, ClusterObjects, ClusterView, Manifest};
pub use describe::{
    Check, InvalidPluginInfo, ObjectScope, Parameter, Permission, PermissionRequest, PluginInfo,
    PluginKind,
};
pub use error::PluginError;
pub use finding::{Finding, Severity};
pub use node::{CgroupVersion, FactError, NodeFacts, OsRelease};
pub use params::{ParamError, Params};

/// The version of the WIT package `kubeadm-rs:plugin` this SDK builds plugins against.
/// Every plugin reports it in `describe`, so a host speaking another version can say so.
pub const WIT_VERSION: &str = "0.1.0";

/// The oldest kubeadm-rs release that runs plugins built with this SDK; the default of
/// [`PreflightPlugin::min_host_version`] and [`AddonPlugin::min_host_version`].
pub const DEFAULT_MIN_HOST_VERSION: &str = "0.1.0";

/// A plugin that adds checks to `kubeadm-rs init`/`join` preflight (the `preflight`
/// world). Only [`NAME`](Self::NAME), [`VERSION`](Self::VERSION), [`checks`](Self::checks)
/// and [`run`](Self::run) are required.
pub trait PreflightPlugin {
    /// The plugin's name: lowercase letters, digits and `-`. Its phase is
    /// `preflight/<NAME>` and its findings are `<NAME>/<check>`.
    const NAME: &'static str;
    /// The plugin's version (semver); usually `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;

    /// The checks the plugin provides; every finding names one of them.
    fn checks() -> Vec<Check>;

    /// The parameters the plugin understands; anything else is rejected before
    /// [`run`](Self::run) is called. Default: none.
    fn parameters() -> Vec<Parameter> {
        Vec::new()
    }

    /// What the plugin needs the operator to grant, each with a reason. Default: nothing.
    fn permissions() -> Vec<PermissionRequest> {
        Vec::new()
    }

    /// The oldest kubeadm-rs version the plugin works with.
    fn min_host_version() -> &'static str {
        DEFAULT_MIN_HOST_VERSION
    }

    /// Runs every check. Return the problems found (nothing when the node passes), or an
    /// error when the plugin could not check at all.
    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError>;
}

/// A plugin that renders Kubernetes objects for the `addon/<NAME>` phase (the `addon`
/// world). Only [`NAME`](Self::NAME), [`VERSION`](Self::VERSION) and
/// [`render`](Self::render) are required.
pub trait AddonPlugin {
    /// The plugin's name: lowercase letters, digits and `-`; its phase is `addon/<NAME>`.
    const NAME: &'static str;
    /// The plugin's version (semver); usually `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;

    /// The parameters the plugin understands; anything else is rejected before
    /// [`render`](Self::render) is called. Default: none.
    fn parameters() -> Vec<Parameter> {
        Vec::new()
    }

    /// What the plugin needs the operator to grant: every kind and namespace it renders
    /// ([`Permission::cluster_apply`]) and reads ([`Permission::cluster_read`]).
    /// Default: nothing, which lets it render nothing.
    fn permissions() -> Vec<PermissionRequest> {
        Vec::new()
    }

    /// The oldest kubeadm-rs version the plugin works with.
    fn min_host_version() -> &'static str {
        DEFAULT_MIN_HOST_VERSION
    }

    /// Renders the addon's objects. `objects` reads existing objects; it answers
    /// [`ClusterError::Unavailable`] in `--dry-run` and before the API server is up.
    fn render(
        cluster: &ClusterView,
        params: &Params,
        objects: &dyn ClusterObjects,
    ) -> Result<Vec<Manifest>, PluginError>;
}

/// Registers a plugin type as the component's exports. Use it once, in the plugin's
/// `cdylib` crate, naming the world the type implements: `export_plugin!(preflight: T)`
/// for a [`PreflightPlugin`], `export_plugin!(addon: T)` for an [`AddonPlugin`].
///
/// ```
/// use kubeadm_rs_plugin_sdk::{Check, Finding, NodeFacts, Params, PluginError, PreflightPlugin};
///
/// struct NoSwap;
///
/// impl PreflightPlugin for NoSwap {
///     const NAME: &'static str = "no-swap";
///     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
///     fn checks() -> Vec<Check> {
///         vec![Check::new("off", "swap is off")]
///     }
///     fn run(node: &dyn NodeFacts, _: &Params) -> Result<Vec<Finding>, PluginError> {
///         let swap = node.swap_bytes()?;
///         Ok((swap > 0).then(|| Finding::warning("off", format!("{swap} bytes of swap")))
///             .into_iter().collect())
///     }
/// }
///
/// kubeadm_rs_plugin_sdk::export_plugin!(preflight: NoSwap);
/// ```
///
/// The world is spelt out because it decides the component's exports and imports at
/// compile time, which a macro cannot read from a trait impl. It expands to nothing on
/// non-wasm targets, so the same crate also builds for native unit tests.
#[macro_export]
macro_rules! export_plugin {
    (preflight: $plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            struct KubeadmRsPreflightExports;
            impl $crate::export::preflight::Guest for KubeadmRsPreflightExports {
                fn describe() -> $crate::export::preflight::PluginInfo {
                    $crate::export::preflight_describe::<$plugin>()
                }
                fn run(
                    params: $crate::export::preflight::Parameters,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<$crate::export::preflight::Finding>,
                    ::std::string::String,
                > {
                    $crate::export::preflight_run::<$plugin>(params)
                }
            }
            $crate::export::preflight::__export_kubeadm_rs_preflight!(
                KubeadmRsPreflightExports with_types_in $crate::export::preflight
            );
        };
    };
    (addon: $plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            struct KubeadmRsAddonExports;
            impl $crate::export::addon::Guest for KubeadmRsAddonExports {
                fn describe() -> $crate::export::addon::PluginInfo {
                    $crate::export::addon_describe::<$plugin>()
                }
                fn render(
                    cluster: $crate::export::addon::ClusterView,
                    params: $crate::export::addon::Parameters,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<$crate::export::addon::Manifest>,
                    ::std::string::String,
                > {
                    $crate::export::addon_render::<$plugin>(cluster, params)
                }
            }
            $crate::export::addon::__export_kubeadm_rs_addon!(
                KubeadmRsAddonExports with_types_in $crate::export::addon
            );
        };
    };
}

#[cfg(test)]
mod tests {
    /// `WIT_VERSION` is what the generated bindings were built from.
    #[test]
    fn wit_version_matches_the_wit_package() {
        let declared = format!("package kubeadm-rs:plugin@{};", super::WIT_VERSION);
        let files = [
            ("types.wit", include_str!("../../wit/types.wit")),
            ("log.wit", include_str!("../../wit/log.wit")),
            ("node.wit", include_str!("../../wit/node.wit")),
            ("cluster.wit", include_str!("../../wit/cluster.wit")),
            ("worlds.wit", include_str!("../../wit/worlds.wit")),
        ];
        for (name, text) in files {
            assert!(
                text.contains(&declared),
                "wit/{name} does not declare `{declared}`"
            );
        }
    }
}
