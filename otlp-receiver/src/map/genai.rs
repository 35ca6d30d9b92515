//! Other agents (and Cursor's server-side export): usage on spans and log records in the GenAI
//! semantic conventions, OpenLLMetry (`llm.usage.*`, old `gen_ai.usage.prompt_tokens`) or
//! OpenInference (`llm.token_count.*`, `llm.cost.total`).
//!
//! Assumptions where no recording exists (the conventions' own definitions): input counts include
//! cache reads and writes, output counts include reasoning, OpenInference's `llm.cost.total` is
//! in USD. Claude Code, Codex and Gemini CLI are mapped by their own modules; their GenAI spans
//! and logs repeat their events and are not counted here.

use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::trace::v1::Span;
use reconciler::{Provider, TokenCounts, Tool, Usd, UtcDay};

use super::support::{checked_cost, checked_time, identity, record_time};
use crate::attrs::Attrs;
use crate::model::IdempotencyKey;
use crate::{RecordKind, UsageRecord};

const INPUT: [&str; 4] = [
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.usage.prompt_tokens",
    "llm.token_count.prompt",
];
const OUTPUT: [&str; 4] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
    "llm.token_count.completion",
];
const CACHE_READ: [&str; 4] = [
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
];
const CACHE_WRITE: [&str; 4] = [
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "llm.token_count.prompt_details.cache_write",
];
const REASONING: [&str; 3] = [
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
];
const MODEL: [&str; 4] = [
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "model",
];
const PROVIDER: [&str; 4] = [
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
];

/// Whether telemetry comes from a source without a module of its own.
pub(crate) fn is_generic_source(attrs: &Attrs<'_>) -> bool {
    let service = attrs.text("service.name").unwrap_or_default();
    !(service.starts_with("claude-code")
        || service.starts_with("codex")
        || service.starts_with("gemini-cli"))
}

pub(crate) fn tool(attrs: &Attrs<'_>) -> Tool {
    match attrs.text("service.name").as_deref() {
        Some("cursor") => Tool::Cursor,
        _ => Tool::Other,
    }
}

pub(crate) fn model(attrs: &Attrs<'_>) -> Option<String> {
    MODEL.iter().find_map(|key| attrs.text(key))
}

/// The provider from the conventions' names (`openai`, `anthropic`, `gcp.gemini`, …).
pub(crate) fn provider(attrs: &Attrs<'_>, tool: Tool) -> Provider {
    let Some(name) = PROVIDER.iter().find_map(|key| attrs.text(key)) else {
        return if tool == Tool::Cursor {
            Provider::Cursor
        } else {
            Provider::Other("unknown".into())
        };
    };
    match name.to_ascii_lowercase().as_str() {
        "openai" => Provider::OpenAi,
        "azure.ai.openai" | "az.ai.openai" => Provider::Other("azure_openai".into()),
        "anthropic" => Provider::Anthropic,
        "gcp.gemini" | "gcp.gen_ai" | "gemini" | "google" => Provider::Google,
        "gcp.vertex_ai" | "vertex_ai" | "vertexai" => Provider::GoogleVertex,
        "aws.bedrock" | "bedrock" => Provider::AwsBedrock,
        "cursor" => Provider::Cursor,
        other => {
            let cleaned: String = other
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            Provider::parse(&cleaned).unwrap_or_else(|_| Provider::Other("unknown".into()))
        }
    }
}

/// Metrics of these sources stand in for their events of the same service, model and UTC day.
pub(crate) fn day_scope(attrs: &Attrs<'_>, model: &str, at_ns: u64) -> String {
    let day = UtcDay::from_unix_nanos(i128::from(at_ns))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let service = attrs.text("service.name").unwrap_or_default();
    format!("genai|{service}|{model}|{day}")
}

fn first_count(attrs: &Attrs<'_>, keys: &[&str]) -> Result<Option<u64>, String> {
    for key in keys {
        if let Some(count) = attrs.count(key).map_err(|b| b.0)? {
            return Ok(Some(count));
        }
    }
    Ok(None)
}

