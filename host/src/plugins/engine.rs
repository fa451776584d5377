//! The one wasmtime engine of a plugin host: Cranelift with epoch interruption (a 10 ms
//! ticker thread), a linker per world, and the executor that drives calls under a timeout.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker, Resource};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, StoreContextMut,
};
use wasmtime_wasi::filesystem::{WasiFilesystemCtxView, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorType, ErrorCode, HostDescriptor, OpenFlags, PathFlags,
};

use super::bindings::{addon::Addon, preflight::Preflight};
use super::sandbox::{CallState, MAX_TABLE_ELEMENTS};

/// How often the epoch advances: the granularity of the wall-clock limit in wasm code.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Calls one host runs at the same time at most; each holds a slot of the pools below.
const CONCURRENT_CALLS: u32 = 16;

pub struct PluginEngine {
    pub engine: Engine,
    pub preflight: Linker<CallState>,
    pub addon: Linker<CallState>,
    /// Always `Some` until the engine is dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

/// The call ran past its limit while waiting (in a host call, such as a WASI sleep).
pub struct Elapsed;

impl PluginEngine {
    pub fn new() -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pools()));
        let engine = Engine::new(&config)?;
        start_ticker(&engine)?;

        let mut preflight = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut preflight)?;
        open_only_files_and_directories(&mut preflight)?;
        Preflight::add_to_linker::<_, HasSelf<_>>(&mut preflight, |s| s)?;
        let mut addon = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut addon)?;
        open_only_files_and_directories(&mut addon)?;
        Addon::add_to_linker::<_, HasSelf<_>>(&mut addon, |s| s)?;

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        Ok(PluginEngine {
            engine,
            preflight,
            addon,
            runtime: Some(runtime),
        })
    }

    /// Drives one call to its end, or drops it (and with it the store's execution) at `limit`.
    pub fn block_on<F: Future>(&self, limit: Duration, call: F) -> Result<F::Output, Elapsed> {
        // The timer must be created inside the runtime, hence the async block.
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the engine")
            .block_on(async { tokio::time::timeout(limit, call).await })
            .map_err(|_| Elapsed)
    }

    /// Part of the compile cache key: compiled code is only valid for an engine whose
    /// settings and wasmtime version hash the same.
    pub fn compatibility_key(&self) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

impl Drop for PluginEngine {
    /// A file operation cut off by a timeout may still hold a blocking thread; the process
    /// must not wait for it on its way out.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The `wasi:filesystem/types` instance wasmtime-wasi defines (its WIT version).
const FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Replaces WASI's `open-at` with one that refuses anything but regular files and
/// directories: opening a FIFO (or a device) blocks a host thread until a writer comes, which
/// no plugin time limit can take back.
fn open_only_files_and_directories(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.instance(FILESYSTEM_TYPES)?.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store: StoreContextMut<'_, CallState>,
         (dir, path_flags, path, open_flags, flags): (
            Resource<Descriptor>,
            PathFlags,
            String,
            OpenFlags,
            DescriptorFlags,
        )| {
            Box::new(async move {
                let mut fs = store.data_mut().filesystem();
                let opened = open_plain(&mut fs, dir, path_flags, path, open_flags, flags).await?;
                Ok((opened,))
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// `open-at` of a path that is, when looked at first, a regular file or a directory (or a
/// symlink the open itself refuses or follows to one of those); `access` for anything else.
async fn open_plain(
    fs: &mut WasiFilesystemCtxView<'_>,
    dir: Resource<Descriptor>,
    path_flags: PathFlags,
    path: String,
    open_flags: OpenFlags,
    flags: DescriptorFlags,
) -> wasmtime::Result<Result<Resource<Descriptor>, ErrorCode>> {
    let at = Resource::new_borrow(dir.rep());
    let kind = match HostDescriptor::stat_at(fs, at, path_flags, path.clone()).await {
        Ok(stat) => stat.type_,
        Err(e) => return e.downcast().map(Err),
    };
    if !matches!(
        kind,
        DescriptorType::RegularFile | DescriptorType::Directory | DescriptorType::SymbolicLink
    ) {
        return Ok(Err(ErrorCode::Access));
    }
    match HostDescriptor::open_at(fs, dir, path_flags, path, open_flags, flags).await {
        Ok(fd) => Ok(Ok(fd)),
        Err(e) => e.downcast().map(Err),
    }
}

/// Instances, memories, tables and fiber stacks come from pools reserved once per engine, so
/// a call reuses a slot instead of mapping and unmapping its own (each a system call, and a
/// page fault per page touched again). A slot is reset when its call ends: memory back to
/// the component's initial image (dirty pages found with PAGEMAP_SCAN where the kernel has
/// it), tables emptied. Per-call limits stay with the store's limiter; the pools only cap
/// what a call could ever get (32-bit memories, `MAX_TABLE_ELEMENTS`, a few memories and
/// tables per core module where the pool's default is one).
fn pools() -> PoolingAllocationConfig {
    let mut pools = PoolingAllocationConfig::new();
    pools
        .total_component_instances(CONCURRENT_CALLS)
        .total_core_instances(CONCURRENT_CALLS * 16)
        .total_memories(CONCURRENT_CALLS * 2)
        .total_tables(CONCURRENT_CALLS * 4)
        .total_stacks(CONCURRENT_CALLS)
        .max_memories_per_module(2)
        .max_tables_per_module(8)
        .table_elements(MAX_TABLE_ELEMENTS)
        .linear_memory_keep_resident(4 << 20)
        .table_keep_resident(256 << 10)
        .pagemap_scan(Enabled::Auto);
    pools
}

/// Advances the engine's epoch every tick for as long as the engine lives.
fn start_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
}
