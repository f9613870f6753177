//! The key management API on the admin listener, authenticated by a management key
//! (`Authorization: Bearer sk-lw-…`, `organization:manage`):
//! `GET/POST /api/ingestion-keys`, `GET/DELETE /api/ingestion-keys/{id}`,
//! `POST /api/ingestion-keys/{id}/rotate`. Another organization's keys do not exist for
//! the caller (404); an ingestion key is refused (403). Tokens appear in the answer that
//! creates them and nowhere else: not in logs, not in later answers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

use super::key_json::{
    parse_body, BodyError, CreateKeyRequest, CreatedKeyView, KeyList, KeyView, RotateKeyRequest, RotatedKeyView,
};
use super::status::error_reply;
use super::{AppState, RequestError};
use crate::auth::source::KeyFilter;
use crate::auth::{KeyRecord, ManageError, Role, Scope};

/// Management bodies are a few fields; anything bigger is not one.
const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn routes(router: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    router
        .route("/api/ingestion-keys", get(list).post(create))
        .route("/api/ingestion-keys/{id}", get(show).delete(revoke))
        .route("/api/ingestion-keys/{id}/rotate", post(rotate))
}

/// Why a management request failed, as the client is told.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    fn bad_request(error: BodyError) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_argument",
            message: error.message,
            field: error.field,
            retry_after: None,
        }
    }

    fn from_manage(error: ManageError) -> ApiError {
        let (status, code, field) = match &error {
            ManageError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            ManageError::Invalid { field, .. } => {
                (StatusCode::BAD_REQUEST, "invalid_argument", Some(field.to_string()))
            }
            ManageError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
            ManageError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", None),
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(message = "key management failed: key store unavailable", %error);
        }
        ApiError {
            status,
            code,
            message: error.to_string(),
            field,
            retry_after: (status == StatusCode::SERVICE_UNAVAILABLE).then_some(2),
        }
    }

    /// Authentication failures answer with the same statuses as ingest.
    fn from_request(error: RequestError) -> ApiError {
        let reply = error_reply(&error);
        error.log("admin", reply.http.as_str());
        let code = match reply.http.as_u16() {
            401 => "unauthenticated",
            403 => "permission_denied",
            429 => "rate_limited",
            _ => "unavailable",
        };
        ApiError {
            status: reply.http,
            code,
            message: reply.message,
            field: None,
            retry_after: reply.retry_after.map(|d| d.as_secs().max(1)),
        }
    }

    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        };
        let mut response = json(self.status, &body);
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Answers may carry a token: no cache may keep one.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The caller's management key (and the body, read up to the limit).
async fn admit(state: &AppState, request: Request) -> Result<(Arc<KeyRecord>, Vec<u8>), ApiError> {
    let (parts, body) = request.into_parts();
    if state.shutdown.is_cancelled() {
        return Err(ApiError::from_request(RequestError::ShuttingDown));
    }
    let client = state.client_address(&parts);
    let key = state
        .pipeline
        .authenticate_as(&parts.headers, client, Role::Manage)
        .await
        .map_err(|e| ApiError::from_request(e.into()))?;
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "too_large",
        message: format!("request body larger than {MAX_BODY_BYTES} bytes"),
        field: None,
        retry_after: None,
    })?;
    Ok((key, body.to_vec()))
}

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

async fn list(State(state): State<Arc<AppState>>, request: Request) -> Response {
    answer(
        async {
            let (caller, _) = admit(&state, request).await?;
            let keys = state
                .keys
                .list(Scope::Organization(&caller.organization_id), KeyFilter::default())
                .await
                .map_err(ApiError::from_manage)?;
            let keys = keys.iter().map(KeyView::new).collect();
            Ok(json(StatusCode::OK, &KeyList { keys }))
        }
        .await,
    )
}

async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>, request: Request) -> Response {
    answer(
        async {
            let (caller, _) = admit(&state, request).await?;
            let key = state
                .keys
                .get(Scope::Organization(&caller.organization_id), &id)
                .await
                .map_err(ApiError::from_manage)?;
            Ok(json(StatusCode::OK, &KeyView::new(&key)))
        }
        .await,
    )
}

async fn create(State(state): State<Arc<AppState>>, request: Request) -> Response {
    answer(async {
        let (caller, body) = admit(&state, request).await?;
        let new = parse_body::<CreateKeyRequest>(&body)
            .and_then(|r| r.into_new_key(&caller.id))
            .map_err(ApiError::bad_request)?;
        let created = state
            .keys
            .create(Scope::Organization(&caller.organization_id), new)
            .await
            .map_err(ApiError::from_manage)?;
        let record = &created.key.record;
        tracing::info!(message = "ingestion key created", key = %record.id, project = %record.project_id, organization = %record.organization_id, by = %caller.id);
        let view = CreatedKeyView {
            key: KeyView::new(&created.key),
            token: created.token.expose().to_owned(),
        };
        Ok(json(StatusCode::CREATED, &view))
    }
    .await)
}

async fn revoke(State(state): State<Arc<AppState>>, Path(id): Path<String>, request: Request) -> Response {
    answer(async {
        let (caller, _) = admit(&state, request).await?;
        let key = state
            .keys
            .revoke(Scope::Organization(&caller.organization_id), &id)
            .await
            .map_err(ApiError::from_manage)?;
        tracing::info!(message = "ingestion key revoked", key = %id, organization = %caller.organization_id, by = %caller.id);
        Ok(json(StatusCode::OK, &KeyView::new(&key)))
    }
    .await)
}

async fn rotate(State(state): State<Arc<AppState>>, Path(id): Path<String>, request: Request) -> Response {
    answer(async {
        let (caller, body) = admit(&state, request).await?;
        let options = parse_body::<RotateKeyRequest>(&body).map_err(ApiError::bad_request)?;
        let (previous, created) = state
            .keys
            .rotate(
                Scope::Organization(&caller.organization_id),
                &id,
                options.grace(),
                &caller.id,
            )
            .await
            .map_err(ApiError::from_manage)?;
        tracing::info!(message = "ingestion key rotated", key = %id, replacement = %created.key.record.id, organization = %caller.organization_id, by = %caller.id);
        let view = RotatedKeyView {
            key: CreatedKeyView {
                key: KeyView::new(&created.key),
                token: created.token.expose().to_owned(),
            },
            previous: KeyView::new(&previous),
        };
        Ok(json(StatusCode::CREATED, &view))
    }
    .await)
}
