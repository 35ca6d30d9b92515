//! A real OpenTelemetry SDK (the Rust `opentelemetry-otlp` exporters over gRPC, HTTP/protobuf and
//! HTTP/JSON) emitting Claude-Code-shaped events and counters gives exact totals: the event once,
//! its session's metrics not again, and a metrics-only session from its counters, with delta and
//! cumulative temporality alike.

use std::collections::HashMap;
use std::time::SystemTime;

use opentelemetry::KeyValue;
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_otlp::{
    LogExporter, MetricExporter, Protocol, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{SdkMeterProvider, Temporality};
use reckon_tests::otlp::setup;
use reckon_tests::{TestApp, TestDatabase};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug)]
enum Transport {
    Grpc,
    HttpProtobuf,
    HttpJson,
}

/// Where the exporters send, and whether over TLS (trusting the test CA the way Codex does with
/// its `tls.ca-certificate`: a root added to the exporter's own client).
struct Target {
    http: String,
    grpc: String,
    tls: bool,
}

fn exporters(
    transport: Transport,
    target: &Target,
    key: &str,
    temporality: Temporality,
) -> (LogExporter, MetricExporter) {
    // The HTTP exporters build reqwest clients, which need the process's TLS provider.
    test_tls::install_ring();
    let ca_pem = test_tls::TestCa::shared().ca_pem();
    let bearer = format!("Bearer {key}");
    match transport {
        Transport::Grpc => {
            let endpoint = &target.grpc;
            let mut metadata = tonic::metadata::MetadataMap::new();
            metadata.insert("authorization", bearer.parse().unwrap());
            let tls = || {
                tonic::transport::ClientTlsConfig::new()
                    .ca_certificate(tonic::transport::Certificate::from_pem(&ca_pem))
            };
            let mut logs = LogExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .with_metadata(metadata.clone());
            let mut metrics = MetricExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .with_metadata(metadata)
                .with_temporality(temporality);
            if target.tls {
                logs = logs.with_tls_config(tls());
                metrics = metrics.with_tls_config(tls());
            }
            (logs.build().unwrap(), metrics.build().unwrap())
        }
        Transport::HttpProtobuf | Transport::HttpJson => {
            let protocol = match transport {
                Transport::HttpJson => Protocol::HttpJson,
                _ => Protocol::HttpBinary,
            };
            let headers = HashMap::from([("authorization".to_owned(), bearer)]);
            let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
            let client = || {
                reqwest::blocking::Client::builder()
                    .tls_certs_merge([ca.clone()])
                    .build()
                    .unwrap()
            };
            let logs = LogExporter::builder()
                .with_http()
                .with_http_client(client())
                .with_protocol(protocol)
                .with_endpoint(format!("{}/v1/logs", target.http))
                .with_headers(headers.clone())
                .build()
                .unwrap();
            let metrics = MetricExporter::builder()
                .with_http()
                .with_http_client(client())
                .with_protocol(protocol)
                .with_endpoint(format!("{}/v1/metrics", target.http))
                .with_headers(headers)
                .with_temporality(temporality)
                .build()
                .unwrap();
            (logs, metrics)
        }
    }
}

