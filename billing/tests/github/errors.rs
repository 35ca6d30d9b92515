//! The GitHub Copilot puller when things go wrong: bad tokens and permissions, primary and
//! secondary rate limits, outages, timeouts, malformed bodies and broken `Link` paging.
//! Errors carry GitHub's message, never the token.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, UNIX_EPOCH};

use billing::github::CopilotSource;
use billing::{BillingError, BillingSource, NoProgress, Pulled, Secret};

use crate::common::{Fault, assert_redacted, settings};
use crate::fake::{CREDITS, GitHub, LinkBug, ORG, SEATS, SEATS_BY_ID, error_body, unix_now};
use crate::{TOKEN, github, range, source};

async fn pull_one_day(url: &url::Url) -> Result<Pulled, BillingError> {
    source(url)
        .pull(range("2026-06-01", "2026-06-01"), &NoProgress)
        .await
}

#[tokio::test]
async fn unusable_tokens_and_organizations_are_refused_before_any_request() {
    let (fake, url) = github().start().await;
    let spaced = "ghp_secret part";
    let error = CopilotSource::new(
        Secret::new(spaced.into()),
        ORG.into(),
        settings(url.clone()),
    )
    .unwrap_err();
    assert!(
        matches!(error, BillingError::Credentials { status: 0, .. }),
        "{error:?}"
    );
    assert_redacted(&error, spaced);
    // A token pasted into the organization field is not repeated either.
    let error = CopilotSource::new(
        Secret::new(TOKEN.into()),
        TOKEN.replace('_', "/"),
        settings(url),
    )
    .unwrap_err();
    let BillingError::Credentials { status: 0, message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("organization name"), "{message}");
    assert!(!error.to_string().contains("TESTSECRET"));
    assert_eq!(fake.recorder.total(), 0);
}

#[tokio::test]
async fn a_wrong_token_gets_401_once_with_githubs_message() {
    let (fake, url) = GitHub::new("ghp_the-real-one").start().await;
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 401,
            message: "Bad credentials".into()
        }
    );
    assert_eq!(fake.recorder.total(), 1, "401 is never retried");
    assert_redacted(&error, TOKEN);
}

#[tokio::test]
async fn a_token_without_permission_gets_403_once() {
    let (fake, url) = github().start().await;
    let message = "Resource not accessible by personal access token";
    fake.recorder
        .inject(CREDITS, Fault::status(403, &error_body(message, 403)));
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Credentials {
            status: 403,
            message: message.into()
        }
    );
    assert_eq!(fake.recorder.seen(CREDITS).len(), 1);
    assert_redacted(&error, TOKEN);
}

#[tokio::test]
async fn no_copilot_seat_list_is_refused_with_githubs_message() {
    let (fake, url) = github().start().await;
    let message = "Copilot Business is not enabled for this organization";
    fake.recorder
        .inject(SEATS, Fault::status(404, &error_body(message, 404)));
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::Refused {
            status: 404,
            message: message.into()
        }
    );
    assert_eq!(fake.recorder.total(), 1);
}

#[tokio::test]
async fn a_secondary_rate_limit_403_is_retried_after_retry_after() {
    let (fake, url) = github().start().await;
    let message = "You have exceeded a secondary rate limit. Please wait a few minutes before you \
                   try again.";
    fake.recorder.inject(
        CREDITS,
        Fault::Status {
            status: 403,
            body: error_body(message, 403),
            retry_after: Some(1),
        },
    );
    let started = Instant::now();
    let pulled = pull_one_day(&url).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.recorder.seen(CREDITS).len(), 2);
    assert_eq!(pulled.requests, 3 + 2);
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let (fake, url) = github().start().await;
    fake.recorder.inject(
        SEATS_BY_ID,
        Fault::Status {
            status: 429,
            body: error_body("Too many requests", 429),
            retry_after: Some(1),
        },
    );
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(fake.recorder.seen(SEATS_BY_ID).len(), 3);
    assert_eq!(pulled.lines.len(), 5);
}

#[tokio::test]
async fn a_used_up_quota_is_waited_out_until_its_reset() {
    let (fake, url) = github().start().await;
    // Two requests left, back at the start of the second after next.
    let reset = unix_now() + 2;
    *fake.quota.lock().unwrap() = (2, reset);
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(pulled.requests, 4);
    assert_eq!(fake.quota_refusals.load(Ordering::SeqCst), 0);
    // The third request waited for the reset instead of being refused.
    let third = fake.arrivals.lock().unwrap()[2];
    assert!(
        third >= UNIX_EPOCH + Duration::from_secs(reset),
        "{third:?}"
    );
}

