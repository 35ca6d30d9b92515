//! Codex CLI's `codex.sse_event` log records, as its OTLP exporter writes them.
//!
//! As in `codex-0.169.0-*.jsonl`: zero `timeUnixNano`, the time in `observedTimeUnixNano` and
//! `event.timestamp`, token counts partly as strings, and per model call two
//! `response.completed` records of which only the second carries counts. Signed in with an API
//! key, so records name no user; the person comes from the resource, set on company machines.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

use super::{Batch, int, resource, scope, team_attributes, text};
use crate::calendar::{ms_to_ns, rfc3339_ms};

const VERSION: &str = "0.169.0";
const ORIGINATOR: &str = "codex_cli_rs";
/// `SeverityNumber::Info`.
const INFO: i32 = 9;

pub(crate) fn export(batch: &Batch<'_>) -> ExportLogsServiceRequest {
    let person = batch.person;
    let mut rng = batch.rng(0xc0);
    let mut attributes = vec![
        text("service.name", ORIGINATOR),
        text("service.version", VERSION),
        text("telemetry.sdk.language", "rust"),
        text("telemetry.sdk.name", "opentelemetry"),
        text("telemetry.sdk.version", "0.31.0"),
        text(
            "host.name",
            format!("{}-laptop", person.email.split('@').next().unwrap_or("dev")),
        ),
        text("user.email", person.email.clone()),
    ];
    attributes.extend(team_attributes(batch.team));
    let mut records = Vec::with_capacity(batch.calls.len() * 2);
    for call in batch.calls {
        let tokens = &call.tokens;
        let all_input = tokens.input + tokens.cache_read + tokens.cache_write_5m;
        let shared = |rest: Vec<KeyValue>| -> Vec<KeyValue> {
            let mut list = vec![
                text("event.name", "codex.sse_event"),
                text("event.kind", "response.completed"),
            ];
            list.extend(rest);
            list.extend([
                text("event.timestamp", rfc3339_ms(call.at_ms)),
                text("conversation.id", batch.session_id(call.session)),
                text("app.version", VERSION),
                text("auth_mode", "ApiKey"),
                text("originator", ORIGINATOR),
                text("terminal.type", person.terminal),
                text("model", call.model.telemetry_name()),
                text("slug", call.model.telemetry_name()),
            ]);
            list
        };
        let observed = ms_to_ns(call.at_ms) + rng.below(1_000_000);
        records.push(LogRecord {
            observed_time_unix_nano: observed - 30_000,
            severity_number: INFO,
            severity_text: "INFO".to_owned(),
            attributes: shared(vec![text("duration_ms", "0")]),
            event_name: "event otel/src/events/session_telemetry.rs:1089".to_owned(),
            ..LogRecord::default()
        });
        records.push(LogRecord {
            observed_time_unix_nano: observed,
            severity_number: INFO,
            severity_text: "INFO".to_owned(),
            attributes: shared(vec![
                text("input_token_count", all_input.to_string()),
                text("output_token_count", tokens.output.to_string()),
                int("cached_token_count", tokens.cache_read),
                int("cache_write_token_count", tokens.cache_write_5m),
                int("reasoning_token_count", tokens.reasoning),
                text("tool_token_count", (all_input + tokens.output).to_string()),
                int("ttft_ms", 200 + rng.below(900)),
            ]),
            event_name: "event otel/src/events/session_telemetry.rs:1153".to_owned(),
            ..LogRecord::default()
        });
    }
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(attributes),
            scope_logs: vec![ScopeLogs {
                scope: scope("codex_otel.log_only", ""),
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}
