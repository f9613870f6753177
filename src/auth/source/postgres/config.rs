//! `[auth.postgres]`: where the fleet's key database is and how patient to be with it.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use crate::secret::Secret;
use crate::setting::InvalidSetting;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresKeyStoreConfig {
    /// `postgres://user:password@host:5432/db?sslmode=require` (libpq URL or key=value
    /// form). `sslmode` is `disable`, `prefer` (the default) or `require`.
    #[serde(serialize_with = "redacted_url")]
    pub url: Secret,
    /// PEM file of the CAs that sign the server's certificate (default: the system's).
    /// With TLS the certificate and host name are always verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca_file: Option<PathBuf>,
    /// Connections for lookups and writes (LISTEN uses one more of its own).
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    /// How long to wait for a connection to open.
    #[serde(default = "default_connect_timeout", with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// How long any one query may take before the store counts as unreachable.
    #[serde(default = "default_query_timeout", with = "humantime_serde")]
    pub query_timeout: Duration,
    /// How often keys changed in the database are re-read, repairing a notification the
    /// listener missed.
    #[serde(default = "default_resync_interval", with = "humantime_serde")]
    pub resync_interval: Duration,
}

fn default_pool_size() -> usize {
    4
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_query_timeout() -> Duration {
    Duration::from_secs(2)
}
fn default_resync_interval() -> Duration {
    Duration::from_secs(30)
}

/// `intake config` shows where the database is, never its password.
fn redacted_url<S: Serializer>(url: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact(url.expose()))
}

/// The URL with any password replaced (URL form `user:pw@`, or `password=` in key=value form).
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                return format!("{scheme}://{user}:**REDACTED**@{host}");
            }
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|part| match part.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=**REDACTED**"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl PostgresKeyStoreConfig {
    pub fn new(url: &str) -> Self {
        Self {
            url: Secret::new(url),
            tls_ca_file: None,
            pool_size: default_pool_size(),
            connect_timeout: default_connect_timeout(),
            query_timeout: default_query_timeout(),
            resync_interval: default_resync_interval(),
        }
    }

    /// The driver's connection settings, with intake's timeouts and TCP keepalives (so a
    /// silently vanished server is noticed, not waited on).
    pub fn connection(&self) -> Result<tokio_postgres::Config, InvalidSetting> {
        let mut config = tokio_postgres::Config::from_str(self.url.expose())
            .map_err(|e| InvalidSetting::new("auth.postgres.url", e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.connect_timeout);
        }
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(15));
        config.keepalives_interval(Duration::from_secs(5));
        config.keepalives_retries(3);
        if config.get_application_name().is_none() {
            config.application_name("intake");
        }
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), InvalidSetting> {
        self.connection()?;
        if self.pool_size == 0 {
            return Err(InvalidSetting::new("auth.postgres.pool_size", "must be at least 1"));
        }
        if self.query_timeout.is_zero() {
            return Err(InvalidSetting::new(
                "auth.postgres.query_timeout",
                "must be greater than zero",
            ));
        }
        if self.resync_interval < Duration::from_millis(100) {
            return Err(InvalidSetting::new(
                "auth.postgres.resync_interval",
                "must be at least 100ms",
            ));
        }
        if let Some(ca) = &self.tls_ca_file {
            if !ca.is_file() {
                return Err(InvalidSetting::new(
                    "auth.postgres.tls_ca_file",
                    format!("{} is not a file", ca.display()),
                ));
            }
        }
        Ok(())
    }

    /// Where the database is, for logs and `intake key list` (no password).
    pub fn describe(&self) -> String {
        match self.connection() {
            Ok(config) => {
                let host = config
                    .get_hosts()
                    .first()
                    .map(|h| match h {
                        tokio_postgres::config::Host::Tcp(name) => name.clone(),
                        tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                    })
                    .unwrap_or_default();
                let port = config.get_ports().first().copied().unwrap_or(5432);
                format!("postgres {}@{host}:{port}", config.get_dbname().unwrap_or("postgres"))
            }
            Err(_) => "postgres (invalid url)".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_leave_the_config() {
        assert_eq!(
            redact("postgres://intake:hunter2@db:5432/keys?sslmode=require"),
            "postgres://intake:**REDACTED**@db:5432/keys?sslmode=require"
        );
        assert_eq!(redact("postgres://db/keys"), "postgres://db/keys");
        assert_eq!(
            redact("host=db user=intake password=hunter2"),
            "host=db user=intake password=**REDACTED**"
        );
        let config = PostgresKeyStoreConfig::new("postgres://intake:hunter2@db:6543/keys");
        let text = toml::to_string(&config).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(config.describe(), "postgres keys@db:6543");
    }

    #[test]
    fn a_bad_url_names_the_field() {
        let err = PostgresKeyStoreConfig::new("postgres://db/keys?sslmode=sometimes")
            .validate()
            .unwrap_err();
        assert_eq!(err.field, "auth.postgres.url");
    }
}
