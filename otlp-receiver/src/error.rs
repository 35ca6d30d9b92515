//! The receiver's errors and the one place they become HTTP statuses and gRPC codes.

use axum::http::StatusCode;

/// Why an export was refused. Messages never contain the telemetry key.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    #[error("missing, unknown or revoked telemetry key; send `Authorization: Bearer <key>`")]
    Unauthenticated,
    #[error("{0}")]
    InvalidArgument(String),
    #[error("unsupported content type `{0}`; send application/x-protobuf or application/json")]
    UnsupportedMediaType(String),
    #[error("the export is larger than {limit} bytes {stage}; send smaller batches")]
    TooLarge { limit: usize, stage: &'static str },
    #[error("the body did not arrive within {secs} s of the headers")]
    BodyTimeout { secs: u64 },
    #[error("reckon is busy; retry after {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    #[error("reckon could not store the export: {0}")]
    Storage(String),
}

impl ReceiverError {
    pub fn http_status(&self) -> StatusCode {
        match self {
            ReceiverError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ReceiverError::InvalidArgument(_) => StatusCode::BAD_REQUEST,
            ReceiverError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ReceiverError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ReceiverError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ReceiverError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ReceiverError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The gRPC code: UNAUTHENTICATED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED or UNAVAILABLE (the
    /// only retryable ones are the last two, as OTLP prescribes).
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            ReceiverError::Unauthenticated => tonic::Code::Unauthenticated,
            ReceiverError::InvalidArgument(_) | ReceiverError::UnsupportedMediaType(_) => {
                tonic::Code::InvalidArgument
            }
            ReceiverError::TooLarge { .. } => tonic::Code::ResourceExhausted,
            ReceiverError::BodyTimeout { .. } => tonic::Code::DeadlineExceeded,
            ReceiverError::Overloaded { .. } | ReceiverError::Storage(_) => {
                tonic::Code::Unavailable
            }
        }
    }

    /// Seconds after which a retry makes sense, for retryable errors.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ReceiverError::Overloaded { retry_after_secs } => Some(*retry_after_secs),
            ReceiverError::Storage(_) => Some(5),
            _ => None,
        }
    }

    pub fn to_status(&self) -> tonic::Status {
        tonic::Status::new(self.grpc_code(), self.to_string())
    }
}
