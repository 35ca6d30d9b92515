//! Storing usage records exactly once, with their daily rollups, in one transaction per group
//! of exports.
//!
//! Events count; a metric record (fallback) counts only while no event covers its scope. When
//! the first event of a scope arrives, the fallbacks already counted there are taken back out of
//! the rollups, so the same usage is never counted twice whatever order exports arrive in.
//! Events go in with multi-row inserts whose `RETURNING` names the new ones; rollup changes are
//! summed per rollup row and applied once per transaction.

use std::collections::HashSet;

use otlp_receiver::cumulative::{Advance, SeriesState, advance};
use otlp_receiver::{IdempotencyKey, RecordKind, StoreOutcome};
use reconciler::{TokenCounts, Usd};

use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::sum_bounds::{SumRow, all_rows_changed, out_of_bounds};
use super::usage::UsageBatch;
use super::usage_rows::{
    EventRow, RollupChanges, SERIES_UPSERT, TOKEN_COLUMNS, bind_event, bind_rollup, contribution,
    contribution_of_row, nanos, series_state, signed,
};
use super::usage_sql::{BatchSql, batch_sql, exact_chunks, padded, padded_chunks};
use super::usage_sums::{
    BUMP_USAGE_VERSION, IdentityLinks, as_keyed, daily_changes, monthly_changes,
};
use super::{Backend, Storage, StorageError, now_ms};

/// Whether the event path looks up which keys are already stored before inserting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// Insert straight away; a key already stored makes the attempt give up (`Ok(None)`).
    Never,
    /// Look up first and insert only the new ones.
    First,
}

