//! The HTTP client every source uses: HTTPS with the platform's roots and the operator's,
//! auth, retries with backoff and `Retry-After`, pacing, waiting out a used-up quota, a bound on
//! what an answer may cost, and classifying what went wrong into a [`BillingError`] an admin
//! can act on.

mod answer;
mod auth;
mod receive;
mod tls;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use url::Url;

use reconciler::Provider;

use crate::query::Query;
use crate::{BillingError, Pacer, Secret};
use answer::{Attempt, error_chain, failure, parse, quota_reset, until};
pub(crate) use auth::Auth;
use auth::credential_header;
pub use tls::{TrustedRoots, check_base_url};

/// How a source talks to its provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// Endpoint paths are appended to this (its own path kept: OpenAI's ends in `/v1`).
    pub base_url: Url,
    /// Per request, connect to last body byte (`--provider-timeout-secs`).
    pub timeout: Duration,
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait before the first retry; doubles per retry up to `max_backoff`, plus jitter.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub user_agent: String,
    /// CA certificates trusted beside the platform's (`--ca-file`).
    pub extra_roots: TrustedRoots,
    /// A larger answer is refused, not read: what one response may cost in memory.
    pub max_response_bytes: usize,
}

/// The default bound on one answer: the largest documented page (Anthropic's 31 daily buckets
/// grouped by description, GitHub's 100 users) is well under a megabyte.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Sent to every provider: Anthropic asks integrations to identify themselves, GitHub refuses
/// requests without a User-Agent.
const USER_AGENT: &str = concat!(
    "reckon/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted AI spend reconciliation)"
);

/// A longer `Retry-After` (or wait for a used-up quota to reset) than this is not waited out
/// inside one pull: the pull fails as rate limited and the scheduler tries again later.
const RETRY_AFTER_CEILING: Duration = Duration::from_secs(300);

impl HttpSettings {
    /// Production settings: the provider's documented base URL, a 30 s timeout, 5 attempts,
    /// backoff from 1 s up to 60 s (Cursor documents exponential backoff from 1 s: 1, 2, 4, 8,
    /// 16 s), only the platform's roots, answers up to [`MAX_RESPONSE_BYTES`]. Providers without a billing API reckon knows get the
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
            extra_roots: TrustedRoots::default(),
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }

    /// The wait before retry number `retry` (1 for the first): doubling from
    /// `initial_backoff`, capped at `max_backoff`, plus up to a quarter more at random so that
    /// many syncs throttled together do not retry in lockstep. The jitter only adds: a
    /// provider that documents "wait 1, 2, 4 s" is never asked again sooner.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doubling = 2u32.saturating_pow(retry.saturating_sub(1));
        let documented = self
            .initial_backoff
            .saturating_mul(doubling)
            .min(self.max_backoff);
        let spread = u64::try_from((documented / 4).as_nanos()).unwrap_or(u64::MAX);
        // Without randomness (getrandom failing) the wait is simply the documented one.
        let random = getrandom::u64().unwrap_or(0);
        documented + Duration::from_nanos(random % spread.saturating_add(1))
    }
}

/// One client per source: a connection pool, the credential, retries and optional pacing.
#[derive(Debug)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    settings: HttpSettings,
    /// Kept to scrub it out of provider messages (it is also inside the default headers).
    secret: Secret,
    pacer: Option<Arc<Pacer>>,
    /// Until when the provider said the request quota is used up (GitHub
    /// `x-ratelimit-remaining: 0`): the next request waits for it instead of being refused.
    quota_back_at: Mutex<Option<SystemTime>>,
}

