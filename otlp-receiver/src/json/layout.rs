//! The one shape of the three OTLP exports: export → resource entries → scope entries →
//! records (log records, spans or metrics), named per signal.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use serde::de::DeserializeOwned;

use crate::structure::Signal;

/// How one signal's export is put together from its parts.
pub(crate) trait Layout: Sized {
    /// The top-level field, and how it is misspelt in snake_case.
    const TOP: &'static str;
    const SNAKE: &'static str;
    /// The field of a resource entry holding its scope entries, and of a scope entry holding
    /// its records.
    const SCOPES: &'static str;
    const RECORDS: &'static str;
    /// Which counted level a record is (records, or metrics).
    const RECORD_LEVEL: usize;
    /// The signal, for the protobuf census.
    const SIGNAL: Signal;
    type Record: DeserializeOwned;
    type Scoped;
    type Resourced;
    fn scoped(
        scope: Option<InstrumentationScope>,
        records: Vec<Self::Record>,
        schema_url: String,
    ) -> Self::Scoped;
    fn resourced(
        resource: Option<Resource>,
        scopes: Vec<Self::Scoped>,
        schema_url: String,
    ) -> Self::Resourced;
    fn export(resources: Vec<Self::Resourced>) -> Self;
}

impl Layout for ExportLogsServiceRequest {
    const SIGNAL: Signal = Signal::Logs;
    const TOP: &'static str = "resourceLogs";
    const SNAKE: &'static str = "resource_logs";
    const SCOPES: &'static str = "scopeLogs";
    const RECORDS: &'static str = "logRecords";
    const RECORD_LEVEL: usize = 2;
    type Record = LogRecord;
    type Scoped = ScopeLogs;
    type Resourced = ResourceLogs;
    fn scoped(
        scope: Option<InstrumentationScope>,
        log_records: Vec<LogRecord>,
        schema_url: String,
    ) -> ScopeLogs {
        ScopeLogs {
            scope,
            log_records,
            schema_url,
        }
    }
    fn resourced(
        resource: Option<Resource>,
        scope_logs: Vec<ScopeLogs>,
        schema_url: String,
    ) -> ResourceLogs {
        ResourceLogs {
            resource,
            scope_logs,
            schema_url,
        }
    }
    fn export(resource_logs: Vec<ResourceLogs>) -> Self {
        ExportLogsServiceRequest { resource_logs }
    }
}

impl Layout for ExportMetricsServiceRequest {
    const SIGNAL: Signal = Signal::Metrics;
    const TOP: &'static str = "resourceMetrics";
    const SNAKE: &'static str = "resource_metrics";
    const SCOPES: &'static str = "scopeMetrics";
    const RECORDS: &'static str = "metrics";
    const RECORD_LEVEL: usize = 3;
    type Record = Metric;
    type Scoped = ScopeMetrics;
    type Resourced = ResourceMetrics;
    fn scoped(
        scope: Option<InstrumentationScope>,
        metrics: Vec<Metric>,
        schema_url: String,
    ) -> ScopeMetrics {
        ScopeMetrics {
            scope,
            metrics,
            schema_url,
        }
    }
    fn resourced(
        resource: Option<Resource>,
        scope_metrics: Vec<ScopeMetrics>,
        schema_url: String,
    ) -> ResourceMetrics {
        ResourceMetrics {
            resource,
            scope_metrics,
            schema_url,
        }
    }
    fn export(resource_metrics: Vec<ResourceMetrics>) -> Self {
        ExportMetricsServiceRequest { resource_metrics }
    }
}

impl Layout for ExportTraceServiceRequest {
    const SIGNAL: Signal = Signal::Traces;
    const TOP: &'static str = "resourceSpans";
    const SNAKE: &'static str = "resource_spans";
    const SCOPES: &'static str = "scopeSpans";
    const RECORDS: &'static str = "spans";
    const RECORD_LEVEL: usize = 2;
    type Record = Span;
    type Scoped = ScopeSpans;
    type Resourced = ResourceSpans;
    fn scoped(
        scope: Option<InstrumentationScope>,
        spans: Vec<Span>,
        schema_url: String,
    ) -> ScopeSpans {
        ScopeSpans {
            scope,
            spans,
            schema_url,
        }
    }
    fn resourced(
        resource: Option<Resource>,
        scope_spans: Vec<ScopeSpans>,
        schema_url: String,
    ) -> ResourceSpans {
        ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        }
    }
    fn export(resource_spans: Vec<ResourceSpans>) -> Self {
        ExportTraceServiceRequest { resource_spans }
    }
}
