//! The OpenAI puller when things go wrong: credentials and scopes, throttling, outages,
//! timeouts, malformed and truncated pages. Errors carry OpenAI's message, never the key.

use std::time::{Duration, Instant};

use billing::openai::OpenAiSource;
use billing::{BillingError, BillingSource, NoProgress, Pulled, Secret};

use crate::common::{Fault, PagingBug, assert_redacted, day, settings};
use crate::fake::{COMPLETIONS, COSTS, OpenAi, cost_row, error_body};
use crate::{KEY, range, source, usd};

async fn pull_one_day(url: &url::Url) -> Result<Pulled, BillingError> {
    source(url)
        .pull(range("2024-11-01", "2024-11-01"), &NoProgress)
        .await
}

#[tokio::test]
async fn a_project_key_is_refused_before_any_request() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    let project = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    let error = OpenAiSource::new(Secret::new(project.to_owned()), settings(url)).unwrap_err();
    let BillingError::Credentials { status: 0, message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("Admin keys") && message.contains("sk-admin-"),
        "{message}"
    );
    assert_redacted(&error, project);
    assert_eq!(fake.recorder.total(), 0);
}

#[tokio::test]
async fn a_wrong_admin_key_gets_401_once_with_the_provider_message() {
    let (fake, url) = OpenAi::new("sk-admin-the-real-one-000000000000")
        .start()
        .await;
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Credentials {
        status: 401,
        message,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(message, "Incorrect API key provided: sk-admin-****cdef.");
    assert_eq!(fake.recorder.total(), 1, "401 is never retried");
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn missing_scopes_is_a_credentials_error_and_not_retried() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    let message =
        "You have insufficient permissions for this operation. Missing scopes: api.usage.read.";
    fake.recorder.inject(
        COSTS,
        Fault::status(403, &error_body(message, "invalid_request_error", None)),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 403,
            message: message.into()
        }
    );
    assert!(error.to_string().contains("Missing scopes: api.usage.read"));
    assert_eq!(fake.recorder.total(), 1);
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn a_provider_message_echoing_the_key_is_scrubbed() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    let body = error_body(
        &format!("Key {KEY} was disabled"),
        "invalid_request_error",
        None,
    );
    fake.recorder.inject(COMPLETIONS, Fault::status(401, &body));
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 401,
            message: "Key [redacted] was disabled".into()
        }
    );
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn rate_limiting_honours_retry_after_then_succeeds() {
    let fake = OpenAi::new(KEY);
    fake.costs
        .lock()
        .unwrap()
        .insert(day("2024-11-01"), vec![cost_row("10.1425634", None, None)]);
    let (fake, url) = fake.start().await;
    fake.recorder.inject(
        COSTS,
        Fault::Status {
            status: 429,
            body: error_body(
                "Rate limit reached for requests",
                "requests",
                Some("rate_limit_exceeded"),
            ),
            retry_after: Some(1),
        },
    );
    let started = Instant::now();
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(fake.recorder.seen(COSTS).len(), 2);
    assert_eq!(pulled.requests, 3);
    assert_eq!(pulled.lines[0].amount, Some(usd("10.1425634")));
    // The retry waited for Retry-After (1 s), not for the 5 ms backoff.
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_rate_limited() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    for _ in 0..3 {
        fake.recorder.inject(
            COSTS,
            Fault::status(429, &error_body("Rate limit reached", "requests", None)),
        );
    }
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::RateLimited {
            message: "Rate limit reached".into()
        }
    );
    assert_eq!(fake.recorder.seen(COSTS).len(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    fake.recorder.inject(
        COMPLETIONS,
        Fault::status(
            500,
            &error_body("The server had an error", "server_error", None),
        ),
    );
    fake.recorder
        .inject(COMPLETIONS, Fault::status(503, "Service Unavailable"));
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(fake.recorder.seen(COMPLETIONS).len(), 3);
    assert_eq!(pulled.requests, 4);
}

#[tokio::test]
async fn a_persistent_outage_is_unavailable_with_the_message() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    for _ in 0..3 {
        fake.recorder
            .inject(COSTS, Fault::status(502, "<html>Bad gateway</html>"));
    }
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Unavailable {
            status: Some(502),
            message: "<html>Bad gateway</html>".into()
        }
    );
    assert_eq!(fake.recorder.total(), 3);
}

