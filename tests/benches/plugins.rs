//! What plugins cost (run with `cargo bench -p kubeadm-rs-tests --bench plugins`): first-time
//! compile, load from the compile cache (first in a process, and again in the same one, which
//! reuses the opened component while its cache entry is unchanged), instantiation from the
//! `InstancePre`, a full run, the same check written natively as the floor, wasmtime's own
//! part of a first load (deserializing and a first instantiation in a fresh engine) as the
//! floor of that, a preflight phase of the example plugins (and of twenty), and a `loop {}`
//! plugin stopped at its limit. Prints medians.

// A benchmark prints its table of results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../it/plugin_support/mod.rs"]
mod plugin_support;

use std::time::{Duration, Instant};

use kubeadm_rs::config::plugins::PluginSpec;
use kubeadm_rs::events::Severity;
use kubeadm_rs::plugins::{CacheOutcome, Finding, NodeFacts, PluginError};
use plugin_support::python::{MARKER_DIR, NODE_CHECKS, node_cache, python_wasm};
use plugin_support::{FakeNode, TestHost, grant_declared, spec, with_params};

/// The median of `n` timed runs of `f`.
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

fn row(what: &str, n: usize, median: Duration, target: Option<Duration>) {
    let verdict = match target {
        Some(t) if median <= t => format!("≤ {t:?} ok"),
        Some(t) => format!("≤ {t:?} MISSED"),
        None => String::new(),
    };
    println!(
        "| {what:<58} | {n:>5} | {:>12} | {verdict}",
        format!("{median:.1?}")
    );
}

/// The example preflight plugins, with everything they declare granted.
fn examples(t: &TestHost) -> Vec<PluginSpec> {
    vec![
        grant_declared(&t.host, spec("net-sysctls", "net_sysctls")),
        spec("kernel-modules", "kernel_modules"),
        spec("min-resources", "min_resources"),
    ]
}

/// net-sysctls' two default checks written natively over the same facts: the floor.
fn native_net_sysctls(node: &dyn NodeFacts) -> Vec<Finding> {
    [
        ("ip-forward", "net.ipv4.ip_forward"),
        (
            "bridge-nf-call-iptables",
            "net.bridge.bridge-nf-call-iptables",
        ),
    ]
    .into_iter()
    .filter_map(|(check, key)| {
        let value = node.sysctl(key).ok()?;
        (value != "1").then(|| Finding {
            check: check.into(),
            severity: Severity::Error,
            message: format!("{key} is {value}, want 1"),
            remedy: None,
        })
    })
    .collect()
}

