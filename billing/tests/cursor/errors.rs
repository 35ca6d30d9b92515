//! The Cursor puller when things go wrong: bad keys and plans, throttling without
//! `Retry-After`, outages, timeouts, malformed, truncated and looping pages, and events that
//! arrive while a window is read. Errors carry Cursor's message, never the key.

use std::time::Duration;

use billing::cursor::CursorSource;
use billing::{BillingError, BillingSource, NoProgress, Pulled, Secret};

use crate::common::{Fault, assert_redacted, settings};
use crate::fake::{Bug, Cursor, EVENTS, RATE_LIMITED, SPEND, at, error_body, usage_event};
use crate::{KEY, cursor, range, source, usd};

const DEV: &str = "developer@company.com";

async fn pull_one_day(url: &url::Url) -> Result<Pulled, BillingError> {
    source(url)
        .pull(range("2025-06-02", "2025-06-02"), &NoProgress)
        .await
}

/// A fake with `count` one-cent events on 2025-06-02, two per page.
fn with_events(count: i64) -> Cursor {
    let fake = cursor();
    fake.add_events(
        (0..count).map(|i| usage_event(at("2025-06-02", 1) + i, DEV, "gpt-5", "1", "0")),
    );
    fake
}

#[tokio::test]
async fn a_key_basic_auth_cannot_carry_is_refused_before_any_request() {
    let (fake, url) = cursor().start().await;
    let colon = "key_secret:part";
    let error = CursorSource::new(Secret::new(colon.to_owned()), settings(url)).unwrap_err();
    let BillingError::Credentials { status: 0, message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("colon"), "{message}");
    assert_redacted(&error, colon);
    assert_eq!(fake.recorder.total(), 0);
}

