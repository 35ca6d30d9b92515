//! Reading the database's own catalogue: which tables and columns the migrations created.

use super::StorageError;
use super::store::{Pool, SqlStore};

/// A table the migrations created.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<ColumnSchema>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ColumnSchema {
    pub name: String,
    /// The declared type, upper-cased (`BIGINT`, `TEXT`, …).
    pub declared_type: String,
}

/// Bookkeeping tables that are not the application's.
const SKIPPED: [&str; 1] = ["_sqlx_migrations"];

impl SqlStore {
    pub(super) async fn describe_schema(&self) -> Result<Vec<TableSchema>, StorageError> {
        let rows: Vec<(String, String, String)> = match &self.pool {
            Pool::Sqlite(p) => sqlx::query_as(
                "SELECT m.name, c.name, c.type FROM sqlite_master m, pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid",
            )
            .fetch_all(p)
            .await?,
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     ORDER BY table_name, ordinal_position",
                )
                .fetch_all(p)
                .await?
            }
        };
        let mut tables: Vec<TableSchema> = Vec::new();
        for (table, column, declared_type) in rows {
            if SKIPPED.contains(&table.as_str()) {
                continue;
            }
            let column = ColumnSchema {
                name: column,
                declared_type: declared_type.to_uppercase(),
            };
            match tables.last_mut() {
                Some(last) if last.name == table => last.columns.push(column),
                _ => tables.push(TableSchema {
                    name: table,
                    columns: vec![column],
                }),
            }
        }
        Ok(tables)
    }
}
