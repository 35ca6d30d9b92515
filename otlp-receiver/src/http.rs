//! OTLP over HTTP: `POST /v1/logs`, `/v1/metrics`, `/v1/traces` (and a JSON export to `/`, which
//! Codex sends when given a base URL), protobuf or JSON, optionally gzip; answers in the request's
//! content type.

use axum::Router;
use axum::body::Body;
use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prost::Message;

use crate::decode::{Encoding, decode_export, gunzip};
use crate::ingest::{Accepted, authenticate, ingest};
use crate::json::{remove_nulls, signal_of as json_signal};
use crate::structure::Signal;
use crate::{Receiver, ReceiverError};

/// The OTLP/HTTP routes.
pub fn http_router(receiver: Receiver) -> Router {
    Router::new()
        .route(
            "/v1/logs",
            post(|s, p, h, b| export(s, Some(Signal::Logs), p, h, b)),
        )
        .route(
            "/v1/metrics",
            post(|s, p, h, b| export(s, Some(Signal::Metrics), p, h, b)),
        )
        .route(
            "/v1/traces",
            post(|s, p, h, b| export(s, Some(Signal::Traces), p, h, b)),
        )
        .route("/", post(|s, p, h, b| export(s, None, p, h, b)))
        // The body limit is enforced below, with OTLP's own error answer.
        .layer(DefaultBodyLimit::disable())
        .with_state(receiver)
}

async fn export(
    State(receiver): State<Receiver>,
    signal: Option<Signal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let encoding = Encoding::from_content_type(text(header::CONTENT_TYPE.as_str()));
    let answer_in = encoding.as_ref().copied().unwrap_or(Encoding::Json);
    let result = async {
        let tenant = authenticate(&receiver, text(header::AUTHORIZATION.as_str())).await?;
        // The permit before any of the body is read; held until the answer.
        let client = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
        let _admitted = receiver.admission.admit(tenant.org_id, client)?;
        let encoding = encoding?;
        let deadline = receiver.limits.body_read_timeout;
        let (body, gzip) = tokio::time::timeout(deadline, read_body(&receiver, &headers, body))
            .await
            .map_err(|_| ReceiverError::BodyTimeout {
                secs: deadline.as_secs(),
            })??;
        // Inflating, routing and decoding on the blocking pool too (see `ingest`).
        let inflated_limit = receiver.limits.max_decompressed_bytes;
        let work = receiver.limits.work;
        let (signal, export, rejected) = tokio::task::spawn_blocking(move || {
            let body = match gzip {
                true => gunzip(&body, inflated_limit)?,
                false => body,
            };
            let signal = match signal {
                Some(signal) => signal,
                None => routed_signal(&body, encoding)?,
            };
            let (export, rejected) = decode_export(&body, encoding, signal, &work)?;
            Ok::<_, ReceiverError>((signal, export, rejected))
        })
        .await
        .map_err(|e| {
            ReceiverError::InvalidArgument(format!("the export could not be decoded: {e}"))
        })??;
        let accepted = ingest(&receiver, &tenant, export, rejected).await?;
        Ok::<_, ReceiverError>((signal, accepted))
    }
    .await;
    match result {
        Ok((signal, accepted)) => success(signal, accepted, answer_in),
        Err(error) => failure(&error, answer_in),
    }
}

/// Past this multiple of the limit, an oversized body is not even read to the end: the client is
/// cut off. Below it, the rest is read and discarded so that the client receives the 413 (a
/// client cut off mid-upload sees a broken connection, which OTLP exporters retry).
const DRAIN_FACTOR: usize = 4;

