//! The OpenTelemetry JS exporters Claude Code and Gemini CLI ship (from npm, in `tests/node`)
//! against reckon's TLS listeners, each trusting the private CA the way its CLI documents:
//! `NODE_EXTRA_CA_CERTS` over OTLP/HTTP, `OTEL_EXPORTER_OTLP_CERTIFICATE` over OTLP/gRPC. The
//! totals are exact; without the CA the exporter refuses the certificate and nothing is stored.

use std::path::PathBuf;
use std::process::Command;

use reckon_tests::otlp::setup;
use reckon_tests::{Member, TestApp, TestDatabase, require};
use reqwest::Method;
use serde_json::{Value, json};

/// Events each run sends (see `tests/node/claude-code-events.mjs`).
const EVENTS: u32 = 3;

/// The script, if Node.js and the packages of `tests/node` are installed.
fn node_script() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    let installed = dir.join("node_modules/@opentelemetry/exporter-logs-otlp-grpc");
    let node = Command::new("node").arg("--version").output();
    let usable = installed.exists() && node.is_ok_and(|o| o.status.success());
    require(
        "Node.js with the packages of tests/node",
        usable.then(|| dir.join("claude-code-events.mjs")),
        "install Node.js 20 or later and run `npm ci` in tests/node",
    )
}

/// Runs the script with `protocol` against `endpoint`; `ca` is the variable naming the CA
/// file, if any. Returns whether it succeeded and what it printed on standard error.
async fn export(
    script: PathBuf,
    protocol: &str,
    endpoint: String,
    key: &str,
    ca: Option<&str>,
) -> (bool, String) {
    let mut command = Command::new("node");
    command
        .arg(&script)
        .arg(EVENTS.to_string())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("Authorization=Bearer {key}"),
        )
        .env_remove("NODE_EXTRA_CA_CERTS")
        .env_remove("OTEL_EXPORTER_OTLP_CERTIFICATE");
    if let Some(variable) = ca {
        command.env(variable, test_tls::TestCa::shared().ca_file());
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("node runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn rows(app: &TestApp, viewer: &Member) -> Value {
    let path = "/api/v1/usage?from=2026-11-01&to=2026-11-30&group_by=tool,model,person";
    let body: Value = app
        .send(app.authed(Method::GET, path, &viewer.token))
        .await
        .json();
    body["rows"].clone()
}

async fn exact_totals_over_tls(protocol: &str, ca_variable: &str) {
    let Some(script) = node_script() else { return };
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn_tls(&db).await;
    let endpoint = if protocol == "grpc" {
        app.otlp_grpc_url()
    } else {
        app.otlp_http_url()
    };

    // Without the CA the exporter refuses reckon's certificate, and nothing is stored.
    let (ok, stderr) = export(script.clone(), protocol, endpoint.clone(), &key, None).await;
    assert!(!ok, "{protocol}: exported without trusting the CA");
    assert!(
        stderr.contains("export failed") && stderr.contains("unable to verify"),
        "{protocol}: {stderr}"
    );
    assert_eq!(rows(&app, &viewer).await, json!([]), "{protocol}");

    let (ok, stderr) = export(script, protocol, endpoint, &key, Some(ca_variable)).await;
    assert!(ok, "{protocol} with {ca_variable}: {stderr}");
    assert_eq!(
        rows(&app, &viewer).await,
        json!([{
            "tool": "claude_code", "model": "claude-sonnet-4-5", "person": "ann@example.com",
            "label": "reported", "records": EVENTS,
            "tokens": { "input": 3000, "cache_read": 600, "cache_write": 90, "output": 150, "reasoning": 0 },
            "reported_cost_usd": "0.0369",
            "estimated_cost_usd": null,
            "unpriced_tokens": 0,
        }]),
        "{protocol}"
    );
}

#[tokio::test]
async fn http_protobuf_trusting_the_ca_through_node_extra_ca_certs() {
    exact_totals_over_tls("http/protobuf", "NODE_EXTRA_CA_CERTS").await;
}

#[tokio::test]
async fn http_json_trusting_the_ca_through_node_extra_ca_certs() {
    exact_totals_over_tls("http/json", "NODE_EXTRA_CA_CERTS").await;
}

#[tokio::test]
async fn grpc_trusting_the_ca_through_otel_exporter_otlp_certificate() {
    exact_totals_over_tls("grpc", "OTEL_EXPORTER_OTLP_CERTIFICATE").await;
}