#[tokio::test]
async fn a_wrong_key_gets_401_once_with_cursors_message() {
    let (fake, url) = Cursor::new("key_the-real-one").start().await;
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 401,
            message: "Invalid API key".into()
        }
    );
    assert!(error.to_string().contains("HTTP 401): Invalid API key"));
    assert_eq!(fake.recorder.total(), 1, "401 is never retried");
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn a_team_without_enterprise_access_gets_403() {
    let (fake, url) = cursor().start().await;
    let body = error_body("Forbidden", "Enterprise access required");
    fake.recorder.inject(EVENTS, Fault::status(403, &body));
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 403,
            message: "Enterprise access required".into()
        }
    );
    assert_eq!(fake.recorder.total(), 1);
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_with_backoff() {
    let (fake, url) = with_events(3).start().await;
    fake.recorder
        .inject(EVENTS, Fault::status(429, RATE_LIMITED));
    fake.recorder
        .inject(SPEND, Fault::status(429, RATE_LIMITED));
    let pulled = pull_one_day(&url).await.unwrap();
    // Events: 429, page 1, page 2; spend: 429, page 1.
    assert_eq!(fake.recorder.seen(EVENTS).len(), 3);
    assert_eq!(fake.recorder.seen(SPEND).len(), 2);
    assert_eq!(pulled.requests, 5);
    assert_eq!(pulled.lines.len(), 1);
    assert_eq!(pulled.lines[0].amount, Some(usd("0.03")));
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_rate_limited() {
    let (fake, url) = cursor().start().await;
    for _ in 0..3 {
        fake.recorder
            .inject(EVENTS, Fault::status(429, RATE_LIMITED));
    }
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::RateLimited {
            message: "Rate limit exceeded. Please try again later.".into()
        }
    );
    assert_eq!(fake.recorder.total(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let (fake, url) = with_events(1).start().await;
    let body = error_body("Internal Server Error", "Something went wrong");
    fake.recorder.inject(EVENTS, Fault::status(500, &body));
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(fake.recorder.seen(EVENTS).len(), 2);
    assert_eq!(pulled.requests, 3);
    assert_eq!(pulled.lines[0].amount, Some(usd("0.01")));
}

#[tokio::test]
async fn a_hanging_provider_times_out_after_the_retries() {
    let (fake, url) = cursor().start().await;
    fake.recorder
        .inject(EVENTS, Fault::Hang(Duration::from_secs(5)));
    fake.recorder
        .inject(EVENTS, Fault::Hang(Duration::from_secs(5)));
    let mut quick = settings(url);
    quick.timeout = Duration::from_millis(200);
    quick.max_attempts = 2;
    let source = CursorSource::new(Secret::new(KEY.to_owned()), quick).unwrap();
    let error = source
        .pull(range("2025-06-02", "2025-06-02"), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(error, BillingError::Timeout);
    assert_eq!(fake.recorder.seen(EVENTS).len(), 2);
}

#[tokio::test]
async fn invalid_and_cut_off_json_are_malformed() {
    let (fake, url) = cursor().start().await;
    fake.recorder
        .inject(EVENTS, Fault::Body("<html>gateway</html>".into()));
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("POST /teams/filtered-usage-events: the body is not valid JSON"),
        "{message}"
    );
    fake.recorder.inject(
        SPEND,
        Fault::Body(r#"{"teamMemberSpend":[{"spendCents":24"#.into()),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("POST /teams/spend: the body ends early (truncated JSON)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_last_page_short_of_the_total_is_truncated() {
    let (fake, url) = with_events(5).start().await;
    *fake.bug.lock().unwrap() = Some(Bug::StopEarly);
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        message,
        "POST /teams/filtered-usage-events: page 2: the last page ends after 4 of 5 events \
         (totalUsageEventsCount): the pages are truncated"
    );
}

#[tokio::test]
async fn a_page_served_twice_stops_the_pull() {
    let (fake, url) = with_events(5).start().await;
    *fake.bug.lock().unwrap() = Some(Bug::IgnorePage);
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("page 2: the same events as the page before"),
        "{message}"
    );
    assert_eq!(fake.recorder.seen(EVENTS).len(), 2);
}

#[tokio::test]
async fn an_empty_page_that_promises_more_is_malformed() {
    let (fake, url) = with_events(5).start().await;
    *fake.bug.lock().unwrap() = Some(Bug::EmptyPage);
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("page 2: no events, yet hasNextPage is true"),
        "{message}"
    );
}

#[tokio::test]
async fn events_arriving_mid_read_make_the_window_read_again() {
    let fake = with_events(4);
    // After the first page, a newer event is prepended: page 2 repeats an event of page 1.
    let late = usage_event(at("2025-06-02", 23), DEV, "gpt-5", "100", "0");
    *fake.arriving.lock().unwrap() = Some((1, at("2025-06-02", 23), late));
    let (fake, url) = fake.start().await;
    let pulled = pull_one_day(&url).await.unwrap();
    // First read: 2 pages (total 4 → 5, so not trusted); second read: 3 pages.
    assert_eq!(fake.recorder.seen(EVENTS).len(), 5);
    assert_eq!(pulled.lines.len(), 1);
    assert_eq!(pulled.lines[0].description, "Usage-based: 5 events");
    assert_eq!(pulled.lines[0].amount, Some(usd("1.04")));
}

#[tokio::test]
async fn absent_optional_fields_are_tolerated() {
    let fake = cursor();
    fake.add_events([
        format!(r#"{{"timestamp":"{}","kind":"Usage-based"}}"#, at("2025-06-02", 1)),
        format!(
            r#"{{"timestamp":"{}","model":null,"kind":"Usage-based","userEmail":null,
                 "tokenUsage":{{"inputTokens":null,"outputTokens":"7","totalCents":2.5}},"cursorTokenFee":null}}"#,
            at("2025-06-02", 2)
        ),
    ]);
    fake.members
        .lock()
        .unwrap()
        .push(r#"{"email":"x@company.com"}"#.into());
    let (_fake, url) = fake.start().await;
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(pulled.lines.len(), 2);
    let event = &pulled.lines[0];
    assert_eq!((event.person.as_str(), event.model.as_str()), ("", ""));
    assert_eq!(event.amount, Some(usd("0.025")));
    assert_eq!((event.tokens.input, event.tokens.output), (0, 7));
    assert_eq!(event.description, "Usage-based: 2 events");
    assert_eq!(pulled.lines[1].amount, None);
    assert!(pulled.lines[1].estimate);
}

#[tokio::test]
async fn other_client_errors_are_refused_with_the_message() {
    let (fake, url) = cursor().start().await;
    fake.recorder.inject(
        SPEND,
        Fault::status(400, &error_body("Bad Request", "Invalid sortBy")),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Refused {
            status: 400,
            message: "Invalid sortBy".into()
        }
    );
}

/// The fake refuses what the API documents as invalid; the puller never sends it.
#[tokio::test]
async fn the_fake_refuses_what_the_api_refuses() {
    let (_fake, url) = cursor().start().await;
    let client = test_tls::https_client();
    let day = 86_400_000i64;
    let start = at("2025-06-01", 0);
    for (path, body, status, expected) in [
        (
            EVENTS,
            serde_json::json!({"startDate": start, "endDate": start + 30 * day + 1}),
            400,
            "cannot exceed 30 days",
        ),
        (
            EVENTS,
            serde_json::json!({"startDate": start.to_string(), "endDate": start}),
            400,
            "startDate must be a number",
        ),
        (
            EVENTS,
            serde_json::json!({"startDate": start, "endDate": start, "page": 0}),
            400,
            "page must be at least 1",
        ),
        (
            EVENTS,
            serde_json::json!({"startDate": start, "endDate": start, "pageSize": 1001}),
            400,
            "pageSize",
        ),
        (
            SPEND,
            serde_json::json!({"cycle": "previous"}),
            400,
            "Unknown field: cycle",
        ),
        (
            EVENTS,
            serde_json::json!({"startDate": start, "endDate": start + 30 * day}),
            200,
            "",
        ),
    ] {
        let response = client
            .post(format!("{url}{}", &path[1..]))
            .basic_auth(KEY, Some(""))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path} {body}");
        let answer: serde_json::Value = response.json().await.unwrap();
        if status == 400 {
            assert_eq!(answer["error"], "Bad Request");
            let message = answer["message"].as_str().unwrap();
            assert!(message.contains(expected), "{body}: {message}");
        } else {
            assert_eq!(answer["totalUsageEventsCount"], 0);
        }
    }
    // Bearer is not the Admin API's scheme.
    let bearer = client
        .post(format!("{url}teams/spend"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
}
