//! Cursor's Admin API: `POST /teams/filtered-usage-events` and `POST /teams/spend`.
//!
//! Events newest first in 1-indexed pages, at most 30 days per request; the current cycle's spend
//! per member; HTTP Basic authentication; cents as JSON numbers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::wire::{Number, json};
use super::{authorization, guarded};
use crate::bills::Bills;
use crate::bills::cursor::Event;
use crate::calendar::{MS_PER_DAY, day_start_ms};

type Shared = State<Arc<Bills>>;

/// The longest range one usage-events request may cover.
const MAX_RANGE_MS: i64 = 30 * MS_PER_DAY;

pub(super) fn router(bills: Arc<Bills>) -> Router {
    Router::new()
        .route("/teams/filtered-usage-events", post(usage_events))
        .route("/teams/spend", post(spend))
        .with_state(bills)
}

fn error(status: StatusCode, reason: &str, message: &str) -> Response {
    json(status, &json!({"error": reason, "message": message}))
}

pub(super) async fn auth(request: Request, next: Next) -> Response {
    guarded(request, next, |headers| {
        authorization(headers, "Basic")
            .is_none()
            .then(|| error(StatusCode::UNAUTHORIZED, "Unauthorized", "Invalid API key"))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventsRequest {
    start_date: Option<i64>,
    end_date: Option<i64>,
    email: Option<String>,
    page: Option<u64>,
    page_size: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventsPage {
    total_usage_events_count: usize,
    pagination: Pagination,
    usage_events: Vec<EventJson>,
    period: Period,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    num_pages: usize,
    current_page: u64,
    page_size: u64,
    has_next_page: bool,
    has_previous_page: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Period {
    start_date: i64,
    end_date: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventJson {
    /// Epoch milliseconds as a string, as Cursor sends it.
    timestamp: String,
    model: &'static str,
    kind: &'static str,
    max_mode: bool,
    requests_costs: u64,
    is_token_based_call: bool,
    token_usage: TokenUsage,
    cursor_token_fee: Number,
    is_free_bugbot: bool,
    user_email: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenUsage {
    input_tokens: u64,
    output_tokens: u64,
    cache_write_tokens: u64,
    cache_read_tokens: u64,
    total_cents: Number,
}

fn event_json(event: &Event) -> EventJson {
    EventJson {
        timestamp: event.ms.to_string(),
        model: event.model.billing_label(),
        kind: "Usage-based",
        max_mode: false,
        requests_costs: if event.model.reasons() { 2 } else { 1 },
        is_token_based_call: true,
        token_usage: TokenUsage {
            input_tokens: event.tokens.input,
            output_tokens: event.tokens.output,
            cache_write_tokens: event.tokens.cache_write_5m,
            cache_read_tokens: event.tokens.cache_read,
            total_cents: Number::decimal(event.total_cents),
        },
        cursor_token_fee: Number::decimal(event.fee_cents),
        is_free_bugbot: false,
        user_email: event.email.clone(),
    }
}

async fn usage_events(State(bills): Shared, Json(request): Json<EventsRequest>) -> Response {
    let bad = |message: &str| error(StatusCode::BAD_REQUEST, "Bad Request", message);
    let (Some(start), Some(end)) = (request.start_date, request.end_date) else {
        return bad("startDate and endDate (epoch milliseconds) are required");
    };
    if end < start {
        return bad("endDate is before startDate");
    }
    if end - start > MAX_RANGE_MS {
        return bad("The date range may not exceed 30 days");
    }
    let page = request.page.unwrap_or(1).max(1);
    let size = request.page_size.unwrap_or(10).clamp(1, 1000);
    // Events are held newest first, as Cursor lists them.
    let matching: Vec<&Event> = bills
        .cursor
        .events
        .iter()
        .filter(|e| (start..=end).contains(&e.ms))
        .filter(|e| request.email.as_ref().is_none_or(|email| *email == e.email))
        .collect();
    let size_usize = usize::try_from(size).unwrap_or(1000);
    let pages = matching.len().div_ceil(size_usize);
    let skip = usize::try_from(page - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(size_usize);
    json(
        StatusCode::OK,
        &EventsPage {
            total_usage_events_count: matching.len(),
            pagination: Pagination {
                num_pages: pages,
                current_page: page,
                page_size: size,
                has_next_page: usize::try_from(page).unwrap_or(usize::MAX) < pages,
                has_previous_page: page > 1,
            },
            usage_events: matching
                .iter()
                .skip(skip)
                .take(size_usize)
                .map(|e| event_json(e))
                .collect(),
            period: Period {
                start_date: start,
                end_date: end,
            },
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpendRequest {
    page: Option<u64>,
    page_size: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpendPage {
    team_member_spend: Vec<MemberJson>,
    subscription_cycle_start: i64,
    total_members: usize,
    total_pages: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MemberJson {
    spend_cents: Number,
    overall_spend_cents: Number,
    fast_premium_requests: u64,
    name: String,
    email: String,
    role: &'static str,
    hard_limit_override_dollars: u64,
}

async fn spend(State(bills): Shared, Json(request): Json<SpendRequest>) -> Response {
    let page = usize::try_from(request.page.unwrap_or(1).max(1)).unwrap_or(usize::MAX);
    let size = usize::try_from(request.page_size.unwrap_or(50).clamp(1, 1000)).unwrap_or(50);
    let members = &bills.cursor.spend;
    json(
        StatusCode::OK,
        &SpendPage {
            team_member_spend: members
                .iter()
                .skip((page - 1).saturating_mul(size))
                .take(size)
                .map(|member| MemberJson {
                    spend_cents: Number::decimal(member.spend_cents),
                    overall_spend_cents: Number::decimal(member.spend_cents),
                    fast_premium_requests: member.premium_requests,
                    name: member.name.clone(),
                    email: member.email.clone(),
                    role: "member",
                    hard_limit_override_dollars: 0,
                })
                .collect(),
            subscription_cycle_start: day_start_ms(bills.cursor.cycle_start),
            total_members: members.len(),
            total_pages: members.len().div_ceil(size),
        },
    )
}
