//! The host side of the plugin imports: `log`, `node` and `cluster`. Every function checks
//! the call's deadline first, and answers only within what was declared and granted; a use
//! of anything undeclared is answered `denied` and remembered, which fails the call.

use super::bindings::addon::kubeadm_rs::plugin::cluster;
use super::bindings::preflight::kubeadm_rs::plugin::{log, node, types};
use super::capture::{LogLevel, MESSAGE_LIMIT, one_line};
use super::facts::{CgroupVersion, FactError};
use super::kinds;
use super::sandbox::CallState;
use crate::config::plugins::ObjectScope;

impl types::Host for CallState {}

impl log::Host for CallState {
    fn log(
        &mut self,
        level: log::Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        self.check_deadline()?;
        let level = match level {
            log::Level::Trace => LogLevel::Trace,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.logs.push(level, &message, &fields);
        Ok(())
    }
}

type Fact<T> = wasmtime::Result<Result<T, node::FactError>>;

fn fact<T>(state: &mut CallState, get: impl FnOnce(&CallState) -> Result<T, FactError>) -> Fact<T> {
    state.check_deadline()?;
    Ok(get(state).map_err(|e| match e {
        FactError::NotFound => node::FactError::NotFound,
        FactError::Unavailable(reason) => node::FactError::Unavailable(reason),
    }))
}

impl node::Host for CallState {
    fn hostname(&mut self) -> Fact<String> {
        fact(self, |s| s.facts.hostname())
    }

    fn kernel_release(&mut self) -> Fact<String> {
        fact(self, |s| s.facts.kernel_release())
    }

    fn os_release(&mut self) -> Fact<Vec<(String, String)>> {
        fact(self, |s| s.facts.os_release())
    }

    fn architecture(&mut self) -> Fact<String> {
        fact(self, |s| s.facts.architecture())
    }

    fn cpu_count(&mut self) -> Fact<u32> {
        fact(self, |s| s.facts.cpu_count())
    }

    fn memory_bytes(&mut self) -> Fact<u64> {
        fact(self, |s| s.facts.memory_bytes())
    }

    fn swap_bytes(&mut self) -> Fact<u64> {
        fact(self, |s| s.facts.swap_bytes())
    }

    fn cgroup_version(&mut self) -> Fact<node::CgroupMode> {
        fact(self, |s| {
            s.facts.cgroup_version().map(|v| match v {
                CgroupVersion::V1 => node::CgroupMode::V1,
                CgroupVersion::V2 => node::CgroupMode::V2,
            })
        })
    }

    fn kernel_modules(&mut self) -> Fact<Vec<String>> {
        fact(self, |s| s.facts.kernel_modules())
    }

    fn listening_tcp_ports(&mut self) -> Fact<Vec<u16>> {
        fact(self, |s| s.facts.listening_tcp_ports())
    }

    fn sysctl(&mut self, key: String) -> Fact<String> {
        self.check_deadline()?;
        if !self.grants.sysctls.contains(&key) {
            self.violations
                .push(format!("sysctl {}", one_line(&key, MESSAGE_LIMIT)));
            return Ok(Err(node::FactError::Denied));
        }
        fact(self, |s| s.facts.sysctl(&key))
    }
}

impl cluster::Host for CallState {
    fn get(
        &mut self,
        kind: String,
        namespace: Option<String>,
        name: String,
    ) -> wasmtime::Result<Result<Option<String>, cluster::ClusterError>> {
        self.check_deadline()?;
        let scope = ObjectScope { kind, namespace };
        if !self.grants.cluster_read.contains(&scope) {
            let kind = one_line(&scope.kind, MESSAGE_LIMIT);
            let shown = ObjectScope {
                kind,
                namespace: scope.namespace.map(|ns| one_line(&ns, MESSAGE_LIMIT)),
            };
            self.violations.push(format!("cluster-read {shown}"));
            return Ok(Err(cluster::ClusterError::Denied));
        }
        // The name goes into the request's URL: `../` or `?` would reach other objects.
        if !kinds::is_path_segment(&name) {
            return Ok(Err(cluster::ClusterError::Unavailable(format!(
                "\"{}\" is not a Kubernetes object name; nothing was requested",
                one_line(&name, MESSAGE_LIMIT)
            ))));
        }
        Ok(self
            .cluster
            .get(&scope.kind, scope.namespace.as_deref(), &name)
            .map_err(cluster::ClusterError::Unavailable))
    }
}
