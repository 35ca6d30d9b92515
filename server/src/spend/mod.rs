//! Spend as finance reads it: observed usage priced from the catalogue, and (next) the
//! reconciliation of billed against observed, fed from storage into the pure engine.

mod cache;
mod reconcile;
mod spans;

use std::collections::HashMap;

use reconciler::{Catalogue, Price, Provider, Tier, TokenCounts, Usd, UtcDay};
use rust_decimal::Decimal;

use crate::storage::{UsageGroup, UsageRow};
pub use cache::{AttributionCache, ReadingKey};
pub use reconcile::{months, people, reconciliation};
pub use spans::{Span, spans};

use crate::Error;
use crate::storage::Storage;

/// The catalogue an organisation prices with: the built-in list prices and its own overrides,
/// which apply from their day on to every estimate, past ones included.
pub async fn catalogue_for(
    storage: &dyn Storage,
    built_in: &Catalogue,
    org_id: i64,
) -> Result<Catalogue, Error> {
    let overrides = storage.price_overrides(org_id).await?;
    Ok(catalogue_with(built_in, &overrides))
}

/// The built-in list prices with an organisation's `overrides` (already read).
pub fn catalogue_with(built_in: &Catalogue, overrides: &[Price]) -> Catalogue {
    let mut catalogue = built_in.clone();
    for price in overrides {
        catalogue.insert(price.clone());
    }
    catalogue
}

/// The pricing keys every usage row must carry to be priced: day, provider and model.
pub const PRICING_GROUPS: [UsageGroup; 3] =
    [UsageGroup::Day, UsageGroup::Provider, UsageGroup::Model];

/// A usage row with its dollars: the tool's own (`reported`), the catalogue's (`estimated`),
/// and the tokens no price covers (whose dollars are unknown, never zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedUsage {
    pub groups: Vec<(UsageGroup, String)>,
    pub label: String,
    pub records: i64,
    pub tokens: TokenCounts,
    pub reported: Option<Usd>,
    /// The priced part of `estimated` rows; `None` when nothing of the row has a price.
    pub estimated: Option<Usd>,
    pub unpriced_tokens: u64,
}

/// A group's dollars while its rows are summed: exact, and unknown for good once a sum
/// overflows (a later row must not restart it from its own amount).
#[derive(Default)]
struct Dollars {
    reported: Option<Decimal>,
    /// Millionths of a dollar, divided once at the end.
    estimated_micros: Option<Decimal>,
    overflowed: bool,
}

impl Dollars {
    fn add(sum: &mut Option<Decimal>, overflowed: &mut bool, part: Option<Decimal>) {
        if let Some(part) = part {
            match sum.unwrap_or(Decimal::ZERO).checked_add(part) {
                Some(total) => *sum = Some(total),
                None => *overflowed = true,
            }
        }
    }

    /// (reported, estimated) in dollars; both unknown after an overflow.
    fn finish(self) -> (Option<Usd>, Option<Usd>) {
        if self.overflowed {
            return (None, None);
        }
        let usd = |dollars: Option<Decimal>| dollars.and_then(|d| Usd::from_decimal(d).ok());
        let estimated = self
            .estimated_micros
            .and_then(|micros| micros.checked_div(Decimal::from(1_000_000)));
        (usd(self.reported), usd(estimated))
    }
}

