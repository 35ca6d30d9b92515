//! Claude Code: `claude_code.api_request` events carry the four disjoint token counts and the
//! tool's own `cost_usd`. Its `claude_code.token.usage` / `cost.usage` metrics repeat them and
//! count only for sessions that sent no events (see `metrics`).

use opentelemetry_proto::tonic::logs::v1::LogRecord;
use reconciler::{Provider, TokenCounts, Tool, Usd};

use super::support::{checked_cost, identity, optional, record_time, required};
use crate::attrs::Attrs;
use crate::model::IdempotencyKey;
use crate::{RecordKind, UsageRecord};

/// Whether a record named `api_request` is Claude Code's (its short event name is generic).
pub(crate) fn is_claude(attrs: &Attrs<'_>, name: Option<&str>) -> bool {
    name == Some("claude_code.api_request")
        || attrs
            .text("service.name")
            .is_some_and(|s| s.starts_with("claude-code"))
        || attrs.text("anthropic.provider").is_some()
}

/// Who bills a Claude Code request, from its `anthropic.provider` attribute. Only `firstParty`
/// is confirmed by recordings; `bedrock` and `vertex` follow Claude Code's provider names; any
/// other value is kept under its own name rather than guessed.
pub(crate) fn provider(attrs: &Attrs<'_>) -> Provider {
    match attrs.text("anthropic.provider").as_deref() {
        None | Some("firstParty") => Provider::Anthropic,
        Some("bedrock") => Provider::AwsBedrock,
        Some("vertex") => Provider::GoogleVertex,
        Some(other) => {
            let name: String = other
                .chars()
                .flat_map(char::to_lowercase)
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            Provider::parse(&format!("anthropic_{name}")).unwrap_or(Provider::Anthropic)
        }
    }
}

/// Splits Claude Code's cache writes by lifetime: the 5-minute and 1-hour counts when it sends
/// them, the rest (or all, from builds that send only the total) as 5-minute writes, the default.
pub(crate) fn cache_writes(
    total: u64,
    five_minutes: u64,
    one_hour: u64,
) -> Result<(u64, u64), String> {
    let split = five_minutes
        .checked_add(one_hour)
        .filter(|sum| *sum <= total)
        .ok_or_else(|| format!("cache writes by lifetime ({five_minutes} + {one_hour}) exceed their total ({total})"))?;
    Ok((five_minutes + (total - split), one_hour))
}

pub(crate) fn api_request(record: &LogRecord, attrs: &Attrs<'_>) -> Result<UsageRecord, String> {
    const WHAT: &str = "a claude_code.api_request event";
    let input = required(attrs, "input_tokens", WHAT)?;
    let output = required(attrs, "output_tokens", WHAT)?;
    let cache_read = optional(attrs, "cache_read_tokens", WHAT)?;
    let creation = optional(attrs, "cache_creation_tokens", WHAT)?;
    let (cache_write_5m, cache_write_1h) = cache_writes(
        creation,
        optional(attrs, "cache_creation_5m_tokens", WHAT)?,
        optional(attrs, "cache_creation_1h_tokens", WHAT)?,
    )?;
    let reported_cost = reported_cost(attrs)?;
    let model = attrs
        .text("model")
        .ok_or_else(|| format!("{WHAT} has no model"))?;
    let occurred_at_ns = record_time(record, attrs)?;
    let session = attrs.text("session.id");
    let session_text = session.clone().unwrap_or_default();
    // A resumed session restarts event.sequence, so the prompt and the time are part of the key.
    let key = IdempotencyKey::new(
        occurred_at_ns,
        &[
            "claude_code.api_request",
            &session_text,
            &attrs.text("prompt.id").unwrap_or_default(),
            &attrs.text("event.sequence").unwrap_or_default(),
            &occurred_at_ns.to_string(),
            &attrs.text("request_id").unwrap_or_default(),
        ],
    );
    Ok(UsageRecord {
        idempotency_key: key,
        kind: RecordKind::Event {
            covers: session.iter().map(|s| session_scope(s)).collect(),
        },
        tool: Tool::ClaudeCode,
        provider: provider(attrs),
        model,
        occurred_at_ns,
        session_id: session,
        identity: identity(attrs),
        tokens: TokenCounts {
            input,
            cache_read,
            cache_write_5m,
            cache_write_1h,
            output,
            reasoning: 0,
        },
        reported_cost,
    })
}

pub(crate) fn session_scope(session: &str) -> String {
    format!("claude_code|session|{session}")
}

/// `cost_usd` read through its shortest decimal text; `cost_usd_micros` only when it is absent
/// (it is rounded to whole micro-dollars).
fn reported_cost(attrs: &Attrs<'_>) -> Result<Option<Usd>, String> {
    const WHAT: &str = "a claude_code.api_request event";
    if let Some(text) = attrs.number_text("cost_usd").map_err(|b| b.0)? {
        return checked_cost(&text, WHAT).map(Some);
    }
    match attrs.count("cost_usd_micros").map_err(|b| b.0)? {
        Some(micros) => checked_cost(&rust_decimal_text(micros), WHAT).map(Some),
        None => Ok(None),
    }
}

/// `micros` as a dollar amount in decimal text (6630 → "0.006630").
fn rust_decimal_text(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_writes_split_by_lifetime() {
        assert_eq!(cache_writes(300, 0, 0), Ok((300, 0)));
        assert_eq!(cache_writes(300, 100, 200), Ok((100, 200)));
        assert_eq!(cache_writes(300, 0, 100), Ok((200, 100)));
        assert!(cache_writes(300, 200, 200).is_err());
        assert_eq!(rust_decimal_text(6630), "0.006630");
    }
}