/// Token counts and cost, or `None` when the attributes hold no usage.
fn usage(attrs: &Attrs<'_>, what: &str) -> Result<Option<(TokenCounts, Option<Usd>)>, String> {
    let input = first_count(attrs, &INPUT)?;
    let output = first_count(attrs, &OUTPUT)?;
    if input.is_none() && output.is_none() {
        return Ok(None);
    }
    let (input, output) = (input.unwrap_or_default(), output.unwrap_or_default());
    let cache_read = first_count(attrs, &CACHE_READ)?.unwrap_or_default();
    let cache_write = first_count(attrs, &CACHE_WRITE)?.unwrap_or_default();
    let reasoning = first_count(attrs, &REASONING)?.unwrap_or_default();
    let uncached = input
        .checked_sub(cache_read)
        .and_then(|rest| rest.checked_sub(cache_write))
        .ok_or_else(|| {
            format!("{what}: cached input ({cache_read} + {cache_write}) exceeds input ({input})")
        })?;
    if reasoning > output {
        return Err(format!(
            "{what}: reasoning ({reasoning}) exceeds output ({output})"
        ));
    }
    let cost = match attrs.number_text("llm.cost.total").map_err(|b| b.0)? {
        Some(text) => Some(checked_cost(&text, what)?),
        None => None,
    };
    let tokens = TokenCounts {
        input: uncached,
        cache_read,
        cache_write_5m: cache_write,
        cache_write_1h: 0,
        output,
        reasoning,
    };
    Ok(Some((tokens, cost)))
}

fn record(
    attrs: &Attrs<'_>,
    key: IdempotencyKey,
    occurred_at_ns: u64,
    tokens: TokenCounts,
    cost: Option<Usd>,
    what: &str,
) -> Result<UsageRecord, String> {
    let model = model(attrs).ok_or_else(|| format!("{what} has usage but no model"))?;
    let tool = tool(attrs);
    let session = attrs
        .text("gen_ai.conversation.id")
        .or_else(|| attrs.text("session.id"));
    let covers = vec![day_scope(attrs, &model, occurred_at_ns)];
    Ok(UsageRecord {
        idempotency_key: key,
        kind: RecordKind::Event { covers },
        tool,
        provider: provider(attrs, tool),
        model,
        occurred_at_ns,
        session_id: session,
        identity: identity(attrs),
        tokens,
        reported_cost: cost,
    })
}

pub(crate) fn span(span: &Span, attrs: &Attrs<'_>) -> Result<Option<UsageRecord>, String> {
    const WHAT: &str = "a GenAI span";
    let Some((tokens, cost)) = usage(attrs, WHAT)? else {
        return Ok(None);
    };
    let at = if span.end_time_unix_nano > 0 {
        span.end_time_unix_nano
    } else {
        span.start_time_unix_nano
    };
    if at == 0 {
        return Err(format!("{WHAT} has usage but no time"));
    }
    let at = checked_time(at, WHAT)?;
    let key = IdempotencyKey::new(
        at,
        &[
            "genai.span",
            &hex(&span.trace_id),
            &hex(&span.span_id),
            &at.to_string(),
        ],
    );
    record(attrs, key, at, tokens, cost, WHAT).map(Some)
}

pub(crate) fn log_record(
    log: &LogRecord,
    attrs: &Attrs<'_>,
) -> Result<Option<UsageRecord>, String> {
    const WHAT: &str = "a GenAI log record";
    let Some((tokens, cost)) = usage(attrs, WHAT)? else {
        return Ok(None);
    };
    let at = record_time(log, attrs)?;
    let key = IdempotencyKey::new(
        at,
        &[
            "genai.log",
            &hex(&log.trace_id),
            &hex(&log.span_id),
            &at.to_string(),
            &attrs.text("gen_ai.response.id").unwrap_or_default(),
        ],
    );
    record(attrs, key, at, tokens, cost, WHAT).map(Some)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
