//! Settings → Audit log in the web UI: the audit log newest first, fifty entries a page.

use axum::extract::State;
use axum::response::Html;
use serde::Deserialize;
use web::audit::AuditRow;

use super::data::{utc, viewer};
use crate::Error;
use crate::auth::Actor;
use crate::http::AppState;
use crate::http::extract::Query;

const PAGE: usize = 50;

#[derive(Deserialize, Debug, Default)]
pub(crate) struct Before {
    before: Option<i64>,
}

/// `GET /settings/audit-log?before=ID`.
pub(crate) async fn page(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<Before>,
) -> Result<Html<String>, Error> {
    // One more than shown tells whether there is an older page.
    let mut events = state
        .storage
        .audit_events(actor.org_id, query.before, PAGE as i64 + 1)
        .await?;
    let older = (events.len() > PAGE).then(|| events[PAGE - 1].id);
    events.truncate(PAGE);
    let rows = events
        .into_iter()
        .map(|event| AuditRow {
            when: utc(event.created_at_ms),
            actor: event.actor,
            action: event.action,
            target: event.target,
            details: event.details.to_string(),
            client_addr: event.client_addr,
        })
        .collect();
    let viewer = viewer(&state, &actor).await?;
    Ok(Html(web::audit::page(
        viewer,
        rows,
        older,
        query.before.is_none(),
    )))
}
