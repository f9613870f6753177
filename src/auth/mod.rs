//! Keys: credential parsing, key records, hashing, the cache, the stores the cache loads
//! from (file, Postgres), the record of each key's last use, and key management.

mod authenticator;
mod cache;
mod credential;
mod error;
mod hasher;
mod key;
mod management;
mod new_key;
pub mod source;
mod usage;

pub use authenticator::{AuthConfig, Authenticator, KeyLookup, Role};
pub use cache::{KeyCache, KeyCacheConfig};
pub use credential::{parse_token, Credential, KeyPrefix};
pub use error::AuthError;
pub use hasher::{KeyHasher, MintedKey};
pub use key::{
    format_time, parse_time, KeyEntry, KeyKind, KeyRecord, KeyStatus, SecretHash, INGEST_PERMISSION, MANAGE_PERMISSION,
};
pub use management::{CreatedKey, KeyAdmin, ManageError, Scope};
pub use new_key::{new_key_id, NewKey, NewKeyRole};
pub use usage::UsageRecorder;
