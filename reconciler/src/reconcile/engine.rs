//! Per (month, provider): totals of both sides, the variance and its split, the status and the
//! reasons that explain it.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::cells::{Cells, add_usd, billable, gather, sub_usd};
use super::{Coverage, Inputs, Reason, Row, Status, Tolerance};
use crate::{Catalogue, Month, Provider, Tier, Usd, UtcDay};

/// The report: one row per (month, provider) seen in either stream or covered by a bill
/// source in the months asked for, ordered by month then provider. The same inputs in any
/// order give the same report.
pub fn reconcile(inputs: Inputs<'_>) -> Vec<Row> {
    let mut gathered = gather(
        inputs.billed,
        inputs.observed,
        inputs.catalogue,
        inputs.months,
    );
    for coverage in inputs.coverage.iter().filter(|c| c.bill_source) {
        for month in inputs.months {
            if month.days().any(|day| coverage.covers(day)) {
                gathered
                    .entry((*month, coverage.provider.clone()))
                    .or_default();
            }
        }
    }
    gathered
        .into_iter()
        .map(|((month, provider), cells)| row(&inputs, month, provider, cells))
        .collect()
}

fn coverages<'a>(
    inputs: &'a Inputs<'_>,
    provider: &'a Provider,
) -> impl Iterator<Item = &'a Coverage> {
    inputs
        .coverage
        .iter()
        .filter(move |c| &c.provider == provider)
}

fn row(inputs: &Inputs<'_>, month: Month, provider: Provider, cells: Cells) -> Row {
    let covering: Vec<&Coverage> = coverages(inputs, &provider)
        .filter(|c| c.bill_source)
        .collect();
    let covered = |day: UtcDay| covering.iter().any(|c| c.covers(day));
    // A bill source connected by the month's end: its bill counts, and days it no longer
    // covers (after removal) leave their observed spend as unreconciled residual.
    let has_bill = covering.iter().any(|c| c.from <= month.last_day());
    let configuration_free = coverages(inputs, &provider).any(|c| !c.bill_source);
    let mut reasons = BTreeSet::new();

    let mut billed = Usd::ZERO;
    let (mut reported, mut estimated, mut unpriced) = (Usd::ZERO, Usd::ZERO, 0u64);
    let mut split = Some((Usd::ZERO, Usd::ZERO));
    for ((day, model), cell) in &cells {
        billed = add_usd(billed, cell.billed.unwrap_or(Usd::ZERO));
        reported = add_usd(reported, cell.observed_reported);
        estimated = add_usd(estimated, cell.observed_estimated);
        unpriced = unpriced.saturating_add(cell.unpriced_tokens);
        let observed_tokens = billable(&cell.observed_tokens);
        let billed_tokens = billable(&cell.billed_tokens);
        if cell.unpriced_tokens > 0 {
            reasons.insert(Reason::UnpricedModel);
        }
        if cell.priority_tokens > 0 {
            reasons.insert(Reason::PriorityTier);
        }
        if has_bill && !covered(*day) && observed_tokens > 0 {
            reasons.insert(
                if covering
                    .iter()
                    .any(|c| c.removed.is_some_and(|r| r <= *day))
                {
                    Reason::ProviderRemoved
                } else {
                    Reason::TelemetryWithoutBill
                },
            );
        }
        if covered(*day) {
            let billed_here = cell.billed.is_some_and(|b| !b.is_zero());
            if billed_tokens > 0 {
                // The bill states quantities: compare them.
                if billed_tokens > observed_tokens {
                    reasons.insert(Reason::UntrackedUsage);
                } else if observed_tokens > billed_tokens {
                    reasons.insert(Reason::TelemetryWithoutBill);
                }
            } else if billed_here && observed_tokens == 0 {
                reasons.insert(Reason::UntrackedUsage);
            } else if !billed_here && observed_tokens > 0 {
                // What the tools report here has no bill beside it.
                reasons.insert(Reason::TelemetryWithoutBill);
            }
        }
        split = split.and_then(|(quantity, price)| {
            let (q, p) = cell_split(inputs.catalogue, &provider, *day, model, cell)?;
            Some((add_usd(quantity, q), add_usd(price, p)))
        });
    }
    let observed = add_usd(reported, estimated);
    // A removed source's days are as final as they will ever be: nothing more will arrive.
    let not_final = has_bill
        && month.days().any(|day| {
            covered(day)
                && !covering.iter().any(|c| {
                    c.covers(day)
                        && (c.removed.is_some() || c.final_through.is_some_and(|f| day <= f))
                })
        });
    if not_final {
        reasons.insert(Reason::NotYetFinal);
    }

    let (variance, variance_pct, variance_note) = if !has_bill {
        (
            None,
            None,
            Some(if configuration_free {
                "no bill source for this provider"
            } else {
                "no bill source connected"
            }),
        )
    } else if unpriced > 0 {
        (
            None,
            None,
            Some("observed tokens of an unpriced model have no dollar amount"),
        )
    } else {
        let variance = sub_usd(billed, observed);
        let pct = percent(variance, billed);
        (
            Some(variance),
            pct,
            pct.is_none().then_some("billed is zero"),
        )
    };
    if let Some((_, price)) = split
        && has_bill
        && !within(price, billed, inputs.tolerance)
    {
        reasons.insert(Reason::PriceDifference);
    }
    let write_off = inputs
        .write_offs
        .iter()
        .find(|w| w.provider == provider && w.month == month);
    let status = if !has_bill {
        reasons.insert(if configuration_free {
            Reason::NoBillSource
        } else {
            Reason::TelemetryWithoutBill
        });
        Status::NoBill
    } else if write_off.is_some() {
        Status::WrittenOff
    } else if billed > Usd::ZERO && observed.is_zero() && unpriced == 0 {
        reasons.insert(Reason::UntrackedUsage);
        Status::NoTelemetry
    } else {
        match variance {
            Some(v) if within(v, billed, inputs.tolerance) => Status::Matched,
            _ if not_final => Status::Provisional,
            Some(v) if v > Usd::ZERO => Status::Over,
            Some(_) => Status::Under,
            // Unpriced tokens: the variance is unknown, so it cannot be called matched.
            None => Status::Provisional,
        }
    };
    Row {
        billed: has_bill.then_some(billed),
        observed_reported: reported,
        observed_estimated: estimated,
        unpriced_tokens: unpriced,
        variance,
        variance_pct,
        variance_note,
        quantity_variance: split.filter(|_| has_bill).map(|s| s.0),
        price_variance: split.filter(|_| has_bill).map(|s| s.1),
        status,
        reasons: reasons.into_iter().collect(),
        written_off: write_off.map(|w| w.variance),
        changed_after_write_off: write_off.is_some_and(|w| variance != Some(w.variance)),
        days: cells
            .into_iter()
            .map(|((day, model), cell)| (day, model, cell))
            .collect(),
        month,
        provider,
    }
}

