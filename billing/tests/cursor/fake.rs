//! A fake Cursor Admin API: checks the documented request shape (Basic auth with the key as
//! user name and an empty password, JSON bodies with epoch-ms numbers, 1-indexed pages, the
//! 30-day range limit), enforces a per-team request limit shared by both endpoints, and serves
//! usage events newest first and member spend, a few per page.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use crate::common::{Recorder, header, serve};

pub const EVENTS: &str = "/teams/filtered-usage-events";
pub const SPEND: &str = "/teams/spend";
const DAY_MS: i64 = 86_400_000;

/// How the fake can get paging wrong, as a provider bug would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// The page before the last says `hasNextPage: false` (events left unserved).
    StopEarly,
    /// Every page serves page 1's events (while echoing the page asked for).
    IgnorePage,
    /// Page 2 is empty but says `hasNextPage: true`.
    EmptyPage,
}

/// One POST as the fake saw it.
#[derive(Clone, Debug)]
pub struct Posted {
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

/// The fake team: its key, events and members, page sizes and request limit.
pub struct Cursor {
    pub api_key: String,
    /// `(timestamp ms, raw event JSON)`: served as written (literal cents kept).
    pub events: Mutex<Vec<(i64, String)>>,
    pub members: Mutex<Vec<String>>,
    pub cycle_start_ms: i64,
    /// The most events / members a page holds, whatever `pageSize` asks.
    pub events_per_page: usize,
    pub members_per_page: usize,
    /// At most `.0` requests in any window of `.1`, over both endpoints.
    pub limit: (usize, Duration),
    admitted: Mutex<VecDeque<Instant>>,
    /// 429s the limit has served.
    pub throttled: AtomicUsize,
    /// After this many events requests, this event arrives (newest first: it shifts pages).
    pub arriving: Mutex<Option<(usize, i64, String)>>,
    events_served: AtomicUsize,
    pub bug: Mutex<Option<Bug>>,
    pub posted: Mutex<Vec<Posted>>,
    pub recorder: Recorder,
}

impl Cursor {
    pub fn new(api_key: &str) -> Cursor {
        Cursor {
            api_key: api_key.to_owned(),
            events: Mutex::default(),
            members: Mutex::default(),
            cycle_start_ms: 1_751_328_000_000, // 2025-07-01
            events_per_page: 2,
            members_per_page: 2,
            limit: (20, Duration::from_secs(60)),
            admitted: Mutex::default(),
            throttled: AtomicUsize::new(0),
            arriving: Mutex::default(),
            events_served: AtomicUsize::new(0),
            bug: Mutex::default(),
            posted: Mutex::default(),
            recorder: Recorder::default(),
        }
    }

    pub fn add_events(&self, events: impl IntoIterator<Item = String>) {
        let mut stored = self.events.lock().unwrap();
        stored.extend(events.into_iter().map(|e| (timestamp(&e), e)));
    }

    pub async fn start(self) -> (Arc<Cursor>, Url) {
        let state = Arc::new(self);
        let router = Router::new()
            .route(EVENTS, post(events))
            .route(SPEND, post(spend))
            .with_state(state.clone());
        (state, serve(router).await)
    }

