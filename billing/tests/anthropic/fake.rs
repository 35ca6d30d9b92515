//! A fake Anthropic Admin API: checks the documented request shape (headers, bracketed
//! `group_by[]`, RFC 3339 midnights, limit maxima) and serves daily buckets across pages.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use billing::UtcDay;
use url::Url;

use crate::common::{Pager, Recorder, Seen, days_between, header, json, serve};

pub const COST: &str = "/v1/organizations/cost_report";
pub const USAGE: &str = "/v1/organizations/usage_report/messages";
pub const CLAUDE_CODE: &str = "/v1/organizations/usage_report/claude_code";

/// The fake organization: its admin key, data by UTC day, and how it pages.
pub struct Anthropic {
    pub admin_key: String,
    /// Raw JSON rows per day; each row is served as written (literal amounts kept).
    pub costs: Mutex<BTreeMap<UtcDay, Vec<String>>>,
    pub usage: Mutex<BTreeMap<UtcDay, Vec<String>>>,
    pub claude_code: Mutex<BTreeMap<UtcDay, Vec<String>>>,
    /// Buckets per page on the bucketed reports (fewer than `limit` forces paging).
    pub buckets_per_page: usize,
    /// Records per page on Claude Code analytics.
    pub records_per_page: usize,
    pub recorder: Recorder,
    pub pager: Pager,
}

impl Anthropic {
    pub fn new(admin_key: &str) -> Anthropic {
        Anthropic {
            admin_key: admin_key.to_owned(),
            costs: Mutex::default(),
            usage: Mutex::default(),
            claude_code: Mutex::default(),
            buckets_per_page: 2,
            records_per_page: 2,
            recorder: Recorder::default(),
            pager: Pager::default(),
        }
    }

    pub async fn start(self) -> (Arc<Anthropic>, Url) {
        let (state, router) = self.router();
        (state, serve(router).await)
    }

    /// Serves it with `certificate` instead of the usual one (for the TLS failure tests).
    pub async fn start_with(self, certificate: &test_tls::Issued) -> (Arc<Anthropic>, Url) {
        let (state, router) = self.router();
        let address = test_tls::serve_https(router, certificate).await;
        (state, Url::parse(&format!("https://{address}")).unwrap())
    }

    fn router(self) -> (Arc<Anthropic>, Router) {
        let state = Arc::new(self);
        let router = Router::new()
            .route(COST, get(cost_report))
            .route(USAGE, get(messages_usage))
            .route(CLAUDE_CODE, get(claude_code))
            .with_state(state.clone());
        (state, router)
    }
}

/// The documented error body.
pub fn error_body(kind: &str, message: &str) -> String {
    serde_json::json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
    .to_string()
}

fn refuse(status: StatusCode, kind: &str, message: &str) -> Response {
    json(status, error_body(kind, message))
}

fn bad_request(message: &str) -> Response {
    refuse(StatusCode::BAD_REQUEST, "invalid_request_error", message)
}

/// Logging, injected faults, then the headers every Admin API request must carry.
async fn admit(
    fake: &Anthropic,
    path: &str,
    headers: &HeaderMap,
    raw: Option<String>,
) -> Result<Seen, Response> {
    let (seen, fault) = fake.recorder.record(path, raw).await;
    if let Some(response) = fault {
        return Err(response);
    }
    match header(headers, "x-api-key") {
        None => {
            let message = "x-api-key header is required";
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                message,
            ));
        }
        Some(key) if key != fake.admin_key => {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "invalid x-api-key",
            ));
        }
        Some(_) => {}
    }
    if header(headers, "anthropic-version") != Some("2023-06-01") {
        return Err(bad_request(
            "anthropic-version: header is required (2023-06-01)",
        ));
    }
    if !header(headers, "user-agent").is_some_and(|ua| ua.starts_with("reckon")) {
        return Err(bad_request("fake: expected a descriptive User-Agent"));
    }
    Ok(seen)
}

