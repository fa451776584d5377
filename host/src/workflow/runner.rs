//! Selection (filter and skip), dependency checks and execution of a phase tree.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::time::Instant;

use super::phase::Phase;
use crate::events::{Event, Events};

/// An ordered tree of phases for one command (`init`, `join`, `reset`).
pub struct Workflow<C: ?Sized> {
    pub phases: Vec<Phase<C>>,
}

/// One phase with its `/`-joined path, in execution order.
pub struct Flat<'a, C: ?Sized> {
    pub path: String,
    pub depth: usize,
    pub phase: &'a Phase<C>,
}

/// What the user asked to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// `init phase <path>`: run only this subtree.
    pub filter: Option<String>,
    /// `--skip-phases` or the config's `skipPhases`: remove these subtrees.
    pub skip: Vec<String>,
}

/// Every problem with a selection, found before anything runs.
#[derive(Debug, PartialEq, Eq)]
pub struct PlanError {
    pub problems: Vec<String>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("; "))
    }
}

impl std::error::Error for PlanError {}

/// A failed phase: always reads `phase <path>: <cause>`.
#[derive(Debug)]
pub struct PhaseFailed {
    pub path: String,
    pub cause: anyhow::Error,
}

impl fmt::Display for PhaseFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phase {}: {:#}", self.path, self.cause)
    }
}

impl std::error::Error for PhaseFailed {}

/// The phases that will run, by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub selected: BTreeSet<String>,
}

impl Plan {
    /// Whether phase `path` runs (case-insensitively, as selection matches paths).
    pub fn runs(&self, path: &str) -> bool {
        self.selected.contains(path) || self.selected.contains(&path.to_ascii_lowercase())
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn is_within(path: &str, root: &str) -> bool {
    path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl<C: ?Sized> Workflow<C> {
    pub fn new(phases: Vec<Phase<C>>) -> Self {
        Workflow { phases }
    }

    /// Parent before children, children in order.
    pub fn flatten(&self) -> Vec<Flat<'_, C>> {
        fn walk<'a, C: ?Sized>(
            phases: &'a [Phase<C>],
            prefix: &str,
            depth: usize,
            out: &mut Vec<Flat<'a, C>>,
        ) {
            for phase in phases {
                let path = join(prefix, &phase.name);
                out.push(Flat {
                    path: path.clone(),
                    depth,
                    phase,
                });
                walk(&phase.children, &path, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.phases, "", 0, &mut out);
        out
    }

    /// Finds a phase by its path, case-insensitively.
    pub fn find(&self, path: &str) -> Option<&Phase<C>> {
        let wanted = path.to_ascii_lowercase();
        self.flatten()
            .into_iter()
            .find(|f| f.path.to_ascii_lowercase() == wanted)
            .map(|f| f.phase)
    }

    /// Checks that every path `selection` names is a phase of this tree or one of `also`:
    /// before the tree is whole (plugin phases join it once their plugins are loaded), so a
    /// misspelt phase fails before anything is loaded.
    pub fn check_names(&self, selection: &Selection, also: &[String]) -> Result<(), PlanError> {
        let mut known: HashSet<String> = self.flatten().into_iter().map(|f| f.path).collect();
        known.extend(also.iter().map(|p| p.to_ascii_lowercase()));
        let problems: Vec<String> = selection
            .skip
            .iter()
            .chain(&selection.filter)
            .map(|name| name.trim().to_ascii_lowercase())
            .filter(|name| !name.is_empty() && !known.contains(name))
            .map(|name| format!("invalid phase name: {name}"))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PlanError { problems })
        }
    }

    /// Checks the selection and dependencies, reporting every problem at once.
    pub fn plan(&self, selection: &Selection) -> Result<Plan, PlanError> {
        let flat = self.flatten();
        let known: HashSet<String> = flat.iter().map(|f| f.path.clone()).collect();
        let mut problems = Vec::new();

        let mut skip = Vec::new();
        for name in &selection.skip {
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            if known.contains(&name) {
                skip.push(name);
            } else {
                problems.push(format!("invalid phase name: {name}"));
            }
        }
        let filter = match &selection.filter {
            Some(f) => {
                let f = f.to_ascii_lowercase();
                if !known.contains(&f) {
                    problems.push(format!("invalid phase name: {f}"));
                }
                Some(f)
            }
            None => None,
        };

        let skipped = |path: &str| skip.iter().any(|s| is_within(path, s));
        let selected: BTreeSet<String> = flat
            .iter()
            .map(|f| f.path.clone())
            .filter(|p| filter.as_deref().is_none_or(|f| is_within(p, f)))
            .filter(|p| !skipped(p))
            .collect();

        for f in &flat {
            if !selected.contains(&f.path) {
                continue;
            }
            for dep in &f.phase.dependencies {
                if !known.contains(dep) {
                    problems.push(format!("phase {} depends on unknown phase {dep}", f.path));
                } else if skipped(dep) {
                    problems.push(format!(
                        "phase {} needs phase {dep}, which is skipped",
                        f.path
                    ));
                }
            }
        }

        if problems.is_empty() {
            Ok(Plan { selected })
        } else {
            Err(PlanError { problems })
        }
    }

    /// Runs the selected phases in order; stops at the first failure.
    pub fn execute(&self, plan: &Plan, ctx: &mut C, events: &Events) -> Result<(), PhaseFailed> {
        for phase in &self.phases {
            visit(phase, "", plan, ctx, events)?;
        }
        Ok(())
    }
}

fn visit<C: ?Sized>(
    phase: &Phase<C>,
    prefix: &str,
    plan: &Plan,
    ctx: &mut C,
    events: &Events,
) -> Result<(), PhaseFailed> {
    let path = join(prefix, &phase.name);
    if !plan.selected.iter().any(|p| is_within(p, &path)) {
        return Ok(());
    }
    if !plan.runs(&path) {
        // Only a descendant was selected (`init phase certs/ca`): pass through.
        for child in &phase.children {
            visit(child, &path, plan, ctx, events)?;
        }
        return Ok(());
    }
    if let Some(run_if) = &phase.run_if {
        let go = run_if(ctx).map_err(|cause| PhaseFailed {
            path: path.clone(),
            cause,
        })?;
        if !go {
            events.emit(Event::PhaseSkipped {
                path,
                reason: "not needed for this configuration".into(),
            });
            return Ok(());
        }
    }
    events.emit(Event::PhaseStarted { path: path.clone() });
    let start = Instant::now();
    let mut result = match &phase.run {
        Some(run) => run(ctx).map_err(|cause| PhaseFailed {
            path: path.clone(),
            cause,
        }),
        None => Ok(()),
    };
    if result.is_ok() {
        for child in &phase.children {
            if let Err(e) = visit(child, &path, plan, ctx, events) {
                result = Err(e);
                break;
            }
        }
    }
    if let (Ok(()), Some(finish)) = (&result, &phase.finish) {
        result = finish(ctx).map_err(|cause| PhaseFailed {
            path: path.clone(),
            cause,
        });
    }
    events.emit(Event::PhaseFinished {
        path,
        duration: start.elapsed(),
        ok: result.is_ok(),
    });
    result
}
