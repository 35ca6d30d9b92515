//! Storage: the one trait the server reads and writes through, on SQLite or PostgreSQL.
//!
//! Both backends share one implementation, [`SqlStore`]: every query is written once and compiled
//! against each backend's own driver by [`with_pool!`], so SQLite and PostgreSQL run the same SQL
//! text with their native types. What differs (connecting, pragmas, creating the database,
//! catalogue queries) lives in `sqlite.rs` and `postgres.rs`. All SQL of the server is in this
//! module.

mod api_tokens;
mod audit;
mod billed;
mod billing_lines;
mod covered_scopes;
mod credentials;
mod demo;
mod error;
mod integrations;
mod key_cache;
mod organizations;
mod postgres;
mod prices;
mod reconciliation;
mod records;
mod rollups;
mod rows;
mod schema;
mod sessions;
mod sqlite;
mod store;
mod sum_bounds;
mod sync_runs;
mod telemetry_keys;
mod url;
mod usage;
mod usage_monthly;
mod usage_rows;
mod usage_sql;
mod usage_sums;
mod usage_write;
mod users;

use std::path::Path;
use std::sync::Arc;

pub use api_tokens::ApiTokenStore;
pub use audit::AuditStore;
pub use billed::BilledStore;
pub use billing_lines::{BillingGroup, BillingRow, BillingStore};
pub use credentials::CredentialStore;
pub use demo::{DemoStore, Purged};
pub use error::StorageError;
pub use integrations::{Integration, IntegrationStore, NewIntegration};
pub use organizations::OrganizationStore;
pub use prices::PriceStore;
pub use reconciliation::{ReconciliationStore, WriteOffRecord, engine_write_offs};
pub use records::{
    ApiToken, AuditEntry, AuditEvent, Credentials, NewApiToken, NewSession, NewUser, SessionRecord,
    User,
};
pub use rollups::{RebuiltRollups, RollupStore};
pub use schema::{ColumnSchema, TableSchema};
pub use sessions::SessionStore;
pub use store::SqlStore;
pub use sum_bounds::{MAX_STORED_SUM, SUM_OVERFLOW, SumRow};
pub use sync_runs::{RunEnd, SyncRun, SyncRunStore};
pub use telemetry_keys::{NewTelemetryKey, TelemetryKey, TelemetryKeyStore};
pub use url::{Backend, DatabaseUrl};
pub use usage::{UsageBatch, UsageGroup, UsageRow, UsageStore};
pub use users::UserStore;

/// An organisation: the tenant that owns every user, key, integration and spend row.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Organization {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Unix milliseconds, UTC.
    pub created_at_ms: i64,
}

/// The slug of the organisation every server has from its first start.
pub const DEFAULT_ORG_SLUG: &str = "default";

/// Everything the server stores, behind one interface: the schema's upkeep here, each area's
/// queries in its own trait.
#[async_trait::async_trait]
pub trait Storage:
    OrganizationStore
    + UserStore
    + SessionStore
    + ApiTokenStore
    + AuditStore
    + TelemetryKeyStore
    + UsageStore
    + IntegrationStore
    + BillingStore
    + CredentialStore
    + SyncRunStore
    + ReconciliationStore
    + BilledStore
    + RollupStore
    + DemoStore
    + PriceStore
    + Send
    + Sync
    + std::fmt::Debug
{
    fn backend(&self) -> Backend;

    /// Applies the embedded migrations that are not yet applied; returns how many it applied.
    async fn migrate(&self) -> Result<usize, StorageError>;

    /// Ok when the database answers and every embedded migration is applied.
    async fn check_ready(&self) -> Result<(), StorageError>;

    /// The application's tables and their columns, for schema checks.
    async fn schema(&self) -> Result<Vec<TableSchema>, StorageError>;

    /// Closes every connection; waits for those in use.
    async fn close(&self);
}

/// Opens the database the URL names (creating a missing SQLite file or PostgreSQL database),
/// without migrating it.
pub async fn connect(url: &DatabaseUrl) -> Result<Arc<dyn Storage>, StorageError> {
    let store = match url.backend() {
        Backend::Sqlite => {
            let file = url.sqlite_file().unwrap_or_default();
            SqlStore::sqlite(sqlite::open(url, &file).await?)
        }
        Backend::Postgres => SqlStore::postgres(postgres::open(url).await?),
    };
    Ok(Arc::new(store))
}

/// Opens the database and brings it up to date: what `reckon serve` does at start.
pub async fn open_and_migrate(url: &DatabaseUrl) -> Result<Arc<dyn Storage>, StorageError> {
    let store = connect(url).await?;
    let applied = store.migrate().await?;
    if applied > 0 {
        tracing::info!(
            applied,
            backend = store.backend().as_str(),
            "applied database migrations"
        );
    }
    store.ensure_default_organization().await?;
    Ok(store)
}

/// Drops a PostgreSQL database (for test harnesses that create one per test).
pub async fn drop_postgres_database(url: &DatabaseUrl) -> Result<(), StorageError> {
    postgres::drop_database(url).await
}

/// Milliseconds since the Unix epoch, the form every `*_at_ms` column holds.
pub fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

/// Ensures `dir` exists and is writable, creating it if needed.
pub fn prepare_data_dir(dir: &Path) -> Result<(), StorageError> {
    let unwritable = |source: std::io::Error| StorageError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let probe = dir.join(".reckon-write-check");
    std::fs::write(&probe, b"ok").map_err(unwritable)?;
    std::fs::remove_file(&probe).map_err(unwritable)
}

/// Serialises an exact amount as its decimal string, as the API writes all money.
pub(crate) fn serialize_usd<S: serde::Serializer>(
    usd: &reconciler::Usd,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&usd.to_string())
}
