//! Codex CLI: the `codex.sse_event` record with `event.kind=response.completed` that carries
//! token counts (Codex writes a second one without). Its input includes cached input and its
//! output includes reasoning; `tool_token_count` is the total. No cost is reported.

use opentelemetry_proto::tonic::logs::v1::LogRecord;
use reconciler::{Provider, TokenCounts, Tool, UtcDay};

use super::support::{identity, optional, record_time, required};
use crate::attrs::Attrs;
use crate::model::IdempotencyKey;
use crate::{RecordKind, UsageRecord};

const COUNTS: [&str; 5] = [
    "input_token_count",
    "output_token_count",
    "cached_token_count",
    "reasoning_token_count",
    "tool_token_count",
];

pub(crate) fn sse_event(
    record: &LogRecord,
    attrs: &Attrs<'_>,
) -> Result<Option<UsageRecord>, String> {
    const WHAT: &str = "a codex response.completed event";
    if attrs.text("event.kind").as_deref() != Some("response.completed") {
        return Ok(None);
    }
    // The twin record without counts is not usage.
    if COUNTS
        .iter()
        .all(|key| matches!(attrs.count(key), Ok(None)))
    {
        return Ok(None);
    }
    let input_all = required(attrs, "input_token_count", WHAT)?;
    let output = required(attrs, "output_token_count", WHAT)?;
    let cached = optional(attrs, "cached_token_count", WHAT)?;
    let cache_write = optional(attrs, "cache_write_token_count", WHAT)?;
    let reasoning = optional(attrs, "reasoning_token_count", WHAT)?;
    let input = input_all
        .checked_sub(cached)
        .and_then(|rest| rest.checked_sub(cache_write))
        .ok_or_else(|| format!("{WHAT}: cached ({cached}) and cache-write ({cache_write}) input exceed all input ({input_all})"))?;
    if reasoning > output {
        return Err(format!(
            "{WHAT}: reasoning ({reasoning}) exceeds output ({output}), which includes it"
        ));
    }
    let model = attrs
        .text("model")
        .ok_or_else(|| format!("{WHAT} has no model"))?;
    let occurred_at_ns = record_time(record, attrs)?;
    let conversation = attrs.text("conversation.id");
    let key = IdempotencyKey::new(
        occurred_at_ns,
        &[
            "codex.response.completed",
            &conversation.clone().unwrap_or_default(),
            &record.observed_time_unix_nano.to_string(),
            &attrs.text("event.timestamp").unwrap_or_default(),
            &input_all.to_string(),
            &output.to_string(),
        ],
    );
    let mut covers: Vec<String> = conversation
        .iter()
        .map(|c| format!("codex|session|{c}"))
        .collect();
    covers.push(day_scope(&model, occurred_at_ns));
    Ok(Some(UsageRecord {
        idempotency_key: key,
        kind: RecordKind::Event { covers },
        tool: Tool::Codex,
        provider: Provider::OpenAi,
        model,
        occurred_at_ns,
        session_id: conversation,
        identity: identity(attrs),
        tokens: TokenCounts {
            input,
            cache_read: cached,
            cache_write_5m: cache_write,
            cache_write_1h: 0,
            output,
            reasoning,
        },
        reported_cost: None,
    }))
}

/// Codex metrics carry no conversation id: they stand in for events of the same model and UTC
/// day in the organisation, and count only where no such event arrived.
pub(crate) fn day_scope(model: &str, at_ns: u64) -> String {
    let day = UtcDay::from_unix_nanos(i128::from(at_ns))
        .map(|d| d.to_string())
        .unwrap_or_default();
    format!("codex|model-day|{model}|{day}")
}
