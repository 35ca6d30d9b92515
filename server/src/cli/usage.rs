//! `reckon usage rebuild-rollups`: recompute the daily usage rollups of a range of days from
//! the stored events (a repair; the events are the record, rollups are derived from them).
#![allow(clippy::print_stdout, reason = "the outcome is the command's output")]

use clap::Subcommand;
use reconciler::UtcDay;

use super::accounts::organization;
use crate::Error;
use crate::storage::Storage;

#[derive(Subcommand, Debug)]
pub enum UsageCommand {
    /// Replace the rollups of the UTC days FROM..=TO with sums of their stored events.
    #[command(name = "rebuild-rollups")]
    RebuildRollups {
        /// The first UTC day (YYYY-MM-DD)
        #[arg(long, value_name = "DAY")]
        from: String,
        /// The last UTC day (YYYY-MM-DD)
        #[arg(long, value_name = "DAY")]
        to: String,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
}

pub async fn usage(storage: &dyn Storage, command: UsageCommand) -> Result<(), Error> {
    match command {
        UsageCommand::RebuildRollups { from, to, org } => {
            let day = |text: &str, flag: &str| {
                UtcDay::parse(text).map_err(|e| {
                    Error::Invalid(format!("--{flag} `{text}`: {e}; write YYYY-MM-DD"))
                })
            };
            let (from, to) = (day(&from, "from")?, day(&to, "to")?);
            if from > to {
                return Err(Error::Invalid(format!("--from {from} is after --to {to}")));
            }
            let org = organization(storage, org.as_deref()).await?;
            let started = std::time::Instant::now();
            let rebuilt = storage.rebuild_rollups(org.id, from, to).await?;
            tracing::info!(org = %org.slug, %from, %to, removed = rebuilt.removed, written = rebuilt.written, "rebuilt usage rollups");
            println!(
                "rebuilt the rollups of {from}..={to} in {}: {} rows replaced by {} ({} ms)",
                org.slug,
                rebuilt.removed,
                rebuilt.written,
                started.elapsed().as_millis()
            );
            Ok(())
        }
    }
}