/// `fine` rows (grouped by at least `PRICING_GROUPS` and the `wanted` groups) priced one by
/// one, then summed into the `wanted` groups. Pricing before summing is what keeps a month of
/// several models and prices exact; the estimates are summed unrounded and rounded to the
/// nano-dollar once per group, so the result does not depend on how finely the rows were cut
/// (a month's sums priced once give what its days priced one by one give).
pub fn price_usage(
    fine: Vec<UsageRow>,
    wanted: &[UsageGroup],
    catalogue: &Catalogue,
) -> Vec<PricedUsage> {
    // A month by person is some 15,000 fine rows: each (day, provider, model) is looked up in
    // the catalogue once, and a group's strings are copied once, when the group first appears.
    let mut prices: HashMap<[&str; 3], Option<&Price>> = HashMap::new();
    let mut index: HashMap<(Vec<&str>, &str), usize> = HashMap::new();
    let mut out: Vec<(PricedUsage, Dollars)> = Vec::new();
    for row in &fine {
        let value = |group: UsageGroup| {
            row.groups
                .iter()
                .find(|(g, _)| *g == group)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        let (mut estimated, mut unpriced) = (None, 0u64);
        if row.label == "estimated" {
            let key = PRICING_GROUPS.map(value);
            let price = *prices.entry(key).or_insert_with(|| {
                let [day, provider, model] = key;
                let day = UtcDay::parse(day).ok()?;
                let provider = Provider::parse(provider).ok()?;
                catalogue.price(&provider, model, Tier::Standard, day)
            });
            // Kind by kind: tokens of a kind the price has no rate for are unpriced, the rest
            // priced, so month sums split exactly as their days do.
            match price.and_then(|price| price.split_cost_micros(&row.tokens)) {
                Some((micros, without_rate)) => (estimated, unpriced) = (micros, without_rate),
                None => unpriced = row.tokens.total().unwrap_or(u64::MAX),
            }
        }
        let key = (
            wanted.iter().map(|g| value(*g)).collect::<Vec<_>>(),
            row.label.as_str(),
        );
        let slot = *index.entry(key).or_insert_with_key(|(values, label)| {
            let usage = PricedUsage {
                groups: wanted
                    .iter()
                    .zip(values)
                    .map(|(g, v)| (*g, (*v).to_owned()))
                    .collect(),
                label: (*label).to_owned(),
                records: 0,
                tokens: TokenCounts::default(),
                reported: None,
                estimated: None,
                unpriced_tokens: 0,
            };
            out.push((usage, Dollars::default()));
            out.len() - 1
        });
        let (entry, dollars) = &mut out[slot];
        entry.records = entry.records.saturating_add(row.records);
        entry.tokens = entry.tokens.saturating_add(&row.tokens);
        let reported = row.reported_cost.map(Usd::as_decimal);
        Dollars::add(&mut dollars.reported, &mut dollars.overflowed, reported);
        Dollars::add(
            &mut dollars.estimated_micros,
            &mut dollars.overflowed,
            estimated,
        );
        entry.unpriced_tokens = entry.unpriced_tokens.saturating_add(unpriced);
    }
    let mut priced: Vec<PricedUsage> = out
        .into_iter()
        .map(|(mut usage, dollars)| {
            (usage.reported, usage.estimated) = dollars.finish();
            usage
        })
        .collect();
    // Ordered by the groups' values, then the label.
    priced.sort_by(|a, b| {
        let values = a
            .groups
            .iter()
            .map(|(_, v)| v)
            .cmp(b.groups.iter().map(|(_, v)| v));
        values.then_with(|| a.label.cmp(&b.label))
    });
    priced
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fine(day: &str, model: &str, label: &str, input: u64, reported: Option<&str>) -> UsageRow {
        UsageRow {
            groups: vec![
                (UsageGroup::Tool, "codex".into()),
                (UsageGroup::Day, day.into()),
                (UsageGroup::Provider, "openai".into()),
                (UsageGroup::Model, model.into()),
            ],
            label: label.into(),
            records: 1,
            tokens: TokenCounts {
                input,
                ..TokenCounts::default()
            },
            reported_cost: reported.map(|r| Usd::parse_dollars(r).unwrap()),
        }
    }

    #[test]
    fn rows_are_priced_before_they_are_summed_and_unpriced_tokens_stay_apart() {
        let rows = vec![
            fine("2026-11-01", "gpt-5", "estimated", 1_000_000, None),
            fine("2026-11-02", "gpt-5-mini", "estimated", 2_000_000, None),
            fine("2026-11-02", "gpt-5.6-luna", "estimated", 700, None),
            fine("2026-11-03", "gpt-5", "reported", 10, Some("0.5")),
        ];
        let priced = price_usage(rows, &[UsageGroup::Tool], &Catalogue::built_in());
        assert_eq!(priced.len(), 2);
        let estimated = priced.iter().find(|r| r.label == "estimated").unwrap();
        // 1M × 1.25 + 2M × 0.25 per million; the unknown model's 700 tokens have no price.
        assert_eq!(
            estimated.estimated,
            Some(Usd::parse_dollars("1.75").unwrap())
        );
        assert_eq!(estimated.unpriced_tokens, 700);
        assert_eq!(estimated.reported, None);
        assert_eq!(estimated.records, 3);
        let reported = priced.iter().find(|r| r.label == "reported").unwrap();
        assert_eq!(reported.reported, Some(Usd::parse_dollars("0.5").unwrap()));
        assert_eq!((reported.estimated, reported.unpriced_tokens), (None, 0));
        assert_eq!(reported.groups, [(UsageGroup::Tool, "codex".to_owned())]);
    }

    #[test]
    fn tokens_of_a_kind_without_a_rate_are_unpriced_alone_and_a_month_splits_as_its_days() {
        // gpt-5 has no cache-write rate: only those tokens are unpriced.
        let write = |mut row: UsageRow, tokens: u64| {
            row.tokens.cache_write_5m = tokens;
            row
        };
        let days = vec![
            fine("2026-11-01", "gpt-5", "estimated", 1_000_000, None),
            write(
                fine("2026-11-02", "gpt-5", "estimated", 1_000_000, None),
                500,
            ),
        ];
        let month = vec![write(
            fine("2026-11-01", "gpt-5", "estimated", 2_000_000, None),
            500,
        )];
        let catalogue = Catalogue::built_in();
        let by_day = price_usage(days, &[UsageGroup::Tool], &catalogue);
        let whole = price_usage(month, &[UsageGroup::Tool], &catalogue);
        assert_eq!(
            (by_day[0].estimated, by_day[0].unpriced_tokens),
            (Some(Usd::parse_dollars("2.5").unwrap()), 500)
        );
        assert_eq!(
            (whole[0].estimated, whole[0].unpriced_tokens),
            (by_day[0].estimated, by_day[0].unpriced_tokens)
        );
    }

    #[test]
    fn a_row_with_nothing_priced_has_no_estimate_rather_than_zero() {
        let rows = vec![fine("2026-11-02", "gpt-5.6-luna", "estimated", 700, None)];
        let priced = price_usage(rows, &[], &Catalogue::built_in());
        assert_eq!(
            (priced[0].estimated, priced[0].unpriced_tokens),
            (None, 700)
        );
    }
}
