//! Calling a plugin: every call in a fresh sandbox under the plugin's limits, and what it
//! returned, or how it ended, turned into a result or a typed error (timeout, memory, a full
//! output stream, a trap or an exit status).

use std::sync::Arc;

use wasmtime::Store;
use wasmtime_wasi::I32Exit;

use super::Shared;
use crate::cluster::{ClusterReader, NoCluster};
use crate::config::plugins::Parameters;
use crate::plugins::bindings::addon::AddonPre;
use crate::plugins::bindings::preflight::PreflightPre;
use crate::plugins::bindings::preflight::kubeadm_rs::plugin::types as wit;
use crate::plugins::capture::{self, Streams};
use crate::plugins::engine::Elapsed;
use crate::plugins::error::{Call, Denial, OutputProblem, PluginError};
use crate::plugins::model::PluginInfo;
use crate::plugins::sandbox::{self, CallState, EffectiveLimits, Grants, SandboxSpec};

/// A component ready to instantiate, per world.
#[derive(Clone)]
pub(super) enum WorldPre {
    Preflight(PreflightPre<CallState>),
    Addon(AddonPre<CallState>),
}

/// A component linked for its world, with its name and limits: what every call starts from.
pub(super) struct Prepared {
    pub(super) shared: Arc<Shared>,
    pub(super) name: String,
    pub(super) limits: EffectiveLimits,
    pub(super) pre: WorldPre,
}

/// A call's result before classification: the timeout, then wasmtime's verdict.
type Outcome<R> = Result<wasmtime::Result<R>, Elapsed>;

impl Prepared {
    fn store(
        &self,
        grants: Arc<Grants>,
        cluster: Arc<dyn ClusterReader>,
    ) -> Result<(Store<CallState>, Streams), PluginError> {
        let config = &self.shared.config;
        sandbox::new_store(SandboxSpec {
            engine: &self.shared.engine.engine,
            files_root: &config.files_root,
            grants,
            limits: &self.limits,
            facts: config.facts.clone(),
            cluster,
        })
        .map_err(|e| PluginError::Engine {
            plugin: self.name.clone(),
            message: format!("cannot set up the sandbox: {e}"),
        })
    }

    pub(super) fn bad_describe(&self, reason: String) -> PluginError {
        PluginError::BadOutput {
            plugin: self.name.clone(),
            call: Call::Describe,
            problem: OutputProblem::Describe(reason),
        }
    }

    /// Calls `describe` with nothing granted.
    pub(super) fn describe(&self) -> Result<PluginInfo, PluginError> {
        let (mut store, streams) = self.store(Arc::default(), no_cluster())?;
        let outcome = match &self.pre {
            WorldPre::Preflight(pre) => self.shared.engine.block_on(self.limits.timeout, async {
                let instance = pre.instantiate_async(&mut store).await?;
                instance.call_describe(&mut store).await
            }),
            WorldPre::Addon(pre) => self.shared.engine.block_on(self.limits.timeout, async {
                let instance = pre.instantiate_async(&mut store).await?;
                instance.call_describe(&mut store).await
            }),
        };
        Ok(PluginInfo::from(self.finish(
            Call::Describe,
            outcome,
            &store,
            &streams,
        )?))
    }

    /// Creates an instance with `grants` and drops it.
    pub(super) fn instantiate(&self, grants: Arc<Grants>) -> Result<(), PluginError> {
        let (mut store, streams) = self.store(grants, no_cluster())?;
        let outcome = match &self.pre {
            WorldPre::Preflight(pre) => self.shared.engine.block_on(self.limits.timeout, async {
                pre.instantiate_async(&mut store).await.map(drop)
            }),
            WorldPre::Addon(pre) => self.shared.engine.block_on(self.limits.timeout, async {
                pre.instantiate_async(&mut store).await.map(drop)
            }),
        };
        self.finish(Call::Instantiate, outcome, &store, &streams)
    }

