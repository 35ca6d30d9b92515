//! `reckon prices`: the price catalogue an organisation prices estimates with (list), and
//! adding or overriding a price from a day on (set), as `POST /api/v1/prices` does.
#![allow(clippy::print_stdout, reason = "the listing is the command's output")]

use clap::Subcommand;
use reconciler::{Catalogue, Price, Provider, Tier, UtcDay};
use rust_decimal::Decimal;

use super::accounts::organization;
use crate::Error;
use crate::accounts::Acting;
use crate::spend::catalogue_for;
use crate::storage::Storage;

#[derive(Subcommand, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process from the command line"
)]
pub enum PricesCommand {
    /// List the prices (USD per million tokens) estimates are priced with.
    List {
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// Add or override a price from a UTC day on; every estimate follows it, past ones included.
    Set {
        #[arg(long)]
        provider: String,
        #[arg(long)]
        model: String,
        /// standard, batch or priority
        #[arg(long, default_value = "standard")]
        tier: String,
        /// The first UTC day the price applies to (YYYY-MM-DD)
        #[arg(long, value_name = "DAY")]
        from: String,
        #[arg(long, value_name = "USD")]
        input: Option<String>,
        #[arg(long, value_name = "USD")]
        cache_read: Option<String>,
        #[arg(long, value_name = "USD")]
        cache_write_5m: Option<String>,
        #[arg(long, value_name = "USD")]
        cache_write_1h: Option<String>,
        #[arg(long, value_name = "USD")]
        output: Option<String>,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
}

fn price(kind: &str, text: Option<&str>) -> Result<Option<Decimal>, Error> {
    text.map(|t| {
        t.trim()
            .parse::<Decimal>()
            .ok()
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "--{kind} `{t}` is not a price in USD per million tokens"
                ))
            })
    })
    .transpose()
}

pub async fn prices(storage: &dyn Storage, command: PricesCommand) -> Result<(), Error> {
    match command {
        PricesCommand::List { org } => {
            let org = organization(storage, org.as_deref()).await?;
            let catalogue = catalogue_for(storage, &Catalogue::built_in(), org.id).await?;
            println!(
                "{:<10} {:<28} {:<9} {:<11} {:>9} {:>10} {:>8} {:>8} {:>9} origin",
                "provider",
                "model",
                "tier",
                "from",
                "input",
                "cache_read",
                "write_5m",
                "write_1h",
                "output"
            );
            for p in catalogue.prices() {
                let show =
                    |d: Option<Decimal>| d.map_or("-".to_owned(), |d| d.normalize().to_string());
                println!(
                    "{:<10} {:<28} {:<9} {:<11} {:>9} {:>10} {:>8} {:>8} {:>9} {}",
                    p.provider.to_string(),
                    p.model,
                    p.tier.as_str(),
                    p.effective_from.to_string(),
                    show(p.per_million[0]),
                    show(p.per_million[1]),
                    show(p.per_million[2]),
                    show(p.per_million[3]),
                    show(p.per_million[4]),
                    p.origin
                );
            }
        }
        PricesCommand::Set {
            provider,
            model,
            tier,
            from,
            input,
            cache_read,
            cache_write_5m,
            cache_write_1h,
            output,
            org,
        } => {
            let org = organization(storage, org.as_deref()).await?;
            let invalid =
                |what: &str, e: reconciler::Error| Error::Invalid(format!("--{what}: {e}"));
            let per_million = [
                price("input", input.as_deref())?,
                price("cache-read", cache_read.as_deref())?,
                price("cache-write-5m", cache_write_5m.as_deref())?,
                price("cache-write-1h", cache_write_1h.as_deref())?,
                price("output", output.as_deref())?,
            ];
            if per_million.iter().all(Option::is_none) {
                return Err(Error::Invalid(
                    "give at least one price, e.g. --input 3".into(),
                ));
            }
            let price = Price {
                provider: Provider::parse(&provider).map_err(|e| invalid("provider", e))?,
                model: model.trim().to_owned(),
                tier: Tier::parse(&tier).map_err(|e| invalid("tier", e))?,
                effective_from: UtcDay::parse(&from).map_err(|e| invalid("from", e))?,
                per_million,
                origin: "override",
            };
            let audit = Acting::cli().entry(
                org.id,
                "price.set",
                format!(
                    "{} {} {} from {}",
                    price.provider,
                    price.model,
                    price.tier.as_str(),
                    price.effective_from
                ),
                serde_json::json!({}),
            );
            storage.set_price(org.id, &price, &audit).await?;
            eprintln!(
                "{} {} ({}) priced from {} in {}; estimates follow it",
                price.provider,
                price.model,
                price.tier.as_str(),
                price.effective_from,
                org.slug
            );
        }
    }
    Ok(())
}
