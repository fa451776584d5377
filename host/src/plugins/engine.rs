//! The one wasmtime engine of a plugin host: Cranelift with epoch interruption (a 10 ms
//! ticker thread), a linker per world (made when first needed), and the executor that drives
//! calls under a timeout.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;
use std::time::Duration;

use cap_std::fs::OpenOptionsExt as _;
use wasmtime::component::{HasSelf, Linker, Resource};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, StoreContextMut,
};
use wasmtime_wasi::OpenMode;
use wasmtime_wasi::filesystem::{
    Descriptor as FsDescriptor, Dir as FsDir, File as FsFile, WasiFilesystemCtxView,
    WasiFilesystemView,
};
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
    /// The linker of each world, made when a plugin of it is first linked: a process that
    /// only runs preflight plugins never builds the addon world's (WASI's hundreds of
    /// functions, each named and typed).
    preflight: OnceLock<Result<Linker<CallState>, String>>,
    addon: OnceLock<Result<Linker<CallState>, String>>,
    /// Always `Some` until the engine is dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

/// The settings of every plugin engine: epoch interruption and the pools below. Public so that
/// a bench can measure wasmtime alone on an engine set up exactly like the host's.
pub fn engine_config() -> Config {
    let mut config = Config::new();
    config
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pools()));
    config
}

/// The call ran past its limit while waiting (in a host call, such as a WASI sleep).
pub struct Elapsed;

impl PluginEngine {
    pub fn new() -> wasmtime::Result<Self> {
        let engine = Engine::new(&engine_config())?;
        start_ticker(&engine)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        Ok(PluginEngine {
            engine,
            preflight: OnceLock::new(),
            addon: OnceLock::new(),
            runtime: Some(runtime),
        })
    }

    /// The linker of the preflight world: WASI, `node`, `log`.
    pub fn preflight(&self) -> Result<&Linker<CallState>, String> {
        linker(&self.preflight, &self.engine, |linker| {
            Preflight::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
        })
    }

