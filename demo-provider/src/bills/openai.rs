//! OpenAI's reports of the demo: costs at the negotiated rate, and completions usage.
//!
//! Costs are 15 % below list; usage has tokens by model, project and key.

use std::collections::BTreeMap;

use reconciler::{Catalogue, TokenCounts, TokenKind, Usd, UtcDay};
use rust_decimal::Decimal;

use super::{kind_cost, team_id};
use crate::models::Model;
use crate::org::Person;
use crate::usage::Usage;

/// What the organisation pays per list-price dollar: its negotiated rate, 0.85.
pub(crate) fn negotiated_rate() -> Decimal {
    Decimal::new(85, 2)
}

/// The line items the costs endpoint bills per model, as `"<model>, <what>"`.
const LINE_ITEMS: [(TokenKind, &str); 3] = [
    (TokenKind::Input, "input"),
    (TokenKind::CacheRead, "cached input"),
    (TokenKind::Output, "output"),
];

/// One costs row: a day's cost of one line item in one project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CostRow {
    pub(crate) project: String,
    pub(crate) line_item: String,
    /// Tokens billed.
    pub(crate) quantity: u64,
    /// At the negotiated rate, rounded half to even at the nano-dollar.
    pub(crate) amount: Usd,
}

/// One completions-usage row: a day's tokens of one model, project and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UsageRow {
    pub(crate) model: Model,
    pub(crate) project: String,
    pub(crate) api_key: String,
    pub(crate) tokens: TokenCounts,
    pub(crate) requests: u64,
}

#[derive(Debug, Default)]
pub(crate) struct OpenAiBill {
    pub(crate) cost: BTreeMap<UtcDay, Vec<CostRow>>,
    pub(crate) usage: BTreeMap<UtcDay, Vec<UsageRow>>,
}

/// `amount` at the negotiated rate.
pub(crate) fn at_negotiated_rate(list: Usd) -> Usd {
    list.as_decimal()
        .checked_mul(negotiated_rate())
        .and_then(|billed| Usd::from_decimal(billed).ok())
        .unwrap_or(list)
}

impl OpenAiBill {
    pub(crate) fn build(
        reported: &[&Usage],
        people: &[Person],
        catalogue: &Catalogue,
    ) -> OpenAiBill {
        type CostKey = (UtcDay, String, Model, usize);
        type UsageKey = (UtcDay, Model, String, String);
        let mut cost_tokens: BTreeMap<CostKey, u64> = BTreeMap::new();
        let mut usage: BTreeMap<UsageKey, (TokenCounts, u64)> = BTreeMap::new();
        for call in reported
            .iter()
            .filter(|u| u.tool() == reconciler::Tool::Codex)
        {
            let team = people[call.person].team;
            let project = team_id("proj", team);
            for (index, (kind, _)) in LINE_ITEMS.iter().enumerate() {
                let count = call.tokens.get(*kind);
                if count > 0 {
                    *cost_tokens
                        .entry((call.day, project.clone(), call.model, index))
                        .or_default() += count;
                }
            }
            let key = (call.day, call.model, project, team_id("key", team));
            let (tokens, requests) = usage.entry(key).or_default();
            *tokens = tokens.saturating_add(&call.tokens);
            *requests += 1;
        }
        let mut bill = OpenAiBill::default();
        for ((day, project, model, item), quantity) in cost_tokens {
            let (kind, what) = LINE_ITEMS[item];
            if let Some(list) = kind_cost(catalogue, model, day, kind, quantity) {
                bill.cost.entry(day).or_default().push(CostRow {
                    project,
                    line_item: format!("{}, {what}", model.billing_label()),
                    quantity,
                    amount: at_negotiated_rate(list),
                });
            }
        }
        for ((day, model, project, api_key), (tokens, requests)) in usage {
            bill.usage.entry(day).or_default().push(UsageRow {
                model,
                project,
                api_key,
                tokens,
                requests,
            });
        }
        bill
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_negotiated_rate_is_exact() {
        let list = Usd::parse_dollars("12.34").unwrap();
        assert_eq!(
            at_negotiated_rate(list),
            Usd::parse_dollars("10.489").unwrap()
        );
        // 0.000000125 × 0.85 = 0.00000010625: half to even at the nano-dollar.
        let tiny = Usd::parse_dollars("0.000000125").unwrap();
        assert_eq!(at_negotiated_rate(tiny), Usd::from_nanos(106));
    }
}
