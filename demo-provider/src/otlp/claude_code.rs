//! Claude Code's `claude_code.api_request` log events, as its OTLP exporter writes them.
//!
//! Attribute for attribute as in `claude-code-2.1.328-*.jsonl`, signed in with a Claude account.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

use super::{Batch, body, boolean, cost, int, resource, scope, team_attributes, text};
use crate::calendar::{ms_to_ns, rfc3339_ms};

const VERSION: &str = "2.1.328";

pub(crate) fn export(batch: &Batch<'_>) -> ExportLogsServiceRequest {
    let person = batch.person;
    let mut rng = batch.rng(0xcc);
    let mac = person.terminal == "iTerm.app";
    let mut attributes = vec![
        text("host.arch", if mac { "arm64" } else { "amd64" }),
        text("os.type", if mac { "darwin" } else { "linux" }),
        text("service.name", "claude-code"),
        text("service.version", VERSION),
    ];
    attributes.extend(team_attributes(batch.team));
    let mut prompts: Vec<(u32, u32, String)> = Vec::new();
    let records = batch
        .calls
        .iter()
        .map(|call| {
            let prompt_id = match prompts.last() {
                Some((s, p, id)) if (*s, *p) == (call.session, call.prompt) => id.clone(),
                _ => {
                    let id = rng.uuid();
                    prompts.push((call.session, call.prompt, id.clone()));
                    id
                }
            };
            let at = ms_to_ns(call.at_ms);
            let tokens = &call.tokens;
            let list_cost = call.list_cost.unwrap_or_default();
            let micros = list_cost
                .as_decimal()
                .checked_mul(1_000_000.into())
                .map(|m| m.round())
                .and_then(|m| u64::try_from(m).ok())
                .unwrap_or_default();
            let mut attributes = team_attributes(batch.team).to_vec();
            attributes.extend([
                text("user.id", person.user_id.clone()),
                text("session.id", batch.session_id(call.session)),
                text("organization.id", batch.organization_id),
            ]);
            if !batch.without_email {
                attributes.push(text("user.email", person.email.clone()));
            }
            attributes.extend([
                text("user.account_uuid", person.account_uuid.clone()),
                text("anthropic.provider", "firstParty"),
                text("terminal.type", person.terminal),
                text("event.name", "api_request"),
                text("event.timestamp", rfc3339_ms(call.at_ms)),
                int("event.sequence", u64::from(call.sequence)),
                text("prompt.id", prompt_id),
                text("model", call.model.telemetry_name()),
                int("input_tokens", tokens.input),
                int("output_tokens", tokens.output),
                int("cache_read_tokens", tokens.cache_read),
                int(
                    "cache_creation_tokens",
                    tokens.cache_write_5m + tokens.cache_write_1h,
                ),
                int("cache_creation_5m_tokens", tokens.cache_write_5m),
                int("cache_creation_1h_tokens", tokens.cache_write_1h),
                // Claude Code prices every request at list price, whatever the tier.
                cost("cost_usd", list_cost),
                int("cost_usd_micros", micros),
                int("duration_ms", 800 + tokens.output * 12 + rng.below(2_000)),
                int("ttft_ms", 300 + rng.below(1_200)),
                text("speed", "normal"),
                boolean("anthropic.custom_base_url", false),
            ]);
            LogRecord {
                time_unix_nano: at,
                observed_time_unix_nano: at,
                body: body("claude_code.api_request"),
                attributes,
                ..LogRecord::default()
            }
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(attributes),
            scope_logs: vec![ScopeLogs {
                scope: scope("com.anthropic.claude_code.events", VERSION),
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}
