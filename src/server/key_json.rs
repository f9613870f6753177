//! The management API's JSON: what a client sends (unknown fields refused, errors naming
//! the field) and how a key is shown (never its secret or hash).

use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::auth::source::KeyInfo;
use crate::auth::{format_time, parse_time, NewKey};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKeyRequest {
    pub project_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub principal_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub expires_at: Option<String>,
}

impl CreateKeyRequest {
    /// The key to create, made by `actor` (a management key id).
    pub fn into_new_key(self, actor: &str) -> Result<NewKey, BodyError> {
        let expires_at = self
            .expires_at
            .as_deref()
            .map(|v| parse_time("expiresAt", v))
            .transpose()
            .map_err(|message| BodyError {
                field: Some("expiresAt".to_owned()),
                message,
            })?;
        let mut key = NewKey::ingest(&self.project_id, "");
        key.name = self.name.unwrap_or_default();
        if let Some(source) = self.source {
            key.source = source;
        }
        key.template = self.template;
        key.principal_id = self.principal_id;
        key.description = self.description;
        key.expires_at = expires_at;
        key.created_by = Some(actor.to_owned());
        Ok(key)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RotateKeyRequest {
    /// How long the old token keeps working (default `auth.rotation_grace`).
    #[serde(default)]
    pub grace_period_seconds: Option<u64>,
}

impl RotateKeyRequest {
    pub fn grace(&self) -> Option<Duration> {
        self.grace_period_seconds.map(Duration::from_secs)
    }
}

/// A body the API could not read, with the field at fault when there is one.
#[derive(Debug)]
pub struct BodyError {
    pub field: Option<String>,
    pub message: String,
}

/// Parses a JSON body; an empty body reads as `{}` where the type allows it.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        // A missing or unknown field is named by serde's message; a wrong value by its path.
        let field = (path != "." && path != "?").then_some(path);
        BodyError {
            message: match &field {
                Some(field) => format!("`{field}`: {inner}"),
                None => inner.to_string(),
            },
            field,
        }
    })
}

/// One key as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub project_id: Option<String>,
    pub organization_id: String,
    pub source: String,
    pub template: Option<String>,
    pub principal_id: Option<String>,
    pub description: Option<String>,
    pub status: &'static str,
    pub created_at: Option<String>,
    pub created_by: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    pub rotated_from: Option<String>,
}

impl KeyView {
    pub fn new(info: &KeyInfo) -> KeyView {
        let r = &info.record;
        KeyView {
            id: r.id.clone(),
            name: r.name.clone(),
            kind: match r.kind() {
                crate::auth::KeyKind::Ingest => "ingest",
                crate::auth::KeyKind::Manage => "manage",
                crate::auth::KeyKind::Other => "other",
            },
            project_id: (!r.project_id.is_empty()).then(|| r.project_id.clone()),
            organization_id: r.organization_id.clone(),
            source: r.source.clone(),
            template: r.template.clone(),
            principal_id: r.principal_id.clone(),
            description: r.description.clone(),
            status: r.status_at(SystemTime::now()).name(),
            created_at: r.created_at.map(format_time),
            created_by: r.created_by.clone(),
            expires_at: r.expires_at.map(format_time),
            revoked_at: r.revoked_at.map(format_time),
            last_used_at: info.last_used_at.map(format_time),
            rotated_from: r.rotated_from.clone(),
        }
    }
}

/// A key just created, with the token: the only time it is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKeyView {
    #[serde(flatten)]
    pub key: KeyView,
    pub token: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatedKeyView {
    #[serde(flatten)]
    pub key: CreatedKeyView,
    pub previous: KeyView,
}

#[derive(Debug, Serialize)]
pub struct KeyList {
    pub keys: Vec<KeyView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let err = parse_body::<CreateKeyRequest>(br#"{"projectId":"p","colour":"red"}"#).unwrap_err();
        assert!(err.message.contains("colour"), "{}", err.message);
        let err = parse_body::<CreateKeyRequest>(br#"{"name":"x"}"#).unwrap_err();
        assert!(err.message.contains("projectId"), "{}", err.message);
        let err = parse_body::<CreateKeyRequest>(br#"{"projectId":3}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("projectId"));
        let err = parse_body::<CreateKeyRequest>(b"{not json").unwrap_err();
        assert!(err.field.is_none(), "{:?}", err.field);
        let err = parse_body::<CreateKeyRequest>(br#"{"projectId":"p","expiresAt":"soon"}"#)
            .unwrap()
            .into_new_key("key_admin")
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("expiresAt"));
        let rotate: RotateKeyRequest = parse_body(b"").unwrap();
        assert_eq!(rotate.grace(), None);
    }
}