/// The body as sent, and whether it is gzip (any other encoding is refused).
async fn read_body(
    receiver: &Receiver,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Vec<u8>, bool), ReceiverError> {
    use http_body_util::BodyExt;
    let limit = receiver.limits.max_body_bytes;
    let too_large = || ReceiverError::TooLarge {
        limit,
        stage: "as sent",
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let drain_up_to = limit.saturating_mul(DRAIN_FACTOR);
    if declared.is_some_and(|length| length > drain_up_to) {
        return Err(too_large());
    }
    let mut body = body;
    let mut bytes = Vec::new();
    let (mut seen, mut over) = (0usize, declared.is_some_and(|length| length > limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ReceiverError::InvalidArgument(format!("the body could not be read: {e}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if !over && seen > limit {
            over = true;
            bytes = Vec::new();
        }
        if over {
            if seen > drain_up_to {
                break;
            }
        } else {
            bytes.extend_from_slice(&data);
        }
    }
    if over {
        return Err(too_large());
    }
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match gzip.as_deref() {
        None | Some("" | "identity") => Ok((bytes, false)),
        Some("gzip") => Ok((bytes, true)),
        Some(other) => Err(ReceiverError::InvalidArgument(format!(
            "unsupported Content-Encoding `{other}`; send gzip or no encoding"
        ))),
    }
}

/// A JSON export posted to `/` is routed by its top-level field.
fn routed_signal(body: &[u8], encoding: Encoding) -> Result<Signal, ReceiverError> {
    if encoding == Encoding::Protobuf {
        return Err(ReceiverError::InvalidArgument(
            "protobuf exports must be posted to /v1/logs, /v1/metrics or /v1/traces".into(),
        ));
    }
    match json_signal(body) {
        Some("resourceLogs") => Ok(Signal::Logs),
        Some("resourceMetrics") => Ok(Signal::Metrics),
        Some(_) => Ok(Signal::Traces),
        None => Err(ReceiverError::InvalidArgument(
            "the JSON body has none of resourceLogs, resourceMetrics, resourceSpans".into(),
        )),
    }
}

fn encoded<M: Message + serde::Serialize>(
    status: StatusCode,
    message: &M,
    encoding: Encoding,
) -> Response {
    let body = match encoding {
        Encoding::Protobuf => message.encode_to_vec(),
        // Unset fields are left out (`{}` for a plain success), not written as null.
        Encoding::Json => {
            let mut value = serde_json::to_value(message).unwrap_or_default();
            remove_nulls(&mut value);
            int64_as_text(&mut value);
            serde_json::to_vec(&value).unwrap_or_default()
        }
    };
    (
        status,
        [(header::CONTENT_TYPE, encoding.content_type())],
        body,
    )
        .into_response()
}

/// Protobuf JSON writes 64-bit integers as strings (`"rejectedLogRecords": "1"`).
fn int64_as_text(value: &mut serde_json::Value) {
    let Some(partial) = value
        .get_mut("partialSuccess")
        .and_then(|p| p.as_object_mut())
    else {
        return;
    };
    for key in ["rejectedLogRecords", "rejectedDataPoints", "rejectedSpans"] {
        if let Some(count) = partial.get_mut(key)
            && count.is_number()
        {
            *count = serde_json::Value::String(count.to_string());
        }
    }
}

fn success(signal: Signal, accepted: Accepted, encoding: Encoding) -> Response {
    match signal {
        Signal::Logs => encoded(StatusCode::OK, &accepted.logs(), encoding),
        Signal::Metrics => encoded(StatusCode::OK, &accepted.metrics(), encoding),
        Signal::Traces => encoded(StatusCode::OK, &accepted.traces(), encoding),
    }
}

/// `google.rpc.Status`, the body of OTLP/HTTP error answers.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn failure(error: &ReceiverError, encoding: Encoding) -> Response {
    if matches!(error, ReceiverError::Storage(_)) {
        tracing::error!(%error, "export not stored");
    }
    let status = RpcStatus {
        code: error.grpc_code() as i32,
        message: error.to_string(),
    };
    let mut response = encoded(error.http_status(), &status, encoding);
    if let Some(seconds) = error.retry_after_secs() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
