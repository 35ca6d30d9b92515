//! OTLP over gRPC: the Logs, Metrics and Trace services, gzip accepted, served as an axum router
//! on the gRPC address behind a layer that authenticates each call from its metadata and bounds
//! its body as sent before tonic inflates or decodes a byte of it.

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

use crate::ingest::{Accepted, Export, authenticate, ingest};
use crate::sink::Tenant;
use crate::{Receiver, ReceiverError};

#[derive(Clone, Debug)]
struct Otlp(Receiver);

impl Otlp {
    async fn accept<T>(
        &self,
        request: Request<T>,
        wrap: fn(T) -> Export,
    ) -> Result<Accepted, Status> {
        // Put there by `admit`, which every call passes first.
        let tenant = request
            .extensions()
            .get::<Tenant>()
            .cloned()
            .ok_or_else(|| ReceiverError::Unauthenticated.to_status())?;
        ingest(&self.0, &tenant, wrap(request.into_inner()), Vec::new())
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
        Ok(Response::new(
            self.accept(request, Export::Logs).await?.logs(),
        ))
    }
}

#[tonic::async_trait]
impl MetricsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        Ok(Response::new(
            self.accept(request, Export::Metrics).await?.metrics(),
        ))
    }
}

#[tonic::async_trait]
impl TraceService for Otlp {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        Ok(Response::new(
            self.accept(request, Export::Traces).await?.traces(),
        ))
    }
}

/// Authenticates the call from its `authorization` metadata (an HTTP/2 header) before any of its
/// body is read, and limits the body as sent to `max_body_bytes` (as on OTLP/HTTP): an
/// unauthenticated call costs a header lookup, not an inflated and decoded message.
async fn admit(
    State(receiver): State<Receiver>,
    mut request: axum::extract::Request,
    next: Next,
) -> axum::response::Response {
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
    request.extensions_mut().insert(tenant);
    let limit = receiver.limits.max_body_bytes;
    let request = request.map(|body| {
        // tonic keeps a `Status` that a body fails with: the client reads RESOURCE_EXHAUSTED
        // and what the limit is.
        axum::body::Body::new(Limited::new(body, limit).map_err(move |error| {
            if error.is::<LengthLimitError>() {
                ReceiverError::TooLarge {
                    limit,
                    stage: "as sent",
                }
                .to_status()
            } else {
                Status::from_error(error)
            }
        }))
    });
    // The body must arrive (and the call be answered) within the read deadline.
    let deadline = receiver.limits.body_read_timeout;
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ReceiverError::BodyTimeout {
            secs: deadline.as_secs(),
        }
        .to_status()
        .into_http(),
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

/// The three OTLP gRPC services as one router, for the gRPC listener.
pub fn grpc_services(receiver: Receiver) -> axum::Router {
    let limit = receiver.limits.max_decompressed_bytes;
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
