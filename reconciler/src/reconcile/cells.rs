//! Both sides gathered per (provider, month) and (day, model): billed amounts and tokens,
//! observed reported and estimated dollars, and the tokens no price covers.

use std::collections::BTreeMap;

use super::{BilledLine, Cell, ObservedLine};
use crate::{Catalogue, Month, Provider, Tier, TokenCounts, Usd, UtcDay};

pub(super) type Cells = BTreeMap<(UtcDay, String), Cell>;
pub(super) type Gathered = BTreeMap<(Month, Provider), Cells>;

pub(super) fn add_tokens(a: &TokenCounts, b: &TokenCounts) -> TokenCounts {
    TokenCounts {
        input: a.input.saturating_add(b.input),
        cache_read: a.cache_read.saturating_add(b.cache_read),
        cache_write_5m: a.cache_write_5m.saturating_add(b.cache_write_5m),
        cache_write_1h: a.cache_write_1h.saturating_add(b.cache_write_1h),
        output: a.output.saturating_add(b.output),
        reasoning: a.reasoning.saturating_add(b.reasoning),
    }
}

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
    a.checked_sub(b).unwrap_or(Usd::ZERO)
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

pub(super) fn gather(
    billed: &[BilledLine],
    observed: &[ObservedLine],
    catalogue: &Catalogue,
    months: &[Month],
) -> Gathered {
    let mut gathered = Gathered::new();
    for line in billed.iter().filter(|l| months.contains(&l.day.month())) {
        let cell = cell(
            &mut gathered,
            catalogue,
            &line.provider,
            line.day,
            &line.model,
        );
        if let Some(amount) = line.amount {
            cell.billed = Some(add_usd(cell.billed.unwrap_or(Usd::ZERO), amount));
        }
        cell.billed_tokens = add_tokens(&cell.billed_tokens, &line.tokens);
        if line.tier == Tier::Priority {
            cell.priority_tokens = cell.priority_tokens.saturating_add(billable(&line.tokens));
        }
    }
    for line in observed.iter().filter(|l| months.contains(&l.day.month())) {
        let estimate = match line.reported {
            Some(_) => None,
            None => Some(catalogue.cost(
                &line.provider,
                &line.model,
                Tier::Standard,
                line.day,
                &line.tokens,
            )),
        };
        let cell = cell(
            &mut gathered,
            catalogue,
            &line.provider,
            line.day,
            &line.model,
        );
        cell.observed_tokens = add_tokens(&cell.observed_tokens, &line.tokens);
        match (line.reported, estimate) {
            (Some(reported), _) => {
                cell.observed_reported = add_usd(cell.observed_reported, reported);
            }
            (None, Some(Some(estimated))) => {
                cell.observed_estimated = add_usd(cell.observed_estimated, estimated);
            }
            (None, _) => {
                cell.unpriced_tokens = cell.unpriced_tokens.saturating_add(billable(&line.tokens));
            }
        }
    }
    gathered
}