impl SqlStore {
    pub(super) async fn write_usage(
        &self,
        batches: &[UsageBatch<'_>],
    ) -> Result<Vec<StoreOutcome>, StorageError> {
        // Almost every export is new, so its events are inserted straight away; only when that
        // meets one already stored (a re-sent export) is the transaction rolled back and done
        // again, looking up first which are stored. Each statement is a round trip to the
        // database's thread, and on a busy machine the round trips cost more than the rows.
        if let Some(outcomes) = self.write_usage_with(batches, Lookup::Never).await? {
            return Ok(outcomes);
        }
        self.write_usage_with(batches, Lookup::First)
            .await?
            // Only a second writer on the same PostgreSQL database, storing the same records
            // between the lookup and the insert, gets here. The group is rolled back and the
            // export answered "unavailable", so it is retried.
            .ok_or_else(|| {
                StorageError::Conflict(
                    "another writer stored some of these records at the same moment".into(),
                )
            })
    }

    async fn write_usage_with(
        &self,
        batches: &[UsageBatch<'_>],
        lookup: Lookup,
    ) -> Result<Option<Vec<StoreOutcome>>, StorageError> {
        let backend = self.backend();
        let mut outcomes = vec![StoreOutcome::default(); batches.len()];
        let mut changes = RollupChanges::default();
        let mut links = IdentityLinks::default();
        let received_at_ms = now_ms();
        // Events first (deduplicated by key within the group), then metric fallbacks.
        let mut events: Vec<(usize, EventRow<'_>)> = Vec::new();
        let mut keys = HashSet::new();
        for (index, batch) in batches.iter().enumerate() {
            for record in batch.records {
                if !matches!(record.kind, RecordKind::Event { .. }) {
                    continue;
                }
                if !keys.insert((batch.org_id, record.idempotency_key)) {
                    outcomes[index].duplicates += 1;
                    continue;
                }
                events.push((
                    index,
                    EventRow {
                        org_id: batch.org_id,
                        key_id: batch.telemetry_key_id,
                        record,
                        kind: "event",
                        scope: "",
                        counted: true,
                        occurred: nanos(record.occurred_at_ns)?,
                        received_at_ms,
                        c: contribution(record, &record.tokens, record.reported_cost)?,
                    },
                ));
            }
        }
        // Grouped by organisation: the lookup of already stored keys is per organisation.
        events.sort_by_key(|(_, row)| row.org_id);
        // SQLite: take the write lock at BEGIN. A deferred transaction that reads first fails
        // with "database is locked" (without waiting) when another connection commits before
        // its first write.
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let covered = with_pool!(&self.pool, |p| {
            let mut tx = p.begin_with(begin).await?;
            let mut new_keys: HashSet<(i64, IdempotencyKey)> = HashSet::new();
            for org_events in events.chunk_by(|a, b| a.1.org_id == b.1.org_id) {
                for (chunk, size) in padded_chunks(org_events) {
                    let org_id = chunk[0].1.org_id;
                    // Which of these a re-sent export already stored: one answer per chunk,
                    // where a `RETURNING` would stream back every new row.
                    let mut existing: HashSet<Vec<u8>> = HashSet::new();
                    if lookup == Lookup::First {
                        let sql = batch_sql(BatchSql::ExistingKeys, size, backend);
                        let mut query = sqlx::query_scalar::<_, Vec<u8>>(sql).bind(org_id);
                        for (_, row) in padded(chunk, size) {
                            query = query.bind(row.record.idempotency_key.as_bytes());
                        }
                        existing.extend(query.fetch_all(&mut *tx).await?);
                    }
                    let fresh: Vec<&EventRow<'_>> = chunk
                        .iter()
                        .map(|(_, row)| row)
                        .filter(|row| !existing.contains(row.record.idempotency_key.as_bytes()))
                        .collect();
                    for (part, size) in padded_chunks(&fresh) {
                        let mut query =
                            sqlx::query(batch_sql(BatchSql::InsertEvents, size, backend));
                        for row in padded(part, size) {
                            query = bind_event!(query, row);
                        }
                        // The copies padding the statement conflict with their original and
                        // are skipped: only the part's own rows count.
                        let inserted = query.execute(&mut *tx).await?.rows_affected();
                        if inserted != part.len() as u64 {
                            // Dropping the transaction rolls it back.
                            return Ok(None);
                        }
                    }
                    new_keys.extend(fresh.iter().map(|row| (org_id, row.record.idempotency_key)));
                }
            }
            // The scopes the new events cover, each once.
            let mut covered: Vec<(i64, &str)> = Vec::new();
            let mut seen: HashSet<(i64, &str)> = HashSet::new();
            for (index, row) in &events {
                if !new_keys.contains(&(row.org_id, row.record.idempotency_key)) {
                    outcomes[*index].duplicates += 1;
                    continue;
                }
                outcomes[*index].stored += 1;
                changes.add(row.org_id, &row.c, 1);
                links.add(row.org_id, &row.record.identity);
                if let RecordKind::Event { covers } = &row.record.kind {
                    for scope in covers {
                        if seen.insert((row.org_id, scope))
                            && !self.covered_scopes.contains(row.org_id, scope)
                        {
                            covered.push((row.org_id, scope));
                        }
                    }
                }
            }
            let mut newly_covered: Vec<(i64, String)> = Vec::new();
            for (chunk, size) in padded_chunks(&covered) {
                let sql = batch_sql(BatchSql::CoverScopes, size, backend);
                let mut query = sqlx::query_as::<_, (i64, String)>(sql);
                for (org_id, scope) in padded(chunk, size) {
                    query = query.bind(*org_id).bind(*scope).bind(received_at_ms);
                }
                newly_covered.extend(query.fetch_all(&mut *tx).await?);
            }
            for (org_id, scope) in &newly_covered {
                // Metrics counted before the first event of this scope: take them back out.
                // The conditions repeat those of the partial index that serves this lookup.
                let counted = sqlx::query(&format!(
                    "SELECT id, day, provider, tool, model, person, team, {TOKEN_COLUMNS}, reported_cost_nanos \
                     FROM usage_events WHERE org_id = $1 AND scope = $2 \
                     AND counted = 1 AND kind <> 'event'"
                ))
                .bind(org_id)
                .bind(scope)
                .fetch_all(&mut *tx)
                .await?;
                for taken in &counted {
                    changes.add(*org_id, &contribution_of_row(taken)?.negated(), -1);
                    sqlx::query("UPDATE usage_events SET counted = 0 WHERE id = $1")
                        .bind(taken.int("id")?)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for (index, batch) in batches.iter().enumerate() {
                let org_id = batch.org_id;
                for record in batch.records {
                    let (RecordKind::Fallback { scope }
                    | RecordKind::CumulativeFallback { scope, .. }) = &record.kind
                    else {
                        continue;
                    };
                    let exists: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM usage_events WHERE org_id = $1 AND idempotency_key = $2",
                    )
                    .bind(org_id)
                    .bind(record.idempotency_key.as_bytes())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if exists.is_some() {
                        outcomes[index].duplicates += 1;
                        continue;
                    }
                    let (tokens, cost, kind) = match &record.kind {
                        RecordKind::CumulativeFallback {
                            series,
                            start_time_ns,
                            ..
                        } => {
                            let previous = sqlx::query(&format!(
                                "SELECT start_time_ns, time_ns, {TOKEN_COLUMNS}, reported_cost_nanos \
                                 FROM metric_series WHERE org_id = $1 AND series = $2"
                            ))
                            .bind(org_id)
                            .bind(series)
                            .fetch_optional(&mut *tx)
                            .await?;
                            let previous = previous.as_ref().map(series_state).transpose()?;
                            let next = SeriesState {
                                start_time_ns: *start_time_ns,
                                time_ns: record.occurred_at_ns,
                                tokens: record.tokens,
                                cost: record.reported_cost,
                            };
                            let Advance::Increment {
                                tokens,
                                cost,
                                state,
                            } = advance(previous, next)
                            else {
                                outcomes[index].duplicates += 1;
                                continue;
                            };
                            let totals = signed(&state.tokens)?;
                            sqlx::query(SERIES_UPSERT)
                                .bind(org_id)
                                .bind(series)
                                .bind(nanos(state.start_time_ns)?)
                                .bind(nanos(state.time_ns)?)
                                .bind(totals[0])
                                .bind(totals[1])
                                .bind(totals[2])
                                .bind(totals[3])
                                .bind(totals[4])
                                .bind(totals[5])
                                .bind(state.cost.map(Usd::to_nanos))
                                .execute(&mut *tx)
                                .await?;
                            // A total that did not move adds nothing to count.
                            if tokens == TokenCounts::default() && cost.is_none_or(Usd::is_zero) {
                                outcomes[index].duplicates += 1;
                                continue;
                            }
                            (tokens, cost, "cumulative")
                        }
                        _ => (record.tokens, record.reported_cost, "fallback"),
                    };
                    let covered: Option<i64> = if scope.is_empty() {
                        None
                    } else {
                        sqlx::query_scalar(
                            "SELECT org_id FROM usage_scopes WHERE org_id = $1 AND scope = $2",
                        )
                        .bind(org_id)
                        .bind(scope)
                        .fetch_optional(&mut *tx)
                        .await?
                    };
                    let row = EventRow {
                        org_id,
                        key_id: batch.telemetry_key_id,
                        record,
                        kind,
                        scope,
                        counted: covered.is_none(),
                        occurred: nanos(record.occurred_at_ns)?,
                        received_at_ms,
                        c: contribution(record, &tokens, cost)?,
                    };
                    let sql = batch_sql(BatchSql::InsertEvents, 1, backend);
                    let inserted = bind_event!(sqlx::query(sql), row)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if inserted == 0 {
                        outcomes[index].duplicates += 1;
                        continue;
                    }
                    outcomes[index].stored += 1;
                    links.add(org_id, &record.identity);
                    if row.counted {
                        changes.add(org_id, &row.c, 1);
                    }
                }
            }
            let rollups: Vec<_> = changes.rows().collect();
            let daily = daily_changes(&rollups);
            let monthly = monthly_changes(&rollups);
            for (kind, over) in [
                (
                    SumRow::PersonDay,
                    rollups.iter().any(|(_, _, s)| out_of_bounds(s)),
                ),
                (
                    SumRow::ModelDay,
                    daily.iter().any(|(_, _, s)| out_of_bounds(s)),
                ),
                (
                    SumRow::PersonMonth,
                    monthly.iter().any(|(_, _, s)| out_of_bounds(s)),
                ),
            ] {
                if over {
                    return Err(StorageError::SumOverflow(kind));
                }
            }
            for chunk in exact_chunks(&rollups) {
                let mut query =
                    sqlx::query(batch_sql(BatchSql::AddToRollups, chunk.len(), backend));
                for (org_id, key, sums) in chunk {
                    query = bind_rollup!(query, *org_id, key, sums);
                }
                let affected = query.execute(&mut *tx).await?.rows_affected();
                all_rows_changed(affected, chunk.len(), SumRow::PersonDay)?;
            }
            for (which, kind, rows) in [
                (BatchSql::AddToDaily, SumRow::ModelDay, as_keyed(&daily)),
                (
                    BatchSql::AddToMonthly,
                    SumRow::PersonMonth,
                    as_keyed(&monthly),
                ),
            ] {
                for chunk in exact_chunks(&rows) {
                    let mut query = sqlx::query(batch_sql(which, chunk.len(), backend));
                    for (org_id, key, sums) in chunk {
                        query = query.bind(*org_id);
                        for field in *key {
                            query = query.bind(*field);
                        }
                        query = query
                            .bind(sums.0)
                            .bind(sums.1[0])
                            .bind(sums.1[1])
                            .bind(sums.1[2])
                            .bind(sums.1[3])
                            .bind(sums.1[4])
                            .bind(sums.1[5])
                            .bind(sums.2);
                    }
                    let affected = query.execute(&mut *tx).await?.rows_affected();
                    all_rows_changed(affected, chunk.len(), kind)?;
                }
            }
            let links = links.rows();
            // Every organisation whose sums or identity links this transaction changed moves
            // its counter on.
            let changed: std::collections::BTreeSet<i64> = rollups
                .iter()
                .map(|(org_id, ..)| *org_id)
                .chain(links.iter().map(|(org_id, ..)| *org_id))
                .collect();
            for org_id in changed {
                sqlx::query(BUMP_USAGE_VERSION)
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for (chunk, size) in padded_chunks(&links) {
                let mut query = sqlx::query(batch_sql(BatchSql::AddLinks, size, backend));
                for (org_id, id, email) in padded(chunk, size) {
                    query = query.bind(*org_id).bind(*id).bind(*email);
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StorageError>(covered)
        })?;
        self.covered_scopes.remember(covered);
        Ok(Some(outcomes))
    }
}
