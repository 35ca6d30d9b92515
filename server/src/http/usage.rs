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
use crate::spend::{PricedUsage, Span};
use crate::storage::UsageGroup;
use reconciler::UtcDay;

/// The longest range one request may cover.
const MAX_DAYS: i64 = 400;

/// The query of the usage and billing APIs: an inclusive range of UTC days and what to group by.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeQuery {
    pub(super) from: String,
    pub(super) to: String,
    #[serde(default)]
    pub(super) group_by: String,
}

/// The comma-separated `group_by` names as groups of `all`, each at most once.
pub(super) fn groups<G: Copy + PartialEq>(
    text: &str,
    all: &[G],
    name: fn(G) -> &'static str,
) -> Result<Vec<G>, Error> {
    let mut groups = Vec::new();
    for wanted in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let group = all
            .iter()
            .copied()
            .find(|g| name(*g) == wanted)
            .ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|g| name(*g)).collect();
                Error::Invalid(format!(
                    "cannot group by `{wanted}`; group_by takes any of {}",
                    known.join(", ")
                ))
            })?;
        if groups.contains(&group) {
            return Err(Error::Invalid(format!("group_by names `{wanted}` twice")));
        }
        groups.push(group);
    }
    Ok(groups)
}

/// `from` and `to` as an inclusive range of UTC days, at most `MAX_DAYS` long.
pub(super) fn day_range(from: &str, to: &str) -> Result<(UtcDay, UtcDay), Error> {
    let day = |text: &str, name: &str| {
        UtcDay::parse(text).map_err(|e| Error::Invalid(format!("{name}: {e}")))
    };
    let (from, to) = (day(from, "from")?, day(to, "to")?);
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
    Ok((from, to))
}

/// The token object of the usage and billing APIs: non-overlapping kinds, cache writes of both
/// lifetimes together.
pub(super) fn tokens_json(tokens: &reconciler::TokenCounts) -> Value {
    json!({
        "input": tokens.input,
        "cache_read": tokens.cache_read,
        "cache_write": tokens.cache_write_5m + tokens.cache_write_1h,
        "output": tokens.output,
        "reasoning": tokens.reasoning,
    })
}

/// Usage of the days `from..=to` grouped by `groups`: priced per day (or whole month of one
/// price), provider and model first, then summed. `adjust` may rewrite each fine row's group
/// values before the sum (attribution merges identities there).
pub(super) async fn priced_usage(
    state: &AppState,
    org_id: i64,
    (from, to): (UtcDay, UtcDay),
    (groups, catalogue): (&[UsageGroup], &reconciler::Catalogue),
    adjust: impl FnMut(&mut crate::storage::UsageRow),
) -> Result<Vec<PricedUsage>, Error> {
    let mut fine_groups = groups.to_vec();
    for group in crate::spend::PRICING_GROUPS {
        if !fine_groups.contains(&group) {
            fine_groups.push(group);
        }
    }
    let mut fine = Vec::new();
    let per_day = groups.contains(&UsageGroup::Day);
    for span in crate::spend::spans(from, to, per_day, catalogue) {
        match span {
            Span::Days(from, to) => {
                fine.extend(state.storage.usage(org_id, from, to, &fine_groups).await?);
            }
            Span::Months(from, to) => {
                let months = state
                    .storage
                    .usage_by_month(org_id, from, to, &fine_groups)
                    .await?;
                for (month, mut row) in months {
                    // One price holds all month (see `spans`): its first day prices it.
                    row.groups
                        .push((UsageGroup::Day, month.first_day().to_string()));
                    fine.push(row);
                }
            }
        }
    }
    fine.iter_mut().for_each(adjust);
    Ok(crate::spend::price_usage(fine, groups, catalogue))
}

/// A priced usage row as the usage and attribution APIs answer it.
pub(super) fn usage_json(row: &PricedUsage) -> Value {
    let money = |usd: Option<reconciler::Usd>| {
        usd.map_or(Value::Null, |usd| Value::String(usd.to_string()))
    };
    let mut object = Map::new();
    for (group, value) in &row.groups {
        object.insert(group.as_str().to_owned(), Value::String(value.clone()));
    }
    object.insert("label".into(), Value::String(row.label.clone()));
    object.insert("records".into(), json!(row.records));
    object.insert("tokens".into(), tokens_json(&row.tokens));
    object.insert("reported_cost_usd".into(), money(row.reported));
    object.insert("estimated_cost_usd".into(), money(row.estimated));
    object.insert("unpriced_tokens".into(), json!(row.unpriced_tokens));
    Value::Object(object)
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RangeQuery>,
) -> Result<axum::Json<Value>, Error> {
    let (from, to) = day_range(&query.from, &query.to)?;
    let groups = groups(&query.group_by, &UsageGroup::ALL, UsageGroup::as_str)?;
    let catalogue =
        crate::spend::catalogue_for(state.storage.as_ref(), &state.catalogue, actor.org_id).await?;
    let rows = priced_usage(
        &state,
        actor.org_id,
        (from, to),
        (&groups, &catalogue),
        |_| {},
    )
    .await?;
    let rows = rows.iter().map(usage_json).collect();
    super::demo_label::labelled_rows(&state, actor.org_id, rows).await
}