impl HttpClient {
    /// `headers`: fixed headers every request carries (e.g. `anthropic-version`).
    pub(crate) fn new(
        settings: HttpSettings,
        secret: Secret,
        auth: Auth,
        headers: &[(&'static str, &'static str)],
    ) -> Result<HttpClient, BillingError> {
        let mut defaults = HeaderMap::new();
        for (name, value) in headers {
            defaults.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let (name, value) = credential_header(auth, &secret)?;
        defaults.insert(name, value);
        check_base_url(&settings.base_url).map_err(|message| BillingError::Tls { message })?;
        let roots = settings
            .extra_roots
            .certificates()
            .map_err(|message| BillingError::Tls { message })?;
        // reqwest panics without a process-wide provider; `main` installs ring first.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            return Err(BillingError::Tls {
                message:
                    "no TLS crypto provider is installed (the program must install ring at start)"
                        .to_owned(),
            });
        }
        // Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (reqwest's system proxy).
        let client = reqwest::Client::builder()
            .tls_certs_merge(roots)
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
            quota_back_at: Mutex::new(None),
        })
    }

    pub(crate) fn set_pacer(&mut self, pacer: Arc<Pacer>) {
        self.pacer = Some(pacer);
    }

    #[cfg(test)]
    pub(crate) fn pacer(&self) -> Option<&Pacer> {
        self.pacer.as_deref()
    }

    /// `path` appended to the base URL, with `query` (already encoded).
    pub(crate) fn url(&self, path: &str, query: &str) -> Result<Url, BillingError> {
        let base = self.settings.base_url.as_str().trim_end_matches('/');
        let mut url = Url::parse(&format!("{base}{path}")).map_err(|e| BillingError::Refused {
            status: 0,
            message: format!("cannot build the request URL for {path}: {e}"),
        })?;
        url.set_query((!query.is_empty()).then_some(query));
        Ok(url)
    }

    /// Whether `url` (e.g. a `Link` the provider sent) is on the provider's own origin, so
    /// that following it cannot carry the credential elsewhere.
    pub(crate) fn is_own_origin(&self, url: &Url) -> bool {
        url.origin() == self.settings.base_url.origin()
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
        let url = self.url(path, &query.encode(page))?;
        Ok(self.get_json_at(&url, requests).await?.0)
    }

    /// GETs an absolute URL (one built by [`HttpClient::url`] or a provider's `Link`), and
    /// returns the parsed body with the response headers.
    pub(crate) async fn get_json_at<T: DeserializeOwned>(
        &self,
        url: &Url,
        requests: &mut u32,
    ) -> Result<(T, HeaderMap), BillingError> {
        let (body, headers) = self.send(Method::GET, url, None, requests).await?;
        Ok((parse(&format!("GET {}", url.path()), &body)?, headers))
    }

    /// POSTs `body` as JSON to `path`; parses the answer as `T`.
    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        requests: &mut u32,
    ) -> Result<T, BillingError> {
        let url = self.url(path, "")?;
        let (answer, _) = self.send(Method::POST, &url, Some(body), requests).await?;
        parse(&format!("POST {}", url.path()), &answer)
    }

    /// Sends one request, retrying what is transient; every attempt counts in `requests`.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        requests: &mut u32,
    ) -> Result<(Vec<u8>, HeaderMap), BillingError> {
        let endpoint = url.path().to_owned();
        let attempts = self.settings.max_attempts.max(1);
        for attempt in 1..=attempts {
            self.wait_for_quota().await?;
            if let Some(pacer) = &self.pacer {
                pacer.acquire().await;
            }
            *requests = requests.saturating_add(1);
            let (error, after) = match self.attempt(method.clone(), url, body).await {
                Attempt::Done(body, headers) => return Ok((body, headers)),
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

    /// Waits until a quota the provider said is used up comes back; refuses to wait longer
    /// than [`RETRY_AFTER_CEILING`] (the scheduler tries again later instead).
    async fn wait_for_quota(&self) -> Result<(), BillingError> {
        let back_at = *self.quota_back_at.lock().unwrap_or_else(|e| e.into_inner());
        let Some(back_at) = back_at else {
            return Ok(());
        };
        let wait = until(back_at);
        if wait > RETRY_AFTER_CEILING {
            let at = time::OffsetDateTime::from(back_at)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| "later".to_owned());
            return Err(BillingError::RateLimited {
                message: format!("the request quota is used up until {at}"),
            });
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    async fn attempt(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Attempt {
        let mut request = self.client.request(method, url.clone());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return self.transport_failure(&error),
        };
        let status = response.status();
        let headers = response.headers().clone();
        *self.quota_back_at.lock().unwrap_or_else(|e| e.into_inner()) = quota_reset(&headers);
        let body = match self.read_body(response, url).await {
            Ok(body) => body,
            Err(attempt) => return attempt,
        };
        if status.is_success() {
            return Attempt::Done(body, headers);
        }
        failure(status, &headers, &body, &self.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> HttpSettings {
        HttpSettings::for_provider(Provider::Anthropic)
    }

    #[test]
    fn backoff_doubles_and_jitter_only_adds() {
        let cursor = HttpSettings::for_provider(Provider::Cursor);
        // Cursor's documented waits: 1, 2, 4, 8, 16 s; the jitter adds up to a quarter.
        for (retry, documented) in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16)] {
            let documented = Duration::from_secs(documented);
            for _ in 0..50 {
                let wait = cursor.backoff(retry);
                assert!(
                    wait >= documented,
                    "retry {retry}: {wait:?} < {documented:?}"
                );
                assert!(
                    wait <= documented + documented / 4,
                    "retry {retry}: {wait:?}"
                );
            }
        }
        let late = settings().backoff(30);
        assert!(late >= Duration::from_secs(60) && late <= Duration::from_secs(75));
    }

    #[test]
    fn production_defaults() {
        let openai = HttpSettings::for_provider(Provider::OpenAi);
        assert_eq!(openai.base_url.as_str(), "https://api.openai.com/v1");
        assert_eq!(settings().base_url.as_str(), "https://api.anthropic.com/");
        let cursor = HttpSettings::for_provider(Provider::Cursor);
        assert_eq!(cursor.base_url.as_str(), "https://api.cursor.com/");
        let github = HttpSettings::for_provider(Provider::GithubCopilot);
        assert_eq!(github.base_url.as_str(), "https://api.github.com/");
        assert_eq!(openai.timeout, Duration::from_secs(30));
        assert_eq!(openai.max_attempts, 5);
        assert!(openai.user_agent.starts_with("reckon/"));
    }
}
