//! OTLP over gRPC: the Logs, Metrics and Trace services, gzip accepted, served as an axum router
//! on the gRPC address.

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

use crate::Receiver;
use crate::ingest::{Accepted, Export, authenticate, ingest};

#[derive(Clone, Debug)]
struct Otlp(Receiver);

impl Otlp {
    async fn accept<T>(
        &self,
        request: Request<T>,
        wrap: fn(T) -> Export,
    ) -> Result<Accepted, Status> {
        let authorization = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let tenant = authenticate(&self.0, authorization.as_deref())
            .await
            .map_err(|e| e.to_status())?;
        ingest(&self.0, &tenant, wrap(request.into_inner()), Vec::new())
            .await
            .map_err(|e| {
                if matches!(e, crate::ReceiverError::Storage(_)) {
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

/// The three OTLP gRPC services as one router, for the gRPC listener.
pub fn grpc_services(receiver: Receiver) -> axum::Router {
    let limit = receiver.limits.max_decompressed_bytes;
    let otlp = Otlp(receiver);
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
}
