//! An Anthropic Admin API for end-to-end tests, on a real socket: the cost report, the messages
//! usage report and Claude Code analytics in their documented shapes (amounts as decimal-cent
//! strings, daily buckets with `has_more`/`next_page` paging where `limit` counts buckets,
//! bracketed array parameters), the documented error body, and a switch to revoke the key.

use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The admin key the fake accepts (fake: it may appear in test code).
pub const ADMIN_KEY: &str = "sk-ant-admin01-e2eFAKEadminKEYforTESTSxyz9";

#[derive(Default, Debug)]
struct Fake {
    revoked: bool,
    /// Every request: path and query.
    requests: Vec<String>,
}

/// The running fake; dropping it leaves the server running until the test's runtime ends.
#[derive(Clone, Debug)]
pub struct FakeAnthropic {
    pub base_url: String,
    state: Arc<Mutex<Fake>>,
}

/// The cost lines of every day: (amount in cents as sent, description, model, token type).
pub const DAILY_COSTS: [(&str, &str, &str, &str); 2] = [
    (
        "123.78912",
        "Claude Sonnet 4 Usage - Input Tokens",
        "claude-sonnet-4-20250514",
        "uncached_input_tokens",
    ),
    (
        "40.16699999999999",
        "Claude Sonnet 4 Usage - Output Tokens",
        "claude-sonnet-4-20250514",
        "output_tokens",
    ),
];

impl FakeAnthropic {
    pub async fn start() -> FakeAnthropic {
        let state = Arc::new(Mutex::new(Fake::default()));
        let router = axum::Router::new()
            .route("/v1/organizations/cost_report", get(cost_report))
            .route("/v1/organizations/usage_report/messages", get(messages))
            .route(
                "/v1/organizations/usage_report/claude_code",
                get(claude_code),
            )
            .fallback(|| async {
                error(
                    StatusCode::NOT_FOUND,
                    "not_found_error",
                    "The requested resource could not be found.",
                )
            })
            .with_state(state.clone());
        // Over HTTPS, its certificate from the test CA: reckon trusts it through --ca-file.
        let base_url = test_tls::serve_fake(router)
            .await
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        FakeAnthropic { base_url, state }
    }

    /// The CA file reckon must be given (`--ca-file`, `RECKON_CA_FILE`) to trust the fake.
    pub fn ca_file(&self) -> String {
        test_tls::TestCa::shared().ca_file().display().to_string()
    }

    /// From now on every request is refused as with a revoked key.
    pub fn revoke_key(&self) {
        self.state.lock().unwrap().revoked = true;
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    });
    (status, axum::Json(body)).into_response()
}

/// The query's parameters in order, bracketed names as sent.
fn params(query: &Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks the headers and records the request; the refusal to answer with, if any.
fn admit(
    state: &Mutex<Fake>,
    headers: &HeaderMap,
    path: &str,
    query: &Option<String>,
) -> Option<Response> {
    let mut fake = state.lock().unwrap();
    fake.requests
        .push(format!("{path}?{}", query.as_deref().unwrap_or_default()));
    if headers
        .get("anthropic-version")
        .is_none_or(|v| v != "2023-06-01")
    {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version: header is required",
        ));
    }
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if fake.revoked || key != Some(ADMIN_KEY) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
        ));
    }
    None
}

/// The days of `[starting_at, ending_at)` of this page, and the next page's cursor.
fn page_days(params: &[(String, String)]) -> Result<(Vec<String>, Option<String>), Box<Response>> {
    let bad = |message: &str| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
        ))
    };
    let day = |text: &str| text.strip_suffix("T00:00:00Z").map(str::to_owned);
    let start = param(params, "starting_at")
        .and_then(day)
        .ok_or_else(|| bad("starting_at: required, RFC 3339 at a UTC midnight"))?;
    let end = param(params, "ending_at")
        .and_then(day)
        .ok_or_else(|| bad("ending_at: RFC 3339"))?;
    let limit: usize = param(params, "limit")
        .unwrap_or("7")
        .parse()
        .map_err(|_| bad("limit"))?;
    if !(1..=31).contains(&limit) {
        return Err(bad("limit: must be between 1 and 31 for 1d buckets"));
    }
    let from =
        param(params, "page").map_or(start, |page| page.trim_start_matches("page_").to_owned());
    let mut days = Vec::new();
    let mut day = reconciler::UtcDay::parse(&from).map_err(|_| bad("page"))?;
    let end = reconciler::UtcDay::parse(&end).map_err(|_| bad("ending_at"))?;
    while day < end && days.len() < limit {
        days.push(day.to_string());
        day = day.next().unwrap();
    }
    let next = (day < end).then(|| format!("page_{day}"));
    Ok((days, next))
}

