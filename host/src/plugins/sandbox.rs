//! One call's sandbox: a fresh `Store` whose WASI context grants nothing but read-only
//! preopens of granted directories, with a memory limiter, a wall-clock deadline checked on
//! every epoch tick, bounded stdout/stderr, and the host imports' view of the grants.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::capture::{LogSink, Streams};
use super::facts::NodeFacts;
use super::model::{Permission, PermissionRequest};
use crate::cluster::ClusterReader;
use crate::config::plugins::{ByteSize, Limits, ObjectScope};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_MEMORY: ByteSize = ByteSize::mib(64);
pub const DEFAULT_MAX_OUTPUT_BYTES: ByteSize = ByteSize::mib(8);
pub const DEFAULT_MAX_OBJECTS: u32 = 1000;

/// Wasm tables, instances and memories a plugin may create; Rust components need a handful.
pub const MAX_TABLE_ELEMENTS: usize = 100_000;
const MAX_INSTANCES: usize = 64;

/// The limits of one plugin, defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveLimits {
    pub timeout: Duration,
    pub memory: ByteSize,
    pub max_output_bytes: ByteSize,
    pub max_objects: u32,
}

impl EffectiveLimits {
    pub fn of(limits: &Limits) -> Self {
        EffectiveLimits {
            timeout: limits.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0),
            memory: limits.memory.unwrap_or(DEFAULT_MEMORY),
            max_output_bytes: limits.max_output_bytes.unwrap_or(DEFAULT_MAX_OUTPUT_BYTES),
            max_objects: limits.max_objects.unwrap_or(DEFAULT_MAX_OBJECTS),
        }
    }
}

/// What a call may reach: the declared permissions the operator granted.
#[derive(Debug, Default)]
pub struct Grants {
    pub read_paths: Vec<String>,
    pub sysctls: BTreeSet<String>,
    pub cluster_read: Vec<ObjectScope>,
}

impl Grants {
    /// Everything in `permissions` (which the import audit has checked are granted).
    pub fn of(permissions: &[PermissionRequest]) -> Self {
        let mut grants = Grants::default();
        for request in permissions {
            match &request.permission {
                Permission::ReadPath(path) => grants.read_paths.push(path.clone()),
                Permission::Sysctl(key) => {
                    grants.sysctls.insert(key.clone());
                }
                Permission::ClusterRead(scope) => grants.cluster_read.push(scope.clone()),
                Permission::ClusterApply(_) => {}
            }
        }
        grants
    }
}

/// Counts linear memory across all of a component's memories and refuses growth past the limit.
pub struct MemoryLimiter {
    limit: usize,
    total: usize,
    /// The total a refused growth asked for.
    pub exceeded: Option<usize>,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total - current.min(self.total) + desired;
        if total > self.limit {
            self.exceeded = Some(total);
            wasmtime::bail!("memory limit of {} bytes reached", self.limit);
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_INSTANCES
    }
}

/// The data of one call's store.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
    pub logs: LogSink,
    pub grants: Arc<Grants>,
    pub facts: Arc<dyn NodeFacts>,
    pub cluster: Arc<dyn ClusterReader>,
    pub deadline: Instant,
    /// Set when the deadline stopped the call (in wasm or in a host import).
    pub timed_out: bool,
    /// Uses of undeclared permissions, in the order tried.
    pub violations: Vec<String>,
}

impl CallState {
    /// Host imports call this first: past the deadline the call traps instead of going on.
    pub fn check_deadline(&mut self) -> wasmtime::Result<()> {
        if Instant::now() >= self.deadline {
            self.timed_out = true;
            wasmtime::bail!("the plugin's time limit ran out in a host call");
        }
        Ok(())
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// What a new sandbox is built from.
pub struct SandboxSpec<'a> {
    pub engine: &'a Engine,
    /// Where granted read paths are found on the host (`/`, or the `--rootfs`).
    pub files_root: &'a Path,
    pub grants: Arc<Grants>,
    pub limits: &'a EffectiveLimits,
    pub facts: Arc<dyn NodeFacts>,
    pub cluster: Arc<dyn ClusterReader>,
}

/// A fresh store: empty WASI context (no env, args, stdin, network or DNS; stdout and stderr
/// captured), read-only preopens of the granted directories that exist, the memory limiter,
/// and an epoch callback that ends the call at its deadline and otherwise yields to the
/// executor so the outer timeout can fire.
pub fn new_store(spec: SandboxSpec<'_>) -> wasmtime::Result<(Store<CallState>, Streams)> {
    let streams = Streams::new();
    let mut wasi = WasiCtxBuilder::new();
    wasi.stdout(streams.stdout.clone())
        .stderr(streams.stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    // Resolved only when needed: most plugins are granted no paths.
    let root = if spec.grants.read_paths.is_empty() {
        PathBuf::new()
    } else {
        spec.files_root.canonicalize()?
    };
    for path in &spec.grants.read_paths {
        let host = spec.files_root.join(path.trim_start_matches('/'));
        // A symlink in the node root must not lead the grant to a directory outside it.
        let Ok(real) = host.canonicalize() else {
            continue;
        };
        if real.is_dir() && real.starts_with(&root) {
            wasi.preopened_dir(&real, path, FsPerms::ReadOnly)?;
        }
    }
    let state = CallState {
        wasi: wasi.build(),
        table: ResourceTable::new(),
        limiter: MemoryLimiter {
            limit: usize::try_from(spec.limits.memory.0).unwrap_or(usize::MAX),
            total: 0,
            exceeded: None,
        },
        logs: LogSink::default(),
        grants: spec.grants,
        facts: spec.facts,
        cluster: spec.cluster,
        deadline: Instant::now() + spec.limits.timeout,
        timed_out: false,
        violations: Vec::new(),
    };
    let mut store = Store::new(spec.engine, state);
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut ctx| {
        if Instant::now() >= ctx.data().deadline {
            ctx.data_mut().timed_out = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::Yield(1))
    });
    Ok((store, streams))
}