/// `YYYY-MM-DDT00:00:00Z` only: reckon must align requests to UTC days.
/// Errors are the message of a 400 `invalid_request_error`.
fn midnight(seen: &Seen, name: &str) -> Result<UtcDay, String> {
    let value = seen
        .param(name)
        .ok_or_else(|| format!("{name}: Field required"))?;
    value
        .strip_suffix("T00:00:00Z")
        .and_then(|d| UtcDay::parse(d).ok())
        .ok_or_else(|| format!("{name}: expected a UTC midnight, got {value}"))
}

/// Checks the parameters shared by both bucketed reports; returns the requested days.
fn bucket_request(seen: &Seen, groups: &[&str]) -> Result<(Vec<UtcDay>, usize), String> {
    for (name, value) in &seen.query {
        match name.as_str() {
            "starting_at" | "ending_at" | "limit" | "page" => {}
            "bucket_width" if value == "1d" => {}
            "group_by[]" if groups.contains(&value.as_str()) => {}
            "group_by" => return Err("group_by: send arrays as group_by[]".to_owned()),
            _ => {
                return Err(format!("{name}: unexpected parameter {value}"));
            }
        }
    }
    let limit = limit(seen, 7, 31)?;
    let from = midnight(seen, "starting_at")?;
    let until = midnight(seen, "ending_at")?;
    Ok((days_between(from, until), limit))
}

fn limit(seen: &Seen, default: usize, max: usize) -> Result<usize, String> {
    let Some(text) = seen.param("limit") else {
        return Ok(default);
    };
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        Ok(n) if n > max => Err(format!(
            "limit: Input should be less than or equal to {max}"
        )),
        _ => Err("limit: Input should be a valid integer of at least 1".to_owned()),
    }
}

/// Serves `days` from `rows` in pages of at most `min(limit, buckets_per_page)` buckets, each
/// day a bucket (an empty one is `"results": []`).
fn buckets(
    fake: &Anthropic,
    seen: &Seen,
    days: &[UtcDay],
    limit: usize,
    rows: &BTreeMap<UtcDay, Vec<String>>,
) -> Response {
    let start = match fake.pager.offset(seen) {
        Ok(start) => start.min(days.len()),
        Err(message) => return bad_request(&message),
    };
    let end = (start + limit.min(fake.buckets_per_page)).min(days.len());
    let data: Vec<String> = days[start..end]
        .iter()
        .map(|d| {
            let results = rows.get(d).map(|r| r.join(",")).unwrap_or_default();
            let next = d.next().unwrap();
            format!(
                r#"{{"starting_at":"{d}T00:00:00Z","ending_at":"{next}T00:00:00Z","results":[{results}]}}"#
            )
        })
        .collect();
    page(fake, seen, &data, end, days.len())
}

fn page(fake: &Anthropic, seen: &Seen, data: &[String], end: usize, total: usize) -> Response {
    let (has_more, next) = fake.pager.next(seen, end, total);
    let next = next.map_or("null".to_owned(), |c| format!("\"{c}\""));
    let body = format!(
        r#"{{"data":[{}],"has_more":{has_more},"next_page":{next}}}"#,
        data.join(",")
    );
    json(StatusCode::OK, body)
}

async fn cost_report(
    State(fake): State<Arc<Anthropic>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let seen = match admit(&fake, COST, &headers, raw).await {
        Ok(seen) => seen,
        Err(response) => return response,
    };
    match bucket_request(&seen, &["workspace_id", "description"]) {
        Ok((days, limit)) => buckets(&fake, &seen, &days, limit, &fake.costs.lock().unwrap()),
        Err(message) => bad_request(&message),
    }
}

async fn messages_usage(
    State(fake): State<Arc<Anthropic>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let seen = match admit(&fake, USAGE, &headers, raw).await {
        Ok(seen) => seen,
        Err(response) => return response,
    };
    let groups = [
        "api_key_id",
        "workspace_id",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
    ];
    match bucket_request(&seen, &groups) {
        Ok((days, limit)) => buckets(&fake, &seen, &days, limit, &fake.usage.lock().unwrap()),
        Err(message) => bad_request(&message),
    }
}

