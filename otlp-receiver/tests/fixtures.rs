//! The recorded exports of the real CLIs, through the receiver's HTTP front end into a sink that
//! keeps what it is given: the numbers the fixtures' README states.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use otlp_receiver::{
    Receiver, ReceiverError, ReceiverLimits, RecordKind, StoreOutcome, Tenant, UsageRecord,
    UsageSink, http_router,
};
use reconciler::{TokenCounts, Tool, Usd};
use tower::ServiceExt;

#[derive(Default)]
struct MemorySink {
    records: Mutex<BTreeMap<otlp_receiver::IdempotencyKey, UsageRecord>>,
}

#[async_trait::async_trait]
impl UsageSink for MemorySink {
    async fn authenticate(&self, key: &str) -> Result<Option<Tenant>, ReceiverError> {
        Ok(key.starts_with("tk_").then_some(Tenant {
            org_id: 1,
            key_id: 1,
        }))
    }

    async fn store(
        &self,
        _: &Tenant,
        records: Vec<UsageRecord>,
    ) -> Result<StoreOutcome, ReceiverError> {
        let mut kept = self.records.lock().unwrap();
        let mut outcome = StoreOutcome::default();
        for record in records {
            if kept.insert(record.idempotency_key, record).is_some() {
                outcome.duplicates += 1;
            } else {
                outcome.stored += 1;
            }
        }
        Ok(outcome)
    }
}

fn fixture(name: &str) -> Vec<serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/otlp")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Replays a fixture file as HTTP requests (gRPC lines as protobuf to the signal's path).
async fn replay(receiver: &Receiver, name: &str) {
    for line in fixture(name) {
        let path = line["path"].as_str().unwrap();
        let path = match path {
            p if p.contains("LogsService") => "/v1/logs",
            p if p.contains("MetricsService") => "/v1/metrics",
            p if p.contains("TraceService") => "/v1/traces",
            p => p,
        };
        let (content_type, body) = match line.get("body_b64") {
            Some(b64) => (
                "application/x-protobuf",
                base64::engine::general_purpose::STANDARD
                    .decode(b64.as_str().unwrap())
                    .unwrap(),
            ),
            None => (
                "application/json",
                serde_json::to_vec(&line["body"]).unwrap(),
            ),
        };
        let authorization = line["headers"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.as_str().unwrap().to_owned())
            .unwrap();
        let request = Request::post(path)
            .header("content-type", content_type)
            .header("authorization", authorization)
            .body(Body::from(body))
            .unwrap();
        let response = http_router(receiver.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            status,
            200,
            "{name} {path}: {}",
            String::from_utf8_lossy(&bytes)
        );
        if content_type == "application/json" {
            let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert!(
                answer.get("partialSuccess").is_none(),
                "{name} {path}: {answer}"
            );
        } else {
            assert!(
                bytes.is_empty(),
                "{name} {path}: no partial success expected"
            );
        }
    }
}

fn events(sink: &MemorySink, tool: Tool) -> Vec<UsageRecord> {
    sink.records
        .lock()
        .unwrap()
        .values()
        .filter(|r| r.tool == tool && matches!(r.kind, RecordKind::Event { .. }))
        .cloned()
        .collect()
}

fn fallbacks(sink: &MemorySink, tool: Tool) -> Vec<UsageRecord> {
    sink.records
        .lock()
        .unwrap()
        .values()
        .filter(|r| r.tool == tool && !matches!(r.kind, RecordKind::Event { .. }))
        .cloned()
        .collect()
}

fn receiver() -> (Arc<MemorySink>, Receiver) {
    let sink = Arc::new(MemorySink::default());
    (sink.clone(), Receiver::new(sink, ReceiverLimits::default()))
}

