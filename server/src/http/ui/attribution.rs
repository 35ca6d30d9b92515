//! Spend → Attribution in the web UI: the attribution API's rows for a UTC date range and one
//! dimension, handed to the page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use reconciler::UtcDay;
use serde::Deserialize;
use serde_json::Value;
use web::Notice;
use web::attribution::{AttributionRow, GROUPS};

use super::data::viewer;
use crate::Error;
use crate::auth::Actor;
use crate::http::AppState;
use crate::http::extract::Query;
use crate::storage::UsageGroup;

#[derive(Deserialize, Debug, Default)]
pub(crate) struct AttributionQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
}

fn tokens(row: &Value) -> u64 {
    ["input", "cache_read", "cache_write", "output"]
        .iter()
        .filter_map(|kind| row["tokens"][kind].as_u64())
        .sum()
}

fn attribution_row(group: &str, row: &Value) -> AttributionRow {
    let text = |key: &str| row[key].as_str().map(str::to_owned);
    AttributionRow {
        key: text(group).unwrap_or_default(),
        label: text("label").unwrap_or_default(),
        records: row["records"].as_i64().unwrap_or_default(),
        tokens: tokens(row),
        reported_usd: text("reported_cost_usd"),
        estimated_usd: text("estimated_cost_usd"),
        unpriced_tokens: row["unpriced_tokens"].as_u64().unwrap_or_default(),
    }
}

/// `GET /spend/attribution?from=DAY&to=DAY&group_by=person|team|model|tool` (the current UTC
/// month by person by default).
pub(crate) async fn page(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<AttributionQuery>,
) -> Result<Response, Error> {
    let month = crate::integrations::today().month();
    let mut notice = None;
    let mut day = |text: Option<&str>, default: UtcDay, name: &str| match text.map(UtcDay::parse) {
        None => default,
        Some(Ok(day)) => day,
        Some(Err(e)) => {
            notice = Some(Notice::Error(format!("{name}: {e}; write YYYY-MM-DD")));
            default
        }
    };
    let from = day(query.from.as_deref(), month.first_day(), "from");
    let to = day(query.to.as_deref(), month.last_day(), "to");
    let group = query
        .group_by
        .filter(|g| GROUPS.iter().any(|(value, _)| value == g))
        .unwrap_or_else(|| "person".to_owned());
    let dimension = UsageGroup::ALL
        .into_iter()
        .find(|g| g.as_str() == group)
        .unwrap_or(UsageGroup::Person);
    let rows = if from > to {
        Err(format!("from ({from}) is after to ({to})"))
    } else {
        super::super::attribution::attributed_rows(&state, actor.org_id, (from, to), &[dimension])
            .await
            .map(|rows| {
                rows.iter()
                    .map(|row| attribution_row(&group, row))
                    .collect()
            })
            .map_err(|e| e.to_string())
    };
    let status = if notice.is_some() || rows.is_err() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let viewer = viewer(&state, &actor).await?;
    let html = web::attribution::page(
        viewer,
        (&from.to_string(), &to.to_string()),
        &group,
        rows,
        notice,
    );
    Ok((status, Html(html)).into_response())
}
