//! Replaying the recorded OTLP exports of the real CLIs (tests/fixtures/otlp) to a running
//! server, and reading its usage API.

use base64::Engine;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use reckon_server::accounts::{Acting, create_telemetry_key};
use reckon_server::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::codec::CompressionEncoding;

use crate::{Member, TestApp, TestDatabase, add_member};

/// Every recorded export, in the fixtures' README's order.
pub const FIXTURES: [&str; 7] = [
    "claude-code-2.1.328-http-json-delta.jsonl",
    "claude-code-2.1.328-http-protobuf-delta.jsonl",
    "codex-0.169.0-http-json-delta.jsonl",
    "codex-0.169.0-grpc-delta.jsonl",
    "codex-0.169.0-http-json-delta-chatgpt-login.jsonl",
    "gemini-cli-0.61.0-http-json-cumulative.jsonl",
    "gemini-cli-0.61.0-grpc-cumulative.jsonl",
];

pub fn fixture(name: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/otlp")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A gRPC channel to the app's OTLP listener; over TLS trusting the test CA (tonic negotiates
/// ALPN `h2`, as every gRPC client does).
pub async fn grpc_channel(app: &TestApp) -> tonic::transport::Channel {
    let endpoint = tonic::transport::Endpoint::from_shared(app.otlp_grpc_url()).unwrap();
    let endpoint = if app.https {
        test_tls::install_ring();
        let ca = tonic::transport::Certificate::from_pem(test_tls::TestCa::shared().ca_pem());
        endpoint
            .tls_config(tonic::transport::ClientTlsConfig::new().ca_certificate(ca))
            .unwrap()
    } else {
        endpoint
    };
    endpoint.connect().await.unwrap()
}

fn grpc_request<T: Message + Default>(bytes: &[u8], key: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(T::decode(bytes).expect("a recorded gRPC body"));
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    request
}

/// Sends every request of a fixture file with `key` in place of the recorded one.
pub async fn replay(app: &TestApp, name: &str, key: &str) {
    let gzip = name.contains("gemini") && name.contains("grpc");
    for line in fixture(name) {
        let path = line["path"].as_str().unwrap();
        let bytes = match line.get("body_b64") {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64.as_str().unwrap())
                .unwrap(),
            None => serde_json::to_vec(&line["body"]).unwrap(),
        };
        if line["transport"] == "grpc" {
            let channel = grpc_channel(app).await;
            // One gRPC export with the recorded body, through the service's own client.
            macro_rules! export {
                ($client:ident, $request:ty) => {{
                    let mut client = $client::new(channel);
                    if gzip {
                        client = client.send_compressed(CompressionEncoding::Gzip);
                    }
                    let answer = client.export(grpc_request::<$request>(&bytes, key)).await;
                    answer
                        .unwrap()
                        .into_inner()
                        .partial_success
                        .map(|p| p.error_message)
                }};
            }
            let rejected = if path.contains("LogsService") {
                export!(LogsServiceClient, ExportLogsServiceRequest)
            } else if path.contains("MetricsService") {
                export!(MetricsServiceClient, ExportMetricsServiceRequest)
            } else {
                export!(TraceServiceClient, ExportTraceServiceRequest)
            };
            assert_eq!(rejected, None, "{name} {path}");
        } else {
            let response = crate::http_client()
                .post(format!("{}{path}", app.otlp_http_url()))
                .header("content-type", line["ct"].as_str().unwrap())
                .header("authorization", format!("Bearer {key}"))
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap();
            assert_eq!(
                status,
                200,
                "{name} {path}: {}",
                String::from_utf8_lossy(&body)
            );
            if line["ct"].as_str().unwrap().contains("json") {
                assert_eq!(
                    serde_json::from_slice::<Value>(&body).unwrap(),
                    json!({}),
                    "{name} {path}"
                );
            }
        }
    }
}

pub async fn setup(db: &TestDatabase) -> (String, Member) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap();
    let viewer = add_member(
        storage.as_ref(),
        org.id,
        Role::Viewer,
        "finance@example.com",
    )
    .await;
    let (_, key) = create_telemetry_key(storage.as_ref(), org.id, "laptops", &Acting::cli())
        .await
        .unwrap();
    storage.close().await;
    (key, viewer)
}

pub async fn usage(app: &TestApp, reader: &Member, group_by: &str) -> Vec<Value> {
    let path = format!("/api/v1/usage?from=2026-11-01&to=2026-11-30&group_by={group_by}");
    let body: Value = app
        .send(app.authed(Method::GET, &path, &reader.token))
        .await
        .json();
    body["rows"].as_array().unwrap().clone()
}

