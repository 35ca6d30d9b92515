//! Liveness and readiness probes for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use crate::Error;

/// Alive: the process answers HTTP.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers and its schema is up to date.
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, Error> {
    match state.storage.check_ready().await {
        Ok(()) => Ok(Json(json!({
            "status": "ready",
            "database": state.storage.backend().as_str(),
        }))),
        Err(error) => Err(Error::NotReady(format!("database not ready: {error}"))),
    }
}