fn main() {
    let quick = kubeadm_rs_tests::bench_quick();
    let n = |full: usize| if quick { 3 } else { full };

    println!("| what | n | median | target");
    println!("|---|---:|---:|---|");

    // First-time compile: each load into an empty cache compiles the component.
    for file in ["net_sysctls", "kernel_modules", "min_resources", "flannel"] {
        let mut times: Vec<Duration> = (0..n(5))
            .map(|_| {
                let cache = tempfile::tempdir().unwrap();
                let t = TestHost::with_cache(FakeNode::default(), cache.path());
                let s = grant_declared(
                    &TestHost::new(FakeNode::default()).host,
                    spec(&file.replace('_', "-"), file),
                );
                let start = Instant::now();
                let loaded = t.host.load(&s).unwrap();
                let took = start.elapsed();
                assert_eq!(loaded.cache(), &CacheOutcome::Compiled);
                took
            })
            .collect();
        times.sort();
        let size = std::fs::metadata(plugin_support::wasm(file)).unwrap().len();
        row(
            &format!(
                "first load of {file}.wasm ({} KiB), compiling it",
                size / 1024
            ),
            n(5),
            times[times.len() / 2],
            None,
        );
    }

    python_next_to_rust(quick);

    let t = TestHost::new(FakeNode::default());
    let net = grant_declared(&t.host, spec("net-sysctls", "net_sysctls"));
    let warm = t.host.load(&net).unwrap();
    // A process loads each plugin once: a fresh host per load (made outside the timing).
    let first_load = |then_run: bool| {
        let mut times: Vec<Duration> = (0..n(100))
            .map(|_| {
                let fresh = TestHost::new(FakeNode::default());
                let start = Instant::now();
                let loaded = fresh.host.load(&net).unwrap();
                if then_run {
                    drop(loaded.run_preflight().unwrap());
                }
                drop(loaded);
                start.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    // A host builds a world's linker when it first links a plugin of it: the first load in a
    // process pays for it, and a process with no addon plugins never builds the addon one.
    let mut starts: Vec<Duration> = (0..n(100))
        .map(|_| {
            let start = Instant::now();
            let host = TestHost::new(FakeNode::default());
            let took = start.elapsed();
            drop(host);
            took
        })
        .collect();
    starts.sort();
    row(
        "start a plugin host (engine, pools, cache checks)",
        n(100),
        starts[starts.len() / 2],
        None,
    );
    row(
        "load net-sysctls from the cache, first in a process",
        n(100),
        first_load(false),
        None,
    );
    row(
        "load net-sysctls again in the same process",
        n(200),
        median(n(200), || drop(t.host.load(&net).unwrap())),
        None,
    );
    row(
        "instantiate net-sysctls from its InstancePre (fresh store)",
        n(2000),
        median(n(2000), || warm.instantiate().unwrap()),
        Some(Duration::from_micros(20)),
    );
    row(
        "run net-sysctls (fresh store, instantiate, run, validate)",
        n(2000),
        median(n(2000), || drop(warm.run_preflight().unwrap())),
        None,
    );
    row(
        "cached load + instantiate + run, first in a process",
        n(100),
        first_load(true),
        None,
    );
    let (deserialize, instantiate) = wasmtime_floor(n(100));
    let mut whole: Vec<Duration> = (0..n(100))
        .map(|_| {
            let start = Instant::now();
            let fresh = TestHost::new(FakeNode::default());
            drop(fresh.host.load(&net).unwrap().run_preflight().unwrap());
            let took = start.elapsed();
            drop(fresh);
            took
        })
        .collect();
    whole.sort();
    row(
        "a process's first plugin: start the host, then the row above",
        n(100),
        whole[whole.len() / 2],
        None,
    );
    row(
        "wasmtime alone: deserialize_file, fresh engine",
        n(100),
        deserialize,
        None,
    );
    row(
        "wasmtime alone: then instantiate, call describe, drop",
        n(100),
        instantiate,
        None,
    );
    row(
        "cached load + instantiate + run, again in the process",
        n(200),
        median(n(200), || {
            drop(t.host.load(&net).unwrap().run_preflight().unwrap())
        }),
        Some(Duration::from_micros(200)),
    );
    let node = FakeNode::default();
    row(
        "the same checks natively (the floor)",
        n(2000),
        median(n(2000), || {
            drop(std::hint::black_box(native_net_sysctls(&node)))
        }),
        None,
    );

    let phase = |specs: &[PluginSpec]| {
        for s in specs {
            let findings = t.host.load(s).unwrap().run_preflight().unwrap();
            std::hint::black_box(findings);
        }
    };
    let three = examples(&t);
    row(
        "preflight phase: the 3 example plugins, warm cache",
        n(50),
        median(n(50), || phase(&three)),
        None,
    );
    let twenty: Vec<PluginSpec> = three.iter().cycle().take(20).cloned().collect();
    row(
        "preflight phase: 20 enabled plugins, warm cache",
        n(20),
        median(n(20), || phase(&twenty)),
        Some(Duration::from_millis(20)),
    );

    // A `loop {}` plugin with a 100 ms limit, then a good plugin right after it.
    let mut looping = with_params(
        spec("hostile-limits", "hostile_limits"),
        &[("mode", "loop")],
    );
    looping.limits.timeout = Some("100ms".parse().unwrap());
    let looping = t.host.load(&looping).unwrap();
    let stopped = median(n(10), || {
        assert!(matches!(
            looping.run_preflight(),
            Err(PluginError::TimedOut { .. })
        ));
    });
    row(
        "loop {} with limits.timeout 100ms, until stopped",
        n(10),
        stopped,
        Some(Duration::from_millis(200)),
    );
    row(
        "net-sysctls run right after it",
        n(200),
        median(n(200), || drop(warm.run_preflight().unwrap())),
        None,
    );
}

/// wasmtime's own part of a first load in a process, a floor under the host's row: net-sysctls
/// precompiled for a fresh engine with the host's settings (`engine_config`), then the medians
/// of `deserialize_file` and of the first instantiation, one synchronous call of `describe`
/// (which uses no import) and the store's drop, which resets the pool slot. Untimed: defining
/// every import as a trap. Not done at all: linking WASI, an async call, integrity checks,
/// cache seals, checking what `describe` said.
#[allow(
    unsafe_code,
    reason = "deserializing precompiled code is unsafe in wasmtime; see the SAFETY note"
)]
fn wasmtime_floor(n: usize) -> (Duration, Duration) {
    use wasmtime::component::{Component, Linker, Val};
    use wasmtime::{Engine, Store};
    let engine = || Engine::new(&kubeadm_rs::plugins::engine_config()).unwrap();
    let wasm = std::fs::read(plugin_support::wasm("net_sysctls")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cwasm = dir.path().join("net_sysctls.cwasm");
    std::fs::write(&cwasm, engine().precompile_component(&wasm).unwrap()).unwrap();
    let (mut deserialize, mut instantiate): (Vec<Duration>, Vec<Duration>) = (0..n)
        .map(|_| {
            let engine = engine();
            let start = Instant::now();
            // SAFETY: the output of `precompile_component` of an engine with the same settings,
            // written just now to a private temporary directory and not changed since.
            let component = unsafe { Component::deserialize_file(&engine, &cwasm) }.unwrap();
            let deserialized = start.elapsed();
            let mut linker = Linker::<()>::new(&engine);
            linker.define_unknown_imports_as_traps(&component).unwrap();
            let pre = linker.instantiate_pre(&component).unwrap();
            let mut store = Store::new(&engine, ());
            store.set_epoch_deadline(u64::MAX / 2);
            let start = Instant::now();
            let instance = pre.instantiate(&mut store).unwrap();
            let describe = instance.get_func(&mut store, "describe").unwrap();
            let mut info = [Val::Bool(false)];
            describe.call(&mut store, &[], &mut info).unwrap();
            std::hint::black_box(info);
            drop(store);
            (deserialized, start.elapsed())
        })
        .unzip();
    deserialize.sort();
    instantiate.sort();
    (deserialize[n / 2], instantiate[n / 2])
}

/// py-node-checks (CPython, componentize-py) next to min-resources (Rust), which reads the
/// same facts: first compile, cached load first in a process, and a run.
fn python_next_to_rust(quick: bool) {
    let n = |full: usize| if quick { 1 } else { full };
    let python = python_wasm(NODE_CHECKS);
    let plugins: [(&str, PluginSpec, &std::path::Path); 2] = [
        (
            "py-node-checks",
            PluginSpec::new(
                NODE_CHECKS,
                kubeadm_rs::config::plugins::PluginSource::path(
                    python.to_string_lossy().into_owned(),
                ),
            ),
            &node_cache(),
        ),
        (
            "min-resources",
            spec("min-resources", "min_resources"),
            &plugin_support::shared_cache(),
        ),
    ];
    for (name, plugin, warm_cache) in plugins {
        let host = |cache: &std::path::Path| {
            let t = TestHost::with_cache(FakeNode::default(), cache);
            let root = t.files.path().join(MARKER_DIR);
            std::fs::create_dir_all(&root).unwrap();
            std::fs::write(root.join("provisioned"), "").unwrap();
            t
        };
        let mut s = grant_declared(&host(warm_cache).host, plugin);
        if name == "py-node-checks" {
            s.parameters.set("supported-os", "debian");
        }
        let size = std::fs::metadata(host(warm_cache).host.plugin_file(&s))
            .unwrap()
            .len();
        let compile = median(n(3), || {
            let cache = tempfile::tempdir().unwrap();
            let loaded = host(cache.path()).host.load(&s).unwrap();
            assert_eq!(loaded.cache(), &CacheOutcome::Compiled);
        });
        row(
            &format!("{name}: first load ({} KiB), compiling it", size / 1024),
            n(3),
            compile,
            None,
        );
        let first = median(n(20), || {
            let fresh = host(warm_cache);
            let loaded = fresh.host.load(&s).unwrap();
            assert_eq!(loaded.cache(), &CacheOutcome::Hit);
        });
        row(
            &format!("{name}: load from the cache, first in a process"),
            n(20),
            first,
            None,
        );
        let t = host(warm_cache);
        let loaded = t.host.load(&s).unwrap();
        row(
            &format!("{name}: run (fresh store, instantiate, run, validate)"),
            n(100),
            median(n(100), || drop(loaded.run_preflight().unwrap())),
            None,
        );
    }
}
