//! The multi-row statements of the usage write path, built once per backend and size, and
//! how rows are cut into them.

use std::sync::OnceLock;

use super::Backend;
use super::sum_bounds::within_bounds;
use super::usage_rows::{EVENT_COLUMNS, ROLLUP_COLUMNS};
use super::usage_sums::{DAILY_COLUMNS, MONTHLY_COLUMNS};

/// Rows per multi-row statement at most (29 parameters at most each: within SQLite's and
/// PostgreSQL's limits).
pub(super) const ROWS_PER_STATEMENT: usize = 128;

/// Idempotent statements are padded to a multiple of this many rows.
const PAD_TO: usize = 16;

// Every distinct SQL text is a prepared statement in each connection's cache. With any size
// from 1 to 128 the cache kept evicting them, and re-preparing a statement of thousands of
// parameters cost more than running it; so statements come in a few sizes only. And each
// statement is a round trip to the database's thread, which on a busy machine costs more than
// the rows it carries; so a group takes as few statements as possible.

/// `items` in chunks of up to `ROWS_PER_STATEMENT`, each with the size of its statement: the
/// chunk's length rounded up to a multiple of 16. For statements where a row given twice does
/// what it does once (inserts that skip conflicts, lookups): `padded` fills the chunk up with
/// copies of its last row.
pub(super) fn padded_chunks<T>(items: &[T]) -> impl Iterator<Item = (&[T], usize)> {
    items
        .chunks(ROWS_PER_STATEMENT)
        .map(|chunk| (chunk, chunk.len().div_ceil(PAD_TO) * PAD_TO))
}

/// The rows of `chunk` followed by copies of its last one, `size` in all.
pub(super) fn padded<T>(chunk: &[T], size: usize) -> impl Iterator<Item = &T> {
    let padding = chunk
        .last()
        .into_iter()
        .cycle()
        .take(size.saturating_sub(chunk.len()));
    chunk.iter().chain(padding)
}

/// `items` in chunks whose sizes are powers of two (largest first): for statements where a
/// row must not be given twice (adding to rollups).
pub(super) fn exact_chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let size = 1 << items.len().min(ROWS_PER_STATEMENT).ilog2();
        let (chunk, rest) = items.split_at(size);
        items = rest;
        Some(chunk)
    })
}

/// A multi-row statement of the write path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum BatchSql {
    /// `SELECT idempotency_key FROM usage_events WHERE org_id = ? AND idempotency_key IN (…)`:
    /// which of these keys one organisation already has.
    ExistingKeys,
    /// `INSERT INTO usage_events … VALUES (…), (…) ON CONFLICT DO NOTHING`.
    InsertEvents,
    /// `INSERT INTO usage_scopes … ON CONFLICT DO NOTHING RETURNING org_id, scope`: the scopes
    /// returned are the ones an event covers for the first time.
    CoverScopes,
    /// `INSERT INTO usage_rollups … ON CONFLICT DO UPDATE` adding each row's summed change.
    AddToRollups,
    /// The same for `usage_daily`, the rollups summed per (day, provider, tool, model, label).
    AddToDaily,
    /// The same for `usage_monthly`, the rollups summed per month with the person and team.
    AddToMonthly,
    /// `INSERT INTO identity_links … ON CONFLICT DO NOTHING`.
    AddLinks,
}

const STATEMENTS: usize = 7;

impl BatchSql {
    fn index(self) -> usize {
        match self {
            BatchSql::ExistingKeys => 0,
            BatchSql::InsertEvents => 1,
            BatchSql::CoverScopes => 2,
            BatchSql::AddToRollups => 3,
            BatchSql::AddToDaily => 4,
            BatchSql::AddToMonthly => 5,
            BatchSql::AddLinks => 6,
        }
    }
}

/// The statement for `rows` rows (1 to `ROWS_PER_STATEMENT`), built on first use. SQLite gets
/// anonymous `?` placeholders: the driver resolves each `$N` by name, which costs time
/// proportional to the number of parameters for every one of them — quadratic in a multi-row
/// statement.
pub(super) fn batch_sql(which: BatchSql, rows: usize, backend: Backend) -> &'static str {
    static BUILT: [[OnceLock<String>; ROWS_PER_STATEMENT]; STATEMENTS * 2] =
        [const { [const { OnceLock::new() }; ROWS_PER_STATEMENT] }; STATEMENTS * 2];
    let statement = usize::from(backend == Backend::Postgres) * STATEMENTS + which.index();
    let size = rows.clamp(1, ROWS_PER_STATEMENT);
    BUILT[statement][size - 1].get_or_init(|| build(which, size, backend))
}

