//! `/api/v1/providers`: usage providers (Settings → AI → Usage Providers) — connect (tested
//! first), list, test, sync, remove, and their runs. Credentials go in and never come out.

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
use crate::auth::Actor;
use crate::integrations::CredentialFields;

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let providers = state.integrations.list(actor.org_id).await?;
    Ok(axum::Json(json!({ "providers": providers })))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let provider = state.integrations.get(actor.org_id, id).await?;
    Ok(axum::Json(json!({ "provider": provider })))
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProvider {
    kind: String,
    name: String,
    #[serde(default)]
    credentials: CredentialFields,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Json(body): Json<NewProvider>,
) -> Result<impl IntoResponse, Error> {
    let provider = state
        .integrations
        .create(
            &acting(&actor, client),
            actor.org_id,
            &body.kind,
            &body.name,
            body.credentials,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "provider": provider })),
    ))
}

pub(crate) async fn test(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let run = state.integrations.test(actor.org_id, id).await?;
    Ok(axum::Json(json!({ "run": run })))
}

pub(crate) async fn sync(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let run = state.integrations.sync(actor.org_id, id).await?;
    Ok(axum::Json(json!({ "run": run })))
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let provider = state
        .integrations
        .remove(&acting(&actor, client), actor.org_id, id)
        .await?;
    Ok(axum::Json(json!({ "provider": provider })))
}

pub(crate) async fn runs(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let runs = state.integrations.runs(actor.org_id, id).await?;
    Ok(axum::Json(json!({ "runs": runs })))
}
