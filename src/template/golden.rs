//! Golden tests of templates: `tests/<slug>/<case>.input.json` (an OTLP/JSON request) and
//! `<case>.expected.json` (what the template must turn it into). Differences are shown
//! attribute by attribute.

use std::path::{Path, PathBuf};

use crate::otlp::{json, ExportTraceServiceRequest, KeyValue};
use crate::ottl::eval::any_equal;
use crate::ottl::value::Value;

use super::catalog::TemplateCatalog;

#[derive(Debug, Clone)]
pub struct GoldenCase {
    pub slug: String,
    pub name: String,
    pub input: PathBuf,
    pub expected: PathBuf,
}

/// Every case under `<dir>/<slug>/`, sorted.
pub fn discover(dir: &Path) -> Vec<GoldenCase> {
    let mut cases = Vec::new();
    let Ok(slugs) = std::fs::read_dir(dir) else {
        return cases;
    };
    for slug_dir in slugs.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()) {
        let slug = slug_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(files) = std::fs::read_dir(&slug_dir) else {
            continue;
        };
        for input in files.filter_map(Result::ok).map(|e| e.path()) {
            let Some(name) = input
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".input.json"))
            else {
                continue;
            };
            cases.push(GoldenCase {
                slug: slug.clone(),
                name: name.to_owned(),
                expected: slug_dir.join(format!("{name}.expected.json")),
                input,
            });
        }
    }
    cases.sort_by(|a, b| (&a.slug, &a.name).cmp(&(&b.slug, &b.name)));
    cases
}

/// Runs one case: `Ok` or a readable description of every difference.
pub fn run(catalog: &TemplateCatalog, case: &GoldenCase) -> Result<(), String> {
    let entry = catalog
        .resolve(&case.slug)
        .ok_or_else(|| format!("no template `{}` in the catalog", case.slug))?;
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let input = read(&case.input)?;
    let expected =
        json::decode_request(&read(&case.expected)?).map_err(|e| format!("{}: {e}", case.expected.display()))?;
    let (output, _) = entry.template.apply_otlp_json(&input).map_err(|e| e.to_string())?;
    let got = json::decode_request(&output).map_err(|e| e.to_string())?;
    let diffs = diff_requests(&got, &expected);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("\n"))
    }
}

fn show(value: Option<&crate::otlp::AnyValue>) -> String {
    let v = Value::from_optional_any(value);
    format!("{} ({})", v.to_json(), v.type_name())
}

fn diff_attributes(place: &str, got: &[KeyValue], expected: &[KeyValue], out: &mut Vec<String>) {
    for e in expected {
        match got.iter().find(|g| g.key == e.key) {
            None => out.push(format!("  {place}: missing   {} = {}", e.key, show(e.value.as_ref()))),
            Some(g) if !any_equal(g.value.as_ref(), e.value.as_ref()) => out.push(format!(
                "  {place}: changed   {}\n      got      {}\n      expected {}",
                e.key,
                show(g.value.as_ref()),
                show(e.value.as_ref())
            )),
            Some(_) => {}
        }
    }
    for g in got {
        if !expected.iter().any(|e| e.key == g.key) {
            out.push(format!("  {place}: unexpected {} = {}", g.key, show(g.value.as_ref())));
        }
    }
}

/// Differences between two requests of the same shape.
pub fn diff_requests(got: &ExportTraceServiceRequest, expected: &ExportTraceServiceRequest) -> Vec<String> {
    let mut out = Vec::new();
    if got.resource_spans.len() != expected.resource_spans.len() {
        out.push(format!(
            "  {} resources, expected {}",
            got.resource_spans.len(),
            expected.resource_spans.len()
        ));
        return out;
    }
    for (ri, (g, e)) in got.resource_spans.iter().zip(&expected.resource_spans).enumerate() {
        let empty = Vec::new();
        let attrs = |r: &Option<crate::otlp::Resource>| {
            r.as_ref()
                .map(|r| r.attributes.clone())
                .unwrap_or_else(|| empty.clone())
        };
        diff_attributes(
            &format!("resource[{ri}]"),
            &attrs(&g.resource),
            &attrs(&e.resource),
            &mut out,
        );
        if g.scope_spans.len() != e.scope_spans.len() {
            out.push(format!(
                "  resource[{ri}]: {} scopes, expected {}",
                g.scope_spans.len(),
                e.scope_spans.len()
            ));
            continue;
        }
        for (g, e) in g.scope_spans.iter().zip(&e.scope_spans) {
            if g.spans.len() != e.spans.len() {
                out.push(format!("  {} spans, expected {}", g.spans.len(), e.spans.len()));
                continue;
            }
            for (gs, es) in g.spans.iter().zip(&e.spans) {
                let place = format!("span `{}`", es.name);
                if gs.name != es.name {
                    out.push(format!("  {place}: name is `{}`", gs.name));
                }
                if gs.kind != es.kind {
                    out.push(format!("  {place}: kind {} expected {}", gs.kind, es.kind));
                }
                diff_attributes(&place, &gs.attributes, &es.attributes, &mut out);
                if gs.status != es.status {
                    out.push(format!("  {place}: status {:?} expected {:?}", gs.status, es.status));
                }
            }
        }
    }
    out
}
