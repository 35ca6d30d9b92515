//! `reckon providers` (usage providers: list, add, test, sync, remove) and
//! `reckon rotate-master-key`. Credentials are read from standard input, never from flags,
//! which would show them in the process list and the shell history.
#![allow(
    clippy::print_stdout,
    reason = "listings and the rotated key are the commands' output"
)]

use std::io::Read;
use std::sync::Arc;

use clap::Subcommand;

use super::accounts::{organization, time};
use crate::Error;
use crate::accounts::Acting;
use crate::config::Config;
use crate::integrations::{CredentialFields, Integrations};
use crate::storage::{self, Storage, StorageError, SyncRun};
use crate::vault::{self, KeySource, MasterKey, Vault};

#[derive(Subcommand, Debug)]
pub enum ProvidersCommand {
    /// List the organisation's usage providers with their status.
    List {
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// Connect a usage provider: reads its credentials from standard input (a JSON object, or
    /// one `field=value` per line), runs the 24-hour test, and saves it only if that succeeds.
    Add {
        /// anthropic, openai, cursor, github_copilot, gemini, windsurf or demo
        #[arg(long)]
        kind: String,
        /// A name to recognise it by, e.g. "Anthropic production"
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// Test a provider: a sync of the last 24 hours; prints the outcome.
    Test {
        id: i64,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// Sync a provider now (the first sync backfills as far back as the provider serves).
    Sync {
        id: i64,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// Remove a provider: stops pulling and destroys its credentials; its billed lines stay
    /// (with --purge, the Demo provider's data is deleted instead).
    Remove {
        id: i64,
        /// Demo provider only: delete every row of its synthetic data.
        #[arg(long)]
        purge: bool,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
}

/// Credentials from standard input: a JSON object of fields, or `field=value` lines.
fn read_credentials() -> Result<CredentialFields, Error> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| Error::Stdin {
            what: "the credentials",
            source,
        })?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(CredentialFields::default());
    }
    if text.starts_with('{') {
        return serde_json::from_str(text).map_err(|e| {
            Error::Invalid(format!(
                "the credentials on standard input are not a JSON object of text fields: {e}"
            ))
        });
    }
    let mut fields = CredentialFields::default();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (field, value) = line.split_once('=').ok_or_else(|| {
            Error::Invalid(
                "write the credentials as `field=value` lines or a JSON object, e.g. admin_api_key=sk-ant-admin01-…"
                    .into(),
            )
        })?;
        fields
            .0
            .insert(field.trim().to_owned(), value.trim().to_owned());
    }
    Ok(fields)
}

fn print_run(run: &SyncRun) {
    match run.outcome.as_str() {
        "succeeded" => println!(
            "{} {}..{} succeeded: {} lines, {} requests",
            run.kind, run.range_from, run.range_to, run.lines, run.requests
        ),
        _ => println!(
            "{} {}..{} failed: {}",
            run.kind,
            run.range_from,
            run.range_to,
            run.message.as_deref().unwrap_or("no message")
        ),
    }
}

pub async fn providers(config: &Config, command: ProvidersCommand) -> Result<(), Error> {
    storage::prepare_data_dir(&config.data_dir)?;
    let store: Arc<dyn Storage> = storage::open_and_migrate(&config.database_url).await?;
    let result = run(config, store.clone(), command).await;
    store.close().await;
    result
}

async fn run(
    config: &Config,
    store: Arc<dyn Storage>,
    command: ProvidersCommand,
) -> Result<(), Error> {
    let (vault, _) = vault::load(
        config.providers.master_key.as_ref().map(|k| k.expose()),
        &config.data_dir,
    )?;
    let sink = crate::telemetry::StorageSink::start(store.clone()).map_err(Error::Runtime)?;
    let integrations = Integrations::new(
        store.clone(),
        vault,
        config.providers.clone(),
        Arc::new(sink),
    );
    match command {
        ProvidersCommand::List { org } => {
            let org = organization(store.as_ref(), org.as_deref()).await?;
            println!(
                "{:<5} {:<15} {:<24} {:<9} {:<12} {:<26} message",
                "id", "kind", "name", "status", "complete", "last success"
            );
            for p in integrations.list(org.id).await? {
                println!(
                    "{:<5} {:<15} {:<24} {:<9} {:<12} {:<26} {}",
                    p.id,
                    p.kind,
                    p.name,
                    p.status,
                    p.complete_through.as_deref().unwrap_or("-"),
                    time(p.last_success_at_ms),
                    p.status_message.as_deref().unwrap_or("")
                );
            }
        }
        ProvidersCommand::Add { kind, name, org } => {
            let org = organization(store.as_ref(), org.as_deref()).await?;
            let fields = read_credentials()?;
            let created = integrations
                .create(&Acting::cli(), org.id, &kind, &name, fields)
                .await?;
            eprintln!(
                "connected {} \"{}\" as usage provider {} in {}; the test passed",
                created.kind, created.name, created.id, org.slug
            );
            println!("{}", created.id);
        }
        ProvidersCommand::Test { id, org } => {
            let org = organization(store.as_ref(), org.as_deref()).await?;
            let run = integrations.test(org.id, id).await?;
            print_run(&run);
            if run.outcome != "succeeded" {
                return Err(Error::ProviderTestFailed(run.message.unwrap_or_default()));
            }
        }
        ProvidersCommand::Sync { id, org } => {
            let org = organization(store.as_ref(), org.as_deref()).await?;
            let run = integrations.sync(org.id, id).await?;
            print_run(&run);
        }
        ProvidersCommand::Remove { id, org, purge } => {
            let org = organization(store.as_ref(), org.as_deref()).await?;
            let removed = integrations
                .remove(&Acting::cli(), org.id, id, purge)
                .await?;
            if purge {
                eprintln!(
                    "removed usage provider {} ({}) and purged its demo data",
                    removed.id, removed.name
                );
            } else {
                eprintln!(
                    "removed usage provider {} ({}); its credentials are destroyed and its billed lines kept",
                    removed.id, removed.name
                );
            }
        }
    }
    Ok(())
}

/// Seals every stored credential under a new master key in one transaction. With a key file,
/// the file holds both keys while the credentials move, then the new one only; with
/// `RECKON_MASTER_KEY`, the new key is printed once for the operator to configure.
pub async fn rotate_master_key(config: &Config) -> Result<(), Error> {
    storage::prepare_data_dir(&config.data_dir)?;
    let configured = config.providers.master_key.as_ref().map(|k| k.expose());
    let (old_vault, source) = vault::load(configured, &config.data_dir)?;
    let old_key = match (&source, configured) {
        (_, Some(text)) => MasterKey::from_base64(text)?,
        (KeySource::File(path) | KeySource::CreatedFile(path), None) => current_key_in(path)?,
        (KeySource::Configured, None) => unreachable!("a configured source has a key"),
    };
    let new_key = MasterKey::generate()?;
    if let KeySource::File(path) | KeySource::CreatedFile(path) = &source {
        vault::rotate_key_file(path, &new_key, &old_key)?;
    }
    let new_vault = Vault::new(new_key.clone(), vec![]);
    let store = storage::open_and_migrate(&config.database_url).await?;
    let resealed = store
        .reseal_credentials(&|binding, sealed| {
            let opened = old_vault
                .open(sealed, binding)
                .map_err(|e| StorageError::Conflict(e.to_string()))?;
            new_vault
                .seal(&opened, binding)
                .map_err(|e| StorageError::Conflict(e.to_string()))
        })
        .await;
    store.close().await;
    let resealed = resealed?;
    match &source {
        KeySource::File(path) | KeySource::CreatedFile(path) => {
            vault::write_key_file(path, &[&new_key])?;
            eprintln!(
                "re-sealed {resealed} credential(s) under master key {}; {} now holds only that key — back it up again",
                new_key.id(),
                path.display()
            );
        }
        KeySource::Configured => {
            eprintln!(
                "re-sealed {resealed} credential(s) under master key {}; set RECKON_MASTER_KEY to the key below and restart every reckon process (shown once):",
                new_key.id()
            );
            println!("{}", new_key.to_base64());
        }
    }
    Ok(())
}

fn current_key_in(path: &std::path::Path) -> Result<MasterKey, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Vault(vault::VaultError::KeyFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    })?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    Ok(MasterKey::from_base64(line)?)
}