    /// Calls a preflight plugin's `run`: its findings as it returned them, unchecked.
    pub(super) fn run(
        &self,
        pre: &PreflightPre<CallState>,
        grants: Arc<Grants>,
        params: &Parameters,
    ) -> Result<Vec<wit::Finding>, PluginError> {
        let (mut store, streams) = self.store(grants, no_cluster())?;
        let outcome = self.shared.engine.block_on(self.limits.timeout, async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance.call_run(&mut store, &params.0).await
        });
        self.finish(Call::Run, outcome, &store, &streams)?
            .map_err(|message| self.failed(Call::Run, &message))
    }

    /// Calls an addon plugin's `render`, its cluster reads answered by `reader`: its
    /// manifests as it returned them, unchecked.
    pub(super) fn render(
        &self,
        pre: &AddonPre<CallState>,
        grants: Arc<Grants>,
        reader: Arc<dyn ClusterReader>,
        view: &wit::ClusterView,
        params: &Parameters,
    ) -> Result<Vec<wit::Manifest>, PluginError> {
        let (mut store, streams) = self.store(grants, reader)?;
        let outcome = self.shared.engine.block_on(self.limits.timeout, async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance.call_render(&mut store, view, &params.0).await
        });
        self.finish(Call::Render, outcome, &store, &streams)?
            .map_err(|message| self.failed(Call::Render, &message))
    }

    /// The plugin returned an error: its message, on one bounded line.
    fn failed(&self, call: Call, message: &str) -> PluginError {
        PluginError::Failed {
            plugin: self.name.clone(),
            call,
            message: capture::one_line(message, capture::MESSAGE_LIMIT),
        }
    }

    /// Turns a call's outcome into its result or a named error, and reports what it captured.
    fn finish<R>(
        &self,
        call: Call,
        outcome: Outcome<R>,
        store: &Store<CallState>,
        streams: &Streams,
    ) -> Result<R, PluginError> {
        let state = store.data();
        let plugin = self.name.clone();
        let result = if !state.violations.is_empty() {
            Err(PluginError::PermissionDenied {
                plugin,
                denials: state
                    .violations
                    .iter()
                    .map(|what| Denial::UsedUndeclared { what: what.clone() })
                    .collect(),
            })
        } else {
            match outcome {
                Ok(Ok(value)) => Ok(value),
                Err(Elapsed) => Err(PluginError::TimedOut {
                    plugin,
                    call,
                    limit: self.limits.timeout,
                }),
                Ok(Err(error)) => Err(self.classify(call, error, state, streams)),
            }
        };
        let with_stderr = !matches!(result, Err(PluginError::Trapped { .. }));
        capture::report(
            &self.shared.config.events,
            &self.name,
            &state.logs,
            streams,
            with_stderr,
        );
        result
    }

    fn classify(
        &self,
        call: Call,
        error: wasmtime::Error,
        state: &CallState,
        streams: &Streams,
    ) -> PluginError {
        let plugin = self.name.clone();
        if state.timed_out {
            return PluginError::TimedOut {
                plugin,
                call,
                limit: self.limits.timeout,
            };
        }
        if let Some(requested) = state.limiter.exceeded {
            return PluginError::OutOfMemory {
                plugin,
                call,
                limit: self.limits.memory,
                requested: requested as u64,
            };
        }
        if let Some(stream) = streams.full() {
            return PluginError::BadOutput {
                plugin,
                call,
                problem: OutputProblem::StreamFull {
                    stream,
                    limit: capture::CAPTURE_LIMIT,
                },
            };
        }
        let trap = match (
            error.downcast_ref::<wasmtime::Trap>(),
            error.downcast_ref::<I32Exit>(),
        ) {
            (Some(wasmtime::Trap::StackOverflow), _) => "stack overflow".to_string(),
            // Rust keeps its stack in linear memory: deep recursion runs off its start.
            (Some(wasmtime::Trap::MemoryOutOfBounds), _) => {
                "out-of-bounds memory access (the plugin's stack overflowed, or it used a bad pointer)".to_string()
            }
            (Some(wasmtime::Trap::UnreachableCodeReached), _) => {
                "unreachable code (a panic or abort)".to_string()
            }
            (Some(trap), _) => trap.to_string(),
            (None, Some(I32Exit(status))) => format!("the plugin exited with status {status}"),
            // The root cause, not the error's display: that is wasmtime's multi-line backtrace.
            (None, None) => capture::one_line(&error.root_cause().to_string(), capture::MESSAGE_LIMIT),
        };
        PluginError::Trapped {
            plugin,
            call,
            trap,
            message: streams.stderr_summary(),
        }
    }
}

fn no_cluster() -> Arc<dyn ClusterReader> {
    Arc::new(NoCluster(
        "no API server is reachable from this phase (dry-run, or the control plane is not up yet)"
            .into(),
    ))
}
