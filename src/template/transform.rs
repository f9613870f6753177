//! The one rule for a request's attributes: stamp provenance first (so the template sees
//! who sent it), apply the key's template, then restore whatever the template did to
//! receiver-owned attributes.

use super::catalog::CatalogEntry;
use super::guard;
use super::provenance::{Provenance, Sender};
use crate::otlp::ExportRequest;
use crate::telemetry::{metrics, LogThrottle};

/// A statement failed under `error_mode: propagate`: the request fails.
#[derive(Debug, thiserror::Error)]
#[error("template `{template}` rejected the request: {message}")]
pub struct TransformError {
    pub template: String,
    pub message: String,
}

static GUARD_WARNINGS: LogThrottle = LogThrottle::new();

/// Stamps `sender` on every resource, applies `template` (none: stamp only) and restores
/// the stamp. Statement failures under `ignore` are counted, not returned.
pub fn transform(
    request: &mut ExportRequest,
    sender: &Sender<'_>,
    template: Option<&CatalogEntry>,
) -> Result<(), TransformError> {
    let provenance = Provenance::new(sender, template.map(CatalogEntry::id));
    provenance.stamp(request);
    let Some(template) = template else {
        return Ok(());
    };
    let report = template.template.apply(request).map_err(|e| TransformError {
        template: template.id().to_owned(),
        message: e.to_string(),
    })?;
    metrics().template_errors(template.id(), report.failures.len());
    if let Some((statement, error)) = report.failures.first() {
        tracing::debug!(message = "template statement failed (error_mode ignore)", template = %template.id(), %statement, %error, failures = report.failures.len());
    }
    let violations = guard::restore(request, &provenance);
    metrics().template_guard_violations(template.id(), violations);
    if violations > 0 && GUARD_WARNINGS.allow() {
        tracing::warn!(message = "template changed receiver-owned attributes; restored", template = %template.id(), violations, similar_suppressed = GUARD_WARNINGS.take_suppressed());
    }
    Ok(())
}
