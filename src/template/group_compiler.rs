//! Compiling one statement group: parse each statement and condition (every error kept,
//! each at its file:line:col), settle the group's context (explicit, or inferred from its
//! paths) and check it belongs to the signal, then compile.

use super::file::{ErrorMode, StatementEntry};
use super::group::StatementGroup;
use super::infer::PathUse;
use crate::otlp::Signal;
use crate::ottl::compile::Compiler;
use crate::ottl::{parse_condition, parse_statement, ContextKind, KeyRequirement, ParseError, Registry};

/// The contexts a signal's statements may run in.
pub fn signal_contexts(signal: Signal) -> &'static [ContextKind] {
    use ContextKind::*;
    match signal {
        Signal::Traces => &[Resource, Scope, Span, SpanEvent],
        Signal::Logs => &[Resource, Scope, Log],
        Signal::Metrics => &[Resource, Scope, Metric, DataPoint],
    }
}

fn context_list(signal: Signal) -> String {
    signal_contexts(signal)
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a template file's statements are, for error positions.
pub struct SourceText<'s> {
    pub text: &'s str,
    pub origin: &'s str,
}

/// Where a statement's text starts in its file, found by searching the source: YAML
/// scalars are usually plain or single-quoted and contain the statement verbatim.
pub fn locate(source: &str, statement: &str, from: &mut usize) -> (usize, usize) {
    let candidates = [
        statement.to_owned(),
        statement.replace('\'', "''"),
        statement.replace('\\', "\\\\").replace('"', "\\\""),
    ];
    for candidate in &candidates {
        if let Some(found) = source[*from..].find(candidate.as_str()) {
            let at = *from + found;
            *from = at + candidate.len();
            let line = source[..at].matches('\n').count() + 1;
            let col = at - source[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
            return (line, col);
        }
    }
    (1, 1)
}

pub struct GroupSource {
    pub context: Option<String>,
    pub conditions: Vec<String>,
    pub error_mode: Option<ErrorMode>,
    pub statements: Vec<String>,
}

/// Consecutive flat statements form one group whose context is inferred.
pub fn group_sources(entries: Vec<StatementEntry>) -> Vec<GroupSource> {
    let mut sources: Vec<GroupSource> = Vec::new();
    for entry in entries {
        match entry {
            StatementEntry::Flat(statement) => match sources.last_mut() {
                Some(last) if last.context.is_none() && last.conditions.is_empty() && last.error_mode.is_none() => {
                    last.statements.push(statement)
                }
                _ => sources.push(GroupSource {
                    context: None,
                    conditions: Vec::new(),
                    error_mode: None,
                    statements: vec![statement],
                }),
            },
            StatementEntry::Group(group) => sources.push(GroupSource {
                context: group.context.filter(|c| !c.is_empty()),
                conditions: group.conditions,
                error_mode: group.error_mode,
                statements: group.statements,
            }),
        }
    }
    sources
}

/// Compiles one group, collecting every error (each rendered with file:line:col and a
/// caret) rather than stopping at the first.
pub fn compile_group(
    group: GroupSource,
    signal: Signal,
    default_mode: ErrorMode,
    source: &SourceText<'_>,
    cursor: &mut usize,
    registry: &Registry,
) -> Result<StatementGroup, Vec<String>> {
    let (source, origin) = (source.text, source.origin);
    let render = |e: &ParseError, text: &str, at: (usize, usize)| e.render(origin, at.0, at.1, text);
    let mut errors = Vec::new();
    let parsed = parse_statements(&group.statements, source, cursor, &render, &mut errors);
    let mut conditions = Vec::new();
    for text in &group.conditions {
        let at = locate(source, text, cursor);
        match parse_condition(text) {
            Ok(ast) => conditions.push((text, at, ast)),
            Err(e) => errors.push(render(&e, text, at)),
        }
    }
    let (explicit, exec_context) = match group_context(&group, &parsed, &conditions, origin, &render) {
        Ok(found) => found,
        Err(error) => {
            errors.push(error);
            return Err(errors);
        }
    };
    if !signal_contexts(signal).contains(&exec_context) {
        errors.push(format!(
            "{origin}: {} statements cannot run in {} context; use {}",
            signal.name(),
            exec_context.name(),
            context_list(signal)
        ));
        return Err(errors);
    }
    let compiler = Compiler::new(explicit, exec_context, registry);
    let mut statements = Vec::new();
    for (text, at, ast) in &parsed {
        match compiler.statement(ast, text) {
            Ok(s) => statements.push(s),
            Err(e) => errors.push(render(&e, text, *at)),
        }
    }
    let mut compiled_conditions = Vec::new();
    for (text, at, ast) in &conditions {
        match compiler.condition(ast) {
            Ok(c) => compiled_conditions.push(c),
            Err(e) => errors.push(render(&e, text, *at)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mentions_shared = parsed
        .iter()
        .any(|(_, _, statement)| super::infer::mentions_resource_or_scope(statement));
    // Per-scope verdicts hold only while the group's own statements leave resource and
    // scope alone, and only mean something for items more specific than a scope.
    let per_scope = exec_context > ContextKind::Scope && !mentions_shared;
    let source_statements = statements.len();
    let mut statements = crate::ottl::switch::fuse_switches(crate::ottl::compile::fuse_deletions(
        crate::ottl::rename::fuse_renames(statements),
    ));
    crate::ottl::shared_guard::mark_shared_guards(&mut statements);
    Ok(StatementGroup {
        adds_only_named_keys: parsed
            .iter()
            .all(|(_, _, statement)| super::guard::adds_only_named_keys(statement)),
        interleaves: matches!(exec_context, ContextKind::Span | ContextKind::Log) && !mentions_shared,
        context: exec_context,
        condition_per_scope: conditions
            .iter()
            .map(|(_, _, ast)| per_scope && super::infer::reads_only_resource_and_scope(ast))
            .collect(),
        condition_requires: compiled_conditions.iter().map(KeyRequirement::of).collect(),
        conditions: compiled_conditions,
        source_statements,
        statements,
        error_mode: group.error_mode.unwrap_or(default_mode),
    })
}

/// Parses each statement, refusing any that names a receiver-owned attribute; errors are
/// collected, not returned at the first.
fn parse_statements<'g>(
    statements: &'g [String],
    source: &str,
    cursor: &mut usize,
    render: Render<'_>,
    errors: &mut Vec<String>,
) -> Parsed<'g> {
    let mut parsed = Vec::new();
    for text in statements {
        let at = locate(source, text, cursor);
        match parse_statement(text) {
            Err(e) => errors.push(render(&e, text, at)),
            Ok(ast) => match super::guard::static_violation(&ast) {
                Some(key) => errors.push(render(
                    &ParseError::new(
                        0,
                        format!(
                            "statement targets `{key}`, an attribute the receiver owns; templates cannot change it"
                        ),
                    ),
                    text,
                    at,
                )),
                None => parsed.push((text, at, ast)),
            },
        }
    }
    parsed
}

/// Renders an error at a statement's file position.
type Render<'r> = &'r dyn Fn(&ParseError, &str, (usize, usize)) -> String;
type Parsed<'g> = Vec<(&'g String, (usize, usize), crate::ottl::ast::Statement)>;
type ParsedConditions<'g> = Vec<(&'g String, (usize, usize), crate::ottl::ast::BoolExpr)>;

