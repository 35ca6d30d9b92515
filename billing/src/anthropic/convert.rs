//! Anthropic rows → [`BillingLine`]s: units, null meanings, cost types and natural keys.
//!
//! reckon always sends the group-by that fills each field it reads, so a null is never "not
//! grouped": on both reports `workspace_id: null` is the **default workspace** (it has no id),
//! and on the usage report `api_key_id: null` is Console/Workbench usage made without a key.
//! Both become `""`.

use reconciler::{Provider, TokenCounts, UtcDay};

use super::wire::{ClaudeCodeRecord, CostRow, UsageRow};
use crate::json::{MoneyUnit, money};
use crate::line::NaturalKey;
use crate::models::canonical_or_empty;
use crate::{BillingLine, CostType};

pub(crate) const COST_REPORT: &str = "/v1/organizations/cost_report";
pub(crate) const MESSAGES_USAGE: &str = "/v1/organizations/usage_report/messages";
pub(crate) const CLAUDE_CODE: &str = "/v1/organizations/usage_report/claude_code";

/// A line with the fields every Anthropic line shares; the caller fills in the rest.
fn line(day: UtcDay, source: &str, natural_key: String) -> BillingLine {
    BillingLine {
        day,
        provider: Provider::Anthropic,
        model: String::new(),
        workspace: String::new(),
        api_key: String::new(),
        person: String::new(),
        service_tier: String::new(),
        description: String::new(),
        cost_type: CostType::Other,
        tokens: TokenCounts::default(),
        amount: None,
        estimate: false,
        source: source.to_owned(),
        natural_key,
    }
}

/// Money must be US dollars: reckon holds no exchange rates, so anything else is refused.
fn check_usd(currency: Option<&str>) -> Result<(), String> {
    match currency {
        None => Ok(()),
        Some(c) if c.eq_ignore_ascii_case("USD") => Ok(()),
        Some(other) => Err(format!("currency `{other}` is not USD")),
    }
}

/// `cost_type` as documented; `session_usage` and anything new are kept as `Other`.
fn cost_type(value: Option<&str>) -> CostType {
    match value {
        Some("tokens") => CostType::Tokens,
        Some("web_search") => CostType::WebSearch,
        Some("code_execution") => CostType::CodeExecution,
        _ => CostType::Other,
    }
}

/// A cost-report row (grouped by `workspace_id` and `description`): authoritative dollars.
/// The description's parsed fields (model, token type, tier, context window, geo) all go into
/// the natural key, so rows that share a description but differ in any of them stay apart.
pub(crate) fn cost_line(day: UtcDay, row: CostRow) -> Result<Vec<BillingLine>, String> {
    check_usd(row.currency.as_deref())?;
    let amount = money(&row.amount, MoneyUnit::Cents).map_err(|e| format!("amount: {e}"))?;
    let key = NaturalKey::new(COST_REPORT, day)
        .part("workspace_id", row.workspace_id.as_deref())
        .part("description", row.description.as_deref())
        .part("cost_type", row.cost_type.as_deref())
        .part("model", row.model.as_deref())
        .part("token_type", row.token_type.as_deref())
        .part("service_tier", row.service_tier.as_deref())
        .part("context_window", row.context_window.as_deref())
        .part("inference_geo", row.inference_geo.as_deref())
        .finish();
    let mut line = line(day, COST_REPORT, key);
    line.model = canonical_or_empty(&Provider::Anthropic, row.model.as_deref());
    line.workspace = row.workspace_id.unwrap_or_default();
    line.service_tier = row.service_tier.unwrap_or_default();
    line.cost_type = cost_type(row.cost_type.as_deref());
    line.description = row.description.unwrap_or_default();
    line.amount = Some(amount);
    Ok(vec![line])
}

/// A messages-usage row (grouped by model, workspace, API key and service tier): token counts
/// without a price. Priority-tier rows keep `priority`/`priority_on_demand`: the cost report
/// never bills them, so reconciliation must be able to tell them apart.
pub(crate) fn usage_line(day: UtcDay, row: UsageRow) -> Result<Vec<BillingLine>, String> {
    let cache = row.cache_creation.unwrap_or_default();
    let key = NaturalKey::new(MESSAGES_USAGE, day)
        .part("model", row.model.as_deref())
        .part("workspace_id", row.workspace_id.as_deref())
        .part("api_key_id", row.api_key_id.as_deref())
        .part("service_tier", row.service_tier.as_deref())
        .finish();
    let mut line = line(day, MESSAGES_USAGE, key);
    line.model = canonical_or_empty(&Provider::Anthropic, row.model.as_deref());
    line.workspace = row.workspace_id.unwrap_or_default();
    line.api_key = row.api_key_id.unwrap_or_default();
    line.service_tier = row.service_tier.unwrap_or_default();
    line.cost_type = CostType::Tokens;
    line.tokens = TokenCounts {
        input: row.uncached_input_tokens,
        cache_read: row.cache_read_input_tokens,
        cache_write_5m: cache.ephemeral_5m_input_tokens,
        cache_write_1h: cache.ephemeral_1h_input_tokens,
        output: row.output_tokens,
        reasoning: 0,
    };
    Ok(vec![line])
}

/// A Claude Code analytics record: one **estimate** line per model. `person` is the user's
/// e-mail address, or the API key's name for an API actor. The analytics report one
/// `cache_creation` count; Claude Code writes 5-minute cache entries, so it is counted as
/// `cache_write_5m`. The terminal type is part of the natural key because one actor can have
/// a record per terminal on the same day.
pub(crate) fn claude_code_lines(
    day: UtcDay,
    record: ClaudeCodeRecord,
) -> Result<Vec<BillingLine>, String> {
    let person = record
        .actor
        .email_address
        .or(record.actor.api_key_name)
        .unwrap_or_default();
    let mut lines = Vec::with_capacity(record.model_breakdown.len());
    for entry in record.model_breakdown {
        let amount = match &entry.estimated_cost {
            Some(cost) => {
                check_usd(cost.currency.as_deref())?;
                let usd = money(&cost.amount, MoneyUnit::Cents)
                    .map_err(|e| format!("estimated_cost.amount: {e}"))?;
                Some(usd)
            }
            None => None,
        };
        let key = NaturalKey::new(CLAUDE_CODE, day)
            .part("actor_type", record.actor.kind.as_deref())
            .part("actor", Some(&person))
            .part("customer_type", record.customer_type.as_deref())
            .part("terminal_type", record.terminal_type.as_deref())
            .part("model", entry.model.as_deref())
            .finish();
        let mut line = line(day, CLAUDE_CODE, key);
        line.model = canonical_or_empty(&Provider::Anthropic, entry.model.as_deref());
        line.person = person.clone();
        line.cost_type = CostType::Tokens;
        line.tokens = TokenCounts {
            input: entry.tokens.input,
            cache_read: entry.tokens.cache_read,
            cache_write_5m: entry.tokens.cache_creation,
            cache_write_1h: 0,
            output: entry.tokens.output,
            reasoning: 0,
        };
        line.amount = amount;
        line.estimate = true;
        lines.push(line);
    }
    Ok(lines)
}
