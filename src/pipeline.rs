//! The transport-agnostic flow of one request: authenticate (headers only), then
//! decompress, decode, drop invalid spans, stamp provenance, split into records, publish.
//! Both transports call exactly these two functions.

use std::sync::Arc;

use http::HeaderMap;
use thiserror::Error;

use crate::auth::{AuthError, Authenticator, KeyRecord};
use crate::codec::{decompress, ContentEncoding, DecompressError};
use crate::config::LimitsConfig;
use crate::otlp::{drop_invalid_spans, DecodeError, Encoding, ExportTracePartialSuccess, ExportTraceServiceResponse};
use crate::provenance::Provenance;
use crate::sink::{RecordHeaders, Sink, SinkError};
use crate::template::{guard, TemplateCatalog};

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("unsupported content type `{0}`: send application/x-protobuf or application/json")]
    UnsupportedContentType(String),
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Decompress(DecompressError),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("server is shutting down")]
    ShuttingDown,
    /// A template statement failed under `error_mode: propagate`.
    #[error("template `{template}` rejected the request: {message}")]
    Template { template: String, message: String },
}

impl From<DecompressError> for PipelineError {
    fn from(error: DecompressError) -> Self {
        match error {
            DecompressError::TooLarge { limit } => PipelineError::TooLarge { limit },
            other => PipelineError::Decompress(other),
        }
    }
}

/// What the client is told on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub accepted_spans: usize,
    pub rejected_spans: usize,
    /// Why spans were rejected; empty when none were.
    pub message: String,
}

/// The template name that means "apply no template".
pub const NO_TEMPLATE: &str = "none";

impl Accepted {
    /// The OTLP response: `partial_success` only when spans were rejected.
    pub fn into_response(self) -> ExportTraceServiceResponse {
        let partial_success = (self.rejected_spans > 0).then_some(ExportTracePartialSuccess {
            rejected_spans: self.rejected_spans as i64,
            error_message: self.message,
        });
        ExportTraceServiceResponse { partial_success }
    }
}

pub struct Pipeline {
    auth: Authenticator,
    sink: Arc<dyn Sink>,
    limits: LimitsConfig,
    templates: Arc<TemplateCatalog>,
    default_template: String,
}

impl Pipeline {
    pub fn new(
        auth: Authenticator,
        sink: Arc<dyn Sink>,
        limits: LimitsConfig,
        templates: Arc<TemplateCatalog>,
        default_template: String,
    ) -> Self {
        Self {
            auth,
            sink,
            limits,
            templates,
            default_template,
        }
    }

    pub fn limits(&self) -> &LimitsConfig {
        &self.limits
    }

    pub fn is_ready(&self) -> bool {
        self.sink.is_ready() && self.auth.cache().is_ready()
    }

    pub fn sink(&self) -> &Arc<dyn Sink> {
        &self.sink
    }

    /// Reads only headers, so bad keys cost no body work.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<KeyRecord>, PipelineError> {
        Ok(self.auth.authenticate(headers).await?)
    }

    /// `body` is the message as received (at most `limits.max_wire_bytes`); it is
    /// decompressed here, capped at `limits.max_decompressed_bytes`.
    pub async fn ingest(
        &self,
        key: &KeyRecord,
        body: &[u8],
        compression: ContentEncoding,
        encoding: Encoding,
    ) -> Result<Accepted, PipelineError> {
        let decompressed;
        let plain = match compression {
            ContentEncoding::Identity => {
                if body.len() > self.limits.max_decompressed_bytes {
                    return Err(PipelineError::TooLarge {
                        limit: self.limits.max_decompressed_bytes,
                    });
                }
                body
            }
            other => {
                decompressed = decompress(other, body, self.limits.max_decompressed_bytes)?;
                &decompressed[..]
            }
        };
        let mut request = encoding.decode_request(plain)?;
        let invalid = drop_invalid_spans(&mut request);
        let spec = key.template.as_deref().unwrap_or(&self.default_template);
        // `none` opts a key out of templates.
        let template = if spec == NO_TEMPLATE {
            None
        } else {
            self.templates.resolve(spec)
        };
        if template.is_none() && spec != NO_TEMPLATE {
            tracing::warn!(message = "template not found; request passes untransformed", template = %spec, project_id = %key.project_id);
        }
        let template_id = template.as_ref().map(|t| t.id());
        let provenance = Provenance::new(key, template_id.as_deref());
        // Stamp first so the template sees who sent it; restore after, so whatever the
        // template did to receiver-owned attributes is undone.
        provenance.stamp(&mut request);
        if let Some(template) = &template {
            let report = template
                .template
                .apply(&mut request)
                .map_err(|e| PipelineError::Template {
                    template: template.id(),
                    message: e.to_string(),
                })?;
            if let Some((statement, error)) = report.failures.first() {
                tracing::debug!(message = "template statement failed (error_mode ignore)", template = %template.id(), %statement, %error, failures = report.failures.len());
            }
            let violations = guard::restore(&mut request, &provenance);
            if violations > 0 {
                tracing::warn!(message = "template changed receiver-owned attributes; restored", template = %template.id(), violations);
            }
        }
        let headers = RecordHeaders {
            project_id: key.project_id.clone(),
            api_key_id: key.id.clone(),
            template_id,
            content_type: "",
        };
        let outcome = self.sink.layout().split(request, headers);
        let accepted_spans = outcome.batch.span_count();
        if !outcome.batch.records.is_empty() {
            self.sink.publish(outcome.batch).await?;
        }
        let rejected_spans = invalid.count + outcome.oversized_spans;
        let mut message = invalid.message();
        if outcome.oversized_spans > 0 {
            if !message.is_empty() {
                message.push_str("; ");
            }
            message.push_str(&format!(
                "{} spans larger than the record size limit ({} bytes) on their own",
                outcome.oversized_spans,
                self.sink.layout().max_record_bytes
            ));
        }
        debug_assert!(rejected_spans > 0 || message.is_empty());
        tracing::debug!(
            message = "request accepted",
            project_id = %key.project_id,
            accepted_spans,
            rejected_spans
        );
        Ok(Accepted {
            accepted_spans,
            rejected_spans,
            message,
        })
    }
}
