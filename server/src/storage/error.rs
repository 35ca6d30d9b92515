//! The storage error type: what went wrong with the database, in words an operator can act on.

/// A storage failure. Messages never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error(
        "data directory {path} is not writable ({source}); choose a writable one with --data-dir or RECKON_DATA_DIR"
    )]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("database migrations failed: {0}")]
    Migration(String),
    #[error("the database schema is not up to date: {0} migration(s) not applied")]
    PendingMigrations(usize),
    #[error("{0}")]
    Conflict(String),
    #[error("this setup link is invalid, expired or already used; restart reckon to get a new one")]
    SetupToken,
    /// A stored sum of this kind would pass [`super::MAX_STORED_SUM`]: a permanent fault of
    /// the records, never retried (see `usage_write`).
    #[error("{}", super::SUM_OVERFLOW)]
    SumOverflow(super::SumRow),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StorageError {
    /// Whether the error is a unique-constraint violation.
    pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
        matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
    }
}