/// What a Claude Code session exports: one api_request event for session A, counters for A
/// (repeating the event) and for B (which sent no events), flushed twice. B's usage is stored as
/// two token records and two cost records (Claude Code's cost metric is a series of its own).
fn emit(logs: LogExporter, metrics: MetricExporter) {
    let resource = Resource::builder()
        .with_service_name("claude-code")
        .with_attributes([KeyValue::new("team.id", "platform")])
        .build();
    let logger_provider = SdkLoggerProvider::builder()
        .with_resource(resource.clone())
        .with_simple_exporter(logs)
        .build();
    let logger = logger_provider.logger("com.anthropic.claude_code.events");
    let mut record = logger.create_log_record();
    record.set_body(AnyValue::from("claude_code.api_request"));
    record.set_timestamp(SystemTime::now());
    record.add_attributes([
        ("event.name", AnyValue::from("api_request")),
        ("session.id", AnyValue::from("session-a")),
        ("prompt.id", AnyValue::from("prompt-1")),
        ("event.sequence", AnyValue::from(3i64)),
        ("user.email", AnyValue::from("ann@example.com")),
        ("model", AnyValue::from("claude-sonnet-4-5")),
        ("input_tokens", AnyValue::from(1000i64)),
        ("output_tokens", AnyValue::from(20i64)),
        ("cache_read_tokens", AnyValue::from(300i64)),
        ("cache_creation_tokens", AnyValue::from(0i64)),
        ("cost_usd", AnyValue::from(0.0042f64)),
    ]);
    logger.emit(record);
    logger_provider.force_flush().unwrap();

    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_periodic_exporter(metrics)
        .build();
    let meter = meter_provider.meter("com.anthropic.claude_code");
    let tokens = meter
        .f64_counter("claude_code.token.usage")
        .with_unit("tokens")
        .build();
    let cost = meter
        .f64_counter("claude_code.cost.usage")
        .with_unit("USD")
        .build();
    let point = |session: &'static str, kind: Option<&'static str>| {
        let mut attrs = vec![
            KeyValue::new("session.id", session),
            KeyValue::new("user.email", "ann@example.com"),
            KeyValue::new("model", "claude-sonnet-4-5"),
        ];
        if let Some(kind) = kind {
            attrs.push(KeyValue::new("type", kind));
        }
        attrs
    };
    tokens.add(1000.0, &point("session-a", Some("input")));
    tokens.add(20.0, &point("session-a", Some("output")));
    tokens.add(300.0, &point("session-a", Some("cacheRead")));
    cost.add(0.0042, &point("session-a", None));
    for _ in 0..2 {
        tokens.add(500.0, &point("session-b", Some("input")));
        tokens.add(10.0, &point("session-b", Some("output")));
        cost.add(0.001, &point("session-b", None));
        meter_provider.force_flush().unwrap();
    }
    meter_provider.shutdown().unwrap();
    logger_provider.shutdown().unwrap();
}

async fn exact_totals(transport: Transport, temporality: Temporality, tls: bool) {
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let app = if tls {
        TestApp::spawn_tls(&db).await
    } else {
        TestApp::spawn(&db).await
    };
    let target = Target {
        http: app.otlp_http_url(),
        grpc: app.otlp_grpc_url(),
        tls,
    };
    // Built and run off the async threads: the HTTP exporters' blocking client must not be
    // created or dropped on one.
    tokio::task::spawn_blocking(move || {
        let (logs, metrics) = exporters(transport, &target, &key, temporality);
        emit(logs, metrics);
    })
    .await
    .unwrap();

    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let today = reconciler::UtcDay::from_unix_nanos(i128::try_from(now).unwrap()).unwrap();
    let path = format!("/api/v1/usage?from={today}&to={today}&group_by=tool,model,person,team");
    let body: Value = app
        .send(app.authed(Method::GET, &path, &viewer.token))
        .await
        .json();
    assert_eq!(
        body["rows"],
        json!([{
            "tool": "claude_code", "model": "claude-sonnet-4-5", "person": "ann@example.com",
            "team": "platform", "label": "reported", "records": 5,
            "tokens": { "input": 2000, "cache_read": 300, "cache_write": 0, "output": 40, "reasoning": 0 },
            "reported_cost_usd": "0.0062",
            "estimated_cost_usd": null,
            "unpriced_tokens": 0,
        }]),
        "{transport:?} {temporality:?} tls: {tls}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_with_delta_counters() {
    exact_totals(Transport::Grpc, Temporality::Delta, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_protobuf_with_cumulative_counters() {
    exact_totals(Transport::HttpProtobuf, Temporality::Cumulative, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_json_with_delta_counters() {
    exact_totals(Transport::HttpJson, Temporality::Delta, false).await;
}

/// Codex's exporters (Rust `opentelemetry-otlp`, ring TLS) against reckon's TLS listeners,
/// trusting its private CA: the same exact totals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_over_tls_trusting_a_private_ca() {
    exact_totals(Transport::Grpc, Temporality::Delta, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_protobuf_over_tls_trusting_a_private_ca() {
    exact_totals(Transport::HttpProtobuf, Temporality::Delta, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_json_over_tls_trusting_a_private_ca() {
    exact_totals(Transport::HttpJson, Temporality::Cumulative, true).await;
}
