//! The PostgreSQL backend: a pool on the URL's database, which is created if it does not exist.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres};

use super::{DatabaseUrl, StorageError};

/// SQLSTATE for "database does not exist".
const INVALID_CATALOG_NAME: &str = "3D000";

pub(super) async fn open(url: &DatabaseUrl) -> Result<PgPool, StorageError> {
    let unreachable = |reason: String| StorageError::Unreachable {
        url: url.to_string(),
        reason: format!(
            "{reason}; check --database-url (RECKON_DATABASE_URL) and that PostgreSQL is running"
        ),
    };
    let options =
        PgConnectOptions::from_str(url.expose()).map_err(|e| unreachable(e.to_string()))?;
    // One direct connection first: a pool only reports "timed out" when it cannot connect, while
    // the operator needs the reason (refused, unknown host, authentication failed).
    match PgConnection::connect_with(&options).await {
        Ok(probe) => {
            let _ = probe.close().await;
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(INVALID_CATALOG_NAME) => {
            tracing::info!(url = %url, "creating the PostgreSQL database, which does not exist yet");
            create_database(url).await?;
        }
        Err(e) => return Err(unreachable(e.to_string())),
    }
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| unreachable(e.to_string()))
}

async fn create_database(url: &DatabaseUrl) -> Result<(), StorageError> {
    match Postgres::create_database(url.expose()).await {
        Ok(()) => Ok(()),
        // Another replica created it at the same moment.
        Err(e) if StorageError::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(StorageError::Unreachable {
            url: url.to_string(),
            reason: format!("the database does not exist and creating it failed: {e}"),
        }),
    }
}

pub(super) async fn drop_database(url: &DatabaseUrl) -> Result<(), StorageError> {
    Postgres::force_drop_database(url.expose())
        .await
        .map_err(StorageError::from)
}
