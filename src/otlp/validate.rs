//! Drops spans that cannot be stored (bad id lengths), so the rest of a batch is accepted
//! and the client hears about the rest through `partial_success`.

use super::{ExportLogsServiceRequest, ExportRequest, ExportTraceServiceRequest, LogRecord, Span};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InvalidItems {
    pub count: usize,
    /// What one item is called (`span`, `log record`).
    pub noun: &'static str,
    /// The first reason seen, for the `partial_success` message.
    pub first_reason: Option<String>,
}

impl InvalidItems {
    pub fn message(&self) -> String {
        match &self.first_reason {
            Some(reason) if self.count == 1 => format!("1 {} rejected: {reason}", self.noun),
            Some(reason) => format!("{} {}s rejected; first: {reason}", self.count, self.noun),
            None => String::new(),
        }
    }
}

fn check(span: &Span) -> Result<(), &'static str> {
    if span.trace_id.len() != 16 {
        return Err("trace_id must be 16 bytes (32 hex characters)");
    }
    if span.trace_id.iter().all(|b| *b == 0) {
        return Err("trace_id must not be all zeros");
    }
    if span.span_id.len() != 8 {
        return Err("span_id must be 8 bytes (16 hex characters)");
    }
    if span.span_id.iter().all(|b| *b == 0) {
        return Err("span_id must not be all zeros");
    }
    if !span.parent_span_id.is_empty() && span.parent_span_id.len() != 8 {
        return Err("parent_span_id must be empty or 8 bytes (16 hex characters)");
    }
    Ok(())
}

/// Removes items that cannot be stored, in place.
pub fn drop_invalid_items(request: &mut ExportRequest) -> InvalidItems {
    match request {
        ExportRequest::Traces(request) => drop_invalid_spans(request),
        ExportRequest::Logs(request) => drop_invalid_log_records(request),
        // Data points carry no ids of their own; nothing in them is unstorable.
        ExportRequest::Metrics(_) => InvalidItems {
            noun: "data point",
            ..InvalidItems::default()
        },
    }
}

/// Removes invalid spans in place, and scope/resource entries left empty by that.
pub fn drop_invalid_spans(request: &mut ExportTraceServiceRequest) -> InvalidItems {
    let mut invalid = InvalidItems {
        noun: "span",
        ..InvalidItems::default()
    };
    for rs in &mut request.resource_spans {
        for ss in &mut rs.scope_spans {
            let before = ss.spans.len();
            ss.spans.retain(|span| match check(span) {
                Ok(()) => true,
                Err(reason) => {
                    if invalid.first_reason.is_none() {
                        invalid.first_reason = Some(format!("span `{}`: {reason}", truncate(&span.name, 64)));
                    }
                    false
                }
            });
            invalid.count += before - ss.spans.len();
        }
        if invalid.count > 0 {
            rs.scope_spans.retain(|ss| !ss.spans.is_empty());
        }
    }
    if invalid.count > 0 {
        request.resource_spans.retain(|rs| !rs.scope_spans.is_empty());
    }
    invalid
}

/// A log record's ids are optional, but when present they must have their sizes.
fn check_log_record(record: &LogRecord) -> Result<(), &'static str> {
    if !record.trace_id.is_empty() && record.trace_id.len() != 16 {
        return Err("trace_id must be empty or 16 bytes (32 hex characters)");
    }
    if !record.span_id.is_empty() && record.span_id.len() != 8 {
        return Err("span_id must be empty or 8 bytes (16 hex characters)");
    }
    Ok(())
}

/// Removes log records with malformed ids, and scope/resource entries left empty by that.
pub fn drop_invalid_log_records(request: &mut ExportLogsServiceRequest) -> InvalidItems {
    let mut invalid = InvalidItems {
        noun: "log record",
        ..InvalidItems::default()
    };
    for rl in &mut request.resource_logs {
        for sl in &mut rl.scope_logs {
            let before = sl.log_records.len();
            sl.log_records.retain(|record| match check_log_record(record) {
                Ok(()) => true,
                Err(reason) => {
                    if invalid.first_reason.is_none() {
                        invalid.first_reason = Some(reason.to_owned());
                    }
                    false
                }
            });
            invalid.count += before - sl.log_records.len();
        }
        if invalid.count > 0 {
            rl.scope_logs.retain(|sl| !sl.log_records.is_empty());
        }
    }
    if invalid.count > 0 {
        request.resource_logs.retain(|rl| !rl.scope_logs.is_empty());
    }
    invalid
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{ResourceSpans, ScopeSpans};

    fn span(trace: Vec<u8>, id: Vec<u8>, parent: Vec<u8>) -> Span {
        Span {
            trace_id: trace,
            span_id: id,
            parent_span_id: parent,
            name: "s".into(),
            ..Default::default()
        }
    }

    #[test]
    fn bad_ids_are_dropped_and_counted_the_rest_kept() {
        let mut request = ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans {
                    scope_spans: vec![ScopeSpans {
                        spans: vec![
                            span(vec![1; 16], vec![1; 8], vec![]),
                            span(vec![1; 15], vec![1; 8], vec![]),
                            span(vec![1; 16], vec![0; 8], vec![]),
                            span(vec![1; 16], vec![2; 8], vec![3; 4]),
                            span(vec![1; 16], vec![2; 8], vec![3; 8]),
                        ],
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ResourceSpans {
                    scope_spans: vec![ScopeSpans {
                        spans: vec![span(vec![0; 16], vec![1; 8], vec![])],
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            ],
        };
        let invalid = drop_invalid_spans(&mut request);
        assert_eq!(invalid.count, 4);
        assert!(
            invalid.message().contains("trace_id must be 16 bytes"),
            "{}",
            invalid.message()
        );
        assert_eq!(request.resource_spans.len(), 1, "emptied resource removed");
        assert_eq!(crate::otlp::span_count(&request), 2);
    }
}
