//! The server's error type: what stops a command, and what a request is refused for.

use std::time::Duration;

use crate::config::ConfigError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot listen on {addr} for {purpose}: {source}; choose another address with {flag}")]
    Bind {
        addr: std::net::SocketAddr,
        purpose: &'static str,
        flag: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
    #[error("cannot listen for shutdown signals: {0}")]
    Signal(#[source] std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot read {what} from standard input: {source}")]
    Stdin {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// The request or command input is wrong; the message says how.
    #[error("{0}")]
    Invalid(String),
    /// No valid credential (no session, unknown or revoked token, wrong password).
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but the role lacks the permission.
    #[error("{0}")]
    Forbidden(String),
    /// A state-changing browser request that did not come from reckon's own pages.
    #[error("cross-site request refused: {0}")]
    CsrfRejected(String),
    #[error("{0}")]
    NotFound(String),
    #[error("too many failed sign-ins {scope}; try again in {} minute(s)", retry_after.as_secs().div_ceil(60).max(1))]
    TooManyAttempts {
        scope: &'static str,
        retry_after: Duration,
    },
    #[error("{0}")]
    NotReady(String),
    /// Connecting a usage provider: its 24-hour test failed, so nothing was saved.
    #[error("the provider test failed, so nothing was saved: {0}")]
    ProviderTestFailed(String),
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
}

impl Error {
    /// The process exit code: 2 for configuration the operator must fix, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_)
            | Error::Invalid(_)
            | Error::NotFound(_)
            | Error::Storage(StorageError::InvalidUrl { .. } | StorageError::DataDir { .. })
            | Error::Bind { .. } => 2,
            _ => 1,
        }
    }
}
