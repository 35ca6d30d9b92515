//! OpenAI's Administration API: organization costs and completions usage.
//!
//! Daily buckets in Unix seconds paged by `limit`, group-by projection (`group_by[]=x` and
//! `group_by=x` both accepted), dollars as JSON numbers.

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

use super::wire::{BucketPage, Number, Params, bucket_page, json};
use super::{authorization, guarded};
use crate::bills::Bills;
use crate::calendar::{add_days, day_of_ms, day_start_ms};

type Shared = State<Arc<Bills>>;
type Pairs = Query<Vec<(String, String)>>;

pub(super) fn router(bills: Arc<Bills>) -> Router {
    Router::new()
        .route("/v1/organization/costs", get(costs))
        .route("/v1/organization/usage/completions", get(completions))
        .with_state(bills)
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    json(
        status,
        &json!({"error": {"message": message, "type": kind, "param": null, "code": null}}),
    )
}

fn invalid(message: String) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", &message)
}

pub(super) async fn auth(request: Request, next: Next) -> Response {
    guarded(request, next, |headers| {
        authorization(headers, "Bearer").is_none().then(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                "You didn't provide an API key. Provide it in the Authorization header as \
                 `Bearer YOUR_KEY`.",
            )
        })
    })
    .await
}

/// The daily buckets asked for. Times are snapped to whole UTC days: the first bucket starts
/// at the midnight on or before `start_time`, the last ends at the midnight on or after
/// `end_time` (reckon always asks for whole days).
fn buckets(params: &Params, max_limit: i64) -> Result<BucketPage, String> {
    if params.get("bucket_width").is_some_and(|w| w != "1d") {
        return Err("bucket_width: the demo serves daily buckets (1d) only".to_owned());
    }
    let limit = params.number("limit", 7, 1..=max_limit)?;
    let seconds = |name: &str| -> Result<Option<UtcDay>, String> {
        params
            .get(name)
            .map(|text| {
                text.parse::<i64>()
                    .ok()
                    .and_then(|s| day_of_ms(s.saturating_mul(1000)))
                    .ok_or_else(|| format!("{name}: `{text}` is not a Unix time in seconds"))
            })
            .transpose()
    };
    let from = seconds("start_time")?.ok_or("start_time is required")?;
    let until = match (params.get("end_time"), seconds("end_time")?) {
        (Some(text), Some(day)) => {
            let on_midnight = text.parse::<i64>().ok() == Some(day_start_ms(day) / 1000);
            if on_midnight { day } else { add_days(day, 1) }
        }
        _ => add_days(from, limit),
    };
    bucket_page(from, until, limit, params.get("page"))
}

#[derive(Serialize)]
struct Page<R> {
    object: &'static str,
    data: Vec<Bucket<R>>,
    has_more: bool,
    next_page: Option<String>,
}

#[derive(Serialize)]
struct Bucket<R> {
    object: &'static str,
    start_time: i64,
    end_time: i64,
    results: Vec<R>,
}

fn page<R: Serialize>(page: BucketPage, mut results: impl FnMut(UtcDay) -> Vec<R>) -> Response {
    let data = page
        .days
        .iter()
        .map(|day| Bucket {
            object: "bucket",
            start_time: day_start_ms(*day) / 1000,
            end_time: day_start_ms(add_days(*day, 1)) / 1000,
            results: results(*day),
        })
        .collect();
    json(
        StatusCode::OK,
        &Page {
            object: "page",
            data,
            has_more: page.next_page.is_some(),
            next_page: page.next_page,
        },
    )
}

#[derive(Serialize)]
struct CostResult {
    object: &'static str,
    amount: Amount,
    line_item: Option<String>,
    project_id: Option<String>,
    api_key_id: Option<String>,
    quantity: Option<u64>,
    quantity_unit: Option<&'static str>,
}

#[derive(Serialize)]
struct Amount {
    value: Number,
    currency: &'static str,
}

