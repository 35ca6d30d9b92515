//! The HTTP surface: routes, their shared state, and the error format.

mod error;
mod health;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::storage::Storage;

pub(crate) use error::ApiError;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub storage: Arc<dyn Storage>,
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(error::not_found)
        .with_state(state)
}
