//! Anthropic's Admin API: the cost report and the messages usage report.
//!
//! Daily buckets paged by `limit`, group-by projection, money as decimal-string cents. Claude
//! Code analytics are in `claude_code`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use reconciler::{TokenCounts, Usd, UtcDay};
use serde::Serialize;
use serde_json::json;

use super::wire::{BucketPage, Params, bucket_page, cents, json};
use super::{guarded, header};
use crate::bills::Bills;
use crate::bills::anthropic::TOKEN_TYPES;
use crate::calendar::{add_days, rfc3339_midnight};

pub(super) type Shared = State<Arc<Bills>>;
pub(super) type Pairs = Query<Vec<(String, String)>>;

pub(super) fn router(bills: Arc<Bills>) -> Router {
    Router::new()
        .route("/v1/organizations/cost_report", get(cost_report))
        .route("/v1/organizations/usage_report/messages", get(messages))
        .route(
            "/v1/organizations/usage_report/claude_code",
            get(super::claude_code::report),
        )
        .with_state(bills)
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    json(
        status,
        &json!({"type": "error", "error": {"type": kind, "message": message},
                "request_id": "req_reckon_demo"}),
    )
}

pub(super) fn invalid(message: String) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", &message)
}

/// The Admin API wants its key in `x-api-key` and a version header on every request.
pub(super) async fn auth(request: Request, next: Next) -> Response {
    guarded(request, next, |headers| {
        if header(headers, "x-api-key").is_none() {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "x-api-key header is required",
            ));
        }
        header(headers, "anthropic-version")
            .is_none()
            .then(|| invalid("anthropic-version header is required".to_owned()))
    })
    .await
}

/// The UTC day of an RFC 3339 time (its date part; buckets snap to the day) or a plain date.
pub(super) fn day_of(text: &str) -> Option<UtcDay> {
    text.get(..10).and_then(|date| UtcDay::parse(date).ok())
}

/// The page of daily buckets a report request asks for (`limit` buckets, at most 31).
fn buckets(params: &Params) -> Result<BucketPage, String> {
    if params.get("bucket_width").is_some_and(|w| w != "1d") {
        return Err("bucket_width: the demo serves daily buckets (1d) only".to_owned());
    }
    let limit = params.number("limit", 7, 1..=31)?;
    let from = params
        .get("starting_at")
        .and_then(day_of)
        .ok_or("starting_at: an RFC 3339 time is required")?;
    let until = match params.get("ending_at") {
        Some(text) => day_of(text).ok_or("ending_at: not an RFC 3339 time")?,
        None => add_days(from, limit),
    };
    bucket_page(from, until, limit, params.get("page"))
}

#[derive(Serialize)]
struct Report<R> {
    data: Vec<Bucket<R>>,
    has_more: bool,
    next_page: Option<String>,
}

#[derive(Serialize)]
struct Bucket<R> {
    starting_at: String,
    ending_at: String,
    results: Vec<R>,
}

fn report<R: Serialize>(page: BucketPage, mut results: impl FnMut(UtcDay) -> Vec<R>) -> Response {
    let data = page
        .days
        .iter()
        .map(|day| Bucket {
            starting_at: rfc3339_midnight(*day),
            ending_at: rfc3339_midnight(add_days(*day, 1)),
            results: results(*day),
        })
        .collect();
    json(
        StatusCode::OK,
        &Report {
            data,
            has_more: page.next_page.is_some(),
            next_page: page.next_page,
        },
    )
}

#[derive(Serialize)]
struct CostResult {
    currency: &'static str,
    /// Decimal-string cents.
    amount: String,
    workspace_id: Option<String>,
    description: Option<String>,
    cost_type: Option<&'static str>,
    context_window: Option<&'static str>,
    model: Option<&'static str>,
    service_tier: Option<&'static str>,
    token_type: Option<&'static str>,
    inference_geo: Option<&'static str>,
}

