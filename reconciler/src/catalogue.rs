//! The price catalogue: effective-dated prices per provider, model, tier and token kind, and
//! what a count of tokens costs at them — exactly, or `None` (unpriced), never a guess.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::{Error, Provider, TokenCounts, TokenKind, Usd, UtcDay};

/// The service tier a price applies to; usage with no stated tier is `Standard`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Standard,
    Batch,
    Priority,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Standard, Tier::Batch, Tier::Priority];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "standard",
            Tier::Batch => "batch",
            Tier::Priority => "priority",
        }
    }

    pub fn parse(text: &str) -> Result<Tier, Error> {
        Tier::ALL
            .into_iter()
            .find(|tier| tier.as_str() == text)
            .ok_or_else(|| {
                Error::Catalogue(format!(
                    "unknown tier `{text}`; use standard, batch or priority"
                ))
            })
    }
}

/// The billable token kinds in the order prices are held.
const KINDS: [TokenKind; 5] = [
    TokenKind::Input,
    TokenKind::CacheRead,
    TokenKind::CacheWrite5m,
    TokenKind::CacheWrite1h,
    TokenKind::Output,
];

/// One price: USD per million tokens of each kind (`None`: no price for that kind), from a day on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Price {
    pub provider: Provider,
    pub model: String,
    pub tier: Tier,
    pub effective_from: UtcDay,
    pub per_million: [Option<Decimal>; 5],
    /// `catalogue` for the built-in list prices, `override` for an admin's entry.
    pub origin: &'static str,
}

impl Price {
    /// The price per million tokens of `kind` (reasoning is priced as the output it is part of).
    pub fn per_million(&self, kind: TokenKind) -> Option<Decimal> {
        KINDS
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| self.per_million[i])
    }

    /// What `tokens` cost at this price; `None` when a kind with tokens has no price.
    pub fn cost(&self, tokens: &TokenCounts) -> Option<Usd> {
        let (micros, without_rate) = self.split_cost_micros(tokens)?;
        if without_rate > 0 {
            return None;
        }
        let dollars = micros
            .unwrap_or(Decimal::ZERO)
            .checked_div(Decimal::from(1_000_000))?;
        Usd::from_decimal(dollars).ok()
    }

    /// `tokens` split by whether this price has a rate for their kind: what the kinds with a
    /// rate cost in millionths of a dollar (`None` when none of them has tokens), and how many
    /// tokens are of kinds without one. Kind by kind, so rows summed first split exactly as
    /// the rows one by one do. `None` only when the arithmetic overflows.
    pub fn split_cost_micros(&self, tokens: &TokenCounts) -> Option<(Option<Decimal>, u64)> {
        let (mut micros, mut unpriced) = (None, 0u64);
        for (kind, price) in KINDS.iter().zip(self.per_million) {
            let count = tokens.get(*kind);
            if count == 0 {
                continue;
            }
            match price {
                Some(price) => {
                    let part = Decimal::from(count).checked_mul(price)?;
                    micros = Some(micros.unwrap_or(Decimal::ZERO).checked_add(part)?);
                }
                None => unpriced = unpriced.checked_add(count)?,
            }
        }
        Some((micros, unpriced))
    }
}

type Key = (Provider, String, Tier);

/// Prices by (provider, model, tier), each list ordered by effective day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    prices: BTreeMap<Key, Vec<Price>>,
    /// Other names of a model, per provider: alias → model.
    aliases: BTreeMap<(Provider, String), String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    price: Vec<Entry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    provider: String,
    model: String,
    #[serde(default)]
    aliases: Vec<String>,
    tier: String,
    effective_from: String,
    input: Option<String>,
    cache_read: Option<String>,
    cache_write_5m: Option<String>,
    cache_write_1h: Option<String>,
    output: Option<String>,
}

/// The catalogue shipped with reckon.
pub const BUILT_IN: &str = include_str!("../prices.toml");

