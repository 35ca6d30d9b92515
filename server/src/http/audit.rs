//! `GET /api/v1/audit`: the organisation's audit log, newest first, paged by `before`.

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::extract::Query;
use crate::Error;
use crate::auth::Actor;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Page {
    /// Events per page, 1 to 200 (default 50).
    limit: Option<i64>,
    /// Only events older than this id: the previous page's `next_before`.
    before: Option<i64>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(page): Query<Page>,
) -> Result<axum::Json<Value>, Error> {
    let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::Invalid(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    // One more than asked tells whether another page exists.
    let mut events = state
        .storage
        .audit_events(actor.org_id, page.before, limit + 1)
        .await?;
    let more = events.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_before = if more {
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(axum::Json(
        json!({ "events": events, "next_before": next_before }),
    ))
}
