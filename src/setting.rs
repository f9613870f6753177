//! The error a component's config check returns: which setting is wrong and why. Each
//! component validates its own section; the file-wide config (`app::config`) wraps it.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("config field `{field}`: {message}")]
pub struct InvalidSetting {
    pub field: String,
    pub message: String,
}

impl InvalidSetting {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        InvalidSetting {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