async fn costs(State(bills): Shared, Query(pairs): Pairs) -> Response {
    let params = Params(pairs);
    let groups = match params.group_by(&["project_id", "line_item", "api_key_id"]) {
        Ok(groups) => groups,
        Err(message) => return invalid(message),
    };
    let requested = match buckets(&params, 180) {
        Ok(requested) => requested,
        Err(message) => return invalid(message),
    };
    let by = |name: &str| groups.iter().any(|g| g == name);
    let (by_project, by_item, by_key) = (by("project_id"), by("line_item"), by("api_key_id"));
    page(requested, |day| {
        type Key = (Option<String>, Option<String>, Option<String>);
        let mut merged: BTreeMap<Key, (Usd, u64)> = BTreeMap::new();
        for row in bills.openai.cost.get(&day).into_iter().flatten() {
            // Each team's project has one key, so a project's cost is its key's.
            let key_id = row.project.replacen("proj_", "key_", 1);
            let key = (
                by_project.then(|| row.project.clone()),
                by_item.then(|| row.line_item.clone()),
                by_key.then_some(key_id),
            );
            let (amount, quantity) = merged.entry(key).or_default();
            *amount = crate::bills::add(*amount, row.amount);
            *quantity += row.quantity;
        }
        merged
            .into_iter()
            .map(
                |((project_id, line_item, api_key_id), (amount, quantity))| {
                    let itemised = line_item.is_some();
                    CostResult {
                        object: "organization.costs.result",
                        amount: Amount {
                            value: Number::dollars(amount),
                            currency: "usd",
                        },
                        line_item,
                        project_id,
                        api_key_id,
                        quantity: itemised.then_some(quantity),
                        quantity_unit: itemised.then_some("tokens"),
                    }
                },
            )
            .collect()
    })
}

#[derive(Serialize)]
struct CompletionsResult {
    object: &'static str,
    input_tokens: u64,
    input_cached_tokens: u64,
    input_cache_write_tokens: u64,
    input_uncached_tokens: u64,
    output_tokens: u64,
    input_audio_tokens: u64,
    output_audio_tokens: u64,
    num_model_requests: u64,
    project_id: Option<String>,
    user_id: Option<String>,
    api_key_id: Option<String>,
    model: Option<&'static str>,
    batch: Option<bool>,
    service_tier: Option<&'static str>,
}

const COMPLETION_GROUPS: [&str; 6] = [
    "project_id",
    "user_id",
    "api_key_id",
    "model",
    "batch",
    "service_tier",
];

async fn completions(State(bills): Shared, Query(pairs): Pairs) -> Response {
    let params = Params(pairs);
    let groups = match params.group_by(&COMPLETION_GROUPS) {
        Ok(groups) => groups,
        Err(message) => return invalid(message),
    };
    let requested = match buckets(&params, 31) {
        Ok(requested) => requested,
        Err(message) => return invalid(message),
    };
    let by = |name: &str| groups.iter().any(|g| g == name);
    let grouped = [
        by("model"),
        by("project_id"),
        by("api_key_id"),
        by("batch"),
        by("service_tier"),
    ];
    page(requested, |day| {
        type Key = (
            Option<&'static str>,
            Option<String>,
            Option<String>,
            Option<bool>,
            Option<&'static str>,
        );
        let mut merged: BTreeMap<Key, (TokenCounts, u64)> = BTreeMap::new();
        for row in bills.openai.usage.get(&day).into_iter().flatten() {
            let key = (
                grouped[0].then(|| row.model.billing_label()),
                grouped[1].then(|| row.project.clone()),
                grouped[2].then(|| row.api_key.clone()),
                grouped[3].then_some(false),
                grouped[4].then_some("default"),
            );
            let (tokens, requests) = merged.entry(key).or_default();
            *tokens = tokens.saturating_add(&row.tokens);
            *requests += row.requests;
        }
        merged
            .into_iter()
            .map(
                |((model, project_id, api_key_id, batch, service_tier), (t, requests))| {
                    CompletionsResult {
                        object: "organization.usage.completions.result",
                        input_tokens: t.input + t.cache_read + t.cache_write_5m,
                        input_cached_tokens: t.cache_read,
                        input_cache_write_tokens: t.cache_write_5m,
                        input_uncached_tokens: t.input,
                        output_tokens: t.output,
                        input_audio_tokens: 0,
                        output_audio_tokens: 0,
                        num_model_requests: requests,
                        project_id,
                        user_id: None,
                        api_key_id,
                        model,
                        batch,
                        service_tier,
                    }
                },
            )
            .collect()
    })
}
