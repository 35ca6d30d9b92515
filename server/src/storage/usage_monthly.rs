//! Reading the monthly sums (`usage_monthly`) for attribution: a month's stored rows, handed
//! over as one JSON value.
//!
//! A month by person is about three rows per person (one per model and label): 15,000 rows for
//! 5,000 people. The SQLite driver hands every row across from its thread on its own (about
//! 5 µs a row, 70 ms for such a month), and letting the database sum them first costs more
//! than it saves (the rows are nearly unique per person). So the database packs the stored rows
//! into one JSON array (about 25 ms for that month) that is parsed here in a few milliseconds,
//! and the caller sums them. By team, tool or model the database sums first: few rows remain.

use reconciler::{Month, Usd};

use super::store::{SqlStore, with_pool};
use super::usage::{UsageGroup, UsageRow};
use super::usage_rows::{TOKEN_COLUMNS, unsigned};
use super::{Backend, Storage, StorageError};

/// One stored row as packed: its month, the asked groups' values and the label, then the six
/// token counts, the reported nano-dollars and the records.
type Packed = (Vec<String>, [i64; 8]);

impl SqlStore {
    /// The monthly rows of the months `from..=to` with records, each carrying the values of
    /// `groups` (`Day` left out: months have none): as stored when `groups` has the person,
    /// else summed per month, `groups` and label.
    pub(super) async fn monthly_usage(
        &self,
        org_id: i64,
        (from, to): (Month, Month),
        groups: &[UsageGroup],
    ) -> Result<Vec<(Month, UsageRow)>, StorageError> {
        let groups: Vec<UsageGroup> = groups
            .iter()
            .copied()
            .filter(|g| *g != UsageGroup::Day)
            .collect();
        // Column names come from the closed set of groups, never from the request.
        let texts: Vec<&str> = ["month"]
            .into_iter()
            .chain(groups.iter().map(|g| g.as_str()))
            .chain(["label"])
            .collect();
        let amounts = format!("{TOKEN_COLUMNS}, reported_cost_nanos, records");
        let texts = texts.join(", ");
        let range = "org_id = $1 AND month >= $2 AND month <= $3";
        let source = if groups.contains(&UsageGroup::Person) {
            // Nearly one stored row per person and model: summing first would save little.
            format!("usage_monthly WHERE {range} AND records <> 0")
        } else {
            // Teams, tools and models collapse thousands of rows into a few: summed first.
            let sums: Vec<String> = amounts
                .split(", ")
                .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
                .collect();
            format!(
                "(SELECT {texts}, {} FROM usage_monthly WHERE {range} GROUP BY {texts} \
                 HAVING SUM(records) <> 0) AS summed",
                sums.join(", ")
            )
        };
        let packed = match self.backend() {
            Backend::Sqlite => format!(
                "SELECT json_group_array(json_array(json_array({texts}), json_array({amounts})))"
            ),
            Backend::Postgres => format!(
                "SELECT CAST(COALESCE(json_agg(json_build_array(json_build_array({texts}), \
                 json_build_array({amounts}))), '[]') AS TEXT)"
            ),
        };
        let select = format!("{packed} FROM {source}");
        let json: String = with_pool!(&self.pool, |p| {
            sqlx::query_scalar(&select)
                .bind(org_id)
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_one(p)
                .await
        })?;
        let rows: Vec<Packed> = serde_json::from_str(&json).map_err(|e| {
            StorageError::Conflict(format!("the monthly usage could not be read back: {e}"))
        })?;
        rows.into_iter()
            .map(|(texts, amounts)| unpack(&groups, texts, amounts))
            .collect()
    }
}

fn unpack(
    groups: &[UsageGroup],
    texts: Vec<String>,
    amounts: [i64; 8],
) -> Result<(Month, UsageRow), StorageError> {
    let bad = |what: String| StorageError::Conflict(format!("usage_monthly holds {what}"));
    let mut texts = texts.into_iter();
    let month = texts.next().unwrap_or_default();
    let month = Month::parse(&month).map_err(|e| bad(format!("a bad month: {e}")))?;
    let values: Vec<String> = texts.by_ref().take(groups.len()).collect();
    let label = texts
        .next()
        .ok_or_else(|| bad("a row without its label".into()))?;
    if values.len() != groups.len() {
        return Err(bad("a row without all its key columns".into()));
    }
    let [
        input,
        cache_read,
        write_5m,
        write_1h,
        output,
        reasoning,
        cost,
        records,
    ] = amounts;
    let row = UsageRow {
        groups: groups.iter().copied().zip(values).collect(),
        reported_cost: (label == "reported").then(|| Usd::from_nanos(cost)),
        label,
        records,
        tokens: unsigned([input, cache_read, write_5m, write_1h, output, reasoning]),
    };
    Ok((month, row))
}
