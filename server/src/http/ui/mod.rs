//! The web UI's routes: pages rendered by the `web` crate's Leptos components from data this
//! server reads, and the plain form posts behind their buttons (each answers with the page and
//! its notice). Every page and action works without any client code.

pub(crate) mod attribution;
pub(crate) mod audit;
mod data;
pub(crate) mod inventory;
pub(crate) mod keys;
pub(crate) mod people;
pub(crate) mod users;

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use reconciler::Month;
use serde::Deserialize;
use web::{AddProviderForm, Notice};

use super::AppState;
use super::access::ClientAddr;
use super::extract::{Form, Path, Query};
use super::users::acting;
use crate::Error;
use crate::auth::Actor;
use crate::integrations::CredentialFields;
use data::{PageData, provider_kinds, provider_row, viewer};

/// `GET /assets/reckon.css`: served by the binary, so pages need no other origin.
pub(crate) async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", web::STYLESHEET)
}

/// `GET /assets/reckon.js`: the enhancement script, served like the stylesheet.
pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", web::SCRIPT)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::Invalid(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::ProviderTestFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Storage(crate::storage::StorageError::Conflict(_)) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a page shows for a failed action; internal failures are logged, not shown.
pub(crate) fn error_notice(error: &Error) -> Notice {
    if status_of(error) == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%error, "a page action failed");
        return Notice::Error(
            "reckon could not complete this; the server log has the details".into(),
        );
    }
    Notice::Error(error.to_string())
}

