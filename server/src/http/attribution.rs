//! `GET /api/v1/attribution`: observed spend per person, team, model, tool (any of them, and
//! day or provider), labelled like the usage API. Usage without a person or team falls in the
//! `unattributed` bucket; one person seen under several tool ids is merged under the email that
//! appeared beside those ids.

use std::collections::HashMap;

use axum::extract::State;
use serde_json::{Map, Value, json};

use super::AppState;
use super::extract::Query;
use super::usage::{RangeQuery, day_range, groups, tokens_json};
use crate::Error;
use crate::auth::Actor;
use crate::spend::{PRICING_GROUPS, catalogue_for, price_usage};
use crate::storage::UsageGroup;

/// The bucket of usage no person (or team) is known for.
pub const UNATTRIBUTED: &str = "unattributed";

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RangeQuery>,
) -> Result<axum::Json<Value>, Error> {
    let (from, to) = day_range(&query.from, &query.to)?;
    let mut wanted = groups(&query.group_by, &UsageGroup::ALL, UsageGroup::as_str)?;
    if wanted.is_empty() {
        wanted.push(UsageGroup::Person);
    }
    let mut fine_groups = wanted.clone();
    for group in PRICING_GROUPS {
        if !fine_groups.contains(&group) {
            fine_groups.push(group);
        }
    }
    let storage = state.storage.as_ref();
    let links: HashMap<String, String> = storage
        .identity_links(actor.org_id)
        .await?
        .into_iter()
        .collect();
    let mut fine = storage.usage(actor.org_id, from, to, &fine_groups).await?;
    for row in &mut fine {
        for (group, value) in &mut row.groups {
            match group {
                UsageGroup::Person => {
                    if let Some(email) = links.get(value.as_str()) {
                        *value = email.clone();
                    }
                    if value.is_empty() {
                        *value = UNATTRIBUTED.to_owned();
                    }
                }
                UsageGroup::Team if value.is_empty() => *value = UNATTRIBUTED.to_owned(),
                _ => {}
            }
        }
    }
    let catalogue = catalogue_for(storage, &state.catalogue, actor.org_id).await?;
    let rows: Vec<Value> = price_usage(fine, &wanted, &catalogue)
        .into_iter()
        .map(|row| {
            let mut object = Map::new();
            for (group, value) in row.groups {
                object.insert(group.as_str().to_owned(), Value::String(value));
            }
            let money = |usd: Option<reconciler::Usd>| {
                usd.map_or(Value::Null, |usd| Value::String(usd.to_string()))
            };
            object.insert("label".into(), Value::String(row.label));
            object.insert("records".into(), json!(row.records));
            object.insert("tokens".into(), tokens_json(&row.tokens));
            object.insert("reported_cost_usd".into(), money(row.reported));
            object.insert("estimated_cost_usd".into(), money(row.estimated));
            object.insert("unpriced_tokens".into(), json!(row.unpriced_tokens));
            Value::Object(object)
        })
        .collect();
    Ok(axum::Json(json!({ "rows": rows })))
}
