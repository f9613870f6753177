//! Running a group's statements over a scope's spans or log records a block at a time,
//! statement by statement (`StatementGroup::run_admitted`), for groups whose statements
//! read and write only the item they run on (`StatementGroup::interleaves`). A template
//! is tens of statements, each a small tree of boxed objects: run item by item, every
//! item walks all of them again, after the item before has pushed them out of cache and
//! trained the branch predictors on other statements. Run statement by statement, each
//! statement's code and data are warm and its branches go the way they went for the item
//! before.
//!
//! The group's conditions still run item by item on a target that sees the item's real
//! resource and scope (conditions may read them); the statements then run on a target
//! whose resource and scope are stand-ins, since no statement names either.

use super::group::{ScopeVerdicts, StatementFailure, StatementGroup, BLOCK};
use super::summaries::CarriedSummaries;
use crate::otlp::{InstrumentationScope, LogRecord, Resource, Span};
use crate::ottl::context::Scratch;
use crate::ottl::Target;

/// An item a group runs on: a span or a log record.
pub trait OwnItem {
    fn attach<'a>(&'a mut self, target: &mut Target<'a>);
}

impl OwnItem for Span {
    fn attach<'a>(&'a mut self, target: &mut Target<'a>) {
        target.span = Some(self);
    }
}

impl OwnItem for LogRecord {
    fn attach<'a>(&'a mut self, target: &mut Target<'a>) {
        target.log = Some(self);
    }
}

/// The resource and scope the items of one scope share.
pub struct Shared<'s> {
    pub resource: &'s mut Resource,
    pub resource_schema_url: &'s mut String,
    pub scope: &'s mut InstrumentationScope,
    pub scope_schema_url: &'s mut String,
}

impl<'s> Shared<'s> {
    pub fn new(
        resource: &'s mut Resource,
        resource_schema_url: &'s mut String,
        scope: &'s mut InstrumentationScope,
        scope_schema_url: &'s mut String,
    ) -> Self {
        Shared {
            resource,
            resource_schema_url,
            scope,
            scope_schema_url,
        }
    }
}

/// What an interleaved item's target holds in place of the shared resource and scope.
#[derive(Default)]
struct StandIn {
    resource: Resource,
    resource_schema_url: String,
    scope: InstrumentationScope,
    scope_schema_url: String,
}

/// Storage kept across the blocks of a scope: stand-ins and each slot's cache and memo.
pub struct Blocks {
    stand_ins: Vec<StandIn>,
    scratch: Vec<Scratch>,
}

impl Default for Blocks {
    fn default() -> Self {
        Blocks {
            stand_ins: (0..BLOCK).map(|_| StandIn::default()).collect(),
            scratch: (0..BLOCK).map(|_| Scratch::default()).collect(),
        }
    }
}

/// Runs `group` over `items`, numbered on from `item` as the runner numbers them; returns
/// the number after the last. `blocks` is made on first use and kept for the next scope.
#[allow(clippy::too_many_arguments)]
pub fn run_interleaved<T: OwnItem>(
    group: &StatementGroup,
    mut shared: Shared<'_>,
    items: &mut [T],
    mut item: usize,
    blocks: &mut Option<Blocks>,
    verdicts: &mut ScopeVerdicts,
    summaries: &mut CarriedSummaries,
    failures: &mut Vec<StatementFailure>,
) -> Result<usize, StatementFailure> {
    let shared = &mut shared;
    let blocks = blocks.get_or_insert_with(Blocks::default);
    for chunk in items.chunks_mut(BLOCK) {
        let mut targets: Vec<Target<'_>> = Vec::with_capacity(BLOCK);
        let mut numbers = [0usize; BLOCK];
        for (own, stand_in) in chunk.iter_mut().zip(blocks.stand_ins.iter_mut()) {
            item += 1;
            if group.ruled_out_for_item(summaries.get(item), verdicts) {
                continue;
            }
            let mut admitting = Target::new(&mut *shared.resource, &mut *shared.resource_schema_url);
            admitting.scope = Some((&mut *shared.scope, &mut *shared.scope_schema_url));
            own.attach(&mut admitting);
            summaries.lend(item, &mut admitting);
            let admitted = group.admits(&mut admitting, verdicts, failures)?;
            let summary = admitting.own_key_summary();
            if !admitted {
                summaries.keep(item, &admitting);
                continue;
            }
            drop(admitting);
            let mut target = Target::new(&mut stand_in.resource, &mut stand_in.resource_schema_url);
            target.scope = Some((&mut stand_in.scope, &mut stand_in.scope_schema_url));
            own.attach(&mut target);
            target.carry_own_key_summary(summary);
            numbers[targets.len()] = item;
            targets.push(target);
        }
        for (target, scratch) in targets.iter_mut().zip(blocks.scratch.iter_mut()) {
            scratch.lend(target);
        }
        group.run_admitted(&mut targets, failures)?;
        for ((target, scratch), number) in targets.into_iter().zip(blocks.scratch.iter_mut()).zip(numbers) {
            summaries.keep(number, &target);
            scratch.reclaim(target);
        }
    }
    Ok(item)
}
