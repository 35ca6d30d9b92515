//! `GET /api/v1/reconciliation`: billed against observed per month and provider, with the
//! variance, status and reasons; `POST /api/v1/reconciliation/write-offs`: accept a residual.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use reconciler::reconcile::{Row, WriteOff};
use reconciler::{Provider, Usd};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::access::ClientAddr;
use super::attribution::UNATTRIBUTED;
use super::extract::{Json, Query};
use super::usage::tokens_json;
use super::users::acting;
use crate::Error;
use crate::auth::Actor;
use crate::spend::{months, reconciliation};

/// The longest span one request may cover.
const MAX_MONTHS: usize = 24;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReconciliationQuery {
    from: String,
    to: String,
    provider: Option<String>,
}

fn money(usd: Option<Usd>) -> Value {
    usd.map_or(Value::Null, |usd| Value::String(usd.to_string()))
}

fn row_json(row: &Row) -> Value {
    let days: Vec<Value> = row
        .days
        .iter()
        .map(|(day, model, cell)| {
            json!({
                "day": day.to_string(),
                "model": model,
                "billed_usd": money(cell.billed),
                "billed_tokens": tokens_json(&cell.billed_tokens),
                "observed_reported_usd": cell.observed_reported.to_string(),
                "observed_estimated_usd": cell.observed_estimated.to_string(),
                "observed_tokens": tokens_json(&cell.observed_tokens),
                "unpriced_tokens": cell.unpriced_tokens,
            })
        })
        .collect();
    json!({
        "period": row.month.to_string(),
        "provider": row.provider.to_string(),
        "billed_usd": money(row.billed),
        "observed_reported_usd": row.observed_reported.to_string(),
        "observed_estimated_usd": row.observed_estimated.to_string(),
        "unpriced_tokens": row.unpriced_tokens,
        "variance_usd": money(row.variance),
        "variance_pct": row.variance_pct.map_or(Value::Null, |p| Value::String(p.to_string())),
        "variance_note": row.variance_note,
        "quantity_variance_usd": money(row.quantity_variance),
        "price_variance_usd": money(row.price_variance),
        "status": row.status.as_str(),
        "reasons": row.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "written_off_usd": money(row.written_off),
        "changed_after_write_off": row.changed_after_write_off,
        "days": days,
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ReconciliationQuery>,
) -> Result<axum::Json<Value>, Error> {
    let months = months(&query.from, &query.to, MAX_MONTHS)?;
    let provider = query
        .provider
        .as_deref()
        .map(|p| Provider::parse(p).map_err(|e| Error::Invalid(format!("provider: {e}"))))
        .transpose()?;
    let rows = reconciliation(
        state.storage.as_ref(),
        &state.catalogue,
        actor.org_id,
        &months,
    )
    .await?;
    let rows: Vec<Value> = rows
        .iter()
        .filter(|row| provider.as_ref().is_none_or(|p| *p == row.provider))
        .map(row_json)
        .collect();
    super::demo_label::labelled_rows(&state, actor.org_id, rows).await
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeopleQuery {
    period: String,
    provider: String,
}

/// `GET /api/v1/reconciliation/people?period=YYYY-MM&provider=P`: both sides per person, for
/// providers whose bill names people; `people` is null with a note when it names nobody.
pub(crate) async fn people(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<PeopleQuery>,
) -> Result<axum::Json<Value>, Error> {
    let month = *months(&query.period, &query.period, 1)?
        .first()
        .ok_or_else(|| Error::Invalid("period: write YYYY-MM".into()))?;
    let provider =
        Provider::parse(&query.provider).map_err(|e| Error::Invalid(format!("provider: {e}")))?;
    let found = crate::spend::people(
        state.storage.as_ref(),
        &state.catalogue,
        actor.org_id,
        month,
        &provider,
    )
    .await?;
    let rows = found.as_ref().map(|rows| {
        rows.iter()
            .map(|row| {
                json!({
                    "person": if row.person.is_empty() { UNATTRIBUTED } else { row.person.as_str() },
                    "billed_usd": row.billed.to_string(),
                    "billed_tokens": tokens_json(&row.billed_tokens),
                    "observed_reported_usd": row.observed_reported.to_string(),
                    "observed_estimated_usd": row.observed_estimated.to_string(),
                    "observed_tokens": tokens_json(&row.observed_tokens),
                    "unpriced_tokens": row.unpriced_tokens,
                    "variance_usd": money(row.variance),
                })
            })
            .collect::<Vec<_>>()
    });
    let note = found.is_none().then(|| {
        format!(
            "the bill of {provider} in {month} names no person, so it cannot be split by person"
        )
    });
    let mut answer = json!({
        "period": month.to_string(),
        "provider": provider.to_string(),
        "people": rows,
        "note": note,
    });
    super::demo_label::label(&state, actor.org_id, &mut answer).await?;
    Ok(axum::Json(answer))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWriteOff {
    provider: String,
    period: String,
    reason: String,
}

pub(crate) async fn write_off(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Json(body): Json<NewWriteOff>,
) -> Result<impl IntoResponse, Error> {
    let (recorded, provider, months) = record_write_off(
        &state,
        &actor,
        client,
        &body.provider,
        &body.period,
        &body.reason,
    )
    .await?;
    let rows = reconciliation(
        state.storage.as_ref(),
        &state.catalogue,
        actor.org_id,
        &months,
    )
    .await?;
    let row = rows.iter().find(|r| r.provider == provider).map(row_json);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "write_off": recorded, "row": row })),
    ))
}

/// Writes off the current variance of (provider, period) with a reason, audited: for the REST
/// API and the page alike.
pub(crate) async fn record_write_off(
    state: &AppState,
    actor: &Actor,
    client: ClientAddr,
    provider_text: &str,
    period: &str,
    reason_text: &str,
) -> Result<
    (
        crate::storage::WriteOffRecord,
        Provider,
        Vec<reconciler::Month>,
    ),
    Error,
> {
    let reason = reason_text.trim();
    if reason.is_empty() {
        return Err(Error::Invalid("a write-off needs a reason".into()));
    }
    let provider =
        Provider::parse(provider_text).map_err(|e| Error::Invalid(format!("provider: {e}")))?;
    let months = months(period, period, 1)?;
    let rows = reconciliation(
        state.storage.as_ref(),
        &state.catalogue,
        actor.org_id,
        &months,
    )
    .await?;
    let row = rows
        .iter()
        .find(|row| row.provider == provider)
        .ok_or_else(|| {
            Error::NotFound(format!("nothing to reconcile for {provider} in {}", period))
        })?;
    let variance = row.variance.ok_or_else(|| {
        Error::Invalid(format!(
            "the variance of {provider} in {} cannot be stated ({}), so it cannot be written off",
            period,
            row.variance_note.unwrap_or("unknown")
        ))
    })?;
    let write_off = WriteOff {
        provider: provider.clone(),
        month: row.month,
        variance,
    };
    let audit = acting(actor, client).entry(
        actor.org_id,
        "spend.write_off",
        format!("{provider} {}", row.month),
        json!({ "variance_usd": variance.to_string(), "reason": reason }),
    );
    let recorded = state
        .storage
        .write_off(actor.org_id, &write_off, reason, &audit)
        .await?;
    Ok((recorded, provider, months))
}
