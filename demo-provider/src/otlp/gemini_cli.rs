//! Gemini CLI's `gemini_cli.api_response` log events, as its OTLP exporter writes them.
//!
//! As in `gemini-cli-0.61.0-*.jsonl`: input including cached input, thoughts counted apart from
//! output, integer counts, no cost.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

use super::{Batch, body, boolean, int, resource, scope, team_attributes, text};
use crate::calendar::{ms_to_ns, rfc3339_ms};

pub(crate) fn export(batch: &Batch<'_>) -> ExportLogsServiceRequest {
    let person = batch.person;
    let mut rng = batch.rng(0x6e);
    let installation = batch.rng(0x1d).uuid();
    let mut attributes = vec![
        text(
            "host.name",
            format!("{}-laptop", person.email.split('@').next().unwrap_or("dev")),
        ),
        text("host.arch", "arm64"),
        text("process.runtime.name", "nodejs"),
        text("process.runtime.version", "20.20.2"),
        text("service.name", "gemini-cli"),
        // Gemini CLI reports the Node.js version here, not its own.
        text("service.version", "v20.20.2"),
    ];
    attributes.extend(team_attributes(batch.team));
    let records = batch
        .calls
        .iter()
        .map(|call| {
            let tokens = &call.tokens;
            let session = batch.session_id(call.session);
            let model = call.model.telemetry_name();
            let (input_all, thoughts) = (tokens.input + tokens.cache_read, tokens.reasoning);
            let candidates = tokens.output.saturating_sub(thoughts);
            let duration = 600 + tokens.output * 8 + rng.below(3_000);
            let at = ms_to_ns(call.at_ms);
            LogRecord {
                time_unix_nano: at,
                observed_time_unix_nano: at,
                body: body(format!(
                    "API response from {model}. Status: 200. Duration: {duration}ms."
                )),
                attributes: vec![
                    text("session.id", session.clone()),
                    text("installation.id", installation.clone()),
                    boolean("interactive", true),
                    text("user.email", person.email.clone()),
                    text("auth_type", "gemini-api-key"),
                    text("event.name", "gemini_cli.api_response"),
                    text("event.timestamp", rfc3339_ms(call.at_ms)),
                    text("model", model),
                    int("duration_ms", duration),
                    int("input_token_count", input_all),
                    int("output_token_count", candidates),
                    int("cached_content_token_count", tokens.cache_read),
                    int("thoughts_token_count", thoughts),
                    int("tool_token_count", 0),
                    int("total_token_count", input_all + candidates + thoughts),
                    text("prompt_id", format!("{session}########{}", call.prompt)),
                    int("status_code", 200),
                    text("role", "main"),
                    int("http.status_code", 200),
                ],
                ..LogRecord::default()
            }
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(attributes),
            scope_logs: vec![ScopeLogs {
                scope: scope("gemini-cli", ""),
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}
