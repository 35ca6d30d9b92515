//! `reckon telemetry-keys`: the keys developers' OTLP exporters authenticate with. `create`
//! prints only the key on standard output, so it can be piped into a setup script.
#![allow(
    clippy::print_stdout,
    reason = "printing the key is the command's output"
)]

use clap::Subcommand;

use super::accounts::{organization, time};
use crate::Error;
use crate::accounts::{self, Acting};
use crate::storage::Storage;

#[derive(Subcommand, Debug)]
pub enum TelemetryKeysCommand {
    /// Create a telemetry key; prints the key once on standard output.
    Create {
        /// What the key is for, e.g. "engineering laptops"
        #[arg(long)]
        name: String,
        /// The organisation's slug [default: default]
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// List an organisation's telemetry keys (prefix, created, last used, revoked).
    List {
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// Revoke a telemetry key by id; exports with it are refused from the next one on.
    Revoke {
        id: i64,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
}

pub async fn telemetry_keys(
    storage: &dyn Storage,
    command: TelemetryKeysCommand,
) -> Result<(), Error> {
    match command {
        TelemetryKeysCommand::Create { name, org } => {
            let org = organization(storage, org.as_deref()).await?;
            let (key, secret) =
                accounts::create_telemetry_key(storage, org.id, &name, &Acting::cli()).await?;
            eprintln!(
                "created telemetry key {} ({}…) in {}; shown once:",
                key.id, key.prefix, org.slug
            );
            println!("{secret}");
        }
        TelemetryKeysCommand::List { org } => {
            let org = organization(storage, org.as_deref()).await?;
            println!(
                "{:<6} {:<14} {:<24} {:<26} {:<26} revoked",
                "id", "prefix", "name", "created", "last used"
            );
            for key in storage.telemetry_keys(org.id).await? {
                println!(
                    "{:<6} {:<14} {:<24} {:<26} {:<26} {}",
                    key.id,
                    format!("{}…", key.prefix),
                    key.name,
                    time(Some(key.created_at_ms)),
                    time(key.last_used_at_ms),
                    time(key.revoked_at_ms)
                );
            }
        }
        TelemetryKeysCommand::Revoke { id, org } => {
            let org = organization(storage, org.as_deref()).await?;
            let key = accounts::revoke_telemetry_key(storage, org.id, id, &Acting::cli()).await?;
            eprintln!("revoked telemetry key {} ({}…)", key.id, key.prefix);
        }
    }
    Ok(())
}
