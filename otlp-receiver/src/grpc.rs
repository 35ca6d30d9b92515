//! OTLP over gRPC: the Logs, Metrics and Trace services, gzip accepted, served as an axum router
//! on the gRPC address behind a layer that authenticates each call from its metadata, bounds its
//! body as sent, and inflates, measures and decodes it on the blocking pool within the receiver's
//! limits. tonic only frames the answer: it never inflates or decodes a byte a client sent.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::middleware::Next;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use crate::decode::{Encoding, decode_export, gunzip};
use crate::ingest::{Accepted, Export, authenticate, ingest};
use crate::sink::Tenant;
use crate::structure::Signal;
use crate::{Receiver, ReceiverError};

#[derive(Clone, Debug)]
struct Otlp(Receiver);

/// The export `admit` decoded, handed to the service with the (empty) message tonic decodes.
#[derive(Clone)]
struct Prepared(Arc<Mutex<Option<Export>>>);

/// What `admit` forwards to tonic in place of the client's message: one empty, uncompressed
/// message frame.
const EMPTY_FRAME: [u8; 5] = [0; 5];

impl Otlp {
    async fn accept<T>(&self, request: Request<T>) -> Result<Accepted, Status> {
        // Both put there by `admit`, which every call passes first.
        let tenant = request
            .extensions()
            .get::<Tenant>()
            .cloned()
            .ok_or_else(|| ReceiverError::Unauthenticated.to_status())?;
        let export = request
            .extensions()
            .get::<Prepared>()
            .and_then(|prepared| prepared.0.lock().ok()?.take())
            .ok_or_else(|| Status::internal("the export was not prepared"))?;
        ingest(&self.0, &tenant, export, Vec::new())
            .await
            .map_err(|e| {
                if matches!(e, ReceiverError::Storage(_)) {
                    tracing::error!(error = %e, "export not stored");
                }
                e.to_status()
            })
    }
}

#[tonic::async_trait]
impl LogsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        Ok(Response::new(self.accept(request).await?.logs()))
    }
}

#[tonic::async_trait]
impl MetricsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        Ok(Response::new(self.accept(request).await?.metrics()))
    }
}

#[tonic::async_trait]
impl TraceService for Otlp {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        Ok(Response::new(self.accept(request).await?.traces()))
    }
}

const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
const METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Authenticates the call from its `authorization` metadata (an HTTP/2 header) before any of its
/// body is read; takes the admission permit; reads the body as sent within `max_body_bytes` and
/// the read deadline; then inflates it within `max_decompressed_bytes`, measures it on the wire
/// and decodes it on the blocking pool, exactly as an OTLP/HTTP body. An unauthenticated call
/// costs a header lookup; an over-limit one is refused before it is inflated or decoded whole.
async fn admit(
    State(receiver): State<Receiver>,
    request: axum::extract::Request,
    next: Next,
) -> axum::response::Response {
    let signal = match request.uri().path() {
        LOGS => Signal::Logs,
        METRICS => Signal::Metrics,
        TRACES => Signal::Traces,
        other => {
            let path: String = other.chars().take(100).collect();
            return Status::unimplemented(format!("no OTLP service at {path}")).into_http();
        }
    };
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let tenant = match authenticate(&receiver, authorization).await {
        Ok(tenant) => tenant,
        Err(error) => return error.to_status().into_http(),
    };
    // The permit before any of the body is read, held until the answer.
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let _admitted = match receiver.admission.admit(tenant.org_id, client) {
        Ok(admitted) => admitted,
        Err(error) => return overloaded(&error),
    };
    let (mut parts, body) = request.into_parts();
    let encoding = parts
        .headers
        .remove("grpc-encoding")
        .and_then(|v| v.to_str().ok().map(str::to_owned));
    let export = match prepare(&receiver, body, encoding, signal).await {
        Ok(export) => export,
        Err(error) => {
            if matches!(error, ReceiverError::Storage(_)) {
                tracing::error!(%error, "export not stored");
            }
            return error.to_status().into_http();
        }
    };
    parts.extensions.insert(tenant);
    parts
        .extensions
        .insert(Prepared(Arc::new(Mutex::new(Some(export)))));
    let request =
        axum::extract::Request::from_parts(parts, axum::body::Body::from(&EMPTY_FRAME[..]));
    next.run(request).await
}

