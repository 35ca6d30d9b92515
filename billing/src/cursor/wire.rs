//! Cursor Admin API response bodies, field for field as documented (unknown fields ignored;
//! every field reckon can do without is optional, since Cursor adds and renames fields often).

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::json::count;

/// `POST /teams/filtered-usage-events`: one page of events, newest first.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventsPage {
    #[serde(default)]
    pub(crate) total_usage_events_count: Option<u64>,
    #[serde(default)]
    pub(crate) pagination: Option<Pagination>,
    pub(crate) usage_events: Vec<Event>,
}

impl EventsPage {
    /// Whether another page follows: `hasNextPage`, else `currentPage < numPages`; without a
    /// `pagination` object the page is the only one.
    pub(crate) fn has_next(&self) -> bool {
        let Some(pagination) = &self.pagination else {
            return false;
        };
        let counted = matches!(
            (pagination.current_page, pagination.num_pages),
            (Some(c), Some(n)) if c < n
        );
        pagination.has_next_page.unwrap_or(counted)
    }

    /// What identifies the page's content, to recognise a page served twice.
    pub(crate) fn fingerprint(&self) -> Vec<(i64, Option<String>, Option<String>)> {
        self.usage_events
            .iter()
            .map(|e| (e.timestamp, e.user_email.clone(), e.model.clone()))
            .collect()
    }
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Pagination {
    #[serde(default)]
    pub(crate) num_pages: Option<u64>,
    #[serde(default)]
    pub(crate) current_page: Option<u64>,
    #[serde(default)]
    pub(crate) has_next_page: Option<bool>,
}

/// One usage event (one request made in Cursor).
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event {
    /// Epoch milliseconds, documented as a **string** (`"1750979225854"`); a number is accepted.
    #[serde(deserialize_with = "epoch_ms")]
    pub(crate) timestamp: i64,
    /// Cursor's own label (`claude-4-opus`, `claude-4-sonnet-thinking`).
    #[serde(default)]
    pub(crate) model: Option<String>,
    /// `Usage-based`, `Included in Business`, …
    #[serde(default)]
    pub(crate) kind: Option<String>,
    /// Absent when `isTokenBasedCall` is false (request-based billing).
    #[serde(default)]
    pub(crate) token_usage: Option<TokenUsage>,
    /// Cursor's own per-token fee in cents, billed on top of `tokenUsage.totalCents`.
    #[serde(default)]
    pub(crate) cursor_token_fee: Option<Box<RawValue>>,
    /// Newer servers (UNCONFIRMED in Cursor's docs): whether the event is billed.
    #[serde(default)]
    pub(crate) is_chargeable: Option<bool>,
    #[serde(default)]
    pub(crate) is_free_bugbot: Option<bool>,
    #[serde(default)]
    pub(crate) user_email: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenUsage {
    #[serde(default, deserialize_with = "count")]
    pub(crate) input_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) output_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) cache_write_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) cache_read_tokens: u64,
    /// The model cost in cents, a float with noise (`40.16699999999999`): read as written.
    #[serde(default)]
    pub(crate) total_cents: Option<Box<RawValue>>,
}

/// `POST /teams/spend`: the current billing cycle's spend per member, one page.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpendPage {
    pub(crate) team_member_spend: Vec<MemberSpend>,
    /// Epoch milliseconds of the cycle's first instant.
    #[serde(deserialize_with = "epoch_ms")]
    pub(crate) subscription_cycle_start: i64,
    #[serde(default)]
    pub(crate) total_members: Option<u64>,
    #[serde(default)]
    pub(crate) total_pages: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberSpend {
    /// Cents; reported to mean on-demand (overage) spend only on newer servers.
    #[serde(default)]
    pub(crate) spend_cents: Option<Box<RawValue>>,
    /// Cents including plan-included usage (newer servers, UNCONFIRMED).
    #[serde(default)]
    pub(crate) overall_spend_cents: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
}

/// Epoch milliseconds as a JSON integer or as a string of one.
fn epoch_ms<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Millis {
        Number(i64),
        Text(String),
    }
    match Millis::deserialize(deserializer)? {
        Millis::Number(ms) => Ok(ms),
        Millis::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not epoch milliseconds"))),
    }
}
