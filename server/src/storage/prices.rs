//! An organisation's price overrides over the built-in catalogue, and its reconciliation
//! tolerance.

use reconciler::reconcile::Tolerance;
use reconciler::{Price, Provider, Tier, Usd, UtcDay};
use rust_decimal::Decimal;

use super::audit::audit_insert;
use super::records::AuditEntry;
use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::{StorageError, now_ms};

const KIND_COLUMNS: [&str; 5] = [
    "input_nanos",
    "cache_read_nanos",
    "cache_write_5m_nanos",
    "cache_write_1h_nanos",
    "output_nanos",
];

const NANOS: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// A price per million tokens as stored: nano-dollars, exact when it has at most 9 decimals.
fn to_nanos(price: Decimal) -> Result<i64, StorageError> {
    let nanos = price
        .checked_mul(NANOS)
        .filter(|n| n.fract().is_zero())
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| {
            StorageError::Conflict(format!(
                "the price {price} per million tokens has more than 9 decimals or is too large"
            ))
        })?;
    Ok(nanos)
}

fn from_nanos(nanos: i64) -> Decimal {
    (Decimal::from(nanos) / NANOS).normalize()
}

#[async_trait::async_trait]
pub trait PriceStore {
    /// The organisation's overrides, as catalogue prices (origin `override`).
    async fn price_overrides(&self, org_id: i64) -> Result<Vec<Price>, StorageError>;

    /// Adds a price, or replaces the one of the same provider, model, tier and day.
    async fn set_price(
        &self,
        org_id: i64,
        price: &Price,
        audit: &AuditEntry,
    ) -> Result<(), StorageError>;

    /// The organisation's tolerance; the default (1 % or 1 USD) when none was set.
    async fn tolerance(&self, org_id: i64) -> Result<Tolerance, StorageError>;

    async fn set_tolerance(
        &self,
        org_id: i64,
        tolerance: Tolerance,
        audit: &AuditEntry,
    ) -> Result<(), StorageError>;
}

#[async_trait::async_trait]
impl PriceStore for SqlStore {
    async fn price_overrides(&self, org_id: i64) -> Result<Vec<Price>, StorageError> {
        let select = format!(
            "SELECT provider, model, tier, effective_from, {} FROM price_overrides \
             WHERE org_id = $1 ORDER BY provider, model, tier, effective_from",
            KIND_COLUMNS.join(", ")
        );
        let rows = with_pool!(&self.pool, |p| {
            let rows = sqlx::query(&select).bind(org_id).fetch_all(p).await?;
            rows.iter()
                .map(|row| {
                    let mut prices = [None; 5];
                    for (slot, column) in prices.iter_mut().zip(KIND_COLUMNS) {
                        *slot = row.opt_int(column)?;
                    }
                    Ok::<_, sqlx::Error>((
                        row.text("provider")?,
                        row.text("model")?,
                        row.text("tier")?,
                        row.text("effective_from")?,
                        prices,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        rows.into_iter()
            .map(|(provider, model, tier, from, prices)| {
                let bad =
                    |e: reconciler::Error| StorageError::Conflict(format!("a stored price: {e}"));
                Ok(Price {
                    provider: Provider::parse(&provider).map_err(bad)?,
                    model,
                    tier: Tier::parse(&tier).map_err(bad)?,
                    effective_from: UtcDay::parse(&from).map_err(bad)?,
                    per_million: prices.map(|p| p.map(from_nanos)),
                    origin: "override",
                })
            })
            .collect()
    }

    async fn set_price(
        &self,
        org_id: i64,
        price: &Price,
        audit: &AuditEntry,
    ) -> Result<(), StorageError> {
        let mut nanos = [None; 5];
        for (slot, value) in nanos.iter_mut().zip(price.per_million) {
            *slot = value.map(to_nanos).transpose()?;
        }
        let columns = KIND_COLUMNS.join(", ");
        let updates: Vec<String> = KIND_COLUMNS
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let upsert = format!(
            "INSERT INTO price_overrides (org_id, provider, model, tier, effective_from, {columns}, \
             created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (org_id, provider, model, tier, effective_from) DO UPDATE SET {}, \
             created_by = excluded.created_by, created_at_ms = excluded.created_at_ms",
            updates.join(", ")
        );
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(&upsert)
                .bind(org_id)
                .bind(price.provider.to_string())
                .bind(&price.model)
                .bind(price.tier.as_str())
                .bind(price.effective_from.to_string())
                .bind(nanos[0])
                .bind(nanos[1])
                .bind(nanos[2])
                .bind(nanos[3])
                .bind(nanos[4])
                .bind(&audit.actor)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, StorageError>(())
        })?;
        Ok(())
    }

    async fn tolerance(&self, org_id: i64) -> Result<Tolerance, StorageError> {
        let row = with_pool!(&self.pool, |p| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT tolerance_absolute_nanos, tolerance_percent_micros \
                 FROM reconciliation_settings WHERE org_id = $1",
            )
            .bind(org_id)
            .fetch_optional(p)
            .await
        })?;
        Ok(match row {
            Some((absolute, percent_micros)) => Tolerance {
                absolute: Usd::from_nanos(absolute),
                percent: Decimal::new(percent_micros, 6).normalize(),
            },
            None => Tolerance::default(),
        })
    }

    async fn set_tolerance(
        &self,
        org_id: i64,
        tolerance: Tolerance,
        audit: &AuditEntry,
    ) -> Result<(), StorageError> {
        let micros = tolerance
            .percent
            .checked_mul(Decimal::from(1_000_000))
            .filter(|m| m.fract().is_zero())
            .and_then(|m| i64::try_from(m).ok())
            .ok_or_else(|| {
                StorageError::Conflict("the tolerance percent has more than 6 decimals".into())
            })?;
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO reconciliation_settings (org_id, tolerance_absolute_nanos, \
                 tolerance_percent_micros) VALUES ($1, $2, $3) ON CONFLICT (org_id) DO UPDATE SET \
                 tolerance_absolute_nanos = excluded.tolerance_absolute_nanos, \
                 tolerance_percent_micros = excluded.tolerance_percent_micros",
            )
            .bind(org_id)
            .bind(tolerance.absolute.to_nanos())
            .bind(micros)
            .execute(&mut *tx)
            .await?;
            audit_insert!(audit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, StorageError>(())
        })?;
        Ok(())
    }
}
