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
    let mut catalogue = built_in.clone();
    for price in storage.price_overrides(org_id).await? {
        catalogue.insert(price);
    }
    Ok(catalogue)
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

fn add(a: Option<Usd>, b: Option<Usd>) -> Option<Usd> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(b),
        (a, b) => a.or(b),
    }
}

fn add_exact(a: Option<Decimal>, b: Option<Decimal>) -> Option<Decimal> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(b),
        (a, b) => a.or(b),
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
    let mut out: Vec<(PricedUsage, Option<Decimal>)> = Vec::new();
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
            match price.and_then(|price| price.cost_micros(&row.tokens)) {
                Some(cost) => estimated = Some(cost),
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
            out.push((usage, None));
            out.len() - 1
        });
        let (entry, exact) = &mut out[slot];
        entry.records = entry.records.saturating_add(row.records);
        entry.tokens = entry.tokens.saturating_add(&row.tokens);
        entry.reported = add(entry.reported, row.reported_cost);
        *exact = add_exact(*exact, estimated);
        entry.unpriced_tokens = entry.unpriced_tokens.saturating_add(unpriced);
    }
    let mut priced: Vec<PricedUsage> = out
        .into_iter()
        .map(|(mut usage, exact)| {
            usage.estimated = exact
                .and_then(|micros| micros.checked_div(Decimal::from(1_000_000)))
                .and_then(|dollars| Usd::from_decimal(dollars).ok());
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
    fn a_row_with_nothing_priced_has_no_estimate_rather_than_zero() {
        let rows = vec![fine("2026-11-02", "gpt-5.6-luna", "estimated", 700, None)];
        let priced = price_usage(rows, &[], &Catalogue::built_in());
        assert_eq!(
            (priced[0].estimated, priced[0].unpriced_tokens),
            (None, 700)
        );
    }
}