impl Catalogue {
    /// The built-in list prices.
    pub fn built_in() -> Catalogue {
        #[allow(
            clippy::expect_used,
            reason = "the shipped file is checked by a unit test"
        )]
        Catalogue::parse(BUILT_IN).expect("the built-in price catalogue parses")
    }

    /// A catalogue from its TOML text (see `prices.toml` for the format).
    pub fn parse(text: &str) -> Result<Catalogue, Error> {
        let file: File = toml::from_str(text)
            .map_err(|e| Error::Catalogue(format!("price catalogue: {}", e.message())))?;
        let mut catalogue = Catalogue::default();
        for entry in file.price {
            let what = format!("price of {} {}", entry.provider, entry.model);
            let amount = |text: &Option<String>| -> Result<Option<Decimal>, Error> {
                text.as_deref()
                    .map(|t| {
                        t.parse::<Decimal>()
                            .ok()
                            .filter(|d| !d.is_sign_negative())
                            .ok_or_else(|| {
                                Error::Catalogue(format!("{what}: `{t}` is not a price"))
                            })
                    })
                    .transpose()
            };
            let provider = Provider::parse(&entry.provider)?;
            for alias in &entry.aliases {
                catalogue
                    .aliases
                    .insert((provider.clone(), alias.clone()), entry.model.clone());
            }
            catalogue.insert(Price {
                provider,
                model: entry.model.clone(),
                tier: Tier::parse(&entry.tier)?,
                effective_from: UtcDay::parse(&entry.effective_from)?,
                per_million: [
                    amount(&entry.input)?,
                    amount(&entry.cache_read)?,
                    amount(&entry.cache_write_5m)?,
                    amount(&entry.cache_write_1h)?,
                    amount(&entry.output)?,
                ],
                origin: "catalogue",
            });
        }
        Ok(catalogue)
    }

    /// Adds a price; one with the same provider, model, tier and day replaces it (an admin's
    /// override of a list price).
    pub fn insert(&mut self, price: Price) {
        let key = (price.provider.clone(), price.model.clone(), price.tier);
        let list = self.prices.entry(key).or_default();
        match list.binary_search_by_key(&price.effective_from, |p| p.effective_from) {
            Ok(at) => list[at] = price,
            Err(at) => list.insert(at, price),
        }
    }

    /// The model a name stands for (an alias resolved; any other name as it is).
    pub fn model_name<'a>(&'a self, provider: &Provider, model: &'a str) -> &'a str {
        self.aliases
            .get(&(provider.clone(), model.to_owned()))
            .map_or(model, String::as_str)
    }

    /// The price in effect on `day`, if any.
    pub fn price(
        &self,
        provider: &Provider,
        model: &str,
        tier: Tier,
        day: UtcDay,
    ) -> Option<&Price> {
        let model = self.model_name(provider, model);
        self.prices
            .get(&(provider.clone(), model.to_owned(), tier))?
            .iter()
            .rev()
            .find(|price| price.effective_from <= day)
    }

    /// What `tokens` of `model` on `day` cost at the catalogue's price; `None` = unpriced.
    pub fn cost(
        &self,
        provider: &Provider,
        model: &str,
        tier: Tier,
        day: UtcDay,
        tokens: &TokenCounts,
    ) -> Option<Usd> {
        self.price(provider, model, tier, day)?.cost(tokens)
    }

    /// Whether any price takes effect on a day after `first` up to `last`: when none does,
    /// every model has one price (or none) over `first..=last`.
    pub fn changes_within(&self, first: UtcDay, last: UtcDay) -> bool {
        self.prices()
            .any(|price| price.effective_from > first && price.effective_from <= last)
    }

    /// Every price, ordered by provider, model, tier and day.
    pub fn prices(&self) -> impl Iterator<Item = &Price> {
        self.prices.values().flatten()
    }
}

#[cfg(test)]
mod tests;
