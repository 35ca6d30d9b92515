//! The HTTP client every source uses: auth, retries with backoff and `Retry-After`, pacing, and
//! classifying what went wrong into a [`BillingError`] an admin can act on.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use url::Url;

use reconciler::Provider;

use crate::json::provider_message;
use crate::query::Query;
use crate::{BillingError, Pacer, Secret};

/// How a source talks to its provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// Endpoint paths are appended to this (its own path kept: OpenAI's ends in `/v1`).
    pub base_url: Url,
    /// Per request, connect to last body byte.
    pub timeout: Duration,
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait before the first retry; doubles per retry up to `max_backoff`, with jitter.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub user_agent: String,
}

/// Sent to every provider; Anthropic asks integrations to identify themselves.
const USER_AGENT: &str = concat!(
    "reckon/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted AI spend reconciliation)"
);

/// A longer `Retry-After` than this is not waited out inside one pull: the pull fails as rate
/// limited and the scheduler tries again later.
const RETRY_AFTER_CEILING: Duration = Duration::from_secs(300);

impl HttpSettings {
    /// Production settings: the provider's documented base URL, a 30 s timeout, 5 attempts,
    /// backoff from 1 s up to 60 s. Providers without a billing API reckon knows get the
    /// reserved `https://billing-api-unknown.invalid`, so a request fails clearly rather than
    /// going somewhere unintended.
    pub fn for_provider(provider: Provider) -> HttpSettings {
        let base = match provider {
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Cursor => "https://api.cursor.com",
            Provider::GithubCopilot => "https://api.github.com",
            Provider::Other(ref name) if name == "xai" => "https://management-api.x.ai",
            _ => "https://billing-api-unknown.invalid",
        };
        HttpSettings {
            base_url: Url::parse(base).expect("documented base URLs parse"),
            timeout: Duration::from_secs(30),
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            user_agent: USER_AGENT.to_owned(),
        }
    }

    /// The wait before retry number `retry` (1 for the first): doubling from
    /// `initial_backoff`, capped at `max_backoff`, then "equal jitter" (half fixed, half
    /// random) so that many syncs throttled together do not retry in lockstep.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doubling = 2u32.saturating_pow(retry.saturating_sub(1));
        let full = self
            .initial_backoff
            .saturating_mul(doubling)
            .min(self.max_backoff);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        // Without randomness (getrandom failing) the wait is simply the fixed half.
        let random = getrandom::u64().unwrap_or(0);
        half + Duration::from_nanos(random % spread.saturating_add(1))
    }
}

/// How the credential goes into each request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Auth {
    /// In a header of its own (Anthropic `x-api-key`).
    Header(&'static str),
    /// `Authorization: Bearer <key>` (OpenAI).
    Bearer,
}

/// One client per source: a connection pool, the credential, retries and optional pacing.
#[derive(Debug)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    settings: HttpSettings,
    /// Kept to scrub it out of provider messages (it is also inside the default headers).
    secret: Secret,
    pacer: Option<Arc<Pacer>>,
}

/// What one attempt came to.
enum Attempt {
    Done(Vec<u8>),
    Fatal(BillingError),
    Retry {
        error: BillingError,
        after: Option<Duration>,
    },
}

