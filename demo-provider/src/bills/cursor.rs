//! Cursor's reports of the demo: usage events with exact cents, and the cycle's spend per member.
//!
//! One event per model call: the underlying model's list price plus Cursor's token fee. None
//! from the day the integration was removed.

use reconciler::{TokenCounts, Usd, UtcDay};
use rust_decimal::Decimal;

use super::{add, cents};
use crate::models::Model;
use crate::org::Person;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// Cursor's own fee: 0.25 USD per million tokens (every kind), i.e. 25 cents per million.
fn fee_cents(tokens: &TokenCounts) -> Decimal {
    let total = tokens.total().unwrap_or(u64::MAX);
    Decimal::from(total)
        .checked_mul(Decimal::from(25))
        .and_then(|cents| cents.checked_div(Decimal::from(1_000_000)))
        .unwrap_or_default()
}

fn dollars(cents: Decimal) -> Usd {
    cents
        .checked_div(Decimal::ONE_HUNDRED)
        .and_then(|usd| Usd::from_decimal(usd).ok())
        .unwrap_or_default()
}

/// What Cursor charges for a call: model cost plus fee, in dollars. Its telemetry reports the
/// same figure as the call's cost.
pub(crate) fn charged(call: &Usage) -> Usd {
    dollars(cents(call.list_cost.unwrap_or_default()) + fee_cents(&call.tokens))
}

/// One usage event as `POST /teams/filtered-usage-events` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) ms: i64,
    pub(crate) day: UtcDay,
    pub(crate) email: String,
    pub(crate) model: Model,
    pub(crate) tokens: TokenCounts,
    /// `tokenUsage.totalCents`: the model's list price.
    pub(crate) total_cents: Decimal,
    /// `cursorTokenFee`.
    pub(crate) fee_cents: Decimal,
}

impl Event {
    /// What the puller bills for the event: model cost plus fee.
    pub(crate) fn amount(&self) -> Usd {
        dollars(self.total_cents + self.fee_cents)
    }
}

/// One member's spend in the current cycle (`POST /teams/spend`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MemberSpend {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) spend_cents: Decimal,
    pub(crate) premium_requests: u64,
}

#[derive(Debug)]
pub(crate) struct CursorBill {
    /// Newest first, as Cursor lists them.
    pub(crate) events: Vec<Event>,
    /// The subscription cycle starts on the 1st: the demo month's first day.
    pub(crate) cycle_start: UtcDay,
    pub(crate) spend: Vec<MemberSpend>,
}

impl CursorBill {
    pub(crate) fn build(reported: &[&Usage], people: &[Person], scenario: &Scenario) -> CursorBill {
        let mut events: Vec<Event> = reported
            .iter()
            .filter(|u| u.tool() == reconciler::Tool::Cursor)
            .map(|call| Event {
                ms: call.at_ms,
                day: call.day,
                email: people[call.person].email.clone(),
                model: call.model,
                tokens: call.tokens,
                total_cents: cents(call.list_cost.unwrap_or_default()),
                fee_cents: fee_cents(&call.tokens),
            })
            .collect();
        // Newest first; ties (two people at the same millisecond) in a fixed order.
        events.sort_by(|a, b| b.ms.cmp(&a.ms).then_with(|| a.email.cmp(&b.email)));
        let cycle_start = scenario.demo_month.first_day();
        let spend = people
            .iter()
            .filter(|p| p.uses(reconciler::Tool::Cursor))
            .map(|person| {
                let mine = events
                    .iter()
                    .filter(|e| e.email == person.email && e.day >= cycle_start);
                let (total, count) = mine.fold((Usd::ZERO, 0u64), |(total, count), e| {
                    (add(total, e.amount()), count + 1)
                });
                MemberSpend {
                    name: person.name.clone(),
                    email: person.email.clone(),
                    spend_cents: cents(total),
                    premium_requests: count,
                }
            })
            .collect();
        CursorBill {
            events,
            cycle_start,
            spend,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_and_cents_are_exact() {
        let tokens = TokenCounts {
            input: 126,
            output: 450,
            cache_write_5m: 6112,
            cache_read: 11964,
            ..TokenCounts::default()
        };
        // 18 652 tokens × 25 / 1e6 = 0.4663 cents.
        assert_eq!(fee_cents(&tokens).to_string(), "0.4663");
        assert_eq!(
            cents(Usd::parse_dollars("0.0403").unwrap()).to_string(),
            "4.03"
        );
        assert_eq!(
            dollars(Decimal::new(4_4963, 4)),
            Usd::parse_dollars("0.044963").unwrap()
        );
    }
}
