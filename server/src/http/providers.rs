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
use super::extract::{Json, Path, Query};
use super::users::acting;
use crate::Error;
use crate::auth::Actor;
use crate::integrations::CredentialFields;
use crate::storage::Integration;

/// An integration as the API shows it: the Demo provider says what it is.
fn labelled(integration: &Integration) -> Value {
    let mut value = json!(integration);
    if integration.kind == "demo"
        && let Some(object) = value.as_object_mut()
    {
        object.insert("demo".into(), Value::Bool(true));
        object.insert("warning".into(), Value::from(crate::demo::DEMO_NOTICE));
    }
    value
}

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Value>, Error> {
    let providers: Vec<Value> = state
        .integrations
        .list(actor.org_id)
        .await?
        .iter()
        .map(labelled)
        .collect();
    Ok(axum::Json(json!({ "providers": providers })))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Error> {
    let provider = labelled(&state.integrations.get(actor.org_id, id).await?);
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
    let provider = labelled(&provider);
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

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemoveQuery {
    /// Demo provider only: delete its data rather than keep it as history.
    #[serde(default)]
    purge: bool,
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
    Query(query): Query<RemoveQuery>,
) -> Result<axum::Json<Value>, Error> {
    let provider = state
        .integrations
        .remove(&acting(&actor, client), actor.org_id, id, query.purge)
        .await?;
    let provider = labelled(&provider);
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