/// One UTC day per request (`starting_at=YYYY-MM-DD`), records cursor-paged, limit ≤ 1000.
async fn claude_code(
    State(fake): State<Arc<Anthropic>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let seen = match admit(&fake, CLAUDE_CODE, &headers, raw).await {
        Ok(seen) => seen,
        Err(response) => return response,
    };
    if let Some((name, _)) = seen
        .query
        .iter()
        .find(|(n, _)| !["starting_at", "limit", "page"].contains(&n.as_str()))
    {
        return bad_request(&format!("{name}: unexpected parameter"));
    }
    let limit = match limit(&seen, 20, 1000) {
        Ok(limit) => limit,
        Err(message) => return bad_request(&message),
    };
    let Some(requested) = seen
        .param("starting_at")
        .and_then(|d| UtcDay::parse(d).ok())
    else {
        return bad_request("starting_at: expected a UTC date YYYY-MM-DD");
    };
    let records = fake
        .claude_code
        .lock()
        .unwrap()
        .get(&requested)
        .cloned()
        .unwrap_or_default();
    let start = match fake.pager.offset(&seen) {
        Ok(start) => start.min(records.len()),
        Err(message) => return bad_request(&message),
    };
    let end = (start + limit.min(fake.records_per_page)).min(records.len());
    page(&fake, &seen, &records[start..end], end, records.len())
}

/// A cost-report row grouped by workspace and description.
pub fn cost_row(workspace: Option<&str>, model: &str, token_type: &str, cents: &str) -> String {
    serde_json::json!({
        "currency": "USD",
        "amount": cents,
        "workspace_id": workspace,
        "description": format!("{model} Usage - {token_type}"),
        "cost_type": "tokens",
        "context_window": "0-200k",
        "model": model,
        "service_tier": "standard",
        "token_type": token_type,
        "inference_geo": "global"
    })
    .to_string()
}

/// A messages-usage row grouped by model, workspace, API key and service tier.
pub fn usage_row(
    model: &str,
    workspace: Option<&str>,
    key: Option<&str>,
    tier: &str,
    tokens: [u64; 5],
) -> String {
    let [uncached, read, write_5m, write_1h, output] = tokens;
    serde_json::json!({
        "uncached_input_tokens": uncached,
        "cache_creation": {"ephemeral_1h_input_tokens": write_1h, "ephemeral_5m_input_tokens": write_5m},
        "cache_read_input_tokens": read,
        "output_tokens": output,
        "server_tool_use": {"web_search_requests": 0},
        "model": model, "api_key_id": key, "workspace_id": workspace, "service_tier": tier,
        "context_window": null, "inference_geo": null, "account_id": null, "service_account_id": null
    })
    .to_string()
}

/// A Claude Code analytics record for a user; `cents` is written as a JSON number literal.
pub fn claude_code_record(
    date: &str,
    email: &str,
    terminal: &str,
    model: &str,
    cents: &str,
    input: u64,
) -> String {
    format!(
        r#"{{"actor":{{"email_address":"{email}","type":"user_actor"}},
            "core_metrics":{{"commits_by_claude_code":1,"lines_of_code":{{"added":3,"removed":1}},
              "num_sessions":2,"pull_requests_by_claude_code":0}},
            "customer_type":"api","date":"{date}","organization_id":"12345678-1234-5678-1234-567812345678",
            "terminal_type":"{terminal}","tool_actions":{{"edit_tool":{{"accepted":2,"rejected":0}}}},
            "model_breakdown":[{{"estimated_cost":{{"amount":{cents},"currency":"USD"}},"model":"{model}",
              "tokens":{{"cache_creation":10,"cache_read":20,"input":{input},"output":30}}}}]}}"#
    )
}
