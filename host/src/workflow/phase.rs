//! A phase is plain data: a name, one line of help, children, and what it runs.

use std::fmt;
use std::sync::Arc;

use super::flag::Flag;

/// The work of one phase. `C` is the narrow context the phase family sees.
pub type RunFn<C> = Arc<dyn Fn(&mut C) -> anyhow::Result<()> + Send + Sync>;
/// A guard deciding at run time whether a selected phase runs.
pub type RunIfFn<C> = Arc<dyn Fn(&C) -> anyhow::Result<bool> + Send + Sync>;

/// One node of the phase tree.
pub struct Phase<C: ?Sized> {
    /// The phase name; paths join names with `/`.
    pub name: String,
    /// One line shown in the phase table and as the subcommand's help.
    pub short: String,
    /// Longer help for the phase subcommand.
    pub long: Option<String>,
    /// Children, in execution order.
    pub children: Vec<Phase<C>>,
    /// Whether the phase subcommand gets an `all` child that runs every sibling.
    pub run_all_siblings: bool,
    /// Hidden phases run but are not listed.
    pub hidden: bool,
    /// The command-line flags the phase subcommand accepts.
    pub flags: Vec<Flag>,
    /// Paths of phases that must not be skipped when this one runs.
    pub dependencies: Vec<String>,
    pub run: Option<RunFn<C>>,
    /// Runs after the children, when this phase itself was selected (a verdict over what they found).
    pub finish: Option<RunFn<C>>,
    pub run_if: Option<RunIfFn<C>>,
}

impl<C: ?Sized> Phase<C> {
    pub fn new(name: impl Into<String>, short: impl Into<String>) -> Self {
        Phase {
            name: name.into(),
            short: short.into(),
            long: None,
            children: Vec::new(),
            run_all_siblings: false,
            hidden: false,
            flags: Vec::new(),
            dependencies: Vec::new(),
            run: None,
            finish: None,
            run_if: None,
        }
    }

    pub fn long(mut self, long: impl Into<String>) -> Self {
        self.long = Some(long.into());
        self
    }

    pub fn child(mut self, child: Phase<C>) -> Self {
        self.children.push(child);
        self
    }

    pub fn children(mut self, children: impl IntoIterator<Item = Phase<C>>) -> Self {
        self.children.extend(children);
        self
    }

    /// Adds the synthetic `all` subcommand that runs every child.
    pub fn with_all(mut self) -> Self {
        self.run_all_siblings = true;
        self
    }

    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    pub fn flags(mut self, flags: &[Flag]) -> Self {
        self.flags.extend_from_slice(flags);
        self
    }

    pub fn depends_on(mut self, path: impl Into<String>) -> Self {
        self.dependencies.push(path.into());
        self
    }

    pub fn run(mut self, f: impl Fn(&mut C) -> anyhow::Result<()> + Send + Sync + 'static) -> Self {
        self.run = Some(Arc::new(f));
        self
    }

    pub fn finish(
        mut self,
        f: impl Fn(&mut C) -> anyhow::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.finish = Some(Arc::new(f));
        self
    }

    pub fn run_if(
        mut self,
        f: impl Fn(&C) -> anyhow::Result<bool> + Send + Sync + 'static,
    ) -> Self {
        self.run_if = Some(Arc::new(f));
        self
    }
}

impl<C: ?Sized> fmt::Debug for Phase<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Phase")
            .field("name", &self.name)
            .field("children", &self.children)
            .finish_non_exhaustive()
    }
}
