//! The Anthropic puller when things go wrong: credentials, throttling, outages, timeouts,
//! malformed and truncated pages. Every error carries the provider's message, never the key.

use std::time::{Duration, Instant};

use billing::anthropic::AnthropicSource;
use billing::{BillingError, BillingSource, NoProgress, Secret};

use crate::common::{Fault, PagingBug, assert_redacted, day, settings};
use crate::fake::{Anthropic, CLAUDE_CODE, COST, USAGE, cost_row, error_body};
use crate::{KEY, range, source, usd};

async fn pull_one_day(url: &url::Url) -> Result<billing::Pulled, BillingError> {
    source(url)
        .pull(range("2025-08-01", "2025-08-01"), &NoProgress)
        .await
}

#[tokio::test]
async fn a_regular_api_key_is_refused_before_any_request() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    let regular = "sk-ant-api03-R2D2abcdefghijklmnopqrstuvwxyz-igAA";
    let error = AnthropicSource::new(Secret::new(regular.to_owned()), settings(url)).unwrap_err();
    let BillingError::Credentials { status: 0, message } = &error else {
        panic!("expected a local credentials error, got {error:?}");
    };
    assert!(
        message.contains("Settings → Admin keys") && message.contains("sk-ant-admin"),
        "{message}"
    );
    assert_redacted(&error, regular);
    assert_eq!(fake.recorder.total(), 0);
}

#[tokio::test]
async fn a_wrong_admin_key_gets_401_once_with_the_provider_message() {
    let (fake, url) = Anthropic::new("sk-ant-admin01-the-real-one-0000000000")
        .start()
        .await;
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 401,
            message: "invalid x-api-key".into()
        }
    );
    assert!(error.to_string().contains("invalid x-api-key"));
    assert_eq!(fake.recorder.total(), 1, "401 is never retried");
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn forbidden_is_a_credentials_error_and_not_retried() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    let message = "This API key does not have permission to read usage reports";
    fake.recorder.inject(
        COST,
        Fault::status(403, &error_body("permission_error", message)),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 403,
            message: message.into()
        }
    );
    assert_eq!(fake.recorder.total(), 1);
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn a_provider_message_echoing_the_key_is_scrubbed() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    let body = error_body("authentication_error", &format!("key {KEY} is revoked"));
    fake.recorder.inject(COST, Fault::status(401, &body));
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 401,
            message: "key [redacted] is revoked".into()
        }
    );
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn rate_limiting_honours_retry_after_then_succeeds() {
    let fake = Anthropic::new(KEY);
    fake.costs.lock().unwrap().insert(
        day("2025-08-01"),
        vec![cost_row(None, "m", "output_tokens", "123.78912")],
    );
    let (fake, url) = fake.start().await;
    fake.recorder.inject(
        COST,
        Fault::Status {
            status: 429,
            body: error_body(
                "rate_limit_error",
                "Number of requests has exceeded your rate limit",
            ),
            retry_after: Some(1),
        },
    );
    let started = Instant::now();
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(fake.recorder.seen(COST).len(), 2);
    assert_eq!(
        pulled.requests, 4,
        "cost twice, usage once, Claude Code once"
    );
    assert_eq!(pulled.lines[0].amount, Some(usd("1.2378912")));
    // The retry waited for Retry-After (1 s), not for the 5 ms backoff.
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_rate_limited() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    for _ in 0..3 {
        fake.recorder.inject(
            USAGE,
            Fault::status(429, &error_body("rate_limit_error", "slow down")),
        );
    }
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::RateLimited {
            message: "slow down".into()
        }
    );
    assert_eq!(fake.recorder.seen(USAGE).len(), 3, "max_attempts");
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn server_errors_and_overload_are_retried_then_succeed() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    fake.recorder.inject(
        CLAUDE_CODE,
        Fault::status(500, &error_body("api_error", "Internal server error")),
    );
    fake.recorder.inject(
        CLAUDE_CODE,
        Fault::status(529, &error_body("overloaded_error", "Overloaded")),
    );
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(fake.recorder.seen(CLAUDE_CODE).len(), 3);
    assert_eq!(pulled.requests, 5);
}

#[tokio::test]
async fn persistent_overload_is_unavailable_with_the_message() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    for _ in 0..3 {
        fake.recorder.inject(
            COST,
            Fault::status(529, &error_body("overloaded_error", "Overloaded")),
        );
    }
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Unavailable {
            status: Some(529),
            message: "Overloaded".into()
        }
    );
    assert!(error.to_string().contains("HTTP 529"));
    assert_eq!(fake.recorder.total(), 3);
}

