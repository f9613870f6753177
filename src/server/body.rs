//! Reads a request body with a byte cap, failing as soon as the cap is passed.

use axum::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::RequestError;

pub async fn read_capped(body: Body, limit: usize) -> Result<Bytes, RequestError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(RequestError::TooLarge { limit }),
        Err(error) => Err(RequestError::Malformed(format!("could not read request body: {error}"))),
    }
}

/// `Content-Length` over the cap is refused before a byte of the body is read. Returns
/// the declared length, when there is one.
pub fn check_declared_length(headers: &http::HeaderMap, limit: usize) -> Result<Option<u64>, RequestError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => Err(RequestError::TooLarge { limit }),
        other => Ok(other),
    }
}
