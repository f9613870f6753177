//! `CompiledTemplate`: a template file compiled once, applied to many requests.

use std::sync::Arc;

use thiserror::Error;

use super::file::{ErrorMode, StatementEntry, TemplateFile};
use super::group::{StatementFailure, StatementGroup};
use super::infer::PathUse;
use crate::otlp::{json, ExportRequest, ExportTraceServiceRequest};
use crate::ottl::compile::Compiler;
use crate::ottl::{parse_condition, parse_statement, ContextKind, ParseError, Registry, Target};

#[derive(Debug, Error)]
pub enum TemplateError {
    #[error("{origin}: invalid template YAML: {message}")]
    Yaml { origin: String, message: String },
    /// A statement that does not parse or compile, rendered with file:line:col and a caret.
    #[error("{0}")]
    Statement(String),
}

/// A statement error under `propagate`: the whole request fails.
#[derive(Debug, Error)]
pub enum ApplyError {
    #[error("statement `{statement}` failed: {error}")]
    Statement { statement: String, error: String },
    #[error("input is not an OTLP/JSON ExportTraceServiceRequest: {0}")]
    Input(String),
}

/// What happened while applying, for logs and metrics.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Statement errors under `ignore` (at most 100 kept).
    pub failures: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct CompiledTemplate {
    pub slug: Option<String>,
    pub version: String,
    pub display_name: Option<String>,
    pub source_type: Option<String>,
    pub description: Option<String>,
    /// Slugs of templates to run first (resolved by the catalog).
    pub include: Vec<String>,
    pub groups: Vec<Arc<StatementGroup>>,
}

/// Where a statement's text starts in its file, found by searching the source: YAML
/// scalars are usually plain or single-quoted and contain the statement verbatim.
fn locate(source: &str, statement: &str, from: &mut usize) -> (usize, usize) {
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

struct GroupSource {
    context: Option<String>,
    conditions: Vec<String>,
    error_mode: Option<ErrorMode>,
    statements: Vec<String>,
}

impl CompiledTemplate {
    /// Parses and compiles a template file; `origin` names it in errors.
    pub fn compile(source: &str, origin: &str, registry: &Registry) -> Result<CompiledTemplate, TemplateError> {
        let file: TemplateFile = serde_yaml_ng::from_str(source).map_err(|e| TemplateError::Yaml {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        let default_mode = file.error_mode.unwrap_or_default();
        // Consecutive flat statements form one group whose context is inferred.
        let mut sources: Vec<GroupSource> = Vec::new();
        let version = file.version_text();
        for entry in file.trace_statements {
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
        let mut cursor = 0usize;
        let mut groups = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        for group in sources {
            match compile_group(group, default_mode, source, origin, &mut cursor, registry) {
                Ok(g) => groups.push(Arc::new(g)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(TemplateError::Statement(errors.join("\n")));
        }
        Ok(CompiledTemplate {
            version,
            slug: file.slug,
            display_name: file.display_name,
            source_type: file.source_type,
            description: file.description,
            include: file.include,
            groups,
        })
    }

    /// Applies every group in order to the request.
    pub fn apply(&self, request: &mut ExportRequest) -> Result<ApplyReport, ApplyError> {
        match request {
            ExportRequest::Traces(request) => self.apply_traces(request),
            ExportRequest::Logs(_) | ExportRequest::Metrics(_) => Ok(ApplyReport::default()),
        }
    }

    pub fn apply_traces(&self, request: &mut ExportTraceServiceRequest) -> Result<ApplyReport, ApplyError> {
        let mut failures: Vec<StatementFailure> = Vec::new();
        for group in &self.groups {
            run_group(group, request, &mut failures).map_err(|f| ApplyError::Statement {
                statement: f.statement,
                error: f.error.0,
            })?;
        }
        Ok(ApplyReport {
            failures: failures.into_iter().map(|f| (f.statement, f.error.0)).collect(),
        })
    }

    /// OTLP/JSON in, OTLP/JSON out: what `intake template apply` does.
    pub fn apply_otlp_json(&self, input: &[u8]) -> Result<(Vec<u8>, ApplyReport), ApplyError> {
        let mut request = json::decode_request(input).map_err(|e| ApplyError::Input(e.to_string()))?;
        let report = self.apply_traces(&mut request)?;
        Ok((json::encode_request(&request), report))
    }
}

/// Compiles one group, collecting every error (each rendered with file:line:col and a
/// caret) rather than stopping at the first.
fn compile_group(
    group: GroupSource,
    default_mode: ErrorMode,
    source: &str,
    origin: &str,
    cursor: &mut usize,
    registry: &Registry,
) -> Result<StatementGroup, Vec<String>> {
    let render = |e: &ParseError, text: &str, at: (usize, usize)| e.render(origin, at.0, at.1, text);
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for text in &group.statements {
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
    let compiler = Compiler {
        default_context: explicit,
        exec_context,
        registry,
    };
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
    Ok(StatementGroup {
        context: exec_context,
        conditions: compiled_conditions,
        statements,
        error_mode: group.error_mode.unwrap_or(default_mode),
    })
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
                "{origin}: unknown context `{name}`; use resource, scope, span or spanevent"
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
                    "unable to infer context from statements: prefix paths with resource., scope., span. or \
                     spanevent., or give the group a `context:`"
                        .to_owned(),
                ),
                text,
                at,
            ))
        }
    }
}

fn run_group(
    group: &StatementGroup,
    request: &mut ExportTraceServiceRequest,
    failures: &mut Vec<StatementFailure>,
) -> Result<(), StatementFailure> {
    for rs in &mut request.resource_spans {
        let resource = rs.resource.get_or_insert_with(Default::default);
        let resource_schema_url = &mut rs.schema_url;
        if group.context == ContextKind::Resource {
            let mut target = Target {
                resource,
                resource_schema_url,
                scope: None,
                span: None,
                event_index: None,
                cache: Vec::new(),
            };
            group.run(&mut target, failures)?;
            continue;
        }
        for ss in &mut rs.scope_spans {
            let scope = ss.scope.get_or_insert_with(Default::default);
            let scope_schema_url = &mut ss.schema_url;
            match group.context {
                ContextKind::Resource => {}
                ContextKind::Scope => {
                    let mut target = Target {
                        resource: &mut *resource,
                        resource_schema_url: &mut *resource_schema_url,
                        scope: Some((scope, scope_schema_url)),
                        span: None,
                        event_index: None,
                        cache: Vec::new(),
                    };
                    group.run(&mut target, failures)?;
                }
                ContextKind::Span => {
                    for span in &mut ss.spans {
                        let mut target = Target {
                            resource: &mut *resource,
                            resource_schema_url: &mut *resource_schema_url,
                            scope: Some((&mut *scope, &mut *scope_schema_url)),
                            span: Some(span),
                            event_index: None,
                            cache: Vec::new(),
                        };
                        group.run(&mut target, failures)?;
                    }
                }
                ContextKind::SpanEvent => {
                    for span in &mut ss.spans {
                        for index in 0..span.events.len() {
                            let mut target = Target {
                                resource: &mut *resource,
                                resource_schema_url: &mut *resource_schema_url,
                                scope: Some((&mut *scope, &mut *scope_schema_url)),
                                span: Some(&mut *span),
                                event_index: Some(index),
                                cache: Vec::new(),
                            };
                            group.run(&mut target, failures)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
