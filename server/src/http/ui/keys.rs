//! Settings → AI → Telemetry Keys in the web UI: list, create (the key shown once with its
//! setup) and revoke behind a confirmation, through the same account functions as the API.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use web::Notice;
use web::telemetry_keys::KeyRow;

use super::data::{utc, viewer};
use super::{error_notice, outcome, status_of};
use crate::Error;
use crate::accounts;
use crate::auth::Actor;
use crate::http::AppState;
use crate::http::access::ClientAddr;
use crate::http::extract::{Form, Path};
use crate::http::users::acting;
use crate::storage::TelemetryKey;

fn row(key: &TelemetryKey) -> KeyRow {
    KeyRow {
        id: key.id,
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        created: utc(key.created_at_ms),
        last_used: key.last_used_at_ms.map(utc),
        revoked: key.revoked_at_ms.map(utc),
    }
}

async fn page(
    state: &AppState,
    actor: &Actor,
    created: Option<(String, String)>,
    notice: Option<Notice>,
) -> Result<String, Error> {
    let viewer = viewer(state, actor).await?;
    let keys = state.storage.telemetry_keys(actor.org_id).await?;
    let created = created.map(|(name, key)| (name, key, state.otlp.clone()));
    Ok(web::telemetry_keys::page(
        viewer,
        keys.iter().map(row).collect(),
        created,
        notice,
    ))
}

/// `GET /settings/ai/telemetry-keys`.
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Html<String>, Error> {
    Ok(Html(page(&state, &actor, None, None).await?))
}

#[derive(Deserialize, Debug)]
pub(crate) struct NewKey {
    name: String,
}

/// `POST /settings/ai/telemetry-keys`: the page with the new key, shown this once.
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Form(form): Form<NewKey>,
) -> Result<Response, Error> {
    let created = accounts::create_telemetry_key(
        state.storage.as_ref(),
        actor.org_id,
        &form.name,
        &acting(&actor, client),
    )
    .await;
    let response = match created {
        Ok((key, secret)) => {
            let html = page(&state, &actor, Some((key.name, secret)), None).await?;
            (StatusCode::CREATED, Html(html)).into_response()
        }
        Err(error) => {
            let html = page(&state, &actor, None, Some(error_notice(&error))).await?;
            (status_of(&error), Html(html)).into_response()
        }
    };
    Ok(response)
}

/// `GET /settings/ai/telemetry-keys/{id}/revoke`: the confirmation.
pub(crate) async fn confirm_revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Html<String>, Error> {
    let keys = state.storage.telemetry_keys(actor.org_id).await?;
    let key = keys
        .iter()
        .find(|k| k.id == id)
        .ok_or_else(|| Error::NotFound(format!("no telemetry key {id}")))?;
    let viewer = viewer(&state, &actor).await?;
    Ok(Html(web::telemetry_keys::revoke_page(viewer, row(key))))
}

/// `POST /settings/ai/telemetry-keys/{id}/revoke`.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let revoked = accounts::revoke_telemetry_key(
        state.storage.as_ref(),
        actor.org_id,
        id,
        &acting(&actor, client),
    )
    .await;
    let (status, notice) = outcome(revoked, |key| {
        format!("Revoked {}: its exports are refused from now on.", key.name)
    });
    let html = page(&state, &actor, None, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}
