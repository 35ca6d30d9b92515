//! Why a pull failed, classified by what the admin (or the scheduler) should do about it.

/// A failed pull. The Display text is meant for the admin (the integration's status line): it
/// says what happened, carries the provider's own message, and never contains the credential
/// (provider messages are scrubbed of it before they are stored here).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum BillingError {
    /// 401/403: the credential is wrong, revoked or lacks permission; never retried. `message`
    /// is the provider's own message (e.g. "invalid x-api-key"). `status` 0 means reckon refused
    /// the credential itself before sending it (wrong kind of key, see `check_admin_key`).
    #[error("{}", credentials_text(*.status, .message))]
    Credentials { status: u16, message: String },
    /// Still throttled after the retries.
    #[error("the provider is still rate-limiting reckon after several retries: {message}")]
    RateLimited { message: String },
    /// 5xx / 529 / connection failures after the retries.
    #[error("{}", unavailable_text(*.status, .message))]
    Unavailable {
        status: Option<u16>,
        message: String,
    },
    /// The provider did not answer within the timeout (after retries).
    #[error("the provider did not answer in time, after several attempts")]
    Timeout,
    /// A body that is not the documented shape (invalid JSON, missing required field, a
    /// truncated page), with what was wrong and where.
    #[error("the provider sent a response reckon cannot read: {message}")]
    Malformed { message: String },
    /// No trusted TLS connection (an unknown issuer, a certificate for another host name, an
    /// expired one) or a base URL that would send the credential unencrypted; never retried.
    #[error("reckon did not connect to the provider securely: {message}")]
    Tls { message: String },
    /// The forward proxy (`HTTPS_PROXY`) refused to open a tunnel for reckon's credentials;
    /// never retried. The proxy URL (and its password) is not part of the message.
    #[error("the forward proxy refused reckon: {message}")]
    Proxy { message: String },
    /// Other 4xx: the provider refused the request; its message.
    #[error("the provider refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
}

fn credentials_text(status: u16, message: &str) -> String {
    if status == 0 {
        format!("the credential cannot be used: {message}")
    } else {
        format!(
            "the provider rejected the credential (HTTP {status}): {message}. \
             Check that it is an admin key of the right organization and has not been revoked."
        )
    }
}

fn unavailable_text(status: Option<u16>, message: &str) -> String {
    match status {
        Some(status) => {
            format!("the provider is unavailable (HTTP {status}) after several attempts: {message}")
        }
        None => format!("could not reach the provider after several attempts: {message}"),
    }
}

impl BillingError {
    /// A body that is not what the GET `endpoint` documents.
    pub(crate) fn malformed(endpoint: &str, problem: impl std::fmt::Display) -> BillingError {
        BillingError::malformed_response(&format!("GET {endpoint}"), problem)
    }

    /// A body that is not what `request` (method and path, `POST /teams/spend`) documents.
    pub(crate) fn malformed_response(
        request: &str,
        problem: impl std::fmt::Display,
    ) -> BillingError {
        BillingError::Malformed {
            message: format!("{request}: {problem}"),
        }
    }

    /// Whether the credential itself is the problem (the admin must replace it).
    pub fn is_credentials(&self) -> bool {
        matches!(self, BillingError::Credentials { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_the_provider_text() {
        let error = BillingError::Credentials {
            status: 401,
            message: "invalid x-api-key".into(),
        };
        assert!(error.to_string().contains("HTTP 401): invalid x-api-key"));
        let local = BillingError::Credentials {
            status: 0,
            message: "not an admin key".into(),
        };
        assert_eq!(
            local.to_string(),
            "the credential cannot be used: not an admin key"
        );
        let down = BillingError::Unavailable {
            status: None,
            message: "connection refused".into(),
        };
        assert!(down.to_string().ends_with("connection refused"));
    }
}
