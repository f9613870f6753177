//! Running statement groups over a request: each group visits the items of its context
//! (resources, scopes, spans, span events, log records, metrics, data points) in order.

use super::group::{ScopeVerdicts, StatementFailure, StatementGroup};
use super::interleave::{run_interleaved, Blocks, Shared};
use super::summaries::CarriedSummaries;
use crate::otlp::{
    metric_point_count, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
};
use crate::ottl::context::Scratch;
use crate::ottl::{ContextKind, Target};

/// A target in scope context, for the conditions decided once per scope.
fn scope_target<'t>(
    resource: &'t mut crate::otlp::Resource,
    resource_schema_url: &'t mut String,
    scope: &'t mut crate::otlp::InstrumentationScope,
    scope_schema_url: &'t mut String,
) -> Target<'t> {
    let mut target = Target::new(resource, resource_schema_url);
    target.scope = Some((scope, scope_schema_url));
    target
}

pub fn run_trace_group(
    group: &StatementGroup,
    request: &mut ExportTraceServiceRequest,
    summaries: &mut CarriedSummaries,
    failures: &mut Vec<StatementFailure>,
) -> Result<(), StatementFailure> {
    let mut item = 0;
    let mut verdicts = ScopeVerdicts::default();
    let mut blocks: Option<Blocks> = None;
    for rs in &mut request.resource_spans {
        let resource = rs.resource.get_or_insert_with(Default::default);
        if group.context == ContextKind::Resource {
            group.run(&mut Target::new(resource, &mut rs.schema_url), &mut verdicts, failures)?;
            continue;
        }
        for ss in &mut rs.scope_spans {
            verdicts.clear();
            let scope = ss.scope.get_or_insert_with(Default::default);
            if group.context == ContextKind::Scope {
                let mut target = scope_target(resource, &mut rs.schema_url, scope, &mut ss.schema_url);
                group.run(&mut target, &mut verdicts, failures)?;
                continue;
            }
            if group.ruled_out_for_scope(
                &scope_target(resource, &mut rs.schema_url, scope, &mut ss.schema_url),
                &mut verdicts,
            ) {
                item += ss.spans.len();
                continue;
            }
            if group.interleaves && group.context == ContextKind::Span {
                let shared = Shared::new(resource, &mut rs.schema_url, scope, &mut ss.schema_url);
                let spans = &mut ss.spans;
                item = run_interleaved(
                    group,
                    shared,
                    spans,
                    item,
                    &mut blocks,
                    &mut verdicts,
                    summaries,
                    failures,
                )?;
                continue;
            }
            let mut scratch = Scratch::default();
            for span in &mut ss.spans {
                item += 1;
                if group.ruled_out_for_item(summaries.get(item), &verdicts) {
                    continue;
                }
                // A span context runs once per span; a span event context once per event.
                let events = if group.context == ContextKind::SpanEvent {
                    span.events.len()
                } else {
                    1
                };
                for index in 0..events {
                    let mut target = Target::new(&mut *resource, &mut rs.schema_url);
                    target.scope = Some((&mut *scope, &mut ss.schema_url));
                    target.span = Some(&mut *span);
                    target.event_index = (group.context == ContextKind::SpanEvent).then_some(index);
                    scratch.lend(&mut target);
                    summaries.lend(item, &mut target);
                    group.run(&mut target, &mut verdicts, failures)?;
                    summaries.keep(item, &target);
                    scratch.reclaim(target);
                }
            }
        }
    }
    Ok(())
}

pub fn run_log_group(
    group: &StatementGroup,
    request: &mut ExportLogsServiceRequest,
    summaries: &mut CarriedSummaries,
    failures: &mut Vec<StatementFailure>,
) -> Result<(), StatementFailure> {
    let mut item = 0;
    let mut verdicts = ScopeVerdicts::default();
    let mut blocks: Option<Blocks> = None;
    for rl in &mut request.resource_logs {
        let resource = rl.resource.get_or_insert_with(Default::default);
        if group.context == ContextKind::Resource {
            group.run(&mut Target::new(resource, &mut rl.schema_url), &mut verdicts, failures)?;
            continue;
        }
        for sl in &mut rl.scope_logs {
            verdicts.clear();
            let scope = sl.scope.get_or_insert_with(Default::default);
            if group.context == ContextKind::Scope {
                let mut target = scope_target(resource, &mut rl.schema_url, scope, &mut sl.schema_url);
                group.run(&mut target, &mut verdicts, failures)?;
                continue;
            }
            if group.ruled_out_for_scope(
                &scope_target(resource, &mut rl.schema_url, scope, &mut sl.schema_url),
                &mut verdicts,
            ) {
                item += sl.log_records.len();
                continue;
            }
            if group.interleaves && group.context == ContextKind::Log {
                let shared = Shared::new(resource, &mut rl.schema_url, scope, &mut sl.schema_url);
                let records = &mut sl.log_records;
                item = run_interleaved(
                    group,
                    shared,
                    records,
                    item,
                    &mut blocks,
                    &mut verdicts,
                    summaries,
                    failures,
                )?;
                continue;
            }
            let mut scratch = Scratch::default();
            for record in &mut sl.log_records {
                item += 1;
                if group.ruled_out_for_item(summaries.get(item), &verdicts) {
                    continue;
                }
                let mut target = Target::new(&mut *resource, &mut rl.schema_url);
                target.scope = Some((&mut *scope, &mut sl.schema_url));
                target.log = Some(record);
                scratch.lend(&mut target);
                summaries.lend(item, &mut target);
                group.run(&mut target, &mut verdicts, failures)?;
                summaries.keep(item, &target);
                scratch.reclaim(target);
            }
        }
    }
    Ok(())
}

pub fn run_metric_group(
    group: &StatementGroup,
    request: &mut ExportMetricsServiceRequest,
    failures: &mut Vec<StatementFailure>,
) -> Result<(), StatementFailure> {
    let mut verdicts = ScopeVerdicts::default();
    for rm in &mut request.resource_metrics {
        let resource = rm.resource.get_or_insert_with(Default::default);
        if group.context == ContextKind::Resource {
            group.run(&mut Target::new(resource, &mut rm.schema_url), &mut verdicts, failures)?;
            continue;
        }
        for sm in &mut rm.scope_metrics {
            verdicts.clear();
            let scope = sm.scope.get_or_insert_with(Default::default);
            if group.context == ContextKind::Scope {
                let mut target = scope_target(resource, &mut rm.schema_url, scope, &mut sm.schema_url);
                group.run(&mut target, &mut verdicts, failures)?;
                continue;
            }
            if group.ruled_out_for_scope(
                &scope_target(resource, &mut rm.schema_url, scope, &mut sm.schema_url),
                &mut verdicts,
            ) {
                continue;
            }
            let mut scratch = Scratch::default();
            for metric in &mut sm.metrics {
                let points = if group.context == ContextKind::DataPoint {
                    metric_point_count(metric)
                } else {
                    1
                };
                for index in 0..points {
                    let mut target = Target::new(&mut *resource, &mut rm.schema_url);
                    target.scope = Some((&mut *scope, &mut sm.schema_url));
                    target.metric = Some(&mut *metric);
                    target.point_index = (group.context == ContextKind::DataPoint).then_some(index);
                    scratch.lend(&mut target);
                    group.run(&mut target, &mut verdicts, failures)?;
                    scratch.reclaim(target);
                }
            }
        }
    }
    Ok(())
}
