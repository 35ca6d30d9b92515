//! The SQLite backend: one file under the data directory, in WAL mode, created if missing.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{DatabaseUrl, StorageError};

pub(super) async fn open(url: &DatabaseUrl, file: &Path) -> Result<SqlitePool, StorageError> {
    let unreachable = |reason: String| StorageError::Unreachable {
        url: url.to_string(),
        reason,
    };
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| unreachable(format!("cannot create {}: {e}", dir.display())))?;
    }
    let options = SqliteConnectOptions::from_str(url.expose())
        .map_err(|e| unreachable(e.to_string()))?
        .create_if_missing(true)
        // WAL lets readers (the UI) run while the receiver writes; FULL sync keeps every
        // acknowledged commit across a power cut.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(8)
        // A local file has no connection to lose; a ping before every use would cost a round
        // trip to the connection's thread on every query.
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| unreachable(e.to_string()))
}
