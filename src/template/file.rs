//! The template file as written: the transformprocessor's `trace_statements`,
//! `log_statements` and `metric_statements` shape, so a collector config can be pasted in.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ErrorMode {
    /// Log the error and go on with the next statement (the default).
    #[default]
    Ignore,
    /// Go on with the next statement without logging.
    Silent,
    /// Stop: the whole request fails.
    Propagate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFile {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub version: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub source_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub error_mode: Option<ErrorMode>,
    #[serde(default)]
    pub trace_statements: Vec<StatementEntry>,
    /// Contexts `resource`, `scope`, `log`.
    #[serde(default)]
    pub log_statements: Vec<StatementEntry>,
    /// Contexts `resource`, `scope`, `metric`, `datapoint`.
    #[serde(default)]
    pub metric_statements: Vec<StatementEntry>,
    /// Other templates (by slug) whose groups run first, in order: how `auto` composes
    /// the catalog. Each included template guards its groups with `conditions:`.
    #[serde(default)]
    pub include: Vec<String>,
    /// Other templates (by slug) whose groups run after this one's own: a source template
    /// ends with the pass that brings every source to one shape (`genai_semconv`).
    #[serde(default)]
    pub then: Vec<String>,
}

/// The version as text (`1`, `1.2`, `"2025-06"` all read naturally).
pub fn version_text(version: &serde_yaml_ng::Value) -> String {
    match version {
        serde_yaml_ng::Value::String(s) => s.clone(),
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        other => serde_yaml_ng::to_string(other).unwrap_or_default().trim().to_owned(),
    }
}

/// A flat statement (context inferred from its paths) or a group.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatementEntry {
    Flat(String),
    Group(GroupSpec),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub error_mode: Option<ErrorMode>,
    pub statements: Vec<String>,
}
