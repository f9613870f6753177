//! The one config file (TOML) plus `INTAKE_*` environment overrides, validated at start
//! with errors that name the field. Each component owns its section's struct; this file
//! only assembles them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::env::apply_env_overrides;

use crate::auth::AuthConfig;
use crate::limits::{LimitsConfig, RateLimitsConfig};
use crate::server::ServerConfig;
use crate::setting::InvalidSetting;
use crate::sink::file::FileSinkConfig;
use crate::sink::kafka::KafkaSinkConfig;
use crate::template::TemplatesConfig;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("environment override {0}")]
    Env(String),
    #[error("config field `{field}`: {message}")]
    Field { field: String, message: String },
}

impl From<InvalidSetting> for ConfigError {
    fn from(invalid: InvalidSetting) -> Self {
        ConfigError::Field {
            field: invalid.field,
            message: invalid.message,
        }
    }
}

impl ConfigError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ConfigError::Field {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeConfig {
    /// Where the embedded defaults keep their files (dev key store, pepper, file sink).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    /// Present (with `brokers`) = publish to Kafka; absent = the file sink.
    #[serde(default)]
    pub kafka: Option<KafkaSinkConfig>,
    #[serde(default)]
    pub file_sink: FileSinkConfig,
    #[serde(default)]
    pub templates: TemplatesConfig,
    #[serde(default)]
    pub rate_limits: RateLimitsConfig,
    #[serde(default)]
    pub log: LogConfig,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("intake-data")
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            server: ServerConfig::default(),
            limits: LimitsConfig::default(),
            auth: AuthConfig::default(),
            kafka: None,
            file_sink: FileSinkConfig::default(),
            templates: TemplatesConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            log: LogConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    #[serde(default)]
    pub format: LogFormat,
    /// A tracing filter (`info`, `intake=debug`); `RUST_LOG` wins when set.
    #[serde(default = "default_log_level")]
    pub level: String,
}

fn default_log_level() -> String {
    "info".to_owned()
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::default(),
            level: default_log_level(),
        }
    }
}

impl IntakeConfig {
    /// Reads `path` (when given), applies `INTAKE_*` variables from `vars`, deserializes
    /// and validates.
    pub fn load(
        path: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<IntakeConfig, ConfigError> {
        let mut table = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str::<toml::Table>(&text).map_err(|e| ConfigError::Syntax {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        apply_env_overrides(&mut table, vars).map_err(ConfigError::Env)?;
        let config: IntakeConfig = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let field = e.path().to_string();
            ConfigError::Field {
                field,
                message: e.into_inner().to_string(),
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server.validate()?;
        self.limits.validate()?;
        self.auth.validate()?;
        let has_pepper = self.auth.pepper.as_ref().is_some_and(|p| !p.is_empty());
        if self.auth.postgres.is_some() && !has_pepper {
            // A pepper generated per box would make a key minted on one replica fail on
            // every other.
            return Err(ConfigError::field(
                "auth.pepper",
                "must be set when keys live in Postgres: every replica must hash with the same pepper",
            ));
        }
        if let Some(kafka) = &self.kafka {
            kafka.validate()?;
            // Otherwise a slow delivery is cut off while its records are still queued: the
            // client retries and the spans arrive twice.
            if self.server.request_timeout <= kafka.delivery_timeout {
                return Err(ConfigError::field(
                    "server.request_timeout",
                    "must be longer than kafka.delivery_timeout",
                ));
            }
        }
        Ok(())
    }

    pub fn key_file_path(&self) -> PathBuf {
        self.auth
            .file
            .path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys.toml"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_the_embedded_defaults() {
        let config = IntakeConfig::load(None, Vec::new()).unwrap();
        assert!(config.kafka.is_none());
        assert_eq!(config.server.grpc_listen.port(), 4317);
        assert_eq!(config.server.http_listen.port(), 4318);
        assert_eq!(config.limits.max_decompressed_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn env_overrides_the_file_and_errors_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("intake.toml");
        std::fs::write(&path, "[kafka]\nbrokers = \"a:9092\"\ntopic = \"t\"\n").unwrap();
        let config = IntakeConfig::load(Some(&path), vec![("INTAKE_KAFKA__TOPIC".into(), "spans".into())]).unwrap();
        assert_eq!(config.kafka.unwrap().topic, "spans");

        let err = IntakeConfig::load(
            Some(&path),
            vec![("INTAKE_KAFKA__MAX_MESSAGE_BYTES".into(), "lots".into())],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("kafka.max_message_bytes"), "{err}");

        let err = IntakeConfig::load(None, vec![("INTAKE_SERVER__NOPE".into(), "1".into())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");

        let err =
            IntakeConfig::load(None, vec![("INTAKE_AUTH__CACHE__POSITIVE_TTL".into(), "soon".into())]).unwrap_err();
        assert!(err.to_string().contains("auth.cache.positive_ttl"), "{err}");

        let err = IntakeConfig::load(
            Some(&path),
            vec![
                ("INTAKE_SERVER__REQUEST_TIMEOUT".into(), "5s".into()),
                ("INTAKE_KAFKA__DELIVERY_TIMEOUT".into(), "10s".into()),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("server.request_timeout"), "{err}");
        let err = IntakeConfig::load(
            None,
            vec![("INTAKE_SERVER__TRUSTED_PROXIES".into(), "[\"10.0.0.0/33\"]".into())],
        )
        .unwrap_err();
        assert!(err.to_string().contains("server.trusted_proxies"), "{err}");
    }

    #[test]
    fn postgres_is_selected_by_its_url_and_needs_a_shared_pepper() {
        let url = (
            "INTAKE_AUTH__POSTGRES__URL".to_owned(),
            "postgres://intake:pw@db/keys".to_owned(),
        );
        let err = IntakeConfig::load(None, vec![url.clone()]).unwrap_err();
        assert!(err.to_string().contains("auth.pepper"), "{err}");
        let config = IntakeConfig::load(
            None,
            vec![
                url.clone(),
                ("INTAKE_AUTH__PEPPER".into(), "shared".into()),
                ("INTAKE_AUTH__POSTGRES__POOL_SIZE".into(), "8".into()),
            ],
        )
        .unwrap();
        let postgres = config.auth.postgres.as_ref().unwrap();
        assert_eq!(postgres.pool_size, 8);
        let printed = toml::to_string_pretty(&config).unwrap();
        assert!(printed.contains("postgres://intake:**REDACTED**@db/keys"), "{printed}");
        assert!(!printed.contains(":pw@"), "{printed}");
        let err = IntakeConfig::load(
            None,
            vec![
                url,
                ("INTAKE_AUTH__PEPPER".into(), "shared".into()),
                ("INTAKE_AUTH__POSTGRES__POOL_SIZE".into(), "0".into()),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("auth.postgres.pool_size"), "{err}");
    }
}
