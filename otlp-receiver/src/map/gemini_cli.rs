//! Gemini CLI: `gemini_cli.api_response` events. Its input includes cached input, its output
//! excludes thoughts (billed as output), and tool-use prompt tokens are input. No cost is reported.

use opentelemetry_proto::tonic::logs::v1::LogRecord;
use reconciler::{Provider, TokenCounts, Tool};

use super::support::{identity, optional, record_time, required};
use crate::attrs::Attrs;
use crate::model::IdempotencyKey;
use crate::{RecordKind, UsageRecord};

/// Google AI Studio unless the CLI authenticates against Vertex AI.
pub(crate) fn provider(attrs: &Attrs<'_>) -> Provider {
    let vertex = attrs.text("auth_type").as_deref() == Some("vertex-ai")
        || attrs.text("gen_ai.provider.name").as_deref() == Some("gcp.vertex_ai");
    if vertex {
        Provider::GoogleVertex
    } else {
        Provider::Google
    }
}

pub(crate) fn session_scope(session: &str) -> String {
    format!("gemini_cli|session|{session}")
}

/// Gemini's counts in reckon's kinds: (input incl. cached, cached, candidates, thoughts, tool).
pub(crate) fn normalise(
    input_all: u64,
    cached: u64,
    output: u64,
    thoughts: u64,
    tool: u64,
) -> Result<TokenCounts, String> {
    let input = input_all
        .checked_sub(cached)
        .and_then(|rest| rest.checked_add(tool))
        .ok_or_else(|| format!("cached input ({cached}) exceeds all input ({input_all})"))?;
    Ok(TokenCounts {
        input,
        cache_read: cached,
        cache_write_5m: 0,
        cache_write_1h: 0,
        output: output.checked_add(thoughts).ok_or("output overflows")?,
        reasoning: thoughts,
    })
}

pub(crate) fn api_response(record: &LogRecord, attrs: &Attrs<'_>) -> Result<UsageRecord, String> {
    const WHAT: &str = "a gemini_cli.api_response event";
    let tokens = normalise(
        required(attrs, "input_token_count", WHAT)?,
        optional(attrs, "cached_content_token_count", WHAT)?,
        required(attrs, "output_token_count", WHAT)?,
        optional(attrs, "thoughts_token_count", WHAT)?,
        optional(attrs, "tool_token_count", WHAT)?,
    )
    .map_err(|e| format!("{WHAT}: {e}"))?;
    let model = attrs
        .text("model")
        .ok_or_else(|| format!("{WHAT} has no model"))?;
    let occurred_at_ns = record_time(record, attrs)?;
    let session = attrs.text("session.id");
    let key = IdempotencyKey::new(
        occurred_at_ns,
        &[
            "gemini_cli.api_response",
            &session.clone().unwrap_or_default(),
            &attrs.text("prompt_id").unwrap_or_default(),
            &occurred_at_ns.to_string(),
        ],
    );
    Ok(UsageRecord {
        idempotency_key: key,
        kind: RecordKind::Event {
            covers: session.iter().map(|s| session_scope(s)).collect(),
        },
        tool: Tool::GeminiCli,
        provider: provider(attrs),
        model,
        occurred_at_ns,
        session_id: session,
        identity: identity(attrs),
        tokens,
        reported_cost: None,
    })
}
