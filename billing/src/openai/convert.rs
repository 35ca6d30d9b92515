//! OpenAI rows → [`BillingLine`]s: dollars from literal JSON numbers, token kinds, natural keys.
//!
//! Nulls are read relative to the group-by sent (reckon always groups by the fields it fills):
//! `project_id: null` is cost or usage not attributed to a project, `api_key_id: null` usage
//! without a key id (e.g. ChatGPT-side or internal usage); both become `""`.

use reconciler::{Provider, TokenCounts, UtcDay};

use super::wire::{CompletionsRow, CostRow};
use crate::json::{MoneyUnit, money};
use crate::line::NaturalKey;
use crate::models::canonical_or_empty;
use crate::{BillingLine, CostType};

pub(crate) const COSTS: &str = "/v1/organization/costs";
pub(crate) const COMPLETIONS_USAGE: &str = "/v1/organization/usage/completions";

fn line(day: UtcDay, source: &str, natural_key: String) -> BillingLine {
    BillingLine {
        day,
        provider: Provider::OpenAi,
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

/// What a cost line is for. `quantity_unit` (newer servers) is authoritative for tokens;
/// otherwise `line_item` is free text whose format is not documented, so only unmistakable
/// wordings are classified and everything else stays `Other` (kept, never dropped).
fn cost_type(line_item: Option<&str>, quantity_unit: Option<&str>) -> CostType {
    if matches!(quantity_unit, Some("tokens" | "1000_tokens")) {
        return CostType::Tokens;
    }
    let item = line_item.unwrap_or_default().to_ascii_lowercase();
    if item.contains("web search") {
        CostType::WebSearch
    } else if item.contains("code interpreter") {
        CostType::CodeExecution
    } else if [", input", ", output", ", cached input"]
        .iter()
        .any(|suffix| item.ends_with(suffix))
        || matches!(item.as_str(), "input_tokens" | "output_tokens")
    {
        CostType::Tokens
    } else {
        CostType::Other
    }
}

/// The model a token line item names: `line_item` reads `<model>, input` (or `, output`,
/// `, cached input`) in the captures seen; anything else names no model (`""`). Without the
/// model, the dollars could not meet the tokens of the same model in the usage report, and
/// every negotiated rate would read as untracked usage.
fn model_of(line_item: Option<&str>) -> String {
    let item = line_item.unwrap_or_default();
    [", input", ", output", ", cached input"]
        .iter()
        .find_map(|suffix| item.strip_suffix(suffix))
        .filter(|model| !model.trim().is_empty() && !model.contains(','))
        .map(|model| crate::models::canonical_model(&Provider::OpenAi, model))
        .unwrap_or_default()
}

/// A costs row (grouped by `project_id` and `line_item`): authoritative dollars. The costs
/// endpoint has no model field; the model comes from a token line item's text when it names
/// one ([`model_of`]), else stays `""`.
pub(crate) fn cost_line(day: UtcDay, row: CostRow) -> Result<Vec<BillingLine>, String> {
    if let Some(currency) = row.amount.currency.as_deref()
        && !currency.eq_ignore_ascii_case("usd")
    {
        return Err(format!("currency `{currency}` is not USD"));
    }
    let amount =
        money(&row.amount.value, MoneyUnit::Dollars).map_err(|e| format!("amount.value: {e}"))?;
    let key = NaturalKey::new(COSTS, day)
        .part("project_id", row.project_id.as_deref())
        .part("line_item", row.line_item.as_deref())
        .part("api_key_id", row.api_key_id.as_deref())
        .finish();
    let mut line = line(day, COSTS, key);
    line.cost_type = cost_type(row.line_item.as_deref(), row.quantity_unit.as_deref());
    line.workspace = row.project_id.unwrap_or_default();
    line.api_key = row.api_key_id.unwrap_or_default();
    line.model = model_of(row.line_item.as_deref());
    line.description = row.line_item.unwrap_or_default();
    line.amount = Some(amount);
    Ok(vec![line])
}

/// A completions-usage row (grouped by model, project, API key, batch and service tier):
/// token counts without a price. `input_tokens` includes cached and cache-write tokens, so the
/// uncached `input` is what remains after both. Batch requests get service tier `batch`
/// (priced as their own tier); otherwise the provider's `service_tier`.
pub(crate) fn usage_line(day: UtcDay, row: CompletionsRow) -> Result<Vec<BillingLine>, String> {
    let cached = row
        .input_cached_tokens
        .checked_add(row.input_cache_write_tokens)
        .ok_or("cached input token counts overflow")?;
    let input = row.input_tokens.checked_sub(cached).ok_or_else(|| {
        format!(
            "input_tokens ({}) is less than input_cached_tokens + input_cache_write_tokens ({cached}), \
             which it includes",
            row.input_tokens
        )
    })?;
    let batch = row.batch.map(|b| if b { "true" } else { "false" });
    let key = NaturalKey::new(COMPLETIONS_USAGE, day)
        .part("model", row.model.as_deref())
        .part("project_id", row.project_id.as_deref())
        .part("api_key_id", row.api_key_id.as_deref())
        .part("batch", batch)
        .part("service_tier", row.service_tier.as_deref())
        .finish();
    let mut line = line(day, COMPLETIONS_USAGE, key);
    line.model = canonical_or_empty(&Provider::OpenAi, row.model.as_deref());
    line.workspace = row.project_id.unwrap_or_default();
    line.api_key = row.api_key_id.unwrap_or_default();
    line.service_tier = match row.batch {
        Some(true) => "batch".to_owned(),
        _ => row.service_tier.unwrap_or_default(),
    };
    line.cost_type = CostType::Tokens;
    line.tokens = TokenCounts {
        input,
        cache_read: row.input_cached_tokens,
        cache_write_5m: row.input_cache_write_tokens,
        cache_write_1h: 0,
        output: row.output_tokens,
        reasoning: 0,
    };
    Ok(vec![line])
}
