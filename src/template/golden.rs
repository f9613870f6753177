//! Golden tests of templates: `tests/<slug>/<case>.input.json` (an OTLP/JSON request) and
//! `<case>.expected.json` (what the template must turn it into). Differences are shown
//! attribute by attribute.

use std::path::{Path, PathBuf};

use crate::otlp::{
    for_each_point_attributes, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportRequest,
    ExportTraceServiceRequest, KeyValue, LogRecord,
};
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
    let expected = ExportRequest::decode_json_any(&read(&case.expected)?)
        .map_err(|e| format!("{}: {e}", case.expected.display()))?;
    let (output, _) = entry.template.apply_otlp_json(&input).map_err(|e| e.to_string())?;
    let got = ExportRequest::decode_json_any(&output).map_err(|e| e.to_string())?;
    let diffs = match (&got, &expected) {
        (ExportRequest::Traces(g), ExportRequest::Traces(e)) => diff_requests(g, e),
        (ExportRequest::Logs(g), ExportRequest::Logs(e)) => diff_logs(g, e),
        (ExportRequest::Metrics(g), ExportRequest::Metrics(e)) => diff_metrics(g, e),
        _ => vec![format!(
            "  output is {}, expected {}",
            got.signal().name(),
            expected.signal().name()
        )],
    };
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

fn resource_attributes(resource: &Option<crate::otlp::Resource>) -> &[KeyValue] {
    resource.as_ref().map_or(&[], |r| &r.attributes)
}

/// Differences between two log requests: per record, its event name, body and attributes.
pub fn diff_logs(got: &ExportLogsServiceRequest, expected: &ExportLogsServiceRequest) -> Vec<String> {
    let mut out = Vec::new();
    let records = |r: &ExportLogsServiceRequest| -> Vec<(usize, LogRecord)> {
        r.resource_logs
            .iter()
            .enumerate()
            .flat_map(|(i, rl)| {
                rl.scope_logs
                    .iter()
                    .flat_map(move |sl| sl.log_records.iter().map(move |l| (i, l.clone())))
            })
            .collect()
    };
    for (ri, (g, e)) in got.resource_logs.iter().zip(&expected.resource_logs).enumerate() {
        diff_attributes(
            &format!("resource[{ri}]"),
            resource_attributes(&g.resource),
            resource_attributes(&e.resource),
            &mut out,
        );
    }
    let (got, expected) = (records(got), records(expected));
    if got.len() != expected.len() {
        out.push(format!("  {} log records, expected {}", got.len(), expected.len()));
        return out;
    }
    for (index, ((_, g), (_, e))) in got.iter().zip(&expected).enumerate() {
        let place = format!("log record {index}");
        if g.event_name != e.event_name || g.body != e.body {
            out.push(format!("  {place}: event name or body changed"));
        }
        diff_attributes(&place, &g.attributes, &e.attributes, &mut out);
    }
    out
}

/// Differences between two metric requests: per metric, its name and each point's attributes.
pub fn diff_metrics(got: &ExportMetricsServiceRequest, expected: &ExportMetricsServiceRequest) -> Vec<String> {
    let mut out = Vec::new();
    let metrics = |r: &ExportMetricsServiceRequest| -> Vec<crate::otlp::metrics::Metric> {
        r.resource_metrics
            .iter()
            .flat_map(|rm| rm.scope_metrics.iter().flat_map(|sm| sm.metrics.iter().cloned()))
            .collect()
    };
    let (mut got, mut expected) = (metrics(got), metrics(expected));
    if got.len() != expected.len() {
        out.push(format!("  {} metrics, expected {}", got.len(), expected.len()));
        return out;
    }
    for (g, e) in got.iter_mut().zip(expected.iter_mut()) {
        if g.name != e.name {
            out.push(format!("  metric `{}`: name is `{}`", e.name, g.name));
        }
        let mut got_points = Vec::new();
        for_each_point_attributes(g, |a| got_points.push(a.clone()));
        let mut expected_points = Vec::new();
        for_each_point_attributes(e, |a| expected_points.push(a.clone()));
        for (index, (ga, ea)) in got_points.iter().zip(&expected_points).enumerate() {
            diff_attributes(&format!("metric `{}` point {index}", e.name), ga, ea, &mut out);
        }
    }
    out
}
