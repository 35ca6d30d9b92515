//! Both sides gathered per (provider, month) and (day, model): billed amounts and tokens,
//! observed reported and estimated dollars, and the tokens no price covers.

use std::collections::{BTreeMap, HashMap};

use super::{BilledLine, Cell, ObservedLine};
use crate::{Catalogue, Month, Provider, Tier, TokenCounts, Usd, UtcDay};

pub(super) type Cells = BTreeMap<(UtcDay, String), Cell>;
pub(super) type Gathered = BTreeMap<(Month, Provider), Cells>;

/// Amounts beyond reckon's range (±9.2 billion USD) saturate rather than wrap; no real bill
/// comes near.
pub(super) fn add_usd(a: Usd, b: Usd) -> Usd {
    a.checked_add(b).unwrap_or(if b > Usd::ZERO {
        Usd::from_nanos(i64::MAX)
    } else {
        Usd::from_nanos(i64::MIN)
    })
}

pub(super) fn sub_usd(a: Usd, b: Usd) -> Usd {
    a.checked_sub(b).unwrap_or(if b > Usd::ZERO {
        Usd::from_nanos(i64::MIN)
    } else {
        Usd::from_nanos(i64::MAX)
    })
}

/// The billable token count (reasoning is inside output).
pub(super) fn billable(tokens: &TokenCounts) -> u64 {
    tokens.total().unwrap_or(u64::MAX)
}

fn cell<'a>(
    gathered: &'a mut Gathered,
    catalogue: &Catalogue,
    provider: &Provider,
    day: UtcDay,
    model: &str,
) -> &'a mut Cell {
    let model = catalogue.model_name(provider, model).to_owned();
    gathered
        .entry((day.month(), provider.clone()))
        .or_default()
        .entry((day, model))
        .or_default()
}

/// A line's place before model names are resolved: borrowed from the input, so summing a
/// million lines allocates nothing.
type RawKey<'a> = (&'a Provider, UtcDay, &'a str);

/// A multiply-rotate hash for the summing maps: their keys are a few providers, days and model
/// names, and SipHash's resistance to chosen keys cost a third of the engine's time. A month
/// holds at most some thousands of distinct keys, so even chosen collisions stay cheap.
#[derive(Default)]
struct QuickHasher(u64);

impl QuickHasher {
    fn add(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for QuickHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Sums<'a, T> = HashMap<RawKey<'a>, T, std::hash::BuildHasherDefault<QuickHasher>>;

#[derive(Default)]
struct BilledSum {
    amount: Option<Usd>,
    tokens: TokenCounts,
    priority_tokens: u64,
}

#[derive(Default)]
struct ObservedSum {
    tokens: TokenCounts,
    reported: Usd,
    /// Tokens of lines without the tool's own cost: priced from the catalogue, once per cell.
    unreported: TokenCounts,
}

pub(super) fn gather(
    billed: &[BilledLine],
    observed: &[ObservedLine],
    catalogue: &Catalogue,
    months: &[Month],
) -> Gathered {
    // Sum first, per raw (provider, day, model), then resolve names and prices once per sum.
    let mut billed_sums: Sums<'_, BilledSum> = Sums::default();
    for line in billed.iter().filter(|l| months.contains(&l.day.month())) {
        let sum = billed_sums
            .entry((&line.provider, line.day, line.model.as_str()))
            .or_default();
        if let Some(amount) = line.amount {
            sum.amount = Some(add_usd(sum.amount.unwrap_or(Usd::ZERO), amount));
        }
        sum.tokens = sum.tokens.saturating_add(&line.tokens);
        if line.tier == Tier::Priority {
            sum.priority_tokens = sum.priority_tokens.saturating_add(billable(&line.tokens));
        }
    }
    let mut observed_sums: Sums<'_, ObservedSum> = Sums::default();
    for line in observed.iter().filter(|l| months.contains(&l.day.month())) {
        let sum = observed_sums
            .entry((&line.provider, line.day, line.model.as_str()))
            .or_default();
        sum.tokens = sum.tokens.saturating_add(&line.tokens);
        match line.reported {
            Some(reported) => sum.reported = add_usd(sum.reported, reported),
            None => sum.unreported = sum.unreported.saturating_add(&line.tokens),
        }
    }
    let mut gathered = Gathered::new();
    for ((provider, day, model), sum) in billed_sums {
        let cell = cell(&mut gathered, catalogue, provider, day, model);
        if let Some(amount) = sum.amount {
            cell.billed = Some(add_usd(cell.billed.unwrap_or(Usd::ZERO), amount));
        }
        cell.billed_tokens = cell.billed_tokens.saturating_add(&sum.tokens);
        cell.priority_tokens = cell.priority_tokens.saturating_add(sum.priority_tokens);
    }
    for ((provider, day, model), sum) in observed_sums {
        let estimate = (sum.unreported != TokenCounts::default())
            .then(|| catalogue.cost(provider, model, Tier::Standard, day, &sum.unreported));
        let cell = cell(&mut gathered, catalogue, provider, day, model);
        cell.observed_tokens = cell.observed_tokens.saturating_add(&sum.tokens);
        cell.observed_reported = add_usd(cell.observed_reported, sum.reported);
        match estimate {
            Some(Some(estimated)) => {
                cell.observed_estimated = add_usd(cell.observed_estimated, estimated);
            }
            Some(None) => {
                cell.unpriced_tokens = cell
                    .unpriced_tokens
                    .saturating_add(billable(&sum.unreported));
            }
            None => {}
        }
    }
    gathered
}
