//! The JSON error format and the one place where errors become HTTP statuses.
//!
//! Every error body is `{"error": {"code": "snake_case_code", "message": "…"}}`; codes are stable.

use axum::Json;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// An error answered to an HTTP client.
#[derive(Debug)]
pub(crate) enum ApiError {
    NotFound(String),
    NotReady(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
        }
    }

    fn message(&self) -> &str {
        match self {
            ApiError::NotFound(message) | ApiError::NotReady(message) => message,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::warn!(code, message = self.message(), "request failed");
        }
        let body = serde_json::json!({ "error": { "code": code, "message": self.message() } });
        (status, Json(body)).into_response()
    }
}

pub(crate) async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}
