//! The server's error type: everything that stops a `reckon` command, with what to fix.

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
}

impl Error {
    /// The process exit code: 2 for configuration the operator must fix, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_)
            | Error::Storage(StorageError::InvalidUrl { .. } | StorageError::DataDir { .. })
            | Error::Bind { .. } => 2,
            _ => 1,
        }
    }
}
