//! Extracts an ingestion-key credential from request headers (HTTP headers and gRPC
//! metadata are the same HTTP/2 header block, so one parser serves both transports).

use base64::Engine;
use http::header::AUTHORIZATION;
use http::HeaderMap;

use super::AuthError;
use crate::secret::Secret;

pub const X_AUTH_TOKEN: &str = "x-auth-token";
pub const X_PROJECT_ID: &str = "x-project-id";

/// Bounds on the token parts: minted keys use 16 and 48, older keys may differ, but a
/// part outside these bounds is not a key and is rejected before any lookup.
const LOOKUP_ID_LEN: std::ops::RangeInclusive<usize> = 8..=64;
const SECRET_LEN: std::ops::RangeInclusive<usize> = 16..=256;
/// Longest header value we look at; anything longer is malformed, not parsed.
const MAX_HEADER_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPrefix {
    /// `ik-lw-`: current ingestion keys.
    Ingest,
    /// `sk-lw-`: older ingestion keys.
    Legacy,
}

impl KeyPrefix {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPrefix::Ingest => "ik-lw-",
            KeyPrefix::Legacy => "sk-lw-",
        }
    }
}

/// A parsed credential. Holding one says nothing about validity: that is the
/// authenticator's job.
#[derive(Debug, Clone)]
pub struct Credential {
    pub prefix: KeyPrefix,
    pub lookup_id: String,
    secret: Secret,
    /// Projects the client claims (Basic user name, `X-Project-Id`); each must equal the
    /// key's project.
    pub claimed_projects: Vec<String>,
}

impl Credential {
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Order: `Authorization: Basic`, `Authorization: Bearer`, `X-Auth-Token`.
    pub fn from_headers(headers: &HeaderMap) -> Result<Credential, AuthError> {
        let mut claimed_projects = Vec::new();
        let token = if let Some(value) = headers.get(AUTHORIZATION) {
            let value = header_str(value)?;
            let (scheme, rest) = value.split_once(' ').ok_or(AuthError::MalformedCredential(
                "Authorization needs a scheme: Bearer or Basic",
            ))?;
            let rest = rest.trim();
            if scheme.eq_ignore_ascii_case("bearer") {
                rest.to_owned()
            } else if scheme.eq_ignore_ascii_case("basic") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(rest)
                    .map_err(|_| AuthError::MalformedCredential("Basic credential is not base64"))?;
                let decoded = String::from_utf8(decoded)
                    .map_err(|_| AuthError::MalformedCredential("Basic credential is not UTF-8"))?;
                let (project, token) = decoded.split_once(':').ok_or(AuthError::MalformedCredential(
                    "Basic credential must be projectId:token",
                ))?;
                if !project.is_empty() {
                    claimed_projects.push(project.to_owned());
                }
                token.to_owned()
            } else {
                return Err(AuthError::MalformedCredential(
                    "Authorization scheme must be Bearer or Basic",
                ));
            }
        } else if let Some(value) = headers.get(X_AUTH_TOKEN) {
            header_str(value)?.trim().to_owned()
        } else {
            return Err(AuthError::MissingCredential);
        };

        if let Some(value) = headers.get(X_PROJECT_ID) {
            let project = header_str(value)?.trim();
            if !project.is_empty() {
                claimed_projects.push(project.to_owned());
            }
        }

        let (prefix, lookup_id, secret) = parse_token(&token)?;
        Ok(Credential {
            prefix,
            lookup_id: lookup_id.to_owned(),
            secret: Secret::new(secret),
            claimed_projects,
        })
    }
}

fn header_str(value: &http::HeaderValue) -> Result<&str, AuthError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(AuthError::MalformedCredential("credential header too long"));
    }
    value
        .to_str()
        .map_err(|_| AuthError::MalformedCredential("credential header is not ASCII"))
}

/// Splits `ik-lw-{lookupId}_{secret}` / `sk-lw-{lookupId}_{secret}`.
pub fn parse_token(token: &str) -> Result<(KeyPrefix, &str, &str), AuthError> {
    let (prefix, rest) = if let Some(rest) = token.strip_prefix(KeyPrefix::Ingest.as_str()) {
        (KeyPrefix::Ingest, rest)
    } else if let Some(rest) = token.strip_prefix(KeyPrefix::Legacy.as_str()) {
        (KeyPrefix::Legacy, rest)
    } else {
        return Err(AuthError::MalformedCredential("token must start with ik-lw- or sk-lw-"));
    };
    let (lookup_id, secret) = rest.split_once('_').ok_or(AuthError::MalformedCredential(
        "token must be {prefix}{lookupId}_{secret}",
    ))?;
    if !LOOKUP_ID_LEN.contains(&lookup_id.len()) || !is_alphanumeric(lookup_id) {
        return Err(AuthError::MalformedCredential(
            "token lookup id must be 8-64 characters [0-9A-Za-z]",
        ));
    }
    if !SECRET_LEN.contains(&secret.len()) || !is_alphanumeric(secret) {
        return Err(AuthError::MalformedCredential(
            "token secret must be 16-256 characters [0-9A-Za-z]",
        ));
    }
    Ok((prefix, lookup_id, secret))
}

fn is_alphanumeric(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ik-lw-ABCDEFGH12345678_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL";

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn bearer_token_is_split_into_lookup_id_and_secret() {
        let c = Credential::from_headers(&headers(&[("authorization", &format!("Bearer {TOKEN}"))])).unwrap();
        assert_eq!(c.prefix, KeyPrefix::Ingest);
        assert_eq!(c.lookup_id, "ABCDEFGH12345678");
        assert_eq!(c.secret().expose().len(), 48);
        assert!(c.claimed_projects.is_empty());
    }

    #[test]
    fn basic_credential_carries_the_project_claim() {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("proj_a:{TOKEN}"));
        let c = Credential::from_headers(&headers(&[
            ("authorization", &format!("Basic {basic}")),
            ("x-project-id", "proj_b"),
        ]))
        .unwrap();
        assert_eq!(c.claimed_projects, vec!["proj_a".to_owned(), "proj_b".to_owned()]);
    }

    #[test]
    fn x_auth_token_is_used_when_authorization_is_absent() {
        let legacy = TOKEN.replacen("ik-lw-", "sk-lw-", 1);
        let c = Credential::from_headers(&headers(&[("x-auth-token", &legacy)])).unwrap();
        assert_eq!(c.prefix, KeyPrefix::Legacy);
    }

    #[test]
    fn missing_and_malformed_credentials_are_told_apart() {
        assert_eq!(
            Credential::from_headers(&HeaderMap::new()).unwrap_err(),
            AuthError::MissingCredential
        );
        for bad in [
            "Bearer",
            "Bearer sk-proj-123",
            "Bearer ik-lw-short_abcdefghijklmnopqrstuvwxyz",
            "Bearer ik-lw-ABCDEFGH12345678_short",
            "Bearer ik-lw-ABCDEFGH12345678-abcdefghijklmnopqrstuvwxyz0123456789",
            "Bearer ik-lw-ABCDEFGH1234567!_abcdefghijklmnopqrstuvwxyz0123456789",
            "Token abc",
            "Basic !!!",
        ] {
            let err = Credential::from_headers(&headers(&[("authorization", bad)])).unwrap_err();
            assert!(matches!(err, AuthError::MalformedCredential(_)), "{bad}: {err:?}");
        }
    }

    #[test]
    fn secret_is_not_printed_by_debug() {
        let c = Credential::from_headers(&headers(&[("authorization", &format!("Bearer {TOKEN}"))])).unwrap();
        assert!(!format!("{c:?}").contains("abcdefghijklmnop"));
    }
}
