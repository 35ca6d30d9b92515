//! Exports for `SPEND_EXPORT`: the reconciliation as CSV, and the billed side as a FOCUS 1.2 CSV
//! (one row per billed day and model) with the observed side and the variance in `x_` columns.
//! Money is a decimal string everywhere, exactly as stored.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use reconciler::reconcile::Row;
use reconciler::{Tier, Usd};
use serde::Deserialize;

use super::AppState;
use super::extract::Query;
use crate::Error;
use crate::auth::Actor;
use crate::spend::{catalogue_for, months, reconciliation};

const MAX_MONTHS: usize = 24;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportQuery {
    from: String,
    to: String,
}

/// One CSV field: quoted when it holds a comma, quote or line break (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn money(usd: Option<Usd>) -> String {
    usd.map(|u| u.to_string()).unwrap_or_default()
}

fn csv(name: String, body: String) -> axum::response::Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

async fn rows(state: &AppState, actor: &Actor, query: &ExportQuery) -> Result<Vec<Row>, Error> {
    let months = months(&query.from, &query.to, MAX_MONTHS)?;
    reconciliation(
        state.storage.as_ref(),
        &state.catalogue,
        actor.org_id,
        &months,
    )
    .await
}

pub(crate) async fn reconciliation_csv(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ExportQuery>,
) -> Result<impl IntoResponse, Error> {
    let rows = rows(&state, &actor, &query).await?;
    let mut body = line(
        &[
            "period",
            "provider",
            "billed_usd",
            "observed_reported_usd",
            "observed_estimated_usd",
            "unpriced_tokens",
            "variance_usd",
            "variance_pct",
            "quantity_variance_usd",
            "price_variance_usd",
            "status",
            "reasons",
            "written_off_usd",
            "changed_after_write_off",
        ]
        .map(str::to_owned),
    );
    for row in &rows {
        body.push_str(&line(&[
            row.month.to_string(),
            row.provider.to_string(),
            money(row.billed),
            row.observed_reported.to_string(),
            row.observed_estimated.to_string(),
            row.unpriced_tokens.to_string(),
            money(row.variance),
            row.variance_pct.map(|p| p.to_string()).unwrap_or_default(),
            money(row.quantity_variance),
            money(row.price_variance),
            row.status.as_str().to_owned(),
            row.reasons
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            money(row.written_off),
            row.changed_after_write_off.to_string(),
        ]));
    }
    Ok(csv(
        format!("reconciliation-{}-{}.csv", query.from, query.to),
        body,
    ))
}

/// FOCUS 1.2 columns written, then reckon's own (`x_`), as the specification's extension rule asks.
const FOCUS_COLUMNS: [&str; 30] = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "x_Model",
    "x_ObservedReportedCost",
    "x_ObservedEstimatedCost",
    "x_UnpricedTokens",
    "x_VarianceCost",
    "x_ReconciliationStatus",
];

fn timestamp(day: reconciler::UtcDay) -> String {
    format!("{day}T00:00:00Z")
}

pub(crate) async fn focus_csv(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ExportQuery>,
) -> Result<impl IntoResponse, Error> {
    let rows = rows(&state, &actor, &query).await?;
    let catalogue = catalogue_for(state.storage.as_ref(), &state.catalogue, actor.org_id).await?;
    let org = state.storage.organization(actor.org_id).await?;
    let (account_id, account_name) = org.map(|o| (o.slug, o.name)).unwrap_or_default();
    let mut body = line(&FOCUS_COLUMNS.map(str::to_owned));
    for row in &rows {
        let (period_start, period_end) = (row.month.first_day(), row.month.last_day().next());
        for (day, model, cell) in &row.days {
            let Some(billed) = cell.billed else { continue };
            let tokens = cell.billed_tokens.total().unwrap_or(u64::MAX);
            let list = catalogue.cost(
                &row.provider,
                model,
                Tier::Standard,
                *day,
                &cell.billed_tokens,
            );
            let observed = cell.observed_reported.checked_add(cell.observed_estimated);
            let variance = observed
                .and_then(|o| billed.checked_sub(o))
                .filter(|_| cell.unpriced_tokens == 0);
            let provider = row.provider.to_string();
            body.push_str(&line(&[
                billed.to_string(),
                account_id.clone(),
                account_name.clone(),
                "USD".into(),
                period_end.map(timestamp).unwrap_or_default(),
                timestamp(period_start),
                "Usage".into(),
                String::new(),
                format!("{model} usage"),
                "Usage-Based".into(),
                day.next().map(timestamp).unwrap_or_default(),
                timestamp(*day),
                tokens.to_string(),
                "Tokens".into(),
                billed.to_string(),
                billed.to_string(),
                provider.clone(),
                money(list),
                tokens.to_string(),
                "Tokens".into(),
                provider.clone(),
                provider.clone(),
                "AI and Machine Learning".into(),
                provider,
                model.clone(),
                cell.observed_reported.to_string(),
                cell.observed_estimated.to_string(),
                cell.unpriced_tokens.to_string(),
                money(variance),
                row.status.as_str().to_owned(),
            ]));
        }
    }
    Ok(csv(format!("focus-{}-{}.csv", query.from, query.to), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("claude-sonnet-4-5"), "claude-sonnet-4-5");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(line(&["1".into(), "x\ny".into()]), "1,\"x\ny\"\r\n");
    }
}