fn report(
    days: Vec<String>,
    next: Option<String>,
    results: impl Fn(&str) -> Vec<Value>,
) -> Response {
    let data: Vec<Value> = days
        .iter()
        .map(|day| {
            let next_day = reconciler::UtcDay::parse(day).unwrap().next().unwrap();
            json!({
                "starting_at": format!("{day}T00:00:00Z"),
                "ending_at": format!("{next_day}T00:00:00Z"),
                "results": results(day),
            })
        })
        .collect();
    axum::Json(json!({ "data": data, "has_more": next.is_some(), "next_page": next }))
        .into_response()
}

async fn cost_report(
    State(state): State<Arc<Mutex<Fake>>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refused) = admit(&state, &headers, "/v1/organizations/cost_report", &query) {
        return refused;
    }
    let params = params(&query);
    let (days, next) = match page_days(&params) {
        Ok(page) => page,
        Err(refused) => return *refused,
    };
    report(days, next, |_| {
        DAILY_COSTS
            .iter()
            .map(|(amount, description, model, token_type)| {
                json!({
                    "currency": "USD", "amount": amount, "workspace_id": null,
                    "description": description, "cost_type": "tokens",
                    "context_window": "0-200k", "model": model, "service_tier": "standard",
                    "token_type": token_type, "inference_geo": "global"
                })
            })
            .collect()
    })
}

async fn messages(
    State(state): State<Arc<Mutex<Fake>>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refused) = admit(
        &state,
        &headers,
        "/v1/organizations/usage_report/messages",
        &query,
    ) {
        return refused;
    }
    let (days, next) = match page_days(&params(&query)) {
        Ok(page) => page,
        Err(refused) => return *refused,
    };
    report(days, next, |_| {
        vec![json!({
            "uncached_input_tokens": 1500, "cache_read_input_tokens": 200,
            "cache_creation": { "ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1000 },
            "output_tokens": 500, "server_tool_use": { "web_search_requests": 0 },
            "model": "claude-sonnet-4-20250514", "api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT",
            "workspace_id": null, "service_tier": "standard", "context_window": null,
            "inference_geo": null, "account_id": null, "service_account_id": null
        })]
    })
}

async fn claude_code(
    State(state): State<Arc<Mutex<Fake>>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refused) = admit(
        &state,
        &headers,
        "/v1/organizations/usage_report/claude_code",
        &query,
    ) {
        return refused;
    }
    let params = params(&query);
    let Some(day) = param(&params, "starting_at") else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "starting_at: required",
        );
    };
    let record = json!({
        "actor": { "email_address": "dev@example.com", "type": "user_actor" },
        "core_metrics": { "commits_by_claude_code": 1, "lines_of_code": { "added": 3, "removed": 1 },
                          "num_sessions": 2, "pull_requests_by_claude_code": 0 },
        "customer_type": "api", "date": format!("{day}T00:00:00Z"),
        "model_breakdown": [{
            "estimated_cost": { "amount": 186, "currency": "USD" },
            "model": "claude-sonnet-4-20250514",
            "tokens": { "cache_creation": 2340, "cache_read": 8790, "input": 45230, "output": 12450 }
        }],
        "organization_id": "12345678-1234-5678-1234-567812345678", "terminal_type": "iTerm.app",
        "tool_actions": {}, "subscription_type": null
    });
    axum::Json(json!({ "data": [record], "has_more": false, "next_page": null })).into_response()
}