#[tokio::test]
async fn a_hanging_provider_times_out_after_the_retries() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    fake.recorder
        .inject(COSTS, Fault::Hang(Duration::from_secs(5)));
    fake.recorder
        .inject(COSTS, Fault::Hang(Duration::from_secs(5)));
    let mut quick = settings(url);
    quick.timeout = Duration::from_millis(200);
    quick.max_attempts = 2;
    let source = OpenAiSource::new(Secret::new(KEY.to_owned()), quick).unwrap();
    let error = source
        .pull(range("2024-11-01", "2024-11-01"), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(error, BillingError::Timeout);
    assert_eq!(fake.recorder.seen(COSTS).len(), 2);
    assert_redacted(&error, KEY);
}

#[tokio::test]
async fn invalid_json_is_malformed_naming_the_endpoint() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    fake.recorder
        .inject(COSTS, Fault::Body("not json at all".into()));
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("GET /v1/organization/costs") && message.contains("not valid JSON"),
        "{message}"
    );
    assert_eq!(fake.recorder.total(), 1);
}

#[tokio::test]
async fn a_body_cut_mid_json_is_malformed() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    fake.recorder.inject(
        COSTS,
        Fault::Body(r#"{"object":"page","data":[{"object":"bucket","start_ti"#.into()),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("truncated"), "{message}");
}

#[tokio::test]
async fn a_usage_row_without_required_counts_is_malformed() {
    let fake = OpenAi::new(KEY);
    let row = r#"{"object":"organization.usage.completions.result","input_tokens":5,"num_model_requests":1}"#;
    fake.completions
        .lock()
        .unwrap()
        .insert(day("2024-11-01"), vec![row.to_owned()]);
    let (_fake, url) = fake.start().await;
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("/v1/organization/usage/completions") && message.contains("output_tokens"),
        "{message}"
    );
}

#[tokio::test]
async fn a_truncated_last_page_is_malformed() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    *fake.pager.bug.lock().unwrap() = Some(PagingBug::MissingCursor);
    let error = source(&url)
        .pull(range("2024-11-01", "2024-11-05"), &NoProgress)
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
    let (fake, url) = OpenAi::new(KEY).start().await;
    *fake.pager.bug.lock().unwrap() = Some(PagingBug::RepeatCursor);
    let error = source(&url)
        .pull(range("2024-11-01", "2024-11-05"), &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(error, BillingError::Malformed { ref message } if message.contains("repeats a cursor"))
    );
    assert_eq!(fake.recorder.seen(COSTS).len(), 2);
}

#[tokio::test]
async fn other_client_errors_are_refused_with_the_message() {
    let (fake, url) = OpenAi::new(KEY).start().await;
    let message = "Invalid value for 'group_by'";
    fake.recorder.inject(
        COSTS,
        Fault::status(400, &error_body(message, "invalid_request_error", None)),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Refused {
            status: 400,
            message: message.into()
        }
    );
    assert_eq!(fake.recorder.total(), 1);
}

/// The fake refuses what the API documents as invalid (and accepts both `group_by` spellings).
#[tokio::test]
async fn the_fake_refuses_what_the_api_refuses() {
    let (_fake, url) = OpenAi::new(KEY).start().await;
    let client = test_tls::https_client();
    let base = "start_time=1730419200&end_time=1730505600";
    for (path, query, status, expected) in [
        (
            "organization/costs",
            format!("{base}&limit=181"),
            400,
            "between 1 and 180",
        ),
        (
            "organization/usage/completions",
            format!("{base}&limit=32"),
            400,
            "between 1 and 31",
        ),
        (
            "organization/costs",
            "start_time=1730419201".to_owned(),
            400,
            "UTC midnight",
        ),
        (
            "organization/costs",
            format!("{base}&group_by=model"),
            400,
            "group_by",
        ),
        (
            "organization/costs",
            format!("{base}&group_by=line_item&group_by[]=project_id"),
            200,
            "",
        ),
    ] {
        let response = client
            .get(format!("{url}/{path}?{query}"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path}?{query}");
        let body: serde_json::Value = response.json().await.unwrap();
        if status == 400 {
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(expected), "{query}: {message}");
        } else {
            assert_eq!(body["object"], "page");
        }
    }
}
