//! Spend → Reconciliation → by person in the web UI: the per-person drill-down of one
//! provider's month, from the same engine call as `GET /api/v1/reconciliation/people`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use reconciler::{Month, Provider};
use serde::Deserialize;
use web::people::{People, PersonRow};

use super::data::viewer;
use crate::Error;
use crate::auth::Actor;
use crate::http::AppState;
use crate::http::attribution::UNATTRIBUTED;
use crate::http::extract::Query;

#[derive(Deserialize, Debug, Default)]
pub(crate) struct PeopleQuery {
    month: Option<String>,
    provider: Option<String>,
}

/// `GET /spend/reconciliation/people?month=YYYY-MM&provider=P`.
pub(crate) async fn page(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<PeopleQuery>,
) -> Result<Response, Error> {
    let month_text = query.month.unwrap_or_default();
    let provider_text = query.provider.unwrap_or_default();
    let asked = Month::parse(&month_text)
        .map_err(|e| format!("month: {e}; write YYYY-MM"))
        .and_then(|month| {
            let provider = Provider::parse(&provider_text).map_err(|e| format!("provider: {e}"))?;
            Ok((month, provider))
        });
    let (status, people) = match asked {
        Err(error) => (StatusCode::BAD_REQUEST, People::Failed(error)),
        Ok((month, provider)) => {
            let found = crate::spend::people(
                state.storage.as_ref(),
                &state.catalogue,
                actor.org_id,
                month,
                &provider,
            )
            .await?;
            let people = match found {
                None => People::NotSplit(format!(
                    "The bill of {provider} in {month} names no person, so it cannot be split \
                     by person. Attribution shows observed spend per person."
                )),
                Some(rows) => People::Rows(
                    rows.into_iter()
                        .map(|row| PersonRow {
                            person: if row.person.is_empty() {
                                UNATTRIBUTED.to_owned()
                            } else {
                                row.person
                            },
                            billed_usd: row.billed.to_string(),
                            observed_reported_usd: row.observed_reported.to_string(),
                            observed_estimated_usd: row.observed_estimated.to_string(),
                            unpriced_tokens: row.unpriced_tokens,
                            variance_usd: row.variance.map(|v| v.to_string()),
                        })
                        .collect(),
                ),
            };
            (StatusCode::OK, people)
        }
    };
    let viewer = viewer(&state, &actor).await?;
    let html = web::people::page(viewer, &month_text, &provider_text, people);
    Ok((status, Html(html)).into_response())
}
