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
use otlp_receiver::{RecordKind, StoreOutcome};
use reconciler::{TokenCounts, Usd};

use super::rows::Columns;
use super::store::{SqlStore, with_pool};
use super::usage::UsageBatch;
use super::usage_rows::{
    EventRow, ROWS_PER_INSERT, RollupChanges, SERIES_UPSERT, TOKEN_COLUMNS, bind_event,
    contribution, contribution_of_row, event_insert_sql, nanos, rollup, series_state, signed,
};
use super::{Storage, StorageError, now_ms};

impl SqlStore {
    pub(super) async fn write_usage(
        &self,
        batches: &[UsageBatch<'_>],
    ) -> Result<Vec<StoreOutcome>, StorageError> {
        let backend = self.backend();
        let mut outcomes = vec![StoreOutcome::default(); batches.len()];
        let mut changes = RollupChanges::default();
        // Events first (deduplicated by key within the group), then metric fallbacks.
        let mut events: Vec<(usize, EventRow<'_>)> = Vec::new();
        let mut keys = HashSet::new();
        for (index, batch) in batches.iter().enumerate() {
            for record in batch.records {
                if !matches!(record.kind, RecordKind::Event { .. }) {
                    continue;
                }
                if !keys.insert((batch.org_id, record.idempotency_key.as_str())) {
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
                        c: contribution(record, &record.tokens, record.reported_cost)?,
                    },
                ));
            }
        }
        with_pool!(&self.pool, |p| {
            let mut tx = p.begin().await?;
            let mut new_keys: HashSet<(i64, String)> = HashSet::new();
            for chunk in events.chunks(ROWS_PER_INSERT) {
                let sql = event_insert_sql(chunk.len(), backend);
                let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
                for (_, row) in chunk {
                    query = bind_event!(query, row);
                }
                new_keys.extend(query.fetch_all(&mut *tx).await?);
            }
            let mut covered_now: HashSet<(i64, &str)> = HashSet::new();
            for (index, row) in &events {
                if !new_keys.contains(&(row.org_id, row.record.idempotency_key.clone())) {
                    outcomes[*index].duplicates += 1;
                    continue;
                }
                outcomes[*index].stored += 1;
                changes.add(row.org_id, &row.c, 1);
                let RecordKind::Event { covers } = &row.record.kind else {
                    continue;
                };
                for scope in covers {
                    if !covered_now.insert((row.org_id, scope.as_str())) {
                        continue;
                    }
                    let newly = sqlx::query(
                        "INSERT INTO usage_scopes (org_id, scope, covered_at_ms) VALUES ($1, $2, $3) \
                         ON CONFLICT (org_id, scope) DO NOTHING",
                    )
                    .bind(row.org_id)
                    .bind(scope)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                    if newly.rows_affected() == 0 {
                        continue;
                    }
                    // Metrics counted before the first event of this scope: take them back out.
                    let counted = sqlx::query(&format!(
                        "SELECT id, day, provider, tool, model, person, team, {TOKEN_COLUMNS}, reported_cost_nanos \
                         FROM usage_events WHERE org_id = $1 AND scope = $2 AND counted = 1"
                    ))
                    .bind(row.org_id)
                    .bind(scope)
                    .fetch_all(&mut *tx)
                    .await?;
                    for taken in &counted {
                        changes.add(row.org_id, &contribution_of_row(taken)?.negated(), -1);
                        sqlx::query("UPDATE usage_events SET counted = 0 WHERE id = $1")
                            .bind(taken.int("id")?)
                            .execute(&mut *tx)
                            .await?;
                    }
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
                    .bind(&record.idempotency_key)
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
                        c: contribution(record, &tokens, cost)?,
                    };
                    let sql = event_insert_sql(1, backend);
                    let inserted = bind_event!(sqlx::query_as::<_, (i64, String)>(&sql), row)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if inserted.is_none() {
                        outcomes[index].duplicates += 1;
                        continue;
                    }
                    outcomes[index].stored += 1;
                    if row.counted {
                        changes.add(org_id, &row.c, 1);
                    }
                }
            }
            for ((org_id, key), sums) in &changes.rows {
                rollup!(*org_id, key, sums).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StorageError>(())
        })?;
        Ok(outcomes)
    }
}