/// Now, in Unix nanoseconds (what OTLP timestamps are).
pub fn now_ns() -> i128 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    i128::try_from(since.as_nanos()).expect("nanoseconds fit i128")
}

/// One Claude Code `api_request` event as its OTLP/JSON exporter sends it: `input` tokens of
/// `claude-sonnet-4-5` at `time_ns` (Unix nanoseconds, UTC), with the cost it reports, if any.
pub fn claude_code_request(
    time_ns: i128,
    email: &str,
    input: u64,
    cost_usd: Option<&str>,
) -> Value {
    let string = |key: &str, value: &str| json!({ "key": key, "value": { "stringValue": value } });
    let int = |key: &str, value: u64| json!({ "key": key, "value": { "intValue": value } });
    let mut attributes = vec![
        string("team.id", "platform"),
        string("user.email", email),
        string("session.id", &format!("session-{time_ns}")),
        string("anthropic.provider", "firstParty"),
        string("event.name", "api_request"),
        int("event.sequence", 1),
        string("prompt.id", &format!("prompt-{time_ns}")),
        string("model", "claude-sonnet-4-5"),
        int("input_tokens", input),
        int("output_tokens", 0),
        int("cache_read_tokens", 0),
        int("cache_creation_tokens", 0),
    ];
    if let Some(cost) = cost_usd {
        // The exporter writes the cost as a JSON number.
        let number: serde_json::Number = cost.parse().unwrap();
        attributes.push(json!({ "key": "cost_usd", "value": { "doubleValue": number } }));
    }
    json!({ "resourceLogs": [{
        "resource": { "attributes": [string("service.name", "claude-code")] },
        "scopeLogs": [{
            "scope": { "name": "com.anthropic.claude_code.events" },
            "logRecords": [{
                "timeUnixNano": time_ns.to_string(),
                "body": { "stringValue": "claude_code.api_request" },
                "attributes": attributes,
            }],
        }],
    }]})
}

/// Posts an OTLP/JSON logs export with `key`; the answer, whatever it is.
pub async fn post_logs(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    crate::http_client()
        .post(format!("{}/v1/logs", app.otlp_http_url()))
        .header("authorization", format!("Bearer {key}"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// One logs export holding the log record of each of `exports` (single-record exports such as
/// [`claude_code_request`] makes), under the first one's resource and scope.
pub fn one_export(exports: impl IntoIterator<Item = Value>) -> Value {
    let mut exports = exports.into_iter();
    let mut export = exports.next().expect("at least one export");
    let records = export["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array_mut()
        .expect("a logs export");
    for more in exports {
        records.push(more["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0].clone());
    }
    export
}

/// Posts an OTLP/JSON logs export with `key`; panics unless it is stored whole.
pub async fn send_logs(app: &TestApp, key: &str, body: &Value) {
    let response = post_logs(app, key, body).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));
}

/// One GenAI log record as an agent inside Cursor would export it (`service.name` `cursor`):
/// `input` tokens of `model` by `email`, with OpenInference's `llm.cost.total` when given.
pub fn cursor_request(
    time_ns: i128,
    email: &str,
    model: &str,
    input: u64,
    cost_usd: Option<&str>,
) -> Value {
    let string = |key: &str, value: &str| json!({ "key": key, "value": { "stringValue": value } });
    let mut attributes = vec![
        string("user.email", email),
        string("gen_ai.request.model", model),
        string("gen_ai.response.id", &format!("resp-{time_ns}-{email}")),
        json!({ "key": "gen_ai.usage.input_tokens", "value": { "intValue": input } }),
        json!({ "key": "gen_ai.usage.output_tokens", "value": { "intValue": 0 } }),
    ];
    if let Some(cost) = cost_usd {
        let number: serde_json::Number = cost.parse().unwrap();
        attributes.push(json!({ "key": "llm.cost.total", "value": { "doubleValue": number } }));
    }
    json!({ "resourceLogs": [{
        "resource": { "attributes": [string("service.name", "cursor")] },
        "scopeLogs": [{ "scope": { "name": "cursor.agent" }, "logRecords": [{
            "timeUnixNano": time_ns.to_string(),
            "body": { "stringValue": "gen_ai.client.inference" },
            "attributes": attributes,
        }] }],
    }]})
}
