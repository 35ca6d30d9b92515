//! `GET /api/v1/usage`: observed usage per UTC day range, grouped by any of day, provider, tool,
//! model, person, team; each row says whether its cost is the tool's own (`reported`) or still to
//! be priced from its tokens (`estimated`, cost null).

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::AppState;
use super::extract::Query;
use crate::Error;
use crate::auth::Actor;
use crate::storage::UsageGroup;

/// The longest range one request may cover.
const MAX_DAYS: i64 = 400;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageQuery {
    from: String,
    to: String,
    #[serde(default)]
    group_by: String,
}

fn groups(text: &str) -> Result<Vec<UsageGroup>, Error> {
    let mut groups = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let group = UsageGroup::ALL
            .into_iter()
            .find(|g| g.as_str() == name)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "cannot group by `{name}`; group_by takes any of day, provider, tool, model, person, team"
                ))
            })?;
        if groups.contains(&group) {
            return Err(Error::Invalid(format!("group_by names `{name}` twice")));
        }
        groups.push(group);
    }
    Ok(groups)
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<UsageQuery>,
) -> Result<axum::Json<Value>, Error> {
    let day = |text: &str, name: &str| {
        reconciler::UtcDay::parse(text).map_err(|e| Error::Invalid(format!("{name}: {e}")))
    };
    let (from, to) = (day(&query.from, "from")?, day(&query.to, "to")?);
    if from > to {
        return Err(Error::Invalid(format!("from ({from}) is after to ({to})")));
    }
    let span = to
        .start_unix_nanos()
        .saturating_sub(from.start_unix_nanos())
        / 86_400_000_000_000;
    if span >= i128::from(MAX_DAYS) {
        return Err(Error::Invalid(format!(
            "a range covers at most {MAX_DAYS} days"
        )));
    }
    let groups = groups(&query.group_by)?;
    let rows = state.storage.usage(actor.org_id, from, to, &groups).await?;
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            let mut object = Map::new();
            for (group, value) in row.groups {
                object.insert(group.as_str().to_owned(), Value::String(value));
            }
            let tokens = row.tokens;
            object.insert("label".into(), Value::String(row.label));
            object.insert("records".into(), json!(row.records));
            object.insert(
                "tokens".into(),
                json!({
                    "input": tokens.input,
                    "cache_read": tokens.cache_read,
                    "cache_write": tokens.cache_write_5m + tokens.cache_write_1h,
                    "output": tokens.output,
                    "reasoning": tokens.reasoning,
                }),
            );
            object.insert(
                "reported_cost_usd".into(),
                row.reported_cost
                    .map_or(Value::Null, |usd| Value::String(usd.to_string())),
            );
            Value::Object(object)
        })
        .collect();
    Ok(axum::Json(json!({ "rows": rows })))
}