async fn cost_report(State(bills): Shared, Query(pairs): Pairs) -> Response {
    let params = Params(pairs);
    let groups = match params.group_by(&["workspace_id", "description"]) {
        Ok(groups) => groups,
        Err(message) => return invalid(message),
    };
    let page = match buckets(&params) {
        Ok(page) => page,
        Err(message) => return invalid(message),
    };
    let by_workspace = groups.iter().any(|g| g == "workspace_id");
    let by_description = groups.iter().any(|g| g == "description");
    report(page, |day| {
        // Rows merged over the dimensions not grouped by, as the API sums them.
        type Key = (Option<String>, Option<(String, usize)>);
        let mut merged: BTreeMap<Key, CostMerge> = BTreeMap::new();
        for row in bills.anthropic.cost.get(&day).into_iter().flatten() {
            let space = row.workspace.clone().filter(|_| by_workspace);
            let what = by_description.then(|| (row.description(), row.token_type));
            let entry = merged.entry((space, what)).or_insert(CostMerge {
                amount: Usd::ZERO,
                model: row.model.billing_label(),
            });
            entry.amount = crate::bills::add(entry.amount, row.amount);
        }
        merged
            .into_iter()
            .map(|((workspace_id, what), sum)| {
                let described = what.is_some();
                CostResult {
                    currency: "USD",
                    amount: cents(sum.amount).to_string(),
                    workspace_id,
                    cost_type: described.then_some("tokens"),
                    context_window: described.then_some("0-200k"),
                    model: described.then_some(sum.model),
                    service_tier: described.then_some("standard"),
                    token_type: what.as_ref().map(|(_, index)| TOKEN_TYPES[*index].1),
                    inference_geo: described.then_some("not_available"),
                    description: what.map(|(text, _)| text),
                }
            })
            .collect()
    })
}

struct CostMerge {
    amount: Usd,
    model: &'static str,
}

#[derive(Serialize)]
struct UsageResult {
    uncached_input_tokens: u64,
    cache_read_input_tokens: u64,
    cache_creation: CacheCreation,
    output_tokens: u64,
    server_tool_use: serde_json::Value,
    model: Option<&'static str>,
    workspace_id: Option<String>,
    api_key_id: Option<String>,
    service_tier: Option<&'static str>,
    context_window: Option<&'static str>,
    inference_geo: Option<&'static str>,
    account_id: Option<String>,
    service_account_id: Option<String>,
}

#[derive(Serialize)]
struct CacheCreation {
    ephemeral_5m_input_tokens: u64,
    ephemeral_1h_input_tokens: u64,
}

const USAGE_GROUPS: [&str; 9] = [
    "api_key_id",
    "workspace_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "speed",
    "account_id",
    "service_account_id",
];

async fn messages(State(bills): Shared, Query(pairs): Pairs) -> Response {
    let params = Params(pairs);
    let groups = match params.group_by(&USAGE_GROUPS) {
        Ok(groups) => groups,
        Err(message) => return invalid(message),
    };
    let page = match buckets(&params) {
        Ok(page) => page,
        Err(message) => return invalid(message),
    };
    let by = |name: &str| groups.iter().any(|g| g == name);
    let (by_model, by_space, by_key, by_tier) = (
        by("model"),
        by("workspace_id"),
        by("api_key_id"),
        by("service_tier"),
    );
    report(page, |day| {
        type Key = (
            Option<&'static str>,
            Option<String>,
            Option<String>,
            Option<&'static str>,
        );
        let mut merged: BTreeMap<Key, TokenCounts> = BTreeMap::new();
        for row in bills.anthropic.usage.get(&day).into_iter().flatten() {
            let key = (
                by_model.then(|| row.model.billing_label()),
                row.workspace.clone().filter(|_| by_space),
                by_key.then(|| row.api_key.clone()),
                by_tier.then(|| row.tier.as_str()),
            );
            let sum = merged.entry(key).or_default();
            *sum = sum.saturating_add(&row.tokens);
        }
        merged
            .into_iter()
            .map(
                |((model, workspace_id, api_key_id, service_tier), t)| UsageResult {
                    uncached_input_tokens: t.input,
                    cache_read_input_tokens: t.cache_read,
                    cache_creation: CacheCreation {
                        ephemeral_5m_input_tokens: t.cache_write_5m,
                        ephemeral_1h_input_tokens: t.cache_write_1h,
                    },
                    output_tokens: t.output,
                    server_tool_use: json!({"web_search_requests": 0}),
                    model,
                    workspace_id,
                    api_key_id,
                    service_tier,
                    context_window: None,
                    inference_geo: None,
                    account_id: None,
                    service_account_id: None,
                },
            )
            .collect()
    })
}