/// The call's one message, read, inflated and decoded within the receiver's limits.
async fn prepare(
    receiver: &Receiver,
    body: axum::body::Body,
    encoding: Option<String>,
    signal: Signal,
) -> Result<Export, ReceiverError> {
    let limit = receiver.limits.max_body_bytes;
    let deadline = receiver.limits.body_read_timeout;
    let read = Limited::new(body, limit).collect();
    let bytes = match tokio::time::timeout(deadline, read).await {
        Err(_) => {
            return Err(ReceiverError::BodyTimeout {
                secs: deadline.as_secs(),
            });
        }
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            return Err(ReceiverError::TooLarge {
                limit,
                stage: "as sent",
            });
        }
        Ok(Err(error)) => {
            return Err(ReceiverError::InvalidArgument(format!(
                "the body could not be read: {error}"
            )));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let inflated_limit = receiver.limits.max_decompressed_bytes;
    let work = receiver.limits.work;
    tokio::task::spawn_blocking(move || {
        let message = message_of(&bytes, encoding.as_deref(), inflated_limit)?;
        decode_export(&message, Encoding::Protobuf, signal, &work).map(|(export, _)| export)
    })
    .await
    .map_err(|e| ReceiverError::InvalidArgument(format!("the export could not be decoded: {e}")))?
}

/// The message of a body that must be one gRPC message frame (a flag byte, a 4-byte length, the
/// message), inflated if the flag says it is compressed.
fn message_of<'a>(
    body: &'a [u8],
    encoding: Option<&str>,
    inflated_limit: usize,
) -> Result<std::borrow::Cow<'a, [u8]>, ReceiverError> {
    let invalid = |why: &str| ReceiverError::InvalidArgument(why.to_owned());
    let (header, message) = body
        .split_at_checked(5)
        .ok_or_else(|| invalid("the call holds no gRPC message frame"))?;
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    if usize::try_from(length).ok() != Some(message.len()) {
        return Err(invalid(
            "the call's body is not exactly one gRPC message frame",
        ));
    }
    match (header[0], encoding) {
        (0, _) => Ok(std::borrow::Cow::Borrowed(message)),
        (1, Some("gzip")) => gunzip(message, inflated_limit).map(std::borrow::Cow::Owned),
        (1, Some(other)) => Err(ReceiverError::InvalidArgument(format!(
            "the message is compressed with `{}`; send gzip or no compression",
            other.chars().take(100).collect::<String>()
        ))),
        (1, None) => Err(invalid(
            "the message is marked compressed but the call names no grpc-encoding",
        )),
        _ => Err(invalid("the gRPC message frame has an unknown flag")),
    }
}

/// UNAVAILABLE with the retry delay as `grpc-retry-pushback-ms` (what gRPC clients read) and
/// `Retry-After`.
fn overloaded(error: &ReceiverError) -> axum::response::Response {
    let mut response = error.to_status().into_http::<axum::body::Body>();
    if let Some(secs) = error.retry_after_secs() {
        let headers = response.headers_mut();
        if let Ok(value) = (secs * 1000).to_string().parse() {
            headers.insert("grpc-retry-pushback-ms", value);
        }
        if let Ok(value) = secs.to_string().parse() {
            headers.insert("retry-after", value);
        }
    }
    response
}

/// The three OTLP gRPC services as one router, for the gRPC listener. (tonic only ever decodes
/// the empty frame `admit` forwards; the limit on what it decodes is its own default.)
pub fn grpc_services(receiver: Receiver) -> axum::Router {
    let limit = EMPTY_FRAME.len();
    let otlp = Otlp(receiver.clone());
    tonic::service::Routes::new(
        LogsServiceServer::new(otlp.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limit),
    )
    .add_service(
        MetricsServiceServer::new(otlp.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limit),
    )
    .add_service(
        TraceServiceServer::new(otlp)
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limit),
    )
    .into_axum_router()
    .layer(axum::middleware::from_fn_with_state(receiver, admit))
}
