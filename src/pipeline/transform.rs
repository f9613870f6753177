//! Transform: resolve the key's template (its own, else the default; `none` opts out) and
//! hand the request to `template::transform`, which stamps, applies and restores.

use super::{Pipeline, PipelineError};
use crate::auth::KeyRecord;
use crate::otlp::ExportRequest;
use crate::telemetry::LogThrottle;
use crate::template::{transform, Sender, NO_TEMPLATE};

static MISSING_TEMPLATE: LogThrottle = LogThrottle::new();

/// A transformed request and the template that shaped it (`slug@version`).
pub(super) struct Transformed {
    pub request: ExportRequest,
    pub template_id: Option<String>,
}

impl Pipeline {
    pub(super) fn transform(&self, key: &KeyRecord, mut request: ExportRequest) -> Result<Transformed, PipelineError> {
        let spec = key.template.as_deref().unwrap_or(&self.default_template);
        let template = if spec == NO_TEMPLATE {
            None
        } else {
            let found = self.templates.resolve(spec);
            if found.is_none() && MISSING_TEMPLATE.allow() {
                tracing::warn!(message = "template not found; request passes untransformed", template = %spec, project_id = %key.project_id, similar_suppressed = MISSING_TEMPLATE.take_suppressed());
            }
            found
        };
        let sender = Sender {
            project_id: &key.project_id,
            api_key_id: &key.id,
            organization_id: &key.organization_id,
            source: &key.source,
            principal_id: key.principal_id.as_deref(),
        };
        transform(&mut request, &sender, template.as_deref()).map_err(|e| PipelineError::Template {
            template: e.template,
            message: e.message,
        })?;
        Ok(Transformed {
            request,
            template_id: template.map(|t| t.id().to_owned()),
        })
    }
}