    pub fn posted(&self, path: &str) -> Vec<Posted> {
        let posted = self.posted.lock().unwrap();
        posted.iter().filter(|p| p.path == path).cloned().collect()
    }
}

fn timestamp(event: &str) -> i64 {
    let value: Value = serde_json::from_str(event).unwrap();
    value["timestamp"].as_str().unwrap().parse().unwrap()
}

/// The documented error body: `{"error": <reason phrase>, "message": …}`.
pub fn error_body(error: &str, message: &str) -> String {
    json!({"error": error, "message": message}).to_string()
}

pub const RATE_LIMITED: &str =
    r#"{"error":"Too Many Requests","message":"Rate limit exceeded. Please try again later."}"#;

fn answer(status: StatusCode, body: String) -> Response {
    crate::common::json(status, body)
}

fn bad_request(message: &str) -> Response {
    answer(StatusCode::BAD_REQUEST, error_body("Bad Request", message))
}

/// Logging, injected faults, the team's request limit, Basic auth, then a JSON object body
/// with only `allowed` fields.
async fn admit(
    fake: &Cursor,
    path: &str,
    headers: &HeaderMap,
    body: &str,
    allowed: &[&str],
) -> Result<serde_json::Map<String, Value>, Response> {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    fake.posted.lock().unwrap().push(Posted {
        path: path.to_owned(),
        authorization: header(headers, "authorization").map(str::to_owned),
        content_type: header(headers, "content-type").map(str::to_owned),
        body: parsed.clone(),
    });
    let (_, fault) = fake.recorder.record(path, None).await;
    if let Some(response) = fault {
        return Err(response);
    }
    {
        let mut admitted = fake.admitted.lock().unwrap();
        let now = Instant::now();
        while admitted
            .front()
            .is_some_and(|at| now.duration_since(*at) >= fake.limit.1)
        {
            admitted.pop_front();
        }
        if admitted.len() >= fake.limit.0 {
            fake.throttled.fetch_add(1, Ordering::SeqCst);
            return Err(answer(
                StatusCode::TOO_MANY_REQUESTS,
                RATE_LIMITED.to_owned(),
            ));
        }
        admitted.push_back(now);
    }
    // `curl -u KEY:` — the key as user name, an empty password.
    let expected = test_tls::https_client()
        .get("http://fake")
        .basic_auth(&fake.api_key, Some(""))
        .build()
        .unwrap();
    let expected = expected.headers()["authorization"].to_str().unwrap();
    if header(headers, "authorization") != Some(expected) {
        let body = error_body("Unauthorized", "Invalid API key");
        return Err(answer(StatusCode::UNAUTHORIZED, body));
    }
    if !header(headers, "content-type").is_some_and(|t| t.starts_with("application/json")) {
        return Err(bad_request("Content-Type must be application/json"));
    }
    let Value::Object(fields) = parsed else {
        return Err(bad_request("The body must be a JSON object"));
    };
    if let Some(name) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad_request(&format!("Unknown field: {name}")));
    }
    Ok(fields)
}

/// An optional whole-number field (a JSON integer, not a string or a float). Errors are the
/// message of a 400.
fn integer(fields: &serde_json::Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match fields.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{name} must be a number")),
    }
}

/// `(page, pageSize)`: 1-indexed pages, `pageSize` 1–1000 (default 10).
fn paging(fields: &serde_json::Map<String, Value>) -> Result<(usize, usize), String> {
    let page = integer(fields, "page")?.unwrap_or(1);
    let size = integer(fields, "pageSize")?.unwrap_or(10);
    if page < 1 {
        return Err("page must be at least 1".into());
    }
    if !(1..=1000).contains(&size) {
        return Err("pageSize must be between 1 and 1000".into());
    }
    Ok((page as usize, size as usize))
}

/// `(startDate, endDate)`: epoch-ms numbers at most 30 days apart.
fn dates(fields: &serde_json::Map<String, Value>) -> Result<(i64, i64), String> {
    let start = integer(fields, "startDate")?.ok_or("startDate is required")?;
    let end = integer(fields, "endDate")?.ok_or("endDate is required")?;
    if end < start {
        return Err("endDate must not be before startDate".into());
    }
    if end - start > 30 * DAY_MS {
        return Err("Date range cannot exceed 30 days".into());
    }
    Ok((start, end))
}

