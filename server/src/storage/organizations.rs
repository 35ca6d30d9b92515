//! Queries on organisations, the tenants.

use sqlx::Row;

use super::store::{SqlStore, with_pool};
use super::{DEFAULT_ORG_SLUG, Organization, StorageError, now_ms};

const COLUMNS: &str = "id, slug, name, created_at_ms";

fn organization<R: Row>(row: &R) -> Result<Organization, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(Organization {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

impl SqlStore {
    pub(super) async fn insert_default_organization(&self) -> Result<Organization, StorageError> {
        let insert = "INSERT INTO organizations (slug, name, created_at_ms) VALUES ($1, $2, $3) \
                      ON CONFLICT (slug) DO NOTHING";
        with_pool!(&self.pool, |p| {
            sqlx::query(insert)
                .bind(DEFAULT_ORG_SLUG)
                .bind("Default organisation")
                .bind(now_ms())
                .execute(p)
                .await
                .map(|_| ())
        })?;
        self.select_organization_by_slug(DEFAULT_ORG_SLUG)
            .await?
            .ok_or_else(|| StorageError::Conflict("the default organisation vanished".into()))
    }

    pub(super) async fn insert_organization(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<Organization, StorageError> {
        let insert = format!(
            "INSERT INTO organizations (slug, name, created_at_ms) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        );
        let inserted = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&insert)
                .bind(slug)
                .bind(name)
                .bind(now_ms())
                .fetch_one(p)
                .await;
            row.and_then(|row| organization(&row))
        });
        inserted.map_err(|e| {
            if StorageError::is_unique_violation(&e) {
                StorageError::Conflict(format!(
                    "an organisation with the slug `{slug}` already exists"
                ))
            } else {
                e.into()
            }
        })
    }

    pub(super) async fn select_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<Organization>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM organizations WHERE slug = $1");
        let found = with_pool!(&self.pool, |p| {
            let row = sqlx::query(&select).bind(slug).fetch_optional(p).await?;
            row.as_ref().map(organization).transpose()
        })?;
        Ok(found)
    }

    pub(super) async fn select_organizations(&self) -> Result<Vec<Organization>, StorageError> {
        let select = format!("SELECT {COLUMNS} FROM organizations ORDER BY id");
        let all = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).fetch_all(p).await?;
            rows.iter().map(organization).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(all)
    }
}