#[tokio::test]
async fn a_hanging_provider_times_out_after_the_retries() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    fake.recorder
        .inject(COST, Fault::Hang(Duration::from_secs(5)));
    fake.recorder
        .inject(COST, Fault::Hang(Duration::from_secs(5)));
    let mut quick = settings(url.clone());
    quick.timeout = Duration::from_millis(200);
    quick.max_attempts = 2;
    let source = AnthropicSource::new(Secret::new(KEY.to_owned()), quick).unwrap();
    let one_day = range("2025-08-01", "2025-08-01");
    let error = source.pull(one_day, &NoProgress).await.unwrap_err();
    assert_eq!(error, BillingError::Timeout);
    assert_eq!(fake.recorder.seen(COST).len(), 2);
    // Once the provider answers again, the same source pulls normally.
    assert!(source.pull(one_day, &NoProgress).await.is_ok());
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let error = pull_one_day(&url).await.unwrap_err();
    assert!(
        matches!(error, BillingError::Unavailable { status: None, .. }),
        "{error:?}"
    );
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn invalid_json_is_malformed_naming_the_endpoint_and_not_retried() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    fake.recorder
        .inject(COST, Fault::Body("<html>upstream error</html>".into()));
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("GET /v1/organizations/cost_report") && message.contains("not valid JSON"),
        "{message}"
    );
    assert_eq!(fake.recorder.total(), 1);
}

#[tokio::test]
async fn a_body_cut_mid_json_is_malformed() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    fake.recorder.inject(
        USAGE,
        Fault::Body(
            r#"{"data":[{"starting_at":"2025-08-01T00:00:00Z","results":[{"uncached_in"#.into(),
        ),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("usage_report/messages") && message.contains("truncated"),
        "{message}"
    );
}

#[tokio::test]
async fn a_row_without_its_amount_is_malformed() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    let body = r#"{"data":[{"starting_at":"2025-08-01T00:00:00Z","ending_at":"2025-08-02T00:00:00Z",
        "results":[{"currency":"USD","description":"x"}]}],"has_more":false,"next_page":null}"#;
    fake.recorder.inject(COST, Fault::Body(body.into()));
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("missing field `amount`"), "{message}");
}

#[tokio::test]
async fn an_amount_that_is_not_a_number_is_malformed() {
    let fake = Anthropic::new(KEY);
    fake.costs.lock().unwrap().insert(
        day("2025-08-01"),
        vec![cost_row(None, "m", "output_tokens", "1,5")],
    );
    let (_fake, url) = fake.start().await;
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("bucket 2025-08-01: amount:"), "{message}");
}

#[tokio::test]
async fn a_truncated_last_page_is_malformed() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    *fake.pager.bug.lock().unwrap() = Some(PagingBug::MissingCursor);
    let error = source(&url)
        .pull(range("2025-08-01", "2025-08-03"), &NoProgress)
        .await
        .unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("has_more is true but next_page is missing"),
        "{message}"
    );
}

#[tokio::test]
async fn a_repeated_cursor_stops_the_pull() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    *fake.pager.bug.lock().unwrap() = Some(PagingBug::RepeatCursor);
    let error = source(&url)
        .pull(range("2025-08-01", "2025-08-05"), &NoProgress)
        .await
        .unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("repeats a cursor"), "{message}");
    assert_eq!(fake.recorder.seen(COST).len(), 2);
}

#[tokio::test]
async fn other_client_errors_are_refused_with_the_message() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    let body = error_body(
        "invalid_request_error",
        "starting_at: must be before ending_at",
    );
    fake.recorder.inject(COST, Fault::status(400, &body));
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Refused {
            status: 400,
            message: "starting_at: must be before ending_at".into()
        }
    );
    assert_eq!(fake.recorder.total(), 1);
}

/// The fake itself refuses what the API documents as invalid, so the tests above would catch
/// a client that sent it.
#[tokio::test]
async fn the_fake_refuses_what_the_api_refuses() {
    let (_fake, url) = Anthropic::new(KEY).start().await;
    let client = test_tls::https_client();
    let get = |query: &str, version: Option<&str>| {
        let mut request = client
            .get(format!("{url}v1/organizations/cost_report?{query}"))
            .header("x-api-key", KEY)
            .header("user-agent", "reckon-probe");
        if let Some(version) = version {
            request = request.header("anthropic-version", version);
        }
        request.send()
    };
    let base = "starting_at=2025-08-01T00:00:00Z&ending_at=2025-08-02T00:00:00Z";
    for (query, version, expected) in [
        (
            format!("{base}&limit=32"),
            Some("2023-06-01"),
            "less than or equal to 31",
        ),
        (
            format!("{base}&group_by=description"),
            Some("2023-06-01"),
            "group_by[]",
        ),
        (
            format!("{base}&bucket_width=1h"),
            Some("2023-06-01"),
            "bucket_width",
        ),
        (
            "starting_at=2025-08-01T05:00:00Z".to_owned(),
            Some("2023-06-01"),
            "UTC midnight",
        ),
        (base.to_owned(), None, "anthropic-version"),
    ] {
        let response = get(&query, version).await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{query}: {message}");
    }
}