/// How a page action went, as the status and notice of the page that answers it: `success`'s
/// message, or the error's.
pub(crate) fn outcome<T>(
    result: Result<T, Error>,
    success: impl FnOnce(T) -> String,
) -> (StatusCode, Notice) {
    match result {
        Ok(value) => (StatusCode::OK, Notice::Success(success(value))),
        Err(error) => (status_of(&error), error_notice(&error)),
    }
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct MonthQuery {
    month: Option<String>,
}

fn current_month() -> Month {
    crate::integrations::today().month()
}

async fn reconciliation_page(
    state: &AppState,
    actor: &Actor,
    month: Month,
    notice: Option<Notice>,
) -> Result<String, Error> {
    let viewer = viewer(state, actor).await?;
    let previous = month
        .first_day()
        .previous()
        .map_or(month, reconciler::UtcDay::month);
    let next = month.next().unwrap_or(month);
    let data = PageData { state, actor };
    Ok(web::reconciliation::page(
        &data,
        viewer,
        &month.to_string(),
        (&previous.to_string(), &next.to_string()),
        notice,
    )
    .await)
}

/// `GET /spend/reconciliation?month=YYYY-MM` (the current UTC month by default).
pub(crate) async fn reconciliation(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<MonthQuery>,
) -> Result<Response, Error> {
    let (month, notice) = match query.month.as_deref().map(Month::parse) {
        None => (current_month(), None),
        Some(Ok(month)) => (month, None),
        Some(Err(e)) => (
            current_month(),
            Some(Notice::Error(format!(
                "month: {e}; showing the current month"
            ))),
        ),
    };
    let status = if notice.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let html = reconciliation_page(&state, &actor, month, notice).await?;
    Ok((status, Html(html)).into_response())
}

#[derive(Deserialize, Debug)]
pub(crate) struct WriteOffForm {
    provider: String,
    period: String,
    reason: String,
}

/// `POST /spend/reconciliation/write-off`: the page again, with what happened.
pub(crate) async fn write_off(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Form(form): Form<WriteOffForm>,
) -> Result<Response, Error> {
    let month = Month::parse(&form.period).unwrap_or_else(|_| current_month());
    let outcome = super::reconciliation::record_write_off(
        &state,
        &actor,
        client,
        &form.provider,
        &form.period,
        &form.reason,
    )
    .await;
    let (status, notice) = match outcome {
        Ok((recorded, provider, _)) => (
            StatusCode::OK,
            Notice::Success(format!(
                "Wrote off {} USD of {provider} in {}.",
                recorded.variance, recorded.month
            )),
        ),
        Err(error) => (status_of(&error), error_notice(&error)),
    };
    let html = reconciliation_page(&state, &actor, month, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct ProvidersQuery {
    add: Option<String>,
}

async fn providers_page(
    state: &AppState,
    actor: &Actor,
    adding: Option<(String, AddProviderForm)>,
    notice: Option<Notice>,
) -> Result<String, Error> {
    let viewer = viewer(state, actor).await?;
    let data = PageData { state, actor };
    Ok(web::providers::page(&data, viewer, provider_kinds(), adding, notice).await)
}

/// `GET /settings/ai/usage-providers[?add=KIND]`.
pub(crate) async fn providers(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ProvidersQuery>,
) -> Result<Html<String>, Error> {
    let adding = query.add.map(|kind| (kind, AddProviderForm::default()));
    Ok(Html(providers_page(&state, &actor, adding, None).await?))
}

/// `POST /settings/ai/usage-providers`: connect (the Test runs first). On failure the form
/// comes back with what was typed, except secrets.
pub(crate) async fn add_provider(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, Error> {
    let kind = form.get("kind").cloned().unwrap_or_default();
    let name = form.get("name").cloned().unwrap_or_default();
    let credentials: BTreeMap<String, String> = form
        .iter()
        .filter_map(|(key, value)| {
            let field = key.strip_prefix("credential.")?;
            Some((field.to_owned(), value.trim().to_owned()))
        })
        .collect();
    let created = state
        .integrations
        .create(
            &acting(&actor, client),
            actor.org_id,
            &kind,
            &name,
            CredentialFields(credentials.clone()),
        )
        .await;
    match created {
        Ok(integration) => {
            let notice = Notice::Success(format!(
                "Connected {}: the test passed, and its first sync is due now.",
                integration.name
            ));
            Ok(Html(providers_page(&state, &actor, None, Some(notice)).await?).into_response())
        }
        Err(error) => {
            let secret: Vec<String> = provider_kinds()
                .into_iter()
                .filter(|k| k.kind == kind)
                .flat_map(|k| k.fields)
                .filter(|f| f.secret)
                .map(|f| f.name)
                .collect();
            let kept = AddProviderForm {
                kind: kind.clone(),
                name,
                fields: credentials
                    .into_iter()
                    .filter(|(field, _)| !secret.contains(field))
                    .collect(),
            };
            let html = providers_page(
                &state,
                &actor,
                Some((kind, kept)),
                Some(error_notice(&error)),
            )
            .await?;
            Ok((status_of(&error), Html(html)).into_response())
        }
    }
}

/// `POST /settings/ai/usage-providers/{id}/test`.
pub(crate) async fn test_provider(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let (status, notice) = match state.integrations.test(actor.org_id, id).await {
        Ok(run) if run.outcome == "succeeded" => (
            StatusCode::OK,
            Notice::Success(format!(
                "Test succeeded: {} lines for the last 24 hours.",
                run.lines
            )),
        ),
        Ok(run) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Notice::Error(format!(
                "Test failed: {}",
                run.message.unwrap_or_else(|| "no message".into())
            )),
        ),
        Err(error) => (status_of(&error), error_notice(&error)),
    };
    let html = providers_page(&state, &actor, None, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}

/// `POST /settings/ai/usage-providers/{id}/sync`: runs the sync and shows how it went.
pub(crate) async fn sync_provider(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let (status, notice) = match state.integrations.sync(actor.org_id, id).await {
        Ok(run) if run.outcome == "succeeded" => (
            StatusCode::OK,
            Notice::Success(format!(
                "Sync finished: {} lines for {} to {}.",
                run.lines, run.range_from, run.range_to
            )),
        ),
        Ok(run) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Notice::Error(format!(
                "Sync failed: {}",
                run.message.unwrap_or_else(|| "no message".into())
            )),
        ),
        Err(error) => (status_of(&error), error_notice(&error)),
    };
    let html = providers_page(&state, &actor, None, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}

/// `GET /settings/ai/usage-providers/{id}/remove`: the confirmation.
pub(crate) async fn confirm_remove(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Html<String>, Error> {
    let integration = state.integrations.get(actor.org_id, id).await?;
    let viewer = viewer(&state, &actor).await?;
    Ok(Html(web::providers::remove_page(
        viewer,
        provider_row(&integration),
    )))
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct RemoveForm {
    purge: Option<String>,
}

/// `POST /settings/ai/usage-providers/{id}/remove`.
pub(crate) async fn remove_provider(
    State(state): State<AppState>,
    actor: Actor,
    Extension(client): Extension<ClientAddr>,
    Path(id): Path<i64>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, Error> {
    let purge = form.purge.as_deref() == Some("true");
    let removed = state
        .integrations
        .remove(&acting(&actor, client), actor.org_id, id, purge)
        .await;
    let (status, notice) = match removed {
        Ok(integration) if purge => (
            StatusCode::OK,
            Notice::Success(format!(
                "Removed {} and deleted its demo data.",
                integration.name
            )),
        ),
        Ok(integration) => (
            StatusCode::OK,
            Notice::Success(format!(
                "Removed {}: its credentials are destroyed and its history is kept.",
                integration.name
            )),
        ),
        Err(error) => (status_of(&error), error_notice(&error)),
    };
    let html = providers_page(&state, &actor, None, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}
