//! The one place where errors become HTTP statuses and the JSON error format.
//!
//! Every error body is `{"error": {"code": "snake_case_code", "message": "…"}}`; codes are stable.
//! Server-side failures are logged here, once, and answered without their internals.

use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::Error;
use crate::storage::StorageError;

fn status_and_code(error: &Error) -> (StatusCode, &'static str) {
    match error {
        Error::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        Error::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        Error::CsrfRejected(_) => (StatusCode::FORBIDDEN, "csrf_rejected"),
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        Error::Storage(StorageError::Conflict(_)) => (StatusCode::CONFLICT, "conflict"),
        Error::Storage(StorageError::SetupToken) => (StatusCode::GONE, "setup_link_invalid"),
        Error::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
        Error::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
        Error::ProviderTestFailed(_) => (StatusCode::UNPROCESSABLE_ENTITY, "provider_test_failed"),
        // The operator's key setup, not a bug: the message says what to fix, and holds no secret.
        Error::Vault(_) => (StatusCode::SERVICE_UNAVAILABLE, "vault_unavailable"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// The status an error is answered with (also for HTML pages that show it).
pub(crate) fn status_of(error: &Error) -> StatusCode {
    status_and_code(error).0
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = status_and_code(&self);
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
            "reckon could not complete the request; the server log has the details".to_owned()
        } else {
            if status.is_server_error() {
                tracing::warn!(code, error = %self, "request failed");
            }
            self.to_string()
        };
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        let mut response = (status, Json(body)).into_response();
        if let Error::TooManyAttempts { retry_after, .. } = self {
            let seconds = retry_after.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&seconds) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

pub(crate) async fn not_found(method: Method, uri: Uri) -> Error {
    Error::NotFound(format!("no route for {method} {}", uri.path()))
}
