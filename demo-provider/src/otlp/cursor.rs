//! Cursor's usage as OTel GenAI spans (no recording of Cursor's export exists).
//!
//! The conventions' `gen_ai.*` attributes, input including cache and output including reasoning,
//! the model as the provider's API id, and the charged amount (model cost plus Cursor's fee) in
//! `llm.cost.total`, so Cursor's observed spend is `reported` like Claude Code's.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

use super::{Batch, cost, int, resource, scope, team_attributes, text};
use crate::bills::cursor::charged;
use crate::calendar::ms_to_ns;

/// Cursor's own team id (`cursor.team.id`), an opaque number.
const CURSOR_TEAM_ID: u64 = 4_281_337;

pub(crate) fn export(batch: &Batch<'_>) -> ExportTraceServiceRequest {
    let person = batch.person;
    let mut rng = batch.rng(0xc5);
    let mut attributes = vec![
        text("service.name", "cursor"),
        text("service.version", "2.1.0"),
        int("cursor.team.id", CURSOR_TEAM_ID),
        text("cursor.surface", "desktop"),
        text("cursor.entrypoint", "desktop"),
        int(
            "cursor.user.id",
            u64::try_from(person.cursor_user_id).unwrap_or_default(),
        ),
    ];
    attributes.extend(team_attributes(batch.team));
    let spans = batch
        .calls
        .iter()
        .map(|call| {
            let tokens = &call.tokens;
            let end = ms_to_ns(call.at_ms);
            let duration = (1_500 + tokens.output * 15 + rng.below(4_000)) * 1_000_000;
            let trace_id = rng.hex(16);
            let mut attributes = vec![
                text("gen_ai.operation.name", "chat"),
                text("gen_ai.provider.name", "cursor"),
                text("gen_ai.request.model", call.model.billing_label()),
                text("gen_ai.response.model", call.model.telemetry_name()),
                text("gen_ai.conversation.id", batch.session_id(call.session)),
                text("gen_ai.response.id", format!("resp_{}", &trace_id[..24])),
                int(
                    "gen_ai.usage.input_tokens",
                    tokens.input + tokens.cache_read + tokens.cache_write_5m,
                ),
                int("gen_ai.usage.output_tokens", tokens.output),
                int("gen_ai.usage.cache_read.input_tokens", tokens.cache_read),
                int(
                    "gen_ai.usage.cache_creation.input_tokens",
                    tokens.cache_write_5m,
                ),
            ];
            if tokens.reasoning > 0 {
                attributes.push(int(
                    "gen_ai.usage.reasoning.output_tokens",
                    tokens.reasoning,
                ));
            }
            attributes.extend([
                cost("llm.cost.total", charged(call)),
                text("user.email", person.email.clone()),
            ]);
            Span {
                trace_id: bytes(&trace_id),
                span_id: bytes(&rng.hex(8)),
                name: format!("chat {}", call.model.billing_label()),
                kind: SpanKind::Client as i32,
                start_time_unix_nano: end.saturating_sub(duration),
                end_time_unix_nano: end,
                attributes,
                status: Some(Status {
                    code: StatusCode::Ok as i32,
                    ..Status::default()
                }),
                ..Span::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(attributes),
            scope_spans: vec![ScopeSpans {
                scope: scope("cursor.telemetry", "0.1.0"),
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

/// The bytes a lowercase hex id stands for.
fn bytes(hex: &str) -> Vec<u8> {
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            digit(pair[0]) << 4 | digit(pair.get(1).copied().unwrap_or(b'0'))
        })
        .collect()
}