#[tokio::test]
async fn a_quota_that_resets_too_late_fails_as_rate_limited_at_once() {
    let (fake, url) = github().start().await;
    *fake.quota.lock().unwrap() = (1, unix_now() + 3600);
    let started = Instant::now();
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::RateLimited { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("the request quota is used up until "),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(fake.recorder.total(), 1);
    // A 403 that says the quota is used up is waited for the same way (here: too long).
    *fake.quota.lock().unwrap() = (0, unix_now() + 3600);
    let error = pull_one_day(&url).await.unwrap_err();
    assert_eq!(
        error,
        BillingError::RateLimited {
            message: "API rate limit exceeded for user ID 1.".into()
        }
    );
    assert_eq!(fake.quota_refusals.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let (fake, url) = github().start().await;
    fake.recorder
        .inject(SEATS, Fault::status(502, "<html>Bad gateway</html>"));
    fake.recorder.inject(
        CREDITS,
        Fault::status(500, &error_body("Server Error", 500)),
    );
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(pulled.requests, 3 + 1 + 1 + 1);
    assert_eq!(pulled.lines.len(), 5);
}

#[tokio::test]
async fn a_hanging_provider_times_out_after_the_retries() {
    let (fake, url) = github().start().await;
    fake.recorder
        .inject(SEATS, Fault::Hang(Duration::from_secs(5)));
    fake.recorder
        .inject(SEATS, Fault::Hang(Duration::from_secs(5)));
    let mut quick = settings(url);
    quick.timeout = Duration::from_millis(200);
    quick.max_attempts = 2;
    let source = CopilotSource::new(Secret::new(TOKEN.into()), ORG.into(), quick).unwrap();
    let error = source
        .pull(range("2026-06-01", "2026-06-01"), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(error, BillingError::Timeout);
    assert_eq!(fake.recorder.total(), 2);
}

#[tokio::test]
async fn invalid_and_cut_off_json_are_malformed() {
    let (fake, url) = github().start().await;
    fake.recorder.inject(SEATS, Fault::Body("not json".into()));
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("GET /orgs/octo-org/copilot/billing/seats: the body is not valid JSON"),
        "{message}"
    );
    fake.recorder.inject(
        CREDITS,
        Fault::Body(r#"{"usageItems":[{"netAmount":1"#.into()),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("ai_credit/usage: the body ends early (truncated JSON)"),
        "{message}"
    );
    fake.recorder.inject(
        CREDITS,
        Fault::Body(r#"{"usageItems":[{"sku":"x"}]}"#.into()),
    );
    let error = pull_one_day(&url).await.unwrap_err();
    assert!(
        error.to_string().contains("missing field `netAmount`"),
        "{error}"
    );
}

#[tokio::test]
async fn a_seat_list_that_stops_short_of_total_seats_is_truncated() {
    let (fake, url) = github().start().await;
    *fake.link_bug.lock().unwrap() = Some(LinkBug::Missing);
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("GET /orgs/{org}/copilot/billing/seats: page 2 (")
            && message.ends_with(
                "the last page ends after 4 of 5 seats (total_seats): the list is truncated"
            ),
        "{message}"
    );
}

#[tokio::test]
async fn a_link_back_to_a_page_already_read_stops_the_pull() {
    let (fake, url) = github().start().await;
    *fake.link_bug.lock().unwrap() = Some(LinkBug::Repeat);
    let error = pull_one_day(&url).await.unwrap_err();
    assert!(
        error.to_string().contains("repeats a page already read"),
        "{error}"
    );
    assert_eq!(fake.recorder.seen(SEATS_BY_ID).len(), 1);
}

#[tokio::test]
async fn a_link_to_another_host_is_not_followed() {
    let (fake, url) = github().start().await;
    *fake.link_bug.lock().unwrap() = Some(LinkBug::Foreign);
    let error = pull_one_day(&url).await.unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("leaves the API's origin (http://evil.invalid)"),
        "{message}"
    );
    assert_eq!(fake.recorder.total(), 1);
}

#[tokio::test]
async fn absent_optional_fields_are_tolerated() {
    let fake = GitHub::new(TOKEN);
    fake.seats.lock().unwrap().extend([
        r#"{"assignee":null,"created_at":"2026-01-01T00:00:00Z"}"#.to_owned(),
        r#"{"assignee":{"login":"mona"},"plan_type":null,"pending_cancellation_date":"2026-07-01"}"#.to_owned(),
    ]);
    fake.credits.lock().unwrap().insert(
        crate::common::day("2026-06-01"),
        vec![r#"{"netAmount":0.5,"grossAmount":null,"model":null}"#.to_owned()],
    );
    let (_fake, url) = fake.start().await;
    let pulled = pull_one_day(&url).await.unwrap();
    assert_eq!(pulled.lines.len(), 3);
    assert_eq!(
        (
            pulled.lines[0].person.as_str(),
            pulled.lines[0].description.as_str()
        ),
        ("", "Copilot seat")
    );
    assert_eq!(
        pulled.lines[1].description,
        "Copilot seat, pending cancellation from 2026-07-01"
    );
    assert_eq!(pulled.lines[2].amount, Some(crate::usd("0.5")));
    assert_eq!(pulled.lines[2].model, "");
}

/// The fake refuses what GitHub refuses.
#[tokio::test]
async fn the_fake_refuses_what_the_api_refuses() {
    let (_fake, url) = github().start().await;
    let client = test_tls::https_client();
    let unauthenticated = |path: &str| {
        client
            .get(format!("{url}{}", &path[1..]))
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .header("user-agent", "test")
    };
    let request = |path: &str| unauthenticated(path).bearer_auth(TOKEN);
    let status = |response: reqwest::Response| response.status().as_u16();
    let get = |path: &str| request(path).send();
    assert_eq!(
        status(get(&format!("{SEATS}?per_page=101")).await.unwrap()),
        422
    );
    assert_eq!(
        status(get(&format!("{SEATS}?per_page=100")).await.unwrap()),
        200
    );
    assert_eq!(
        status(
            get(&format!("{CREDITS}?year=2026&month=2&day=30"))
                .await
                .unwrap()
        ),
        400
    );
    let unversioned = client
        .get(format!("{url}{}", &SEATS[1..]))
        .bearer_auth(TOKEN)
        .send();
    assert_eq!(status(unversioned.await.unwrap()), 403, "no User-Agent");
    let basic = unauthenticated(SEATS)
        .basic_auth(TOKEN, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(status(basic), 401);
}
