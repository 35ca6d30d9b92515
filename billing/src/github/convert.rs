//! GitHub seats and usage items → [`BillingLine`]s: seat lines without a price, billed dollars
//! per (day, product, SKU, model, unit), natural keys.

use std::collections::BTreeMap;

use reconciler::{Provider, TokenCounts, Usd, UtcDay};
use serde_json::value::RawValue;

use super::wire::{Seat, UsageItem};
use crate::json::{MoneyUnit, money};
use crate::line::NaturalKey;
use crate::models::canonical_model;
use crate::{BillingLine, CostType};

pub(crate) const SEATS: &str = "/orgs/{org}/copilot/billing/seats";
pub(crate) const PREMIUM_REQUESTS: &str =
    "/organizations/{org}/settings/billing/premium_request/usage";
pub(crate) const AI_CREDITS: &str = "/organizations/{org}/settings/billing/ai_credit/usage";

fn line(day: UtcDay, source: &str, natural_key: String) -> BillingLine {
    BillingLine {
        day,
        provider: Provider::GithubCopilot,
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

/// A seat assigned on `day` (the day the list was read for): cost type `seat`, no amount
/// (the seat price is not in the API; it comes from configuration). `person` is the
/// assignee's login (a team's slug, `id:<n>` without either, `""` without an assignee).
pub(crate) fn seat_line(day: UtcDay, seat: Seat) -> BillingLine {
    let assignee = seat.assignee;
    let person = assignee
        .as_ref()
        .and_then(|a| a.login.clone().or_else(|| a.slug.clone()))
        .or_else(|| assignee.as_ref()?.id.map(|id| format!("id:{id}")))
        .unwrap_or_default();
    let key = NaturalKey::new(SEATS, day)
        .part("login", Some(&person))
        .finish();
    let mut line = line(day, SEATS, key);
    line.cost_type = CostType::Seat;
    line.description = match seat.plan_type.as_deref() {
        Some(plan) => format!("Copilot {plan} seat"),
        None => "Copilot seat".to_owned(),
    };
    if let Some(date) = seat.pending_cancellation_date {
        line.description
            .push_str(&format!(", pending cancellation from {date}"));
    }
    line.person = person;
    line
}

/// Items of one day's report summed per (product, SKU, model, unit): GitHub may list a
/// group more than once (split by something it does not show), and none may be lost.
#[derive(Default)]
struct Sums {
    net: Usd,
    gross: Usd,
    discount: Usd,
    /// Requests or credits, held as an exact decimal (never tokens, never f64).
    quantity: Usd,
}

fn amount(raw: Option<&RawValue>, field: &str) -> Result<Usd, String> {
    match raw.filter(|raw| raw.get() != "null") {
        Some(raw) => money(raw, MoneyUnit::Dollars).map_err(|e| format!("{field}: {e}")),
        None => Ok(Usd::ZERO),
    }
}

/// One day's usage report: `amount` = Σ `netAmount` (billed dollars, exact, `Some` even when
/// zero: the bill says nothing is owed), `cost_type` as the endpoint's, quantities and the
/// gross/discount dollars in the description.
pub(crate) fn usage_lines(
    source: &'static str,
    cost_type: CostType,
    day: UtcDay,
    items: Vec<UsageItem>,
) -> Result<Vec<BillingLine>, String> {
    let mut groups: BTreeMap<[String; 4], Sums> = BTreeMap::new();
    for item in items {
        let add = |a: Usd, b: Usd| a.checked_add(b).ok_or("amounts overflow");
        let net = amount(Some(&item.net_amount), "netAmount")?;
        let gross = amount(item.gross_amount.as_deref(), "grossAmount")?;
        let discount = amount(item.discount_amount.as_deref(), "discountAmount")?;
        let quantity = amount(item.net_quantity.as_deref(), "netQuantity")?;
        let label =
            [item.product, item.sku, item.model, item.unit_type].map(Option::unwrap_or_default);
        let sums = groups.entry(label).or_default();
        sums.net = add(sums.net, net)?;
        sums.gross = add(sums.gross, gross)?;
        sums.discount = add(sums.discount, discount)?;
        sums.quantity = add(sums.quantity, quantity)?;
    }
    let lines = groups
        .into_iter()
        .map(|([product, sku, model, unit], sums)| {
            let key = NaturalKey::new(source, day)
                .part("product", Some(&product))
                .part("sku", Some(&sku))
                .part("model", Some(&model))
                .part("unit_type", Some(&unit))
                .finish();
            let mut line = line(day, source, key);
            line.model = canonical_model(&Provider::GithubCopilot, &model);
            line.cost_type = cost_type;
            let what = if sku.is_empty() { &product } else { &sku };
            line.description = format!(
                "{what}: {} {unit} net; gross ${}, discount ${}",
                sums.quantity.as_decimal().normalize(),
                sums.gross,
                sums.discount
            );
            line.amount = Some(sums.net);
            line
        });
    Ok(lines.collect())
}
