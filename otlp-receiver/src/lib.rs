//! reckon's OTLP receiver: gRPC and HTTP ingest of AI coding tools' telemetry, turned into usage
//! records (who, which tool, provider and model, tokens by kind, the tool's own cost).
//!
//! Storage is behind [`UsageSink`], which the server implements; an export is acknowledged only
//! after the sink has durably stored it.

mod admission;
mod attrs;
pub mod cumulative;
mod decode;
mod error;
mod grpc;
mod http;
mod ingest;
mod json;
mod limits;
mod map;
mod model;
mod sink;
mod structure;

pub use error::ReceiverError;
pub use grpc::grpc_services;
pub use http::http_router;
pub use limits::{MAX_NESTING, ReceiverLimits, WorkLimits};
pub use map::map_logs;
pub use map::map_metrics;
pub use map::map_traces;
pub use model::{IdempotencyKey, Identity, Mapped, RecordKind, Rejection, UsageRecord};
pub use sink::{Receiver, StoreOutcome, Tenant, UsageSink};
