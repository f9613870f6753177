//! `intake key new | list | show | revoke | rotate`: key management from the shell, over
//! whichever store is configured (the key file, or the fleet's Postgres). Output is for
//! people, or JSON with `--json`; a secret or hash is never printed, a token only once.

use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use thiserror::Error;

use super::client_setup::{setup_text, ClientKind};
use super::config::IntakeConfig;
use super::embedded::{exporter_env_lines, resolve_pepper};
use super::key_store::{open_for_cli, template_check, KeyStoreError};
use crate::auth::source::{KeyFilter, KeyInfo};
use crate::auth::{format_time, CreatedKey, KeyAdmin, KeyHasher, ManageError, NewKey, NewKeyRole, Scope};
use crate::template::{TemplateCatalog, TemplateError};

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Mint a key: prints the token once, stores only its hash.
    New(NewKeyArgs),
    /// List keys (never a secret or hash).
    List(ListArgs),
    /// Show one key.
    Show(IdArgs),
    /// Revoke a key: it stops working on every replica within seconds, for good.
    Revoke(IdArgs),
    /// Replace a key's token; the old one keeps working for the grace period.
    Rotate(RotateArgs),
}

#[derive(Args)]
pub struct NewKeyArgs {
    /// The project the key may write to (an ingestion key).
    #[arg(long, required_unless_present = "manage", conflicts_with = "manage")]
    project: Option<String>,
    /// The organization (required with --manage).
    #[arg(long, default_value = "", required_if_eq("manage", "true"))]
    organization: String,
    /// A management key (organization:manage) for the key API, instead of an ingestion key.
    #[arg(long)]
    manage: bool,
    /// A label for people.
    #[arg(long, default_value = "")]
    name: String,
    /// What sends with this key (claude_code, python_sdk, ...).
    #[arg(long, default_value = "otel")]
    source: String,
    /// IngestionTemplate slug (or slug@version) applied to this key's requests.
    #[arg(long)]
    template: Option<String>,
    /// Make it a personal key: usage is attributed to this principal.
    #[arg(long)]
    principal: Option<String>,
    /// Expire the key after this long (e.g. 90d, 12h).
    #[arg(long, value_parser = humantime::parse_duration)]
    expires_in: Option<Duration>,
    /// A note stored with the key.
    #[arg(long)]
    description: Option<String>,
    /// Print what to paste into this client instead of the bare token.
    #[arg(long = "for", value_enum)]
    client: Option<ClientKind>,
    /// The OTLP/HTTP URL clients reach intake at (default: server.public_url, else localhost).
    #[arg(long)]
    endpoint: Option<String>,
    /// Print JSON (with the token) for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long)]
    organization: Option<String>,
    #[arg(long)]
    project: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct IdArgs {
    /// The key id (`key_…`, as `list` shows it).
    id: String,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct RotateArgs {
    id: String,
    /// How long the old token keeps working (default auth.rotation_grace).
    #[arg(long, value_parser = humantime::parse_duration)]
    grace: Option<Duration>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Error)]
pub enum KeyCliError {
    #[error("pepper: {0}")]
    Pepper(std::io::Error),
    #[error("templates: {0}")]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    Store(#[from] KeyStoreError),
    #[error(transparent)]
    Manage(#[from] ManageError),
    #[error("{0}")]
    Runtime(std::io::Error),
}

/// Runs a `key` subcommand to completion.
pub fn run(config: &IntakeConfig, command: KeyCommand) -> Result<(), KeyCliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(KeyCliError::Runtime)?;
    runtime.block_on(execute(config, command))
}

async fn execute(config: &IntakeConfig, command: KeyCommand) -> Result<(), KeyCliError> {
    let (pepper, _) = resolve_pepper(config.auth.pepper.as_ref(), &config.data_dir).map_err(KeyCliError::Pepper)?;
    let catalog = std::sync::Arc::new(TemplateCatalog::load(&config.templates)?);
    let check = template_check(&catalog);
    let store = open_for_cli(config, std::sync::Arc::clone(&check)).await?;
    let where_ = store.describe();
    let admin = KeyAdmin::new(store, KeyHasher::new(pepper), Some(check), config.auth.rotation_grace);
    match command {
        KeyCommand::New(args) => {
            let endpoint = args.endpoint.clone().unwrap_or_else(|| config.server.client_endpoint());
            let created = admin.create(Scope::Operator, new_key(&args)).await?;
            print_created(&created, &args, &endpoint, &where_);
        }
        KeyCommand::List(args) => {
            let filter = KeyFilter {
                organization_id: args.organization,
                project_id: args.project,
            };
            let keys = admin.list(Scope::Operator, filter).await?;
            if args.json {
                println!("{}", json_lines(&keys));
            } else {
                print!("{}", key_table(&keys));
            }
        }
        KeyCommand::Show(args) => print_key(&admin.get(Scope::Operator, &args.id).await?, args.json),
        KeyCommand::Revoke(args) => {
            let key = admin.revoke(Scope::Operator, &args.id).await?;
            if !args.json {
                eprintln!("Revoked {} in {where_}.", key.record.id);
            }
            print_key(&key, args.json);
        }
        KeyCommand::Rotate(args) => {
            let (old, created) = admin.rotate(Scope::Operator, &args.id, args.grace, "cli").await?;
            if args.json {
                let mut value = key_json(&created.key);
                value["token"] = created.token.expose().into();
                value["previous"] = key_json(&old);
                println!("{value}");
            } else {
                let until = old.record.expires_at.map(format_time).unwrap_or_default();
                eprintln!(
                    "Rotated {} → {} in {where_}; the old token works until {until}. The new token is shown once:",
                    old.record.id, created.key.record.id
                );
                println!("{}", created.token.expose());
            }
        }
    }
    Ok(())
}

fn new_key(args: &NewKeyArgs) -> NewKey {
    let mut key = if args.manage {
        NewKey::manage(&args.organization)
    } else {
        NewKey::ingest(args.project.as_deref().unwrap_or_default(), &args.organization)
    };
    key.name.clone_from(&args.name);
    if key.role != NewKeyRole::Manage {
        key.source.clone_from(&args.source);
    }
    key.template.clone_from(&args.template);
    key.principal_id.clone_from(&args.principal);
    key.description.clone_from(&args.description);
    key.expires_at = args.expires_in.map(|d| SystemTime::now() + d);
    key.created_by = Some("cli".to_owned());
    key
}

fn print_created(created: &CreatedKey, args: &NewKeyArgs, endpoint: &str, where_: &str) {
    let token = created.token.expose();
    if args.json {
        let mut value = key_json(&created.key);
        value["token"] = token.into();
        println!("{value}");
        return;
    }
    eprintln!(
        "Stored key {} (hash only) in {where_}. The token is shown once:",
        created.key.record.id
    );
    match args.client {
        Some(client) => print!("{}", setup_text(client, endpoint, token)),
        None if args.manage => println!("{token}"),
        None => {
            println!("{token}");
            eprintln!("\n{}", exporter_env_lines(endpoint, &created.token));
        }
    }
}

fn print_key(key: &KeyInfo, json: bool) {
    if json {
        println!("{}", key_json(key));
    } else {
        print!("{}", key_table(std::slice::from_ref(key)));
    }
}

fn key_json(key: &KeyInfo) -> serde_json::Value {
    serde_json::to_value(crate::server::KeyView::new(key)).unwrap_or_default()
}

fn json_lines(keys: &[KeyInfo]) -> String {
    serde_json::Value::Array(keys.iter().map(key_json).collect()).to_string()
}

/// One line per key: what an operator needs to tell keys apart, never a secret.
pub fn key_table(keys: &[KeyInfo]) -> String {
    let time = |t: Option<SystemTime>| t.map_or_else(|| "-".to_owned(), format_time);
    let text = |t: &Option<String>| t.clone().unwrap_or_else(|| "-".to_owned());
    let or_dash = |s: &str| if s.is_empty() { "-".to_owned() } else { s.to_owned() };
    let mut rows = vec![[
        "ID",
        "NAME",
        "STATUS",
        "PROJECT",
        "ORGANIZATION",
        "SOURCE",
        "TEMPLATE",
        "PRINCIPAL",
        "CREATED",
        "EXPIRES",
        "REVOKED",
        "LAST USED",
    ]
    .map(str::to_owned)];
    let now = SystemTime::now();
    for key in keys {
        let r = &key.record;
        rows.push([
            r.id.clone(),
            or_dash(&r.name),
            r.status_at(now).name().to_owned(),
            or_dash(&r.project_id),
            or_dash(&r.organization_id),
            or_dash(&r.source),
            text(&r.template),
            text(&r.principal_id),
            time(r.created_at),
            time(r.expires_at),
            time(r.revoked_at),
            time(key.last_used_at),
        ]);
    }
    let widths: Vec<usize> = (0..12)
        .map(|c| rows.iter().map(|row| row[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
