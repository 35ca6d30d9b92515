//! What a provider's answer means: a body to parse, a throttle or outage worth retrying (and
//! after how long), or an error the admin must act on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use crate::json::provider_message;
use crate::{BillingError, Secret};

/// What one attempt came to.
pub(super) enum Attempt {
    Done(Vec<u8>, HeaderMap),
    Fatal(BillingError),
    Retry {
        error: BillingError,
        after: Option<Duration>,
    },
}

/// A non-success answer as an [`Attempt`]. The provider's message is scrubbed of the secret.
pub(super) fn failure(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    secret: &Secret,
) -> Attempt {
    let message = secret.scrub(&provider_message(body).unwrap_or_else(|| status_text(status)));
    let code = status.as_u16();
    let throttle_wait = || retry_after(headers).or_else(|| quota_reset(headers).map(until));
    match code {
        // GitHub answers 403 (not 429) when a primary or secondary rate limit is hit; it says
        // so with `Retry-After`, `x-ratelimit-remaining: 0` or its message. That 403 is a
        // throttle to wait out, not a credential to replace.
        403 if is_throttle(headers, &message) => Attempt::Retry {
            error: BillingError::RateLimited { message },
            after: throttle_wait(),
        },
        401 | 403 => Attempt::Fatal(BillingError::Credentials {
            status: code,
            message,
        }),
        429 => Attempt::Retry {
            error: BillingError::RateLimited { message },
            after: throttle_wait(),
        },
        408 | 500..=599 => Attempt::Retry {
            error: BillingError::Unavailable {
                status: Some(code),
                message,
            },
            after: retry_after(headers),
        },
        _ => Attempt::Fatal(BillingError::Refused {
            status: code,
            message,
        }),
    }
}

fn is_throttle(headers: &HeaderMap, message: &str) -> bool {
    headers.contains_key(RETRY_AFTER)
        || quota_reset(headers).is_some()
        || message.to_ascii_lowercase().contains("rate limit")
}

/// Parses a successful body, saying what is wrong with it in terms of the request
/// (`GET /v1/organization/costs`).
pub(super) fn parse<T: DeserializeOwned>(request: &str, body: &[u8]) -> Result<T, BillingError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "the body ends early (truncated JSON)",
            serde_json::error::Category::Syntax => "the body is not valid JSON",
            _ => "the body is not in the documented shape",
        };
        BillingError::malformed_response(request, format!("{what}: {e}"))
    })
}

/// `Retry-After` as whole seconds; the HTTP-date form is ignored (backoff applies instead).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// When the request quota comes back, if the answer says it is used up: GitHub's
/// `x-ratelimit-remaining: 0` with `x-ratelimit-reset` in Unix seconds.
pub(super) fn quota_reset(headers: &HeaderMap) -> Option<SystemTime> {
    let header = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    if header("x-ratelimit-remaining")? != 0 {
        return None;
    }
    UNIX_EPOCH.checked_add(Duration::from_secs(header("x-ratelimit-reset")?))
}

/// How long from now until `at` (zero when it has passed).
pub(super) fn until(at: SystemTime) -> Duration {
    at.duration_since(SystemTime::now()).unwrap_or_default()
}

pub(super) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// An error and its causes, `outer: inner: innermost` ("connection refused" is innermost).
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn classify(status: u16, pairs: &[(&'static str, &str)], body: &str) -> Attempt {
        let status = StatusCode::from_u16(status).unwrap();
        failure(
            status,
            &headers(pairs),
            body.as_bytes(),
            &Secret::new("s3cret".into()),
        )
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", " 7")])),
            Some(Duration::from_secs(7))
        );
        let date = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&date), None);
    }

    #[test]
    fn a_used_up_quota_says_when_it_resets() {
        let spent = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000000"),
        ]);
        assert_eq!(
            quota_reset(&spent),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        let left = headers(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", "1700000000"),
        ]);
        assert_eq!(quota_reset(&left), None);
        assert_eq!(quota_reset(&HeaderMap::new()), None);
    }

    #[test]
    fn a_403_that_throttles_is_retried_and_other_403s_are_credentials() {
        let secondary = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/x"}"#;
        let Attempt::Retry { error, after } = classify(403, &[("retry-after", "3")], secondary)
        else {
            panic!("a secondary rate limit is retried")
        };
        assert!(matches!(error, BillingError::RateLimited { .. }));
        assert_eq!(after, Some(Duration::from_secs(3)));
        // The message alone is enough (GitHub does not always send Retry-After).
        assert!(matches!(
            classify(403, &[], secondary),
            Attempt::Retry { after: None, .. }
        ));
        let spent = [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1")];
        assert!(matches!(classify(403, &spent, "{}"), Attempt::Retry { .. }));
        let denied = r#"{"message":"Resource not accessible by personal access token"}"#;
        let Attempt::Fatal(error) = classify(403, &[], denied) else {
            panic!("a plain 403 is final")
        };
        assert_eq!(
            error,
            BillingError::Credentials {
                status: 403,
                message: "Resource not accessible by personal access token".into()
            }
        );
        assert!(matches!(
            classify(404, &[], "{}"),
            Attempt::Fatal(BillingError::Refused { status: 404, .. })
        ));
        assert!(matches!(classify(502, &[], ""), Attempt::Retry { .. }));
    }
}
