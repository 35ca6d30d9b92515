//! [`SqlStore`]: the [`Storage`] implementation, one body of SQL for both backends.

use sqlx::migrate::Migrator;
use sqlx::{PgPool, SqlitePool};

use super::covered_scopes::CoveredScopes;
use super::key_cache::KeyCache;
use super::{Backend, Storage, StorageError, TableSchema};
use std::sync::Arc;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store holds. The body is compiled once per
/// backend, so each runs with its own driver's types; write the SQL so that both accept it
/// (`$1` placeholders, `ON CONFLICT`, `RETURNING`, `BIGINT`).
macro_rules! with_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::storage::store::Pool::Sqlite($p) => $body,
            $crate::storage::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// The storage of a running server, on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: Pool,
    /// Scopes known to be covered by an event (see `usage_write`).
    pub(super) covered_scopes: Arc<CoveredScopes>,
    /// Live telemetry keys looked up in the last seconds (see `key_cache`).
    pub(super) telemetry_keys: Arc<KeyCache>,
}

impl SqlStore {
    pub(crate) fn sqlite(pool: SqlitePool) -> SqlStore {
        SqlStore {
            pool: Pool::Sqlite(pool),
            covered_scopes: Arc::default(),
            telemetry_keys: Arc::default(),
        }
    }

    pub(crate) fn postgres(pool: PgPool) -> SqlStore {
        SqlStore {
            pool: Pool::Postgres(pool),
            covered_scopes: Arc::default(),
            telemetry_keys: Arc::default(),
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Versions of the migrations recorded as successfully applied.
    async fn applied_versions(&self) -> Result<Vec<i64>, StorageError> {
        let query = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let versions = with_pool!(&self.pool, |p| {
            sqlx::query_scalar::<_, i64>(query).fetch_all(p).await
        });
        match versions {
            Ok(versions) => Ok(versions),
            // No bookkeeping table yet: nothing applied.
            Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => Ok(vec![]),
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait::async_trait]
impl Storage for SqlStore {
    fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<usize, StorageError> {
        let before = self.applied_versions().await?.len();
        let run = with_pool!(&self.pool, |p| self.migrator().run(p).await);
        run.map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(self.applied_versions().await?.len().saturating_sub(before))
    }

    async fn check_ready(&self) -> Result<(), StorageError> {
        let applied = self.applied_versions().await?;
        let pending = self
            .migrator()
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .count();
        match pending {
            0 => Ok(()),
            n => Err(StorageError::PendingMigrations(n)),
        }
    }

    async fn schema(&self) -> Result<Vec<TableSchema>, StorageError> {
        self.describe_schema().await
    }

    async fn close(&self) {
        with_pool!(&self.pool, |p| p.close().await)
    }
}
