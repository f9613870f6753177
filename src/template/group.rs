//! One statement group: where it runs, its ORed conditions, its statements in order.

use crate::ottl::compile::CompiledStatement;
use crate::ottl::eval::Cond;
use crate::ottl::shared_guard;
use crate::ottl::{ContextKind, EvalError, KeyRequirement, KeySummary, Target};

use super::file::ErrorMode;

/// Statements in a group from which the item's attribute keys are summarized first.
const SUMMARIZE_FROM: usize = 4;

/// Items a group's statements run on together (`run_admitted`): enough for a statement's
/// code to be reused from cache, few enough that the items' own data stays there too.
pub const BLOCK: usize = 8;

#[derive(Debug)]
pub struct StatementGroup {
    pub context: ContextKind,
    pub conditions: Vec<Cond>,
    /// Per condition, the own attribute keys without which it is false (see
    /// `ottl::requirement`): a template detecting its source by attributes is ruled out
    /// for other sources' items from the key summary.
    pub condition_requires: Vec<Option<KeyRequirement>>,
    /// Per condition, whether it reads only the resource and scope (see
    /// `infer::reads_only_resource_and_scope`) in a group whose statements touch neither:
    /// evaluated once per scope (`ScopeVerdicts`), so a template detecting its source by
    /// scope name costs the other scopes' items nothing.
    pub condition_per_scope: Vec<bool>,
    pub statements: Vec<CompiledStatement>,
    /// Statements as written (some compile into one).
    pub source_statements: usize,
    pub error_mode: ErrorMode,
    /// Whether the statements may run statement by statement over several items
    /// (`run_admitted`): they run on spans or log records and name no resource or scope
    /// path, so an item's statements read and write only that item.
    pub interleaves: bool,
    /// Whether every attribute key its statements can add is written in them as a literal
    /// (`guard::adds_only_named_keys`): the load-time check then already keeps receiver-owned
    /// keys out of the items, and the guard need not look at them after the run.
    pub adds_only_named_keys: bool,
}

/// The results of a group's scope-level conditions for the scope the runner is in; the
/// runner clears them when it moves to the next scope. An error is kept too, and reported
/// for every item as evaluating it again would.
#[derive(Default)]
pub struct ScopeVerdicts(Vec<Option<Result<bool, EvalError>>>);

impl ScopeVerdicts {
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// True when condition `index` was decided false, without error, for this scope.
    fn decided_false(&self, index: usize) -> bool {
        matches!(self.0.get(index), Some(Some(Ok(false))))
    }

    fn get_or_eval(&mut self, index: usize, eval: impl FnOnce() -> Result<bool, EvalError>) -> Result<bool, EvalError> {
        if self.0.len() <= index {
            self.0.resize(index + 1, None);
        }
        match &self.0[index] {
            Some(verdict) => verdict.clone(),
            None => {
                let verdict = eval();
                self.0[index] = Some(verdict.clone());
                verdict
            }
        }
    }
}

/// A statement error under `ignore`/`silent`, kept for the report.
#[derive(Debug, Clone)]
pub struct StatementFailure {
    pub statement: String,
    pub error: EvalError,
}

impl StatementGroup {
    /// Runs the group on one item. Under `propagate` the first error is returned; under
    /// `ignore`/`silent` errors are collected and the next statement runs.
    pub fn run(
        &self,
        target: &mut Target<'_>,
        verdicts: &mut ScopeVerdicts,
        failures: &mut Vec<StatementFailure>,
    ) -> Result<(), StatementFailure> {
        if !self.admits(target, verdicts, failures)? {
            return Ok(());
        }
        // A few statements read too few keys to repay the summary's pass over the item.
        if self.statements.len() >= SUMMARIZE_FROM {
            target.ensure_own_key_summary();
        }
        let mut skip = 0;
        for statement in &self.statements {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            skip = shared_guard::skippable(statement, target);
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if let Err(error) = statement.execute(target) {
                self.fail(statement, error, failures)?;
            }
        }
        Ok(())
    }

