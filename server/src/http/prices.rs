//! `/api/v1/prices`: the price catalogue an organisation prices estimates with (the built-in
//! list prices and its overrides), and adding or overriding a price from a day on;
//! `/api/v1/reconciliation/tolerance`: how far billed and observed may differ and still match.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use reconciler::reconcile::Tolerance;
use reconciler::{Price, Provider, Tier, Usd, UtcDay};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::access::ClientAddr;
use super::extract::Json;
use super::users::acting;
use crate::Error;
use crate::auth::Actor;
use crate::spend::catalogue_for;

const KINDS: [&str; 5] = [
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
];

fn price_json(price: &Price) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("provider".into(), json!(price.provider.to_string()));
    object.insert("model".into(), json!(price.model));
    object.insert("tier".into(), json!(price.tier.as_str()));
    object.insert(
        "effective_from".into(),
        json!(price.effective_from.to_string()),
    );
    for (kind, value) in KINDS.iter().zip(price.per_million) {
        object.insert(
            format!("{kind}_per_million_usd"),
            value.map_or(Value::Null, |d| Value::String(d.normalize().to_string())),
        );
    }
    object.insert("origin".into(), json!(price.origin));
    Value::Object(object)
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let catalogue = catalogue_for(state.storage.as_ref(), &state.catalogue, actor.org_id).await?;
    let prices: Vec<Value> = catalogue.prices().map(price_json).collect();
    Ok(axum::Json(json!({ "prices": prices })))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPrice {
    provider: String,
    model: String,
    #[serde(default)]
    tier: Option<String>,
    effective_from: String,
    input_per_million_usd: Option<String>,
    cache_read_per_million_usd: Option<String>,
    cache_write_5m_per_million_usd: Option<String>,
    cache_write_1h_per_million_usd: Option<String>,
    output_per_million_usd: Option<String>,
}

fn amount(kind: &str, text: &Option<String>) -> Result<Option<Decimal>, Error> {
    text.as_deref()
        .map(|t| {
            t.trim()
                .parse::<Decimal>()
                .ok()
                .filter(|d| !d.is_sign_negative())
                .ok_or_else(|| Error::Invalid(format!("{kind}_per_million_usd: `{t}` is not a price; write a decimal string such as \"3.75\"")))
        })
        .transpose()
}

pub(crate) async fn set(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Json(body): Json<NewPrice>,
) -> Result<impl IntoResponse, Error> {
    let invalid = |what: &str, e: reconciler::Error| Error::Invalid(format!("{what}: {e}"));
    let model = body.model.trim();
    if model.is_empty() {
        return Err(Error::Invalid(
            "model: name the model, e.g. claude-sonnet-4-5".into(),
        ));
    }
    let texts = [
        &body.input_per_million_usd,
        &body.cache_read_per_million_usd,
        &body.cache_write_5m_per_million_usd,
        &body.cache_write_1h_per_million_usd,
        &body.output_per_million_usd,
    ];
    let mut per_million = [None; 5];
    for ((slot, kind), text) in per_million.iter_mut().zip(KINDS).zip(texts) {
        *slot = amount(kind, text)?;
    }
    if per_million.iter().all(Option::is_none) {
        return Err(Error::Invalid(
            "give at least one price, e.g. input_per_million_usd".into(),
        ));
    }
    let price = Price {
        provider: Provider::parse(body.provider.trim()).map_err(|e| invalid("provider", e))?,
        model: model.to_owned(),
        tier: Tier::parse(body.tier.as_deref().unwrap_or("standard"))
            .map_err(|e| invalid("tier", e))?,
        effective_from: UtcDay::parse(body.effective_from.trim())
            .map_err(|e| invalid("effective_from", e))?,
        per_million,
        origin: "override",
    };
    let audit = acting(&actor, client).entry(
        actor.org_id,
        "price.set",
        format!(
            "{} {} {} from {}",
            price.provider,
            price.model,
            price.tier.as_str(),
            price.effective_from
        ),
        price_json(&price),
    );
    state
        .storage
        .set_price(actor.org_id, &price, &audit)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "price": price_json(&price) })),
    ))
}

fn tolerance_json(tolerance: Tolerance) -> Value {
    json!({
        "absolute_usd": tolerance.absolute.to_string(),
        "percent": tolerance.percent.normalize().to_string(),
    })
}

pub(crate) async fn tolerance(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let tolerance = state.storage.tolerance(actor.org_id).await?;
    Ok(axum::Json(
        json!({ "tolerance": tolerance_json(tolerance) }),
    ))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTolerance {
    absolute_usd: String,
    percent: String,
}

pub(crate) async fn set_tolerance(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Json(body): Json<NewTolerance>,
) -> Result<axum::Json<Value>, Error> {
    let absolute = Usd::parse_dollars(body.absolute_usd.trim())
        .ok()
        .filter(|u| !u.as_decimal().is_sign_negative())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "absolute_usd: `{}` is not an amount of dollars",
                body.absolute_usd
            ))
        })?;
    let percent = body
        .percent
        .trim()
        .parse::<Decimal>()
        .ok()
        .filter(|p| !p.is_sign_negative() && *p <= Decimal::ONE_HUNDRED)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "percent: `{}` is not a percentage from 0 to 100",
                body.percent
            ))
        })?;
    let tolerance = Tolerance { absolute, percent };
    let audit = acting(&actor, client).entry(
        actor.org_id,
        "reconciliation.tolerance",
        "tolerance".into(),
        tolerance_json(tolerance),
    );
    state
        .storage
        .set_tolerance(actor.org_id, tolerance, &audit)
        .await?;
    Ok(axum::Json(
        json!({ "tolerance": tolerance_json(tolerance) }),
    ))
}
