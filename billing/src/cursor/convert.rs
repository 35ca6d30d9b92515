//! Cursor events and spend rows → [`BillingLine`]s: which usage is billed, exact cents, and one
//! line per (UTC day, person, model, kind).

use std::collections::BTreeMap;

use reconciler::{Provider, TokenCounts, Usd, UtcDay};
use serde_json::value::RawValue;

use super::wire::{Event, MemberSpend};
use crate::days::day_of_unix_seconds;
use crate::json::{MoneyUnit, money};
use crate::line::NaturalKey;
use crate::models::canonical_model;
use crate::{BillingLine, CostType};

pub(crate) const USAGE_EVENTS: &str = "/teams/filtered-usage-events";
pub(crate) const SPEND: &str = "/teams/spend";

/// The only `kind` documented as billed beyond the subscription.
const USAGE_BASED: &str = "Usage-based";

fn line(day: UtcDay, source: &str, natural_key: String) -> BillingLine {
    BillingLine {
        day,
        provider: Provider::Cursor,
        model: String::new(),
        workspace: String::new(),
        api_key: String::new(),
        person: String::new(),
        service_tier: String::new(),
        description: String::new(),
        cost_type: CostType::Other,
        tokens: TokenCounts::default(),
        amount: None,
        estimate: false,
        source: source.to_owned(),
        natural_key,
    }
}

/// The UTC day of an epoch-milliseconds instant.
pub(crate) fn day_of_epoch_ms(ms: i64) -> Option<UtcDay> {
    day_of_unix_seconds(ms.div_euclid(1000))
}

fn cents(raw: Option<&RawValue>, field: &str) -> Result<Option<Usd>, String> {
    raw.filter(|raw| raw.get() != "null")
        .map(|raw| money(raw, MoneyUnit::Cents).map_err(|e| format!("{field}: {e}")))
        .transpose()
}

/// Whether Cursor bills the event beyond the subscription: `isChargeable` when the server
/// sends it, otherwise only `kind` "Usage-based"; a free Bugbot run never is.
fn is_billed(event: &Event) -> bool {
    if event.is_free_bugbot == Some(true) {
        return false;
    }
    event.is_chargeable.unwrap_or_else(|| {
        event
            .kind
            .as_deref()
            .is_some_and(|kind| kind.trim().eq_ignore_ascii_case(USAGE_BASED))
    })
}

/// Events summed per (day, person, model label, kind): one line each instead of one per
/// request. Sums are exact (cents parsed from their literal text, added as nano-dollars).
#[derive(Debug, Default)]
pub(crate) struct EventTotals {
    groups: BTreeMap<(UtcDay, String, String, String), Group>,
}

#[derive(Debug, Default)]
struct Group {
    events: u64,
    tokens: TokenCounts,
    token_based: bool,
    amount: Option<Usd>,
}

impl EventTotals {
    /// Adds one event of UTC day `day`. Errors name the field that cannot be read.
    pub(crate) fn add(&mut self, day: UtcDay, event: Event) -> Result<(), String> {
        let billed = is_billed(&event);
        let fee = cents(event.cursor_token_fee.as_deref(), "cursorTokenFee")?;
        let (tokens, model_cost) = match &event.token_usage {
            Some(usage) => (
                TokenCounts {
                    input: usage.input_tokens,
                    cache_read: usage.cache_read_tokens,
                    cache_write_5m: usage.cache_write_tokens,
                    cache_write_1h: 0,
                    output: usage.output_tokens,
                    reasoning: 0,
                },
                cents(usage.total_cents.as_deref(), "tokenUsage.totalCents")?,
            ),
            None => (TokenCounts::default(), None),
        };
        // Cursor: "add cursorTokenFee to the model costs (tokenUsage.totalCents)".
        let amount = match (model_cost, fee) {
            (Some(cost), Some(fee)) => Some(cost.checked_add(fee).ok_or("amount overflows")?),
            (cost, fee) => cost.or(fee),
        };
        let key = (
            day,
            event.user_email.unwrap_or_default(),
            event.model.unwrap_or_default(),
            event.kind.unwrap_or_default(),
        );
        let group = self.groups.entry(key).or_default();
        group.events += 1;
        group.token_based |= event.token_usage.is_some();
        group.tokens = group
            .tokens
            .checked_add(&tokens)
            .ok_or("token counts overflow")?;
        if let (true, Some(amount)) = (billed, amount) {
            let sum = group.amount.unwrap_or(Usd::ZERO).checked_add(amount);
            group.amount = Some(sum.ok_or("amounts overflow")?);
        }
        Ok(())
    }

    /// One line per group. Billed usage is cost type `tokens` (or `other` when Cursor sent no
    /// token counts); usage included in the plan is `subscription` and carries no amount.
    pub(crate) fn into_lines(self) -> Vec<BillingLine> {
        self.groups
            .into_iter()
            .map(|((day, person, model, kind), group)| {
                let key = NaturalKey::new(USAGE_EVENTS, day)
                    .part("person", Some(&person))
                    .part("model", Some(&model))
                    .part("kind", Some(&kind))
                    .finish();
                let mut line = line(day, USAGE_EVENTS, key);
                line.model = canonical_model(&Provider::Cursor, &model);
                line.cost_type = if kind.trim().to_ascii_lowercase().starts_with("included") {
                    CostType::Subscription
                } else if group.token_based {
                    CostType::Tokens
                } else {
                    CostType::Other
                };
                let plural = if group.events == 1 { "" } else { "s" };
                line.description = format!("{kind}: {} event{plural}", group.events);
                line.person = person;
                line.tokens = group.tokens;
                line.amount = group.amount;
                line
            })
            .collect()
    }
}

/// A member's spend in the current cycle: a **snapshot** (Cursor's running total since
/// `cycle_start`, not a bill for one day), so it is an `estimate` line that never adds to
/// billed totals; the usage events carry the billed amounts of the same spend.
pub(crate) fn spend_line(
    cycle_start: UtcDay,
    cycle_start_ms: i64,
    member: MemberSpend,
) -> Result<BillingLine, String> {
    let amount = cents(member.spend_cents.as_deref(), "spendCents")?;
    let overall = cents(member.overall_spend_cents.as_deref(), "overallSpendCents")?;
    let person = member.email.or(member.name).unwrap_or_default();
    let key = NaturalKey::new(SPEND, cycle_start)
        .part("cycle_start", Some(&cycle_start_ms.to_string()))
        .part("person", Some(&person))
        .finish();
    let mut line = line(cycle_start, SPEND, key);
    line.person = person;
    line.amount = amount;
    line.estimate = true;
    line.description = format!("cycle spend snapshot: spend since {cycle_start}");
    if let Some(overall) = overall {
        line.description.push_str(&format!(
            " (overall ${overall} including usage in the plan)"
        ));
    }
    Ok(line)
}