    /// Runs the statements on items whose conditions already admitted them, statement by
    /// statement: each statement runs on every item before the next one does, so the
    /// statement's code and data stay in cache and its branches are predicted from the
    /// item before. Only for groups whose statements touch nothing the items share
    /// (`interleaves`): then each item ends as the item-by-item run leaves it. Failures
    /// come in statement order rather than item order.
    pub fn run_admitted(
        &self,
        targets: &mut [Target<'_>],
        failures: &mut Vec<StatementFailure>,
    ) -> Result<(), StatementFailure> {
        if self.statements.len() >= SUMMARIZE_FROM {
            targets.iter_mut().for_each(Target::ensure_own_key_summary);
        }
        for block in targets.chunks_mut(BLOCK) {
            self.run_block(block, failures)?;
        }
        Ok(())
    }

    fn run_block(
        &self,
        targets: &mut [Target<'_>],
        failures: &mut Vec<StatementFailure>,
    ) -> Result<(), StatementFailure> {
        let mut skips = [0usize; BLOCK];
        for statement in &self.statements {
            for (target, skip) in targets.iter_mut().zip(skips.iter_mut()) {
                if *skip > 0 {
                    *skip -= 1;
                    continue;
                }
                *skip = shared_guard::skippable(statement, target);
                if *skip > 0 {
                    *skip -= 1;
                    continue;
                }
                if let Err(error) = statement.execute(target) {
                    self.fail(statement, error, failures)?;
                }
            }
        }
        Ok(())
    }

    /// Whether the item passes the group's conditions (true when it has none).
    pub fn admits(
        &self,
        target: &mut Target<'_>,
        verdicts: &mut ScopeVerdicts,
        failures: &mut Vec<StatementFailure>,
    ) -> Result<bool, StatementFailure> {
        if self.conditions.is_empty() {
            return Ok(true);
        }
        if self.condition_requires.iter().any(Option::is_some) {
            target.ensure_own_key_summary();
        }
        for (index, (condition, requires)) in self.conditions.iter().zip(&self.condition_requires).enumerate() {
            if requires.is_some_and(|r| r.ruled_out(target)) {
                continue;
            }
            let verdict = if self.condition_per_scope[index] {
                verdicts.get_or_eval(index, || condition.eval(target))
            } else {
                condition.eval(target)
            };
            match verdict {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                Err(error) => {
                    let failure = StatementFailure {
                        statement: "conditions".to_owned(),
                        error,
                    };
                    if self.error_mode == ErrorMode::Propagate {
                        return Err(failure);
                    }
                    self.record(failure, failures);
                }
            }
        }
        Ok(false)
    }

    fn fail(
        &self,
        statement: &CompiledStatement,
        error: EvalError,
        failures: &mut Vec<StatementFailure>,
    ) -> Result<(), StatementFailure> {
        let failure = StatementFailure {
            statement: statement.text.clone(),
            error,
        };
        if self.error_mode == ErrorMode::Propagate {
            return Err(failure);
        }
        self.record(failure, failures);
        Ok(())
    }

    /// Whether the group has conditions, all read only the resource and scope, and all
    /// are false (without error) for the scope `target` is in: then none of the scope's
    /// items would run it, and the runner skips them without visiting each.
    pub fn ruled_out_for_scope(&self, target: &Target<'_>, verdicts: &mut ScopeVerdicts) -> bool {
        !self.conditions.is_empty()
            && self.condition_per_scope.iter().all(|&per_scope| per_scope)
            && self
                .conditions
                .iter()
                .enumerate()
                .all(|(index, condition)| matches!(verdicts.get_or_eval(index, || condition.eval(target)), Ok(false)))
    }

    /// Whether a span or log record whose own keys a group before left summarized in
    /// `summary` certainly runs nothing of this group: each condition needs a key the
    /// summary rules out or was decided false for the scope. Then `run` would return at
    /// once, and the runner skips the item without building its target.
    pub fn ruled_out_for_item(&self, summary: Option<KeySummary>, verdicts: &ScopeVerdicts) -> bool {
        let Some(summary) = summary else {
            return false;
        };
        matches!(self.context, ContextKind::Span | ContextKind::Log)
            && !self.conditions.is_empty()
            && self
                .condition_requires
                .iter()
                .zip(&self.condition_per_scope)
                .enumerate()
                .all(|(index, (requires, &per_scope))| {
                    requires.is_some_and(|r| r.ruled_out_by(self.context, summary))
                        || (per_scope && verdicts.decided_false(index))
                })
    }

    fn record(&self, failure: StatementFailure, failures: &mut Vec<StatementFailure>) {
        if self.error_mode == ErrorMode::Ignore {
            // Bounded: a template erroring on every span must not grow memory.
            if failures.len() < 100 {
                failures.push(failure);
            }
        }
    }
}
