//! A fake GitHub REST API for one organization: checks the documented headers and query
//! parameters, pages the Copilot seat list with `Link` headers (pointing at the
//! `/organizations/{id}/…` form, as GitHub's do), serves premium-request and AI-credit usage
//! reports per day, and keeps a request quota with `x-ratelimit-*` headers.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use billing::UtcDay;
use url::Url;

use crate::common::{Recorder, Seen, header, json, serve};

pub const ORG: &str = "octo-org";
pub const SEATS: &str = "/orgs/octo-org/copilot/billing/seats";
/// Where GitHub's `Link` headers point: the organization by id.
pub const SEATS_BY_ID: &str = "/organizations/9919/copilot/billing/seats";
pub const PREMIUM: &str = "/organizations/octo-org/settings/billing/premium_request/usage";
pub const CREDITS: &str = "/organizations/octo-org/settings/billing/ai_credit/usage";

/// How the fake can get `Link` paging wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkBug {
    /// Page 2 has no `Link` although a third page exists (a truncated list).
    Missing,
    /// Page 2's `rel="next"` points at page 2 again.
    Repeat,
    /// `rel="next"` points at another host.
    Foreign,
}

/// The headers one request carried that GitHub cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headers {
    pub accept: Option<String>,
    pub authorization: Option<String>,
    pub api_version: Option<String>,
    pub user_agent: Option<String>,
}

/// The fake organization.
pub struct GitHub {
    pub token: String,
    /// Raw seat JSON, served in order, `seats_per_page` at a time (whatever `per_page` asks).
    pub seats: Mutex<Vec<String>>,
    pub seats_per_page: usize,
    /// Raw usage items per day, per report.
    pub premium: Mutex<BTreeMap<UtcDay, Vec<String>>>,
    pub credits: Mutex<BTreeMap<UtcDay, Vec<String>>>,
    /// `(path, year, month)` whose report answers 404.
    pub not_found: Mutex<HashSet<(&'static str, i32, u8)>>,
    /// `(remaining, reset Unix seconds)` of the token's quota.
    pub quota: Mutex<(u64, u64)>,
    /// Requests refused because the quota was used up.
    pub quota_refusals: AtomicUsize,
    pub link_bug: Mutex<Option<LinkBug>>,
    pub headers: Mutex<Vec<Headers>>,
    /// When each request arrived.
    pub arrivals: Mutex<Vec<SystemTime>>,
    pub recorder: Recorder,
}

impl GitHub {
    pub fn new(token: &str) -> GitHub {
        GitHub {
            token: token.to_owned(),
            seats: Mutex::default(),
            seats_per_page: 2,
            premium: Mutex::default(),
            credits: Mutex::default(),
            not_found: Mutex::default(),
            quota: Mutex::new((5000, unix_now() + 3600)),
            quota_refusals: AtomicUsize::new(0),
            link_bug: Mutex::default(),
            headers: Mutex::default(),
            arrivals: Mutex::default(),
            recorder: Recorder::default(),
        }
    }

