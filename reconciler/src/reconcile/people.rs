//! The per-person drill-down of one (month, provider): both sides per person, for providers
//! whose bill names people (Cursor's usage events, GitHub Copilot's seats and usage).

use std::collections::BTreeMap;

use super::cells::{add_usd, billable, sub_usd};
use super::{BilledLine, ObservedLine};
use crate::{Catalogue, Month, Provider, Tier, TokenCounts, Usd};

/// One person's side of a (month, provider). `person` is "" for lines that name nobody.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonRow {
    pub person: String,
    pub billed: Usd,
    pub billed_tokens: TokenCounts,
    pub observed_reported: Usd,
    pub observed_estimated: Usd,
    pub observed_tokens: TokenCounts,
    /// Observed tokens of models with no catalogue price: their dollars are unknown.
    pub unpriced_tokens: u64,
    /// Billed − observed; `None` while unpriced tokens leave the observed side unknown.
    pub variance: Option<Usd>,
}

/// Both sides per person of `provider` in `month`, ordered by person. `None` when no billed
/// line of the month names a person: that bill cannot be split by person, and a drill-down
/// would show every dollar as one unattributed residual.
///
/// Estimates are priced per observed line (a person, day and model), so for prices that are
/// whole nano-dollars per token the persons' amounts add up to the month's row exactly.
pub fn people(
    billed: &[(String, BilledLine)],
    observed: &[(String, ObservedLine)],
    catalogue: &Catalogue,
    month: Month,
    provider: &Provider,
) -> Option<Vec<PersonRow>> {
    let in_scope = |day: crate::UtcDay, p: &Provider| day.month() == month && p == provider;
    let billed: Vec<&(String, BilledLine)> = billed
        .iter()
        .filter(|(_, line)| in_scope(line.day, &line.provider))
        .collect();
    if billed.iter().all(|(person, _)| person.is_empty()) {
        return None;
    }
    let mut rows: BTreeMap<&str, PersonRow> = BTreeMap::new();
    for (person, line) in billed {
        let row = rows.entry(person).or_default();
        row.billed = add_usd(row.billed, line.amount.unwrap_or(Usd::ZERO));
        row.billed_tokens = row.billed_tokens.saturating_add(&line.tokens);
    }
    for (person, line) in observed
        .iter()
        .filter(|(_, line)| in_scope(line.day, &line.provider))
    {
        let row = rows.entry(person).or_default();
        row.observed_tokens = row.observed_tokens.saturating_add(&line.tokens);
        match line.reported {
            Some(reported) => row.observed_reported = add_usd(row.observed_reported, reported),
            None => match catalogue.cost(
                &line.provider,
                &line.model,
                Tier::Standard,
                line.day,
                &line.tokens,
            ) {
                Some(estimated) => {
                    row.observed_estimated = add_usd(row.observed_estimated, estimated);
                }
                None => {
                    row.unpriced_tokens =
                        row.unpriced_tokens.saturating_add(billable(&line.tokens));
                }
            },
        }
    }
    Some(
        rows.into_iter()
            .map(|(person, mut row)| {
                row.person = person.to_owned();
                let observed = add_usd(row.observed_reported, row.observed_estimated);
                row.variance = (row.unpriced_tokens == 0).then(|| sub_usd(row.billed, observed));
                row
            })
            .collect(),
    )
}