impl HttpClient {
    /// `headers`: fixed headers every request carries (e.g. `anthropic-version`).
    pub(crate) fn new(
        settings: HttpSettings,
        secret: Secret,
        auth: Auth,
        headers: &[(&'static str, &'static str)],
    ) -> Result<HttpClient, BillingError> {
        let unusable = |message: &str| BillingError::Credentials {
            status: 0,
            message: message.to_owned(),
        };
        let mut defaults = HeaderMap::new();
        for (name, value) in headers {
            defaults.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let (name, value) = match auth {
            Auth::Header(name) => (HeaderName::from_static(name), secret.expose().to_owned()),
            Auth::Bearer => (
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", secret.expose()),
            ),
        };
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| unusable("the key contains characters an HTTP header cannot carry"))?;
        // Sensitive values are left out of reqwest's and hyper's Debug output.
        value.set_sensitive(true);
        defaults.insert(name, value);
        if !matches!(settings.base_url.scheme(), "http" | "https") {
            return Err(BillingError::Unavailable {
                status: None,
                message: format!("the base URL {} is not http(s)", settings.base_url),
            });
        }
        let client = reqwest::Client::builder()
            .default_headers(defaults)
            .user_agent(settings.user_agent.clone())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // A redirect could carry the key header to another host; providers' APIs never
            // redirect, so one is reported instead of followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BillingError::Unavailable {
                status: None,
                message: format!("could not set up the HTTP client: {}", error_chain(&e)),
            })?;
        Ok(HttpClient {
            client,
            settings,
            secret,
            pacer: None,
        })
    }

    pub(crate) fn set_pacer(&mut self, pacer: Arc<Pacer>) {
        self.pacer = Some(pacer);
    }

    /// GETs `path` (appended to the base URL) with `query` and an optional `page` cursor,
    /// retrying what is transient; parses the body as `T`. Adds every attempt to `requests`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Query,
        page: Option<&str>,
        requests: &mut u32,
    ) -> Result<T, BillingError> {
        let base = self.settings.base_url.as_str().trim_end_matches('/');
        let mut url = Url::parse(&format!("{base}{path}")).map_err(|e| BillingError::Refused {
            status: 0,
            message: format!("cannot build the request URL for {path}: {e}"),
        })?;
        url.set_query(Some(&query.encode(page)));
        let endpoint = url.path().to_owned();
        let attempts = self.settings.max_attempts.max(1);
        for attempt in 1..=attempts {
            if let Some(pacer) = &self.pacer {
                pacer.acquire().await;
            }
            *requests = requests.saturating_add(1);
            let (error, after) = match self.attempt(&url).await {
                Attempt::Done(body) => return parse(&endpoint, &body),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retry { error, after } => (error, after),
            };
            if attempt == attempts {
                return Err(error);
            }
            let delay = match after {
                Some(after) if after > RETRY_AFTER_CEILING => return Err(error),
                Some(after) if !after.is_zero() => after,
                _ => self.settings.backoff(attempt),
            };
            tracing::warn!(
                endpoint = %endpoint,
                attempt,
                of = attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = ?error,
                "provider request failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
        unreachable!("the loop returns on its last attempt")
    }

    async fn attempt(&self, url: &Url) -> Attempt {
        let response = match self.client.get(url.clone()).send().await {
            Ok(response) => response,
            Err(error) => return self.transport_failure(&error),
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(error) => return self.transport_failure(&error),
        };
        if status.is_success() {
            return Attempt::Done(body);
        }
        let message = self
            .secret
            .scrub(&provider_message(&body).unwrap_or_else(|| status_text(status)));
        let code = status.as_u16();
        match code {
            401 | 403 => Attempt::Fatal(BillingError::Credentials {
                status: code,
                message,
            }),
            429 => Attempt::Retry {
                error: BillingError::RateLimited { message },
                after: retry_after,
            },
            408 | 500..=599 => Attempt::Retry {
                error: BillingError::Unavailable {
                    status: Some(code),
                    message,
                },
                after: retry_after,
            },
            _ => Attempt::Fatal(BillingError::Refused {
                status: code,
                message,
            }),
        }
    }

    /// A request that got no complete HTTP answer: timeouts and connection failures are
    /// transient; anything else (a request reqwest could not build) is not.
    fn transport_failure(&self, error: &reqwest::Error) -> Attempt {
        if error.is_timeout() {
            return Attempt::Retry {
                error: BillingError::Timeout,
                after: None,
            };
        }
        let message = self.secret.scrub(&error_chain(error));
        let unavailable = BillingError::Unavailable {
            status: None,
            message,
        };
        if error.is_builder() {
            Attempt::Fatal(unavailable)
        } else {
            Attempt::Retry {
                error: unavailable,
                after: None,
            }
        }
    }
}

/// Parses a successful body, saying what is wrong with it in terms of the endpoint.
fn parse<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, BillingError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "the body ends early (truncated JSON)",
            serde_json::error::Category::Syntax => "the body is not valid JSON",
            _ => "the body is not in the documented shape",
        };
        BillingError::malformed(endpoint, format!("{what}: {e}"))
    })
}

/// `Retry-After` as whole seconds; the HTTP-date form is ignored (backoff applies instead).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// An error and its causes, `outer: inner: innermost` ("connection refused" is innermost).
fn error_chain(error: &dyn std::error::Error) -> String {
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

    fn settings() -> HttpSettings {
        HttpSettings::for_provider(Provider::Anthropic)
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let settings = settings();
        for _ in 0..50 {
            let first = settings.backoff(1);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
            let third = settings.backoff(3);
            assert!(third >= Duration::from_secs(2) && third <= Duration::from_secs(4));
            let late = settings.backoff(30);
            assert!(late >= Duration::from_secs(30) && late <= Duration::from_secs(60));
        }
    }

    #[test]
    fn production_defaults() {
        let openai = HttpSettings::for_provider(Provider::OpenAi);
        assert_eq!(openai.base_url.as_str(), "https://api.openai.com/v1");
        assert_eq!(settings().base_url.as_str(), "https://api.anthropic.com/");
        assert_eq!(openai.timeout, Duration::from_secs(30));
        assert_eq!(openai.max_attempts, 5);
        assert!(openai.user_agent.starts_with("reckon/"));
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