    pub async fn start(self) -> (Arc<GitHub>, Url) {
        let state = Arc::new(self);
        let router = Router::new()
            .route(SEATS, get(seats))
            .route(SEATS_BY_ID, get(seats_by_id))
            .route(PREMIUM, get(premium))
            .route(CREDITS, get(credits))
            .with_state(state.clone());
        (state, serve(router).await)
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// GitHub's error body.
pub fn error_body(message: &str, status: u16) -> String {
    serde_json::json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string()
    })
    .to_string()
}

/// A response with the quota headers every GitHub answer carries.
fn answer(fake: &GitHub, status: StatusCode, body: String) -> Response {
    let mut response = json(status, body);
    let (remaining, reset) = *fake.quota.lock().unwrap();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", 5000),
        ("x-ratelimit-remaining", remaining),
        ("x-ratelimit-reset", reset),
        ("x-ratelimit-used", 5000 - remaining),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
    headers.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    response
}

/// Logging, injected faults, the quota, then the headers GitHub requires or this client pins.
async fn admit(
    fake: &GitHub,
    path: &str,
    headers: &HeaderMap,
    raw: Option<String>,
) -> Result<Seen, Response> {
    fake.arrivals.lock().unwrap().push(SystemTime::now());
    let value = |name| header(headers, name).map(str::to_owned);
    fake.headers.lock().unwrap().push(Headers {
        accept: value("accept"),
        authorization: value("authorization"),
        api_version: value("x-github-api-version"),
        user_agent: value("user-agent"),
    });
    let (seen, fault) = fake.recorder.record(path, raw).await;
    if let Some(response) = fault {
        return Err(response);
    }
    {
        let mut quota = fake.quota.lock().unwrap();
        if unix_now() >= quota.1 {
            *quota = (5000, unix_now() + 3600);
        }
        if quota.0 == 0 {
            drop(quota);
            fake.quota_refusals.fetch_add(1, Ordering::SeqCst);
            let body = error_body("API rate limit exceeded for user ID 1.", 403);
            return Err(answer(fake, StatusCode::FORBIDDEN, body));
        }
        quota.0 -= 1;
    }
    let refuse = |status: StatusCode, message: &str| {
        answer(fake, status, error_body(message, status.as_u16()))
    };
    if header(headers, "user-agent").is_none_or(str::is_empty) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a \
             User-Agent header",
        ));
    }
    if header(headers, "authorization") != Some(&format!("Bearer {}", fake.token)) {
        return Err(refuse(StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    if header(headers, "accept") != Some("application/vnd.github+json") {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "fake: expected Accept: application/vnd.github+json",
        ));
    }
    if header(headers, "x-github-api-version") != Some("2022-11-28") {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Unsupported 'X-GitHub-Api-Version'",
        ));
    }
    Ok(seen)
}

fn number<T: std::str::FromStr>(seen: &Seen, name: &str) -> Result<Option<T>, String> {
    seen.param(name)
        .map(|v| {
            v.parse()
                .map_err(|_| format!("Invalid value for '{name}': {v}"))
        })
        .transpose()
}

async fn seats(
    State(fake): State<Arc<GitHub>>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve_seats(&fake, SEATS, &uri, &headers, raw).await
}

async fn seats_by_id(
    State(fake): State<Arc<GitHub>>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve_seats(&fake, SEATS_BY_ID, &uri, &headers, raw).await
}

