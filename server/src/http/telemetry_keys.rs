//! `/api/v1/telemetry-keys`: the keys developers' OTLP exporters send (Settings → AI → Telemetry Keys).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::access::ClientAddr;
use super::extract::{Json, Path};
use super::users::acting;
use crate::Error;
use crate::accounts;
use crate::auth::Actor;

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let keys = state.storage.telemetry_keys(actor.org_id).await?;
    Ok(axum::Json(json!({ "telemetry_keys": keys })))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewKey {
    name: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Json(body): Json<NewKey>,
) -> Result<impl IntoResponse, Error> {
    let (key, secret) = accounts::create_telemetry_key(
        state.storage.as_ref(),
        actor.org_id,
        &body.name,
        &acting(&actor, client),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "key": secret, "telemetry_key": key })),
    ))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let key = accounts::revoke_telemetry_key(
        state.storage.as_ref(),
        actor.org_id,
        id,
        &acting(&actor, client),
    )
    .await?;
    Ok(axum::Json(json!({ "telemetry_key": key })))
}
