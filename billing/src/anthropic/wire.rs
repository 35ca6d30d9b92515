//! Anthropic Admin API response bodies, field for field as documented (unknown fields ignored).
//!
//! Every group-by field is `Option`: null means "not grouped by it" or a documented special
//! value (default workspace, Console usage); the converter decides which from what was sent.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::days::parse_day;
use crate::json::count;
use crate::paging::{IntoPage, Page};

/// `cost_report` and `usage_report/messages`: time buckets of grouped rows.
#[derive(Deserialize, Debug)]
pub(crate) struct BucketReport<R> {
    pub(crate) data: Vec<Bucket<R>>,
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) next_page: Option<String>,
}

#[derive(Deserialize, Debug)]
pub(crate) struct Bucket<R> {
    /// RFC 3339, inclusive; snapped to the UTC day for `bucket_width=1d`.
    pub(crate) starting_at: String,
    pub(crate) results: Vec<R>,
}

impl<R> IntoPage for BucketReport<R> {
    type Row = R;

    fn into_page(self) -> Result<Page<R>, String> {
        let buckets = self
            .data
            .into_iter()
            .map(|bucket| match parse_day(&bucket.starting_at) {
                Some(day) => Ok((day, bucket.results)),
                None => Err(format!(
                    "bucket starting_at `{}` is not an RFC 3339 time",
                    bucket.starting_at
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(Page {
            buckets,
            has_more: self.has_more,
            next_page: self.next_page,
        })
    }
}

/// One row of `GET /v1/organizations/cost_report`.
#[derive(Deserialize, Debug)]
pub(crate) struct CostRow {
    /// Decimal string in cents (`"123.78912"` = $1.2378912).
    pub(crate) amount: Box<RawValue>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
    #[serde(default)]
    pub(crate) workspace_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) cost_type: Option<String>,
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) service_tier: Option<String>,
    #[serde(default)]
    pub(crate) context_window: Option<String>,
    #[serde(default)]
    pub(crate) token_type: Option<String>,
    #[serde(default)]
    pub(crate) inference_geo: Option<String>,
}

/// One row of `GET /v1/organizations/usage_report/messages`.
#[derive(Deserialize, Debug)]
pub(crate) struct UsageRow {
    #[serde(default, deserialize_with = "count")]
    pub(crate) uncached_input_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) cache_read_input_tokens: u64,
    #[serde(default)]
    pub(crate) cache_creation: Option<CacheCreation>,
    #[serde(default, deserialize_with = "count")]
    pub(crate) output_tokens: u64,
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) workspace_id: Option<String>,
    #[serde(default)]
    pub(crate) api_key_id: Option<String>,
    #[serde(default)]
    pub(crate) service_tier: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct CacheCreation {
    #[serde(default, deserialize_with = "count")]
    pub(crate) ephemeral_5m_input_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) ephemeral_1h_input_tokens: u64,
}

/// `GET /v1/organizations/usage_report/claude_code`: records of one UTC day, cursor-paged.
#[derive(Deserialize, Debug)]
pub(crate) struct ClaudeCodeReport {
    pub(crate) data: Vec<ClaudeCodeRecord>,
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) next_page: Option<String>,
}

impl IntoPage for ClaudeCodeReport {
    type Row = ClaudeCodeRecord;

    fn into_page(self) -> Result<Page<ClaudeCodeRecord>, String> {
        let buckets = self
            .data
            .into_iter()
            .map(|record| match parse_day(&record.date) {
                Some(day) => Ok((day, vec![record])),
                None => Err(format!(
                    "record date `{}` is neither YYYY-MM-DD nor RFC 3339",
                    record.date
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(Page {
            buckets,
            has_more: self.has_more,
            next_page: self.next_page,
        })
    }
}

/// One actor's Claude Code activity on one day (possibly one of several terminal types).
#[derive(Deserialize, Debug)]
pub(crate) struct ClaudeCodeRecord {
    /// `YYYY-MM-DD` per the spec; examples show `2025-08-08T00:00:00Z`. Both are accepted.
    pub(crate) date: String,
    pub(crate) actor: Actor,
    #[serde(default)]
    pub(crate) customer_type: Option<String>,
    #[serde(default)]
    pub(crate) terminal_type: Option<String>,
    #[serde(default)]
    pub(crate) model_breakdown: Vec<ModelBreakdown>,
}

/// `{"type":"user_actor","email_address":…}` or `{"type":"api_actor","api_key_name":…}`; read
/// as one struct so that a new actor type is tolerated rather than failing the whole page.
#[derive(Deserialize, Debug)]
pub(crate) struct Actor {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) email_address: Option<String>,
    #[serde(default)]
    pub(crate) api_key_name: Option<String>,
}

#[derive(Deserialize, Debug)]
pub(crate) struct ModelBreakdown {
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) tokens: ClaudeCodeTokens,
    #[serde(default)]
    pub(crate) estimated_cost: Option<EstimatedCost>,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct ClaudeCodeTokens {
    #[serde(default, deserialize_with = "count")]
    pub(crate) input: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) output: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) cache_read: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) cache_creation: u64,
}

#[derive(Deserialize, Debug)]
pub(crate) struct EstimatedCost {
    /// A JSON number in cents (`186` = $1.86).
    pub(crate) amount: Box<RawValue>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
}