async fn expect(file: &str, tool: Tool, model: &str, tokens: TokenCounts, cost: Option<&str>) {
    let (sink, receiver) = receiver();
    replay(&receiver, file).await;
    replay(&receiver, file).await;
    let events = events(&sink, tool);
    assert_eq!(
        events.len(),
        1,
        "{file}: one model call, counted once across two replays"
    );
    let event = &events[0];
    assert_eq!(event.tokens, tokens, "{file}");
    assert_eq!(event.model, model);
    assert_eq!(
        event.reported_cost,
        cost.map(|c| c.parse::<Usd>().unwrap()),
        "{file}"
    );
    // The metrics of the same session are kept as fallback, never as events.
    for fallback in fallbacks(&sink, tool) {
        assert!(
            matches!(&fallback.kind, RecordKind::Fallback { scope } | RecordKind::CumulativeFallback { scope, .. }
                if matches!(&event.kind, RecordKind::Event { covers } if covers.contains(scope))),
            "{file}: a metric outside the event's scopes: {fallback:?}"
        );
    }
}

fn tokens(
    input: u64,
    cache_read: u64,
    cache_write_5m: u64,
    output: u64,
    reasoning: u64,
) -> TokenCounts {
    TokenCounts {
        input,
        cache_read,
        cache_write_5m,
        cache_write_1h: 0,
        output,
        reasoning,
    }
}

#[tokio::test]
async fn claude_code_json_and_protobuf() {
    for file in [
        "claude-code-2.1.328-http-json-delta.jsonl",
        "claude-code-2.1.328-http-protobuf-delta.jsonl",
    ] {
        expect(
            file,
            Tool::ClaudeCode,
            "claude-sonnet-4-5",
            tokens(1200, 4500, 300, 37, 0),
            Some("0.00663"),
        )
        .await;
    }
}

#[tokio::test]
async fn codex_json_grpc_and_chatgpt_login() {
    for file in [
        "codex-0.169.0-http-json-delta.jsonl",
        "codex-0.169.0-grpc-delta.jsonl",
        "codex-0.169.0-http-json-delta-chatgpt-login.jsonl",
    ] {
        expect(
            file,
            Tool::Codex,
            "gpt-5.1-codex",
            tokens(234, 1000, 0, 56, 7),
            None,
        )
        .await;
    }
}

#[tokio::test]
async fn gemini_cli_json_and_grpc() {
    for file in [
        "gemini-cli-0.61.0-http-json-cumulative.jsonl",
        "gemini-cli-0.61.0-grpc-cumulative.jsonl",
    ] {
        expect(
            file,
            Tool::GeminiCli,
            "gemini-2.5-flash",
            tokens(345, 2000, 0, 75, 8),
            None,
        )
        .await;
    }
}

#[tokio::test]
async fn the_chatgpt_login_names_the_person() {
    let (sink, receiver) = receiver();
    replay(
        &receiver,
        "codex-0.169.0-http-json-delta-chatgpt-login.jsonl",
    )
    .await;
    let event = events(&sink, Tool::Codex).remove(0);
    assert_eq!(
        event.identity.email.as_deref(),
        Some("dev.user@example.com")
    );
    assert_eq!(event.identity.account_id.as_deref(), Some("acct_fake_0001"));
    assert_eq!(event.identity.person(), "dev.user@example.com");
}

#[tokio::test]
async fn claude_metrics_carry_the_same_usage_as_its_event() {
    let (sink, receiver) = receiver();
    replay(&receiver, "claude-code-2.1.328-http-json-delta.jsonl").await;
    let mut fallbacks = fallbacks(&sink, Tool::ClaudeCode);
    fallbacks.sort_by_key(|f| f.tokens.input);
    assert_eq!(
        fallbacks.len(),
        2,
        "a token record and a cost record: {fallbacks:?}"
    );
    assert_eq!(fallbacks[0].tokens, TokenCounts::default());
    assert_eq!(fallbacks[0].reported_cost, Some("0.00663".parse().unwrap()));
    assert_eq!(fallbacks[1].tokens, tokens(1200, 4500, 300, 37, 0));
    assert_eq!(
        fallbacks[1].reported_cost,
        Some(Usd::ZERO),
        "its dollars are in the cost metric"
    );
    assert_eq!(fallbacks[0].identity.team.as_deref(), Some("platform"));
    assert_eq!(fallbacks[0].identity.department.as_deref(), Some("eng"));
}

