//! Anthropic's Claude Code analytics endpoint, `GET /v1/organizations/usage_report/claude_code`.
//!
//! One record per person and UTC day, one day per request, paged by `limit` with opaque cursors,
//! estimated costs in cents as JSON numbers.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use reconciler::UtcDay;
use serde::Serialize;
use serde_json::json;

use super::anthropic::{Pairs, Shared, day_of, invalid};
use super::wire::{Number, Params, json};
use crate::bills::anthropic::AnalyticsRecord;
use crate::calendar::rfc3339_midnight;

#[derive(Serialize)]
struct AnalyticsPage {
    data: Vec<AnalyticsJson>,
    has_more: bool,
    next_page: Option<String>,
}

#[derive(Serialize)]
struct AnalyticsJson {
    date: String,
    actor: Actor,
    organization_id: String,
    customer_type: &'static str,
    terminal_type: &'static str,
    core_metrics: serde_json::Value,
    tool_actions: serde_json::Value,
    model_breakdown: Vec<Breakdown>,
}

#[derive(Serialize)]
struct Actor {
    #[serde(rename = "type")]
    kind: &'static str,
    email_address: String,
}

#[derive(Serialize)]
struct Breakdown {
    model: &'static str,
    tokens: serde_json::Value,
    estimated_cost: Estimate,
}

#[derive(Serialize)]
struct Estimate {
    /// Cents, a JSON number.
    amount: Number,
    currency: &'static str,
}

fn analytics_json(day: UtcDay, organization_id: &str, record: &AnalyticsRecord) -> AnalyticsJson {
    let output: u64 = record.models.values().map(|(t, _)| t.output).sum();
    let added = output / 14;
    AnalyticsJson {
        date: rfc3339_midnight(day),
        actor: Actor {
            kind: "user_actor",
            email_address: record.email.clone(),
        },
        organization_id: organization_id.to_owned(),
        customer_type: "api",
        terminal_type: record.terminal,
        core_metrics: json!({
            "num_sessions": record.sessions,
            "lines_of_code": {"added": added, "removed": added / 3},
            "commits_by_claude_code": record.requests / 25,
            "pull_requests_by_claude_code": record.requests / 80,
        }),
        tool_actions: json!({
            "edit_tool": {"accepted": record.requests / 3, "rejected": record.requests / 20},
            "write_tool": {"accepted": record.requests / 12, "rejected": 0},
        }),
        model_breakdown: record
            .models
            .iter()
            .map(|(model, (tokens, cost))| Breakdown {
                model: model.billing_label(),
                tokens: json!({
                    "input": tokens.input,
                    "output": tokens.output,
                    "cache_read": tokens.cache_read,
                    "cache_creation": tokens.cache_write_5m + tokens.cache_write_1h,
                }),
                estimated_cost: Estimate {
                    amount: Number::cents(*cost),
                    currency: "USD",
                },
            })
            .collect(),
    }
}

/// Claude Code analytics: one UTC day per request, records paged by `limit` (at most 1000).
pub(super) async fn report(State(bills): Shared, Query(pairs): Pairs) -> Response {
    let params = Params(pairs);
    let Some(day) = params.get("starting_at").and_then(day_of) else {
        return invalid("starting_at: a UTC date (YYYY-MM-DD) is required".to_owned());
    };
    let limit = match params.number("limit", 20, 1..=1000) {
        Ok(limit) => usize::try_from(limit).unwrap_or(20),
        Err(message) => return invalid(message),
    };
    let records = bills
        .anthropic
        .analytics
        .get(&day)
        .map_or(&[][..], Vec::as_slice);
    let offset = match params.get("page") {
        None => 0,
        Some(cursor) => match cursor
            .strip_prefix("page_")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n < records.len())
        {
            Some(offset) => offset,
            None => return invalid(format!("page: `{cursor}` is not a cursor this report gave")),
        },
    };
    let end = offset.saturating_add(limit).min(records.len());
    let next_page = (end < records.len()).then(|| format!("page_{end}"));
    json(
        StatusCode::OK,
        &AnalyticsPage {
            data: records[offset..end]
                .iter()
                .map(|record| analytics_json(day, &bills.organization_id, record))
                .collect(),
            has_more: next_page.is_some(),
            next_page,
        },
    )
}