fn build(which: BatchSql, rows: usize, backend: Backend) -> String {
    let param = |n: usize| match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    };
    let values = |per_row: usize| {
        let rows: Vec<String> = (0..rows)
            .map(|row| {
                let params: Vec<String> = (1..=per_row).map(|i| param(row * per_row + i)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        rows.join(", ")
    };
    match which {
        BatchSql::ExistingKeys => {
            let keys: Vec<String> = (2..rows + 2).map(param).collect();
            format!(
                "SELECT idempotency_key FROM usage_events WHERE org_id = {} \
                 AND idempotency_key IN ({})",
                param(1),
                keys.join(", ")
            )
        }
        BatchSql::InsertEvents => format!(
            "INSERT INTO usage_events ({EVENT_COLUMNS}) VALUES {} \
             ON CONFLICT (org_id, idempotency_key) DO NOTHING",
            values(EVENT_COLUMNS.split(',').count())
        ),
        BatchSql::CoverScopes => format!(
            "INSERT INTO usage_scopes (org_id, scope, covered_at_ms) VALUES {} \
             ON CONFLICT (org_id, scope) DO NOTHING RETURNING org_id, scope",
            values(3)
        ),
        BatchSql::AddToRollups => {
            let sums: Vec<String> = ROLLUP_COLUMNS
                .split(", ")
                .skip(8)
                .map(|c| format!("{c} = usage_rollups.{c} + excluded.{c}"))
                .collect();
            format!(
                "INSERT INTO usage_rollups ({ROLLUP_COLUMNS}) VALUES {} \
                 ON CONFLICT (org_id, day, provider, tool, model, person, team, label) \
                 DO UPDATE SET {} WHERE {}",
                values(ROLLUP_COLUMNS.split(',').count()),
                sums.join(", "),
                within_bounds("usage_rollups", ROLLUP_COLUMNS, 8)
            )
        }
        BatchSql::AddToDaily => {
            let sums: Vec<String> = DAILY_COLUMNS
                .split(", ")
                .skip(6)
                .map(|c| format!("{c} = usage_daily.{c} + excluded.{c}"))
                .collect();
            format!(
                "INSERT INTO usage_daily ({DAILY_COLUMNS}) VALUES {} \
                 ON CONFLICT (org_id, day, provider, tool, model, label) DO UPDATE SET {} \
                 WHERE {}",
                values(DAILY_COLUMNS.split(',').count()),
                sums.join(", "),
                within_bounds("usage_daily", DAILY_COLUMNS, 6)
            )
        }
        BatchSql::AddToMonthly => {
            let sums: Vec<String> = MONTHLY_COLUMNS
                .split(", ")
                .skip(8)
                .map(|c| format!("{c} = usage_monthly.{c} + excluded.{c}"))
                .collect();
            format!(
                "INSERT INTO usage_monthly ({MONTHLY_COLUMNS}) VALUES {} \
                 ON CONFLICT (org_id, month, provider, tool, model, person, team, label) \
                 DO UPDATE SET {} WHERE {}",
                values(MONTHLY_COLUMNS.split(',').count()),
                sums.join(", "),
                within_bounds("usage_monthly", MONTHLY_COLUMNS, 8)
            )
        }
        BatchSql::AddLinks => format!(
            "INSERT INTO identity_links (org_id, account_id, email) VALUES {} \
             ON CONFLICT (org_id, account_id, email) DO NOTHING",
            values(3)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_chunks_are_powers_of_two_largest_first_and_cover_everything() {
        let items: Vec<usize> = (0..300).collect();
        let sizes: Vec<usize> = exact_chunks(&items).map(<[usize]>::len).collect();
        assert_eq!(sizes, [128, 128, 32, 8, 4]);
        let joined: Vec<usize> = exact_chunks(&items).flatten().copied().collect();
        assert_eq!(joined, items);
        assert_eq!(exact_chunks::<u8>(&[]).count(), 0);
    }

    #[test]
    fn padded_chunks_round_up_to_sixteen_with_copies_of_the_last_row() {
        let items: Vec<usize> = (0..150).collect();
        let chunks: Vec<(&[usize], usize)> = padded_chunks(&items).collect();
        assert_eq!(chunks.len(), 2);
        assert_eq!((chunks[0].0.len(), chunks[0].1), (128, 128));
        assert_eq!((chunks[1].0.len(), chunks[1].1), (22, 32));
        let rows: Vec<usize> = padded(chunks[1].0, chunks[1].1).copied().collect();
        let mut expected: Vec<usize> = (128..150).collect();
        expected.extend([149; 10]);
        assert_eq!(rows, expected);
        assert_eq!(padded_chunks::<u8>(&[]).count(), 0);
    }

    #[test]
    fn postgres_parameters_are_numbered_across_rows() {
        let sql = batch_sql(BatchSql::CoverScopes, 2, Backend::Postgres);
        assert!(
            sql.contains("VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT"),
            "{sql}"
        );
        let sql = batch_sql(BatchSql::ExistingKeys, 4, Backend::Postgres);
        assert!(
            sql.ends_with("org_id = $1 AND idempotency_key IN ($2, $3, $4, $5)"),
            "{sql}"
        );
    }

    #[test]
    fn sqlite_parameters_are_anonymous_and_rollups_add_every_sum() {
        let sql = batch_sql(BatchSql::AddToRollups, 1, Backend::Sqlite);
        assert_eq!(sql.matches('?').count(), 16, "{sql}");
        assert!(
            sql.contains("records = usage_rollups.records + excluded.records"),
            "{sql}"
        );
        assert!(
            sql.contains("reported_cost_nanos = usage_rollups.reported_cost_nanos + excluded.reported_cost_nanos WHERE"),
            "{sql}"
        );
        // Every sum is kept within bounds (see `within_bounds`).
        assert_eq!(sql.matches(" BETWEEN -").count(), 8, "{sql}");
    }
}
