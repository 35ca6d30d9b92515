//! The bound on stored sums: how large a daily, monthly or per-person sum may grow, the condition
//! the sums' upserts carry, and the error when a record would take one past it (a permanent
//! fault of that record, which the writer rejects rather than retries).

use super::StorageError;
use super::usage_rows::RollupSums;

/// The largest magnitude a stored sum (records, tokens of a kind, nano-dollars) may reach in
/// one daily, monthly or per-person row: 2^55, about 36 million dollars or 3.6 × 10^16 tokens. Far
/// above any real organisation's day, and low enough that summing a year of such rows for a
/// report cannot overflow 64 bits.
pub const MAX_STORED_SUM: i64 = 1 << 55;

/// The kinds of stored sum, by what one row sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SumRow {
    /// A person's usage of a model on a day (`usage_rollups`).
    PersonDay,
    /// Everyone's usage of a model on a day (`usage_daily`).
    ModelDay,
    /// A person's usage of a model in a month (`usage_monthly`).
    PersonMonth,
}

/// Why records that would take a stored sum out of bounds are refused.
pub const SUM_OVERFLOW: &str = "storing this record would take a daily or monthly sum of reckon \
    past 2^55 (tokens, records or nano-dollars); it is not stored";

/// Whether a change is itself beyond what a stored sum may hold.
pub(super) fn out_of_bounds(sums: &RollupSums) -> bool {
    let (records, tokens, cost) = sums;
    std::iter::once(records)
        .chain(tokens)
        .chain(std::iter::once(cost))
        .any(|v| v.unsigned_abs() > MAX_STORED_SUM.unsigned_abs())
}

/// An upsert of sums of `kind` changed every row it was given, or one would have left the
/// bounds (the caller's transaction is then dropped, which rolls it back).
pub(super) fn all_rows_changed(
    affected: u64,
    rows: usize,
    kind: SumRow,
) -> Result<(), StorageError> {
    match affected == rows as u64 {
        true => Ok(()),
        false => Err(StorageError::SumOverflow(kind)),
    }
}

/// The condition of a sums upsert: every sum stays within [`MAX_STORED_SUM`] either way. A row
/// it fails is left as it is and not counted as affected, which the writer checks. (Stored sums
/// and changes are both within the bound, so the additions cannot overflow.)
pub(super) fn within_bounds(table: &str, columns: &str, keys: usize) -> String {
    columns
        .split(", ")
        .skip(keys)
        .map(|c| {
            format!("{table}.{c} + excluded.{c} BETWEEN -{MAX_STORED_SUM} AND {MAX_STORED_SUM}")
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}