/// A cell's quantity and price variance at catalogue prices (`None` when a side is unpriced).
fn cell_split(
    catalogue: &Catalogue,
    provider: &Provider,
    day: UtcDay,
    model: &str,
    cell: &super::Cell,
) -> Option<(Usd, Usd)> {
    let at_list = |tokens| catalogue.cost(provider, model, Tier::Standard, day, tokens);
    let billed_at_list = at_list(&cell.billed_tokens)?;
    let observed_at_list = at_list(&cell.observed_tokens)?;
    let quantity = sub_usd(billed_at_list, observed_at_list);
    let price = match cell.billed {
        // Dollars with no token counts beside them (a cost report without its usage report):
        // which part is quantity and which is price cannot be said.
        Some(_) if billable(&cell.billed_tokens) == 0 => return None,
        Some(amount) => sub_usd(amount, billed_at_list),
        None => Usd::ZERO,
    };
    Some((quantity, price))
}

/// Within the larger of the absolute tolerance and the percentage of billed.
fn within(amount: Usd, billed: Usd, tolerance: Tolerance) -> bool {
    let relative = billed
        .as_decimal()
        .abs()
        .checked_mul(tolerance.percent)
        .and_then(|d| d.checked_div(Decimal::ONE_HUNDRED))
        .unwrap_or(Decimal::MAX);
    let limit = relative.max(tolerance.absolute.as_decimal());
    amount.as_decimal().abs() <= limit
}

/// `variance` as a percentage of `billed`, to 2 decimals; `None` when billed is zero.
fn percent(variance: Usd, billed: Usd) -> Option<Decimal> {
    if billed.is_zero() {
        return None;
    }
    variance
        .as_decimal()
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(billed.as_decimal())
        .map(|pct| pct.round_dp(2).normalize())
}