#[tokio::test]
async fn a_json_export_posted_to_the_root_is_routed_by_its_field() {
    let (sink, receiver) = receiver();
    for line in fixture("codex-0.169.0-http-json-delta.jsonl") {
        let request = Request::post("/")
            .header("content-type", "application/json")
            .header("authorization", "Bearer tk_codex")
            .body(Body::from(serde_json::to_vec(&line["body"]).unwrap()))
            .unwrap();
        let response = http_router(receiver.clone())
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        events(&sink, Tool::Codex)[0].tokens,
        tokens(234, 1000, 0, 56, 7)
    );
}

/// An OpenInference span of an agent with no module of its own (no recording exists: the
/// conventions' definitions are assumed — prompt counts include cache reads).
#[tokio::test]
async fn generic_agents_are_read_from_genai_and_openinference_spans() {
    let (sink, receiver) = receiver();
    let body = serde_json::json!({ "resourceSpans": [{
        "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "my-agent" } }] },
        "scopeSpans": [{ "spans": [
            { "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "llm",
              "startTimeUnixNano": "1795314015000000000", "endTimeUnixNano": "1795314016000000000",
              "attributes": [
                { "key": "llm.model_name", "value": { "stringValue": "gpt-4.1" } },
                { "key": "llm.provider", "value": { "stringValue": "openai" } },
                { "key": "llm.token_count.prompt", "value": { "intValue": "1000" } },
                { "key": "llm.token_count.prompt_details.cache_read", "value": { "intValue": 400 } },
                { "key": "llm.token_count.completion", "value": { "intValue": 50 } },
                { "key": "llm.cost.total", "value": { "doubleValue": 0.0021 } } ] },
            { "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175", "name": "chat",
              "startTimeUnixNano": "1795314017000000000", "endTimeUnixNano": "1795314018000000000",
              "attributes": [
                { "key": "gen_ai.provider.name", "value": { "stringValue": "anthropic" } },
                { "key": "gen_ai.response.model", "value": { "stringValue": "claude-haiku-4-5" } },
                { "key": "gen_ai.usage.input_tokens", "value": { "intValue": 300 } },
                { "key": "gen_ai.usage.output_tokens", "value": { "intValue": 20 } } ] },
            { "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b176", "name": "fs.read",
              "startTimeUnixNano": "1795314017000000000", "endTimeUnixNano": "1795314018000000000" } ] }] }] });
    let request = Request::post("/v1/traces")
        .header("content-type", "application/json")
        .header("authorization", "Bearer tk_agent")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let response = http_router(receiver.clone())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut spans = events(&sink, Tool::Other);
    spans.sort_by_key(|r| r.tokens.input);
    assert_eq!(spans.len(), 2, "the span without usage is not usage");
    assert_eq!(
        (spans[0].model.as_str(), spans[0].provider.as_str()),
        ("claude-haiku-4-5", "anthropic")
    );
    assert_eq!(spans[0].tokens, tokens(300, 0, 0, 20, 0));
    assert_eq!(
        (spans[1].model.as_str(), spans[1].provider.as_str()),
        ("gpt-4.1", "openai")
    );
    assert_eq!(spans[1].tokens, tokens(600, 400, 0, 50, 0));
    assert_eq!(spans[1].reported_cost, Some("0.0021".parse().unwrap()));
}

