//! A fake OpenAI Administration API: checks the documented request shape (Bearer auth, Unix
//! seconds at UTC midnight, `group_by` values, limit maxima) and serves daily buckets across
//! pages with `has_more`/`next_page`.

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

pub const COSTS: &str = "/v1/organization/costs";
pub const COMPLETIONS: &str = "/v1/organization/usage/completions";

const DAY_SECONDS: i64 = 86_400;

/// The fake organization: its admin key, raw result rows by UTC day, and its page size.
pub struct OpenAi {
    pub admin_key: String,
    pub costs: Mutex<BTreeMap<UtcDay, Vec<String>>>,
    pub completions: Mutex<BTreeMap<UtcDay, Vec<String>>>,
    /// Buckets per page (fewer than `limit` forces paging).
    pub buckets_per_page: usize,
    pub recorder: Recorder,
    pub pager: Pager,
}

impl OpenAi {
    pub fn new(admin_key: &str) -> OpenAi {
        OpenAi {
            admin_key: admin_key.to_owned(),
            costs: Mutex::default(),
            completions: Mutex::default(),
            buckets_per_page: 2,
            recorder: Recorder::default(),
            pager: Pager::default(),
        }
    }

    /// Starts the fake; the returned URL is the API base, ending in `/v1`.
    pub async fn start(self) -> (Arc<OpenAi>, Url) {
        let state = Arc::new(self);
        let router = Router::new()
            .route(COSTS, get(costs))
            .route(COMPLETIONS, get(completions))
            .with_state(state.clone());
        let url = serve(router).await.join("v1").unwrap();
        (state, url)
    }
}

/// The documented `ErrorResponse` body.
pub fn error_body(message: &str, kind: &str, code: Option<&str>) -> String {
    serde_json::json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        .to_string()
}

fn bad_request(message: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        error_body(message, "invalid_request_error", None),
    )
}

/// Logging, injected faults, then Bearer auth with the admin key.
async fn admit(
    fake: &OpenAi,
    path: &str,
    headers: &HeaderMap,
    raw: Option<String>,
) -> Result<Seen, Response> {
    let (seen, fault) = fake.recorder.record(path, raw).await;
    if let Some(response) = fault {
        return Err(response);
    }
    let unauthorized = |message: String| {
        json(
            StatusCode::UNAUTHORIZED,
            error_body(&message, "invalid_request_error", Some("invalid_api_key")),
        )
    };
    let Some(key) = header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer ")) else {
        return Err(unauthorized("You didn't provide an API key.".to_owned()));
    };
    if key != fake.admin_key {
        // OpenAI masks the key it quotes.
        let masked = format!(
            "{}****{}",
            &key[..9.min(key.len())],
            &key[key.len().saturating_sub(4)..]
        );
        return Err(unauthorized(format!(
            "Incorrect API key provided: {masked}."
        )));
    }
    Ok(seen)
}

/// Errors are the message of a 400.
fn seconds(seen: &Seen, name: &str) -> Result<i64, String> {
    let text = seen
        .param(name)
        .ok_or_else(|| format!("Missing query parameter '{name}'"))?;
    let value: i64 = text
        .parse()
        .map_err(|_| format!("Invalid '{name}': not an integer"))?;
    // The real API would serve a partial first bucket; reckon must never ask for one.
    if value % DAY_SECONDS != 0 {
        return Err(format!("fake: {name} {value} is not a UTC midnight"));
    }
    Ok(value)
}

fn day_of(seconds: i64) -> UtcDay {
    UtcDay::from_unix_nanos(i128::from(seconds) * 1_000_000_000).unwrap()
}

/// Checks the request and serves its days from `rows`, a page of buckets at a time.
fn serve_buckets(
    fake: &OpenAi,
    seen: &Seen,
    groups: &[&str],
    max_limit: usize,
    rows: &BTreeMap<UtcDay, Vec<String>>,
) -> Response {
    for (name, value) in &seen.query {
        match name.as_str() {
            "start_time" | "end_time" | "limit" | "page" => {}
            "bucket_width" if value == "1d" => {}
            // Both spellings are accepted in practice (SDK brackets, cookbook repeats keys).
            "group_by[]" | "group_by" if groups.contains(&value.as_str()) => {}
            _ => return bad_request(&format!("Invalid value for '{name}': {value}")),
        }
    }
    let limit = match seen.param("limit").map(str::parse::<usize>) {
        None => 7,
        Some(Ok(n)) if (1..=max_limit).contains(&n) => n,
        Some(_) => {
            return bad_request(&format!(
                "Invalid 'limit': must be between 1 and {max_limit}"
            ));
        }
    };
    let (start, end) = match (seconds(seen, "start_time"), seconds(seen, "end_time")) {
        (Ok(start), Ok(end)) => (start, end),
        (Err(message), _) | (_, Err(message)) => return bad_request(&message),
    };
    let days = days_between(day_of(start), day_of(end));
    let first = match fake.pager.offset(seen) {
        Ok(first) => first.min(days.len()),
        Err(message) => return bad_request(&message),
    };
    let last = (first + limit.min(fake.buckets_per_page)).min(days.len());
    let data: Vec<String> = days[first..last]
        .iter()
        .map(|d| {
            let from = d.start_unix_nanos() / 1_000_000_000;
            let results = rows.get(d).map(|r| r.join(",")).unwrap_or_default();
            format!(
                r#"{{"object":"bucket","start_time":{from},"end_time":{},"results":[{results}]}}"#,
                from + i128::from(DAY_SECONDS)
            )
        })
        .collect();
    let (has_more, next) = fake.pager.next(seen, last, days.len());
    let next = next.map_or("null".to_owned(), |c| format!("\"{c}\""));
    let body = format!(
        r#"{{"object":"page","data":[{}],"has_more":{has_more},"next_page":{next}}}"#,
        data.join(",")
    );
    json(StatusCode::OK, body)
}

async fn costs(
    State(fake): State<Arc<OpenAi>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    match admit(&fake, COSTS, &headers, raw).await {
        Ok(seen) => serve_buckets(
            &fake,
            &seen,
            &["project_id", "line_item", "api_key_id"],
            180,
            &fake.costs.lock().unwrap(),
        ),
        Err(response) => response,
    }
}

async fn completions(
    State(fake): State<Arc<OpenAi>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let groups = [
        "project_id",
        "user_id",
        "api_key_id",
        "model",
        "batch",
        "service_tier",
    ];
    match admit(&fake, COMPLETIONS, &headers, raw).await {
        Ok(seen) => serve_buckets(&fake, &seen, &groups, 31, &fake.completions.lock().unwrap()),
        Err(response) => response,
    }
}

/// A costs result; `value` is written into the JSON verbatim (a number literal or a string).
pub fn cost_row(value: &str, line_item: Option<&str>, project: Option<&str>) -> String {
    let quote = |v: Option<&str>| v.map_or("null".to_owned(), |v| format!("\"{v}\""));
    format!(
        r#"{{"object":"organization.costs.result","amount":{{"value":{value},"currency":"usd"}},
            "line_item":{},"project_id":{},"organization_id":"org-fake"}}"#,
        quote(line_item),
        quote(project)
    )
}
