//! What both fake providers share: serving on a real socket, the request log, injected faults,
//! day-bucket paging with opaque cursors, and client settings small enough for tests.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use billing::{BillingError, HttpSettings, Progress, TrustedRoots, UtcDay};
use url::Url;

/// Starts `router` over HTTPS on 127.0.0.1 with an OS-chosen port, its certificate from the
/// test's own CA; returns its base URL (`https://127.0.0.1:PORT`).
pub async fn serve(router: Router) -> Url {
    test_tls::serve_fake(router).await
}

/// Small timeouts and backoffs so retries cost milliseconds (nothing asserts durations); the
/// test CA trusted as `--ca-file` would.
pub fn settings(base_url: Url) -> HttpSettings {
    test_tls::install_ring();
    let ca = test_tls::TestCa::shared().ca_pem();
    HttpSettings {
        base_url,
        timeout: Duration::from_secs(10),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        user_agent: "reckon-test/1.0 (billing fake-provider tests)".to_owned(),
        extra_roots: TrustedRoots::from_pem(ca.as_bytes()).unwrap(),
        max_response_bytes: billing::MAX_RESPONSE_BYTES,
    }
}

/// An answer the fake gives instead of its data, once per injected fault.
#[derive(Clone, Debug)]
pub enum Fault {
    /// This status and raw body, with an optional `Retry-After` in seconds.
    Status {
        status: u16,
        body: String,
        retry_after: Option<u64>,
    },
    /// Waits this long before answering (longer than the client's timeout).
    Hang(Duration),
    /// `200 OK` with this raw body (invalid or cut-off JSON).
    Body(String),
}

impl Fault {
    pub fn status(status: u16, body: &str) -> Fault {
        Fault::Status {
            status,
            body: body.to_owned(),
            retry_after: None,
        }
    }

    async fn respond(self) -> Response {
        match self {
            Fault::Status {
                status,
                body,
                retry_after,
            } => {
                let mut response = json(StatusCode::from_u16(status).unwrap(), body);
                if let Some(seconds) = retry_after {
                    let value = seconds.to_string().parse().unwrap();
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Fault::Hang(duration) => {
                tokio::time::sleep(duration).await;
                json(StatusCode::OK, "{}".to_owned())
            }
            Fault::Body(body) => json(StatusCode::OK, body),
        }
    }
}

pub fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    /// Decoded pairs in the order sent.
    pub query: Vec<(String, String)>,
    /// The raw query string, as on the wire.
    pub raw_query: String,
}

impl Seen {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The query without the page cursor, to check that paging keeps it identical.
    pub fn without_page(&self) -> Vec<(String, String)> {
        self.query
            .iter()
            .filter(|(n, _)| n != "page")
            .cloned()
            .collect()
    }
}

/// The request log and the queue of injected faults, per path.
#[derive(Default)]
pub struct Recorder {
    seen: Mutex<Vec<Seen>>,
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
}

impl Recorder {
    /// Logs a request; returns the injected fault's response if one is queued for its path.
    pub async fn record(&self, path: &str, raw_query: Option<String>) -> (Seen, Option<Response>) {
        let raw_query = raw_query.unwrap_or_default();
        let query = url::form_urlencoded::parse(raw_query.as_bytes())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let seen = Seen {
            path: path.to_owned(),
            query,
            raw_query,
        };
        self.seen.lock().unwrap().push(seen.clone());
        let fault = self
            .faults
            .lock()
            .unwrap()
            .get_mut(path)
            .and_then(VecDeque::pop_front);
        let response = match fault {
            Some(fault) => Some(fault.respond().await),
            None => None,
        };
        (seen, response)
    }

    pub fn inject(&self, path: &str, fault: Fault) {
        let mut faults = self.faults.lock().unwrap();
        faults.entry(path.to_owned()).or_default().push_back(fault);
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|s| s.path == path).cloned().collect()
    }

    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// How the fake can get paging wrong, as a provider bug would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingBug {
    /// `has_more: true` with `next_page: null` (a truncated last page).
    MissingCursor,
    /// The same `next_page` again instead of a new one.
    RepeatCursor,
}

/// Cursor → (the query it was issued for, without `page`; where its page starts).
type Issued = HashMap<String, (Vec<(String, String)>, usize)>;

/// Opaque page cursors bound to the query they were issued for.
#[derive(Default)]
pub struct Pager {
    cursors: Mutex<Issued>,
    issued: AtomicU32,
    pub bug: Mutex<Option<PagingBug>>,
}

impl Pager {
    /// Where the page starts: 0 without a cursor, else the cursor's offset. A cursor that is
    /// unknown or was issued for different parameters is refused (message for a 400).
    pub fn offset(&self, seen: &Seen) -> Result<usize, String> {
        let Some(cursor) = seen.param("page") else {
            return Ok(0);
        };
        let cursors = self.cursors.lock().unwrap();
        match cursors.get(cursor) {
            None => Err(format!("page: unknown cursor {cursor}")),
            Some((query, _)) if *query != seen.without_page() => {
                Err("page: the cursor was issued for different parameters".to_owned())
            }
            Some((_, offset)) => Ok(*offset),
        }
    }

    /// `(has_more, next_page)` after serving items up to `end` of `total`.
    pub fn next(&self, seen: &Seen, end: usize, total: usize) -> (bool, Option<String>) {
        if end >= total {
            return (false, None);
        }
        let bug = *self.bug.lock().unwrap();
        if bug == Some(PagingBug::MissingCursor) {
            return (true, None);
        }
        if bug == Some(PagingBug::RepeatCursor)
            && let Some(current) = seen.param("page")
        {
            return (true, Some(current.to_owned()));
        }
        let number = self.issued.fetch_add(1, Ordering::SeqCst);
        let cursor = format!("page_{number:04}+/=");
        let mut cursors = self.cursors.lock().unwrap();
        cursors.insert(cursor.clone(), (seen.without_page(), end));
        (true, Some(cursor))
    }
}

/// The days `from..until` (exclusive end).
pub fn days_between(from: UtcDay, until: UtcDay) -> Vec<UtcDay> {
    let mut days = Vec::new();
    let mut day = from;
    while day < until {
        days.push(day);
        day = day.next().unwrap();
    }
    days
}

pub fn day(text: &str) -> UtcDay {
    UtcDay::parse(text).unwrap()
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every progress report, in order.
#[derive(Default)]
pub struct ProgressLog(pub Mutex<Vec<(UtcDay, u32, usize)>>);

impl Progress for ProgressLog {
    fn advanced(&self, through: UtcDay, requests: u32, lines: usize) {
        self.0.lock().unwrap().push((through, requests, lines));
    }
}

/// Neither the error's Display nor its Debug may contain the credential.
pub fn assert_redacted(error: &BillingError, secret: &str) {
    let shown = format!("{error} / {error:?}");
    assert!(!shown.contains(secret), "the credential leaked: {shown}");
}
