//! Hostile preflight plugin: runs into every resource limit the host sets. The `mode`
//! parameter picks the behaviour; `mb`, `count` and `secs` size it.
//!
//! | mode | what it does | the host should report |
//! |---|---|---|
//! | `loop` | spins forever in wasm | timed out |
//! | `sleep` | sleeps `secs` (3600) inside a WASI clock call | timed out (the host-call gap) |
//! | `host-call-spin` | calls `node.listening-tcp-ports` forever | timed out |
//! | `memory-bomb` | allocates and touches 1 MiB blocks forever | out of memory |
//! | `recursion` | recurses without end | trapped (stack overflow) |
//! | `panic` | panics with a message | trapped, with the message from stderr |
//! | `trap` | executes `unreachable` | trapped |
//! | `exit` | calls `exit(3)` | trapped / exited |
//! | `stdout-flood`, `stderr-flood` | writes `mb` (64) MiB, then returns no findings | output truncated at its cap |
//! | `log-flood` | emits `count` (1 000 000) log records | log truncated at its cap |
//! | `ansi` | puts terminal escapes in stdout, stderr, a log record and a finding | escapes neutralised |
//! | `huge-findings` | returns `mb` (50) MiB of findings, 1 KiB each | bad output (too large) |
//! | `huge-message` | returns one finding with an `mb` (50) MiB message | bad output (too large) |
//! | `huge-error` | fails with an `mb` (50) MiB error message | failed, the message cut to one short line |
//! | `hostcall-fuel` | logs one `mb` (130) MiB record, more than a host call may copy | trapped, on one line |

// Hostile on purpose: it writes escapes to stdout and stderr to test the host's capture.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, ParamError, Parameter, Params, PluginError, PreflightPlugin, log,
};

const MODES: &str = "loop, sleep, host-call-spin, memory-bomb, recursion, panic, trap, exit, \
stdout-flood, stderr-flood, log-flood, ansi, huge-findings, huge-message, huge-error, hostcall-fuel";

/// Clears the screen, retitles the terminal and rings the bell: what must never reach
/// the operator's terminal verbatim.
const ESCAPES: &str = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x1b[0m\r\x08";

const MIB: usize = 1 << 20;

pub struct HostileLimits;

impl PreflightPlugin for HostileLimits {
    const NAME: &'static str = "hostile-limits";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![Check::new("outcome", "what the plugin got away with")]
    }

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new("mode", MODES),
            Parameter::new("mb", "size of floods and huge results in MiB")
                .with_default("64 (floods), 50 (results)"),
            Parameter::new("count", "log records for log-flood").with_default("1000000"),
            Parameter::new("secs", "how long sleep sleeps").with_default("3600"),
        ]
    }

    fn run(node: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        match params.require("mode")? {
            "loop" => spin(),
            "sleep" => {
                std::thread::sleep(Duration::from_secs(params.u64_or("secs", 3600)?));
                Ok(vec![Finding::error("outcome", "allowed: slept to the end")])
            }
            "host-call-spin" => loop {
                black_box(node.listening_tcp_ports()?);
            },
            "memory-bomb" => memory_bomb(),
            "recursion" => Ok(vec![Finding::error(
                "outcome",
                format!("allowed: recursed {} times", recurse(black_box(0))),
            )]),
            "panic" => panic!("hostile-limits panicked on purpose"),
            "trap" => trap(),
            "exit" => std::process::exit(3),
            "stdout-flood" => flood(&mut std::io::stdout(), params.u64_or("mb", 64)?),
            "stderr-flood" => flood(&mut std::io::stderr(), params.u64_or("mb", 64)?),
            "log-flood" => {
                for i in 0..params.u64_or("count", 1_000_000)? {
                    log::info("flooding the log", &[("record", &i.to_string())]);
                }
                Ok(Vec::new())
            }
            "ansi" => {
                print!("stdout {ESCAPES}");
                eprint!("stderr {ESCAPES}");
                log::warn(&format!("log {ESCAPES}"), &[("field", ESCAPES)]);
                Ok(vec![
                    Finding::warning("outcome", format!("finding {ESCAPES}")).remedy(ESCAPES),
                ])
            }
            "huge-findings" => {
                let line = "x".repeat(1024);
                let count = params.u64_or("mb", 50)? * 1024;
                Ok((0..count)
                    .map(|_| Finding::info("outcome", line.clone()))
                    .collect())
            }
            "huge-message" => {
                let size = usize::try_from(params.u64_or("mb", 50)?).unwrap_or(usize::MAX);
                Ok(vec![Finding::info(
                    "outcome",
                    "x".repeat(size.saturating_mul(MIB)),
                )])
            }
            "huge-error" => {
                let size = usize::try_from(params.u64_or("mb", 50)?).unwrap_or(usize::MAX);
                Err(PluginError::msg(format!(
                    "{ESCAPES}{}",
                    "e".repeat(size.saturating_mul(MIB))
                )))
            }
            "hostcall-fuel" => {
                let size = usize::try_from(params.u64_or("mb", 130)?).unwrap_or(usize::MAX);
                log::info(&"f".repeat(size.saturating_mul(MIB)), &[]);
                Ok(Vec::new())
            }
            other => Err(ParamError::Invalid {
                key: "mode".to_owned(),
                value: other.to_owned(),
                expected: format!("one of {MODES}"),
            }
            .into()),
        }
    }
}

fn spin() -> ! {
    let mut i = 0u64;
    loop {
        i = black_box(i.wrapping_add(1));
    }
}

fn memory_bomb() -> ! {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; MIB];
        // Touch every page so the memory is really used, not just reserved.
        for page in block.chunks_mut(4096) {
            page[0] = 1;
        }
        blocks.push(black_box(block));
    }
}

/// Recurses until the stack runs out; `black_box` keeps it from becoming a loop.
#[expect(unconditional_recursion, reason = "exhausting the stack is the point")]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 16]);
    recurse(black_box(frame[0] + 1)) + frame[15]
}

#[cfg(target_arch = "wasm32")]
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(not(target_arch = "wasm32"))]
fn trap() -> ! {
    std::process::abort()
}

/// Writes `mb` MiB, ignoring write errors (a full pipe must not stop the flood).
fn flood(out: &mut dyn Write, mb: u64) -> Result<Vec<Finding>, PluginError> {
    let line = format!("{}\n", "flood ".repeat(170));
    let mut written = 0u64;
    while written < mb * MIB as u64 {
        let _ = out.write_all(line.as_bytes());
        written += line.len() as u64;
    }
    let _ = out.flush();
    Ok(Vec::new())
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileLimits);
