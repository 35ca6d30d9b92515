//! Reading an answer within its bound, and what a request that got no complete answer means
//! (a timeout, a refused connection, an untrusted certificate, a proxy refusing reckon).

use url::Url;

use super::answer::{Attempt, error_chain};
use super::{HttpClient, tls};
use crate::BillingError;

impl HttpClient {
    /// The body, read chunk by chunk up to `max_response_bytes`: a larger answer (announced
    /// or not) is refused before it is all in memory, and not retried.
    pub(super) async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &Url,
    ) -> Result<Vec<u8>, Attempt> {
        let limit = self.settings.max_response_bytes;
        let too_large = || {
            Attempt::Fatal(BillingError::Malformed {
                message: format!(
                    "{}: the answer is larger than reckon accepts ({limit} bytes)",
                    url.path()
                ),
            })
        };
        if response
            .content_length()
            .is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > limit => return Err(too_large()),
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => return Ok(body),
                Err(error) => return Err(self.transport_failure(&error)),
            }
        }
    }

    /// A request that got no complete HTTP answer: timeouts and connection failures are
    /// transient; a TLS failure (an untrusted or wrong certificate) is not, and says what was
    /// wrong; anything else (a request reqwest could not build) is not either.
    pub(super) fn transport_failure(&self, error: &reqwest::Error) -> Attempt {
        if error.is_timeout() {
            return Attempt::Retry {
                error: BillingError::Timeout,
                after: None,
            };
        }
        let host = self.settings.base_url.host_str().unwrap_or("the provider");
        if let Some(message) = tls::tls_problem(error, host) {
            return Attempt::Fatal(BillingError::Tls { message });
        }
        let message = self.secret.scrub(&error_chain(error));
        // hyper-util's tunnel error is not public: its text is what identifies a 407.
        if message.contains("proxy authorization required") {
            return Attempt::Fatal(BillingError::Proxy {
                message: "it requires authentication (HTTP 407) and did not accept the user and password in the proxy URL (HTTPS_PROXY)".to_owned(),
            });
        }
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
