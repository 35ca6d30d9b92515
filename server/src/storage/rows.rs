//! Reading typed columns from either backend's rows, and the records the accounts tables hold.

use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::auth::Role;
use crate::storage::Organization;

/// Column access that reads the same on SQLite and PostgreSQL rows.
pub(crate) trait Columns {
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
}

impl<R: Row> Columns for R
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(column)
    }
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }
}

pub(crate) fn organization(row: &impl Columns) -> Result<Organization, sqlx::Error> {
    Ok(Organization {
        id: row.int("id")?,
        slug: row.text("slug")?,
        name: row.text("name")?,
        created_at_ms: row.int("created_at_ms")?,
    })
}

pub(crate) fn role(row: &impl Columns, column: &str) -> Result<Role, sqlx::Error> {
    let text = row.text(column)?;
    Role::parse(&text).ok_or_else(|| sqlx::Error::Decode(format!("unknown role `{text}`").into()))
}