async fn serve_seats(
    fake: &GitHub,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    raw: Option<String>,
) -> Response {
    let seen = match admit(fake, path, headers, raw).await {
        Ok(seen) => seen,
        Err(response) => return response,
    };
    let paging = number::<usize>(&seen, "per_page").and_then(|per_page| {
        let page = number::<usize>(&seen, "page")?.unwrap_or(1);
        match per_page.unwrap_or(50) {
            0 | 101.. => Err("per_page must be between 1 and 100".to_owned()),
            _ if page == 0 => Err("page must be at least 1".to_owned()),
            per_page => Ok((per_page, page)),
        }
    });
    let (per_page, page) = match paging {
        Ok(paging) => paging,
        Err(message) => {
            return answer(
                fake,
                StatusCode::UNPROCESSABLE_ENTITY,
                error_body(&message, 422),
            );
        }
    };
    let seats = fake.seats.lock().unwrap().clone();
    let size = per_page.min(fake.seats_per_page);
    let pages = seats.len().div_ceil(size).max(1);
    let first = ((page - 1) * size).min(seats.len());
    let body = format!(
        r#"{{"total_seats":{},"seats":[{}]}}"#,
        seats.len(),
        seats[first..(first + size).min(seats.len())].join(",")
    );
    let mut response = answer(fake, StatusCode::OK, body);
    // HTTP/1.1 sends `Host`; HTTP/2 the authority, which reaches the handler in the URI.
    let host = header(headers, "host")
        .map(str::to_owned)
        .or_else(|| uri.authority().map(ToString::to_string))
        .unwrap_or_else(|| "localhost".to_owned());
    let link = |page: usize, rel: &str| {
        format!("<https://{host}{SEATS_BY_ID}?per_page={per_page}&page={page}>; rel=\"{rel}\"")
    };
    let mut links = Vec::new();
    if page < pages {
        match *fake.link_bug.lock().unwrap() {
            Some(LinkBug::Missing) if page == 2 => {}
            Some(LinkBug::Repeat) if page == 2 => links.push(link(page, "next")),
            Some(LinkBug::Foreign) => links.push(format!(
                "<http://evil.invalid{SEATS_BY_ID}?page={}>; rel=\"next\"",
                page + 1
            )),
            _ => links.push(link(page + 1, "next")),
        }
        links.push(link(pages, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    if !links.is_empty() {
        let value = HeaderValue::from_str(&links.join(", ")).unwrap();
        response.headers_mut().insert("link", value);
    }
    response
}

async fn premium(
    State(fake): State<Arc<GitHub>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    usage(&fake, PREMIUM, &headers, raw, &fake.premium).await
}

async fn credits(
    State(fake): State<Arc<GitHub>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    usage(&fake, CREDITS, &headers, raw, &fake.credits).await
}

async fn usage(
    fake: &GitHub,
    path: &'static str,
    headers: &HeaderMap,
    raw: Option<String>,
    items: &Mutex<BTreeMap<UtcDay, Vec<String>>>,
) -> Response {
    let seen = match admit(fake, path, headers, raw).await {
        Ok(seen) => seen,
        Err(response) => return response,
    };
    for (name, _) in &seen.query {
        if !["year", "month", "day", "hour", "user", "model", "product"].contains(&name.as_str()) {
            return answer(
                fake,
                StatusCode::BAD_REQUEST,
                error_body(&format!("Unknown parameter '{name}'"), 400),
            );
        }
    }
    let date = (|| {
        let year = number::<i32>(&seen, "year")?.ok_or("fake: year is expected")?;
        let month = number::<u8>(&seen, "month")?.ok_or("fake: month is expected")?;
        let day = number::<u8>(&seen, "day")?.ok_or("fake: day is expected")?;
        UtcDay::from_ymd(year, month, day).ok_or_else(|| "Invalid day".to_owned())
    })();
    let day = match date {
        Ok(day) => day,
        Err(message) => return answer(fake, StatusCode::BAD_REQUEST, error_body(&message, 400)),
    };
    let (year, month) = (day.year(), day.month().number());
    if fake
        .not_found
        .lock()
        .unwrap()
        .contains(&(path, year, month))
    {
        return answer(fake, StatusCode::NOT_FOUND, error_body("Not Found", 404));
    }
    let rows = items.lock().unwrap().get(&day).cloned().unwrap_or_default();
    let body = format!(
        r#"{{"timePeriod":{{"year":{year},"month":{month},"day":{}}},"organization":"{ORG}","usageItems":[{}]}}"#,
        day.day_of_month(),
        rows.join(",")
    );
    answer(fake, StatusCode::OK, body)
}

/// A seat assigned to `login`.
pub fn seat(login: &str) -> String {
    format!(
        r#"{{"created_at":"2026-01-08T12:00:00Z","updated_at":"2026-01-08T12:00:00Z",
            "pending_cancellation_date":null,"last_activity_at":"2026-05-30T10:00:00Z",
            "last_activity_editor":"vscode/1.100.0/copilot/1.300.0","plan_type":"business",
            "assignee":{{"login":"{login}","id":1,"type":"User","site_admin":false}},
            "assigning_team":null}}"#
    )
}

/// A usage item; `net` (dollars) written verbatim.
pub fn item(sku: &str, model: &str, unit: &str, quantity: u32, net: &str) -> String {
    format!(
        r#"{{"product":"Copilot","sku":"{sku}","model":"{model}","unitType":"{unit}",
            "pricePerUnit":0.04,"grossQuantity":{quantity},"grossAmount":{net},
            "discountQuantity":0,"discountAmount":0.0,"netQuantity":{quantity},"netAmount":{net}}}"#
    )
}