async fn events(State(fake): State<Arc<Cursor>>, headers: HeaderMap, body: String) -> Response {
    let allowed = [
        "startDate",
        "endDate",
        "userId",
        "email",
        "page",
        "pageSize",
    ];
    let fields = match admit(&fake, EVENTS, &headers, &body, &allowed).await {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let ((start, end), (page, size)) = match dates(&fields).and_then(|d| Ok((d, paging(&fields)?)))
    {
        Ok(checked) => checked,
        Err(message) => return bad_request(&message),
    };
    let served = fake.events_served.fetch_add(1, Ordering::SeqCst) + 1;
    let mut arriving = fake.arriving.lock().unwrap();
    if arriving.as_ref().is_some_and(|(after, ..)| served > *after) {
        let (_, at, event) = arriving.take().unwrap();
        fake.events.lock().unwrap().push((at, event));
    }
    drop(arriving);
    let mut window: Vec<(i64, String)> = fake
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _)| (start..=end).contains(at))
        .cloned()
        .collect();
    window.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let size = size.min(fake.events_per_page);
    let pages = window.len().div_ceil(size).max(1);
    let bug = *fake.bug.lock().unwrap();
    let shown = if bug == Some(Bug::IgnorePage) {
        1
    } else {
        page
    };
    let first = ((shown - 1) * size).min(window.len());
    let mut slice: Vec<&str> = window[first..(first + size).min(window.len())]
        .iter()
        .map(|(_, e)| e.as_str())
        .collect();
    let mut has_next = page < pages;
    match bug {
        Some(Bug::StopEarly) if page + 1 == pages => has_next = false,
        Some(Bug::EmptyPage) if page == 2 => slice.clear(),
        _ => {}
    }
    let body = format!(
        r#"{{"totalUsageEventsCount":{},"pagination":{{"numPages":{pages},"currentPage":{page},
            "pageSize":{size},"hasNextPage":{has_next},"hasPreviousPage":{}}},
            "usageEvents":[{}],"period":{{"startDate":{start},"endDate":{end}}}}}"#,
        window.len(),
        page > 1,
        slice.join(",")
    );
    answer(StatusCode::OK, body)
}

async fn spend(State(fake): State<Arc<Cursor>>, headers: HeaderMap, body: String) -> Response {
    let allowed = ["searchTerm", "sortBy", "sortDirection", "page", "pageSize"];
    let fields = match admit(&fake, SPEND, &headers, &body, &allowed).await {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let (page, size) = match paging(&fields) {
        Ok(paging) => paging,
        Err(message) => return bad_request(&message),
    };
    let members = fake.members.lock().unwrap();
    let size = size.min(fake.members_per_page);
    let pages = members.len().div_ceil(size).max(1);
    let first = ((page - 1) * size).min(members.len());
    let slice = &members[first..(first + size).min(members.len())];
    let body = format!(
        r#"{{"teamMemberSpend":[{}],"subscriptionCycleStart":{},"totalMembers":{},"totalPages":{pages}}}"#,
        slice.join(","),
        fake.cycle_start_ms,
        members.len()
    );
    answer(StatusCode::OK, body)
}

/// A usage-based, token-based event as documented; `total_cents` and `fee` are written into
/// the JSON verbatim (number literals with their float noise).
pub fn usage_event(at_ms: i64, email: &str, model: &str, total_cents: &str, fee: &str) -> String {
    format!(
        r#"{{"timestamp":"{at_ms}","model":"{model}","kind":"Usage-based","maxMode":true,
            "requestsCosts":5,"isTokenBasedCall":true,
            "tokenUsage":{{"inputTokens":126,"outputTokens":450,"cacheWriteTokens":6112,
                           "cacheReadTokens":11964,"totalCents":{total_cents}}},
            "cursorTokenFee":{fee},"isFreeBugbot":false,"userEmail":"{email}"}}"#
    )
}

/// A request-based event included in the plan: no `tokenUsage`.
pub fn included_event(at_ms: i64, email: &str, model: &str) -> String {
    format!(
        r#"{{"timestamp":"{at_ms}","model":"{model}","kind":"Included in Business","maxMode":true,
            "requestsCosts":1.4,"isTokenBasedCall":false,"cursorTokenFee":0,
            "isFreeBugbot":false,"userEmail":"{email}"}}"#
    )
}

/// A member's cycle spend; `spend_cents` verbatim.
pub fn member(email: &str, spend_cents: &str) -> String {
    format!(
        r#"{{"spendCents":{spend_cents},"fastPremiumRequests":1250,"name":"{email}","email":"{email}",
            "role":"member","hardLimitOverrideDollars":100}}"#
    )
}

/// Epoch ms of `day` (`YYYY-MM-DD`) at `hour`:00 UTC.
pub fn at(day: &str, hour: i64) -> i64 {
    let day = billing::UtcDay::parse(day).unwrap();
    i64::try_from(day.start_unix_nanos() / 1_000_000).unwrap() + hour * 3_600_000
}