/// Two processes reporting the same attributes are two cumulative series, not one that restarts.
#[tokio::test]
async fn cumulative_series_are_told_apart_by_their_resource() {
    let (sink, receiver) = receiver();
    let resource = |instance: &str| {
        serde_json::json!({ "resource": { "attributes": [
            { "key": "service.name", "value": { "stringValue": "gemini-cli" } },
            { "key": "service.instance.id", "value": { "stringValue": instance } } ] },
          "scopeMetrics": [{ "metrics": [{ "name": "gemini_cli.token.usage", "sum": {
            "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
              { "asInt": "100", "startTimeUnixNano": "1795314000000000000", "timeUnixNano": "1795314010000000000",
                "attributes": [
                  { "key": "session.id", "value": { "stringValue": "shared" } },
                  { "key": "model", "value": { "stringValue": "gemini-2.5-flash" } },
                  { "key": "type", "value": { "stringValue": "input" } } ] } ] } }] }] })
    };
    let body = serde_json::json!({ "resourceMetrics": [resource("a"), resource("b")] });
    let request = Request::post("/v1/metrics")
        .header("content-type", "application/json")
        .header("authorization", "Bearer tk_gemini")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    assert_eq!(
        http_router(receiver)
            .oneshot(request)
            .await
            .unwrap()
            .status(),
        200
    );
    let records = fallbacks(&sink, Tool::GeminiCli);
    assert_eq!(records.len(), 2, "{records:?}");
    let series: Vec<String> = records
        .iter()
        .map(|r| match &r.kind {
            RecordKind::CumulativeFallback { series, .. } => series.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_ne!(series[0], series[1]);
}

/// Absurd counts and costs are rejected with their reason instead of being summed.
#[tokio::test]
async fn absurd_counts_and_negative_costs_are_rejected() {
    let (sink, receiver) = receiver();
    let event = |input: &str, cost: f64| {
        serde_json::json!({ "timeUnixNano": "1795314015846000000", "attributes": [
            { "key": "event.name", "value": { "stringValue": "claude_code.api_request" } },
            { "key": "model", "value": { "stringValue": "claude-sonnet-4-5" } },
            { "key": "input_tokens", "value": { "intValue": input } },
            { "key": "output_tokens", "value": { "intValue": "1" } },
            { "key": "cost_usd", "value": { "doubleValue": cost } } ] })
    };
    let body = serde_json::json!({ "resourceLogs": [{ "scopeLogs": [{ "logRecords": [
        event("6000000000000000000", 0.1), event("10", -5.0), event("10", 0.1) ] }] }] });
    let request = Request::post("/v1/logs")
        .header("content-type", "application/json")
        .header("authorization", "Bearer tk_claude")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let response = http_router(receiver).oneshot(request).await.unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        answer["partialSuccess"]["rejectedLogRecords"], "2",
        "{answer}"
    );
    let message = answer["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("more than 1000000000000") && message.contains("-5"),
        "{message}"
    );
    assert_eq!(events(&sink, Tool::ClaudeCode).len(), 1);
}

/// What the stored state is keyed by, for every recorded export: each record's idempotency key
/// and the scopes or series it counts under. They are stored, so a change in how they are built
/// would count re-sent exports and running cumulative series again after an upgrade. The golden
/// file was written by the code that stored them; a change must migrate stored keys instead.
/// (`RECKON_TEST_WRITE_GOLDEN=1` rewrites it, for a deliberate, migrated change.)
#[tokio::test]
async fn stored_keys_keep_their_format() {
    let (sink, receiver) = receiver();
    // Every recorded export there is, in name order.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/otlp");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 7, "{files:?}");
    for file in &files {
        replay(&receiver, file).await;
    }
    let records = sink.records.lock().unwrap();
    let mut lines = Vec::new();
    for (key, record) in records.iter() {
        let kind = match &record.kind {
            RecordKind::Event { covers } => format!("event covers {}", covers.join(" ")),
            RecordKind::Fallback { scope } => format!("fallback {scope}"),
            RecordKind::CumulativeFallback {
                scope,
                series,
                start_time_ns,
            } => format!("cumulative {scope} series {series} since {start_time_ns}"),
        };
        lines.push(format!("{key:?} {kind}"));
    }
    let text = lines.join("\n") + "\n";
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stored_keys.golden");
    if std::env::var("RECKON_TEST_WRITE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected =
        std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
    assert_eq!(
        text, expected,
        "the stored keys changed: migrate the stored ones"
    );
}