/// The group's explicit context, and where it runs: the explicit one, or the one its
/// paths imply.
fn group_context(
    group: &GroupSource,
    parsed: &Parsed<'_>,
    conditions: &ParsedConditions<'_>,
    origin: &str,
    render: Render<'_>,
) -> Result<(Option<ContextKind>, ContextKind), String> {
    if let Some(name) = &group.context {
        return match ContextKind::parse(name) {
            Some(ctx) => Ok((Some(ctx), ctx)),
            None => Err(format!(
                "{origin}: unknown context `{name}`; use resource, scope, span, spanevent, log, metric or \
                 datapoint"
            )),
        };
    }
    let mut uses = PathUse::default();
    parsed.iter().for_each(|(_, _, s)| uses.statement(s));
    conditions.iter().for_each(|(_, _, c)| uses.condition(c));
    match uses.inferred() {
        Some(ctx) => Ok((None, ctx)),
        None => {
            let (text, at) = parsed
                .first()
                .map(|(t, at, _)| (t.as_str(), *at))
                .unwrap_or(("", (1, 1)));
            Err(render(
                &ParseError::new(
                    0,
                    "unable to infer context from statements: prefix paths with a context (resource., scope., \
                     span., spanevent., log., metric., datapoint.), or give the group a `context:`"
                        .to_owned(),
                ),
                text,
                at,
            ))
        }
    }
}
