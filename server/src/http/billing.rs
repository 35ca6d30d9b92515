//! `GET /api/v1/billing`: billed lines per UTC day range, grouped by any of day, provider,
//! model, workspace, api_key, person, cost_type, integration_id; `billed_usd` is exact (a
//! decimal string) and null where no line of the group carries an amount.

use axum::extract::State;
use serde_json::{Map, Value, json};

use super::AppState;
use super::extract::Query;
use super::usage::{RangeQuery, day_range, groups, tokens_json};
use crate::Error;
use crate::auth::Actor;
use crate::storage::BillingGroup;

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RangeQuery>,
) -> Result<axum::Json<Value>, Error> {
    let (from, to) = day_range(&query.from, &query.to)?;
    let groups = groups(&query.group_by, &BillingGroup::ALL, BillingGroup::as_str)?;
    let rows = state
        .storage
        .billing(actor.org_id, from, to, &groups)
        .await?;
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            let mut object = Map::new();
            for (group, value) in row.groups {
                object.insert(group.as_str().to_owned(), Value::String(value));
            }
            object.insert("label".into(), Value::String("billed".into()));
            object.insert("lines".into(), json!(row.lines));
            object.insert("tokens".into(), tokens_json(&row.tokens));
            object.insert(
                "billed_usd".into(),
                row.billed
                    .map_or(Value::Null, |usd| Value::String(usd.to_string())),
            );
            Value::Object(object)
        })
        .collect();
    super::demo_label::labelled_rows(&state, actor.org_id, rows).await
}