    /// The linker of the addon world: WASI, `cluster`, `log`.
    pub fn addon(&self) -> Result<&Linker<CallState>, String> {
        linker(&self.addon, &self.engine, |linker| {
            Addon::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
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

/// The linker in `cell`, made on first use: WASI (with `open-at` narrowed), then `world`.
fn linker<'a>(
    cell: &'a OnceLock<Result<Linker<CallState>, String>>,
    engine: &Engine,
    world: impl FnOnce(&mut Linker<CallState>) -> wasmtime::Result<()>,
) -> Result<&'a Linker<CallState>, String> {
    cell.get_or_init(|| {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .and_then(|()| open_only_files_and_directories(&mut linker))
            .and_then(|()| world(&mut linker))
            .map(|()| linker)
            .map_err(|e| format!("cannot link the plugin world: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
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

/// `open-at` for reading, of regular files and directories only; `access` for anything else.
/// The path is looked at first, so a FIFO or device is normally never opened; and since it
/// could be swapped in after that look, the open itself is non-blocking (a FIFO without a
/// writer opens at once) and the type is checked again on the opened descriptor. Granted
/// paths are read-only, so an open that asks to write or create is `not-permitted`.
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
    let writes = DescriptorFlags::WRITE
        | DescriptorFlags::MUTATE_DIRECTORY
        | DescriptorFlags::FILE_INTEGRITY_SYNC
        | DescriptorFlags::DATA_INTEGRITY_SYNC
        | DescriptorFlags::REQUESTED_WRITE_SYNC;
    if flags.intersects(writes)
        || open_flags.intersects(OpenFlags::CREATE | OpenFlags::EXCLUSIVE | OpenFlags::TRUNCATE)
    {
        return Ok(Err(ErrorCode::NotPermitted));
    }
    let parent = match fs.table.get(&dir)? {
        FsDescriptor::Dir(d) => d.clone(),
        FsDescriptor::File(_) => return Ok(Err(ErrorCode::NotDirectory)),
    };
    let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
    let opened = match open_nonblocking(&parent.dir, &path, follow) {
        Ok(opened) => opened,
        Err(e) => return Ok(Err(e)),
    };
    let descriptor = match opened {
        Plain::Dir(file) => {
            FsDescriptor::Dir(FsDir::new(file, parent.perms, OpenMode::READ, false))
        }
        Plain::File(_) if open_flags.contains(OpenFlags::DIRECTORY) => {
            return Ok(Err(ErrorCode::NotDirectory));
        }
        // wasmtime-wasi moves file I/O to a blocking thread unless told it may block the
        // executor; this host never tells it so (`false`, as its own descriptors have).
        Plain::File(file) => {
            FsDescriptor::File(FsFile::new(file, parent.perms, OpenMode::READ, false))
        }
    };
    Ok(Ok(fs.table.push(descriptor)?))
}

/// What a non-blocking open found.
enum Plain {
    File(std::fs::File),
    Dir(std::fs::File),
}

/// Opens `path` below `dir` (resolved as cap-std does: never above `dir`) for reading with
/// `O_NONBLOCK`, checks what the descriptor is, and clears `O_NONBLOCK` again.
fn open_nonblocking(dir: &std::fs::File, path: &str, follow: bool) -> Result<Plain, ErrorCode> {
    let mut flags = rustix::fs::OFlags::NONBLOCK;
    if !follow {
        flags |= rustix::fs::OFlags::NOFOLLOW;
    }
    let dir = cap_std::fs::Dir::from_std_file(dir.try_clone()?);
    let file = dir
        .open_with(
            path,
            cap_std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(flags.bits() as i32),
        )?
        .into_std();
    let kind = file.metadata()?.file_type();
    if !kind.is_file() && !kind.is_dir() {
        return Err(ErrorCode::Access);
    }
    let status = rustix::fs::fcntl_getfl(&file).map_err(std::io::Error::from)?;
    rustix::fs::fcntl_setfl(&file, status - rustix::fs::OFlags::NONBLOCK)
        .map_err(std::io::Error::from)?;
    Ok(if kind.is_dir() {
        Plain::Dir(file)
    } else {
        Plain::File(file)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A world's linker is built when first asked for, once, and only that world's.
    #[test]
    fn linkers_are_made_on_first_use_and_only_for_their_world() {
        let engine = PluginEngine::new().unwrap();
        assert!(engine.preflight.get().is_none() && engine.addon.get().is_none());
        let first: *const _ = engine.preflight().unwrap();
        assert!(std::ptr::eq(first, engine.preflight().unwrap()));
        assert!(engine.addon.get().is_none(), "the addon world is not built");
        engine.addon().unwrap();
        assert!(engine.addon.get().is_some());
    }

    /// The open itself cannot block: a FIFO with no writer, reached as if it had been swapped
    /// in after the type check, is opened without waiting and refused by the descriptor's type.
    #[test]
    fn a_fifo_swapped_in_after_the_check_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plain"), "plain").unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        std::os::unix::fs::symlink("fifo", dir.path().join("link")).unwrap();
        let root = std::fs::File::open(dir.path()).unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let opened = |path: &str, follow| match open_nonblocking(&root, path, follow) {
                Ok(Plain::File(f)) => {
                    let blocking = !rustix::fs::fcntl_getfl(&f)
                        .unwrap()
                        .contains(rustix::fs::OFlags::NONBLOCK);
                    format!("file (O_NONBLOCK cleared: {blocking})")
                }
                Ok(Plain::Dir(_)) => "directory".to_string(),
                Err(e) => format!("{e:?}"),
            };
            let _ = done.send([
                opened("plain", false),
                opened(".", false),
                opened("fifo", false),
                opened("link", true),
                opened("link", false),
                opened("../plain", false),
            ]);
        });
        let got = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("an open blocked");
        let want = [
            "file (O_NONBLOCK cleared: true)",
            "directory",
            "\"access\"",
            "\"access\"",
            "\"loop\"",
            "\"not-permitted\"",
        ];
        for (got, want) in got.iter().zip(want) {
            assert!(got.contains(want), "{got} is not {want}");
        }
    }
}
