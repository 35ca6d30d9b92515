//! Spend → Attribution in the web UI: the attribution API's rows for a UTC date range and one
//! dimension, summed per group across labels, largest first, a page at a time.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use reconciler::UtcDay;
use serde::Deserialize;
use std::collections::BTreeMap;

use reconciler::{TokenCounts, Usd};
use web::Notice;
use web::attribution::{Attribution, AttributionRow, GROUPS, PAGE_SIZE};

use super::data::viewer;
use crate::Error;
use crate::auth::Actor;
use crate::http::AppState;
use crate::http::attribution::UNATTRIBUTED;
use crate::http::extract::Query;
use crate::spend::PricedUsage;
use crate::storage::UsageGroup;

#[derive(Deserialize, Debug, Default)]
pub(crate) struct AttributionQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    /// 1-based; the first page when absent or out of range.
    page: Option<usize>,
}

/// One group's sums across both labels.
#[derive(Default)]
struct Sums {
    records: i64,
    tokens: TokenCounts,
    reported: Option<Usd>,
    estimated: Option<Usd>,
    unpriced_tokens: u64,
}

impl Sums {
    fn add(&mut self, row: &PricedUsage) {
        let add = |a: Option<Usd>, b: Option<Usd>| match (a, b) {
            (Some(a), Some(b)) => a.checked_add(b),
            (a, b) => a.or(b),
        };
        self.records = self.records.saturating_add(row.records);
        self.tokens = self.tokens.saturating_add(&row.tokens);
        self.reported = add(self.reported, row.reported);
        self.estimated = add(self.estimated, row.estimated);
        self.unpriced_tokens = self.unpriced_tokens.saturating_add(row.unpriced_tokens);
    }

    fn total(&self) -> Usd {
        let reported = self.reported.unwrap_or(Usd::ZERO);
        reported
            .checked_add(self.estimated.unwrap_or(Usd::ZERO))
            .unwrap_or(reported)
    }

    fn row(&self, key: String) -> AttributionRow {
        AttributionRow {
            key,
            records: self.records,
            tokens: self.tokens.total().unwrap_or(u64::MAX),
            reported_usd: self.reported.map(|usd| usd.to_string()),
            estimated_usd: self.estimated.map(|usd| usd.to_string()),
            total_usd: self.total().to_string(),
            unpriced_tokens: self.unpriced_tokens,
        }
    }
}

/// The priced rows (one group, both labels) as the page shows them: per group, largest spend
/// (reported plus estimated) first, page `page` of `PAGE_SIZE` (clamped to the pages there are).
fn attribution(rows: &[PricedUsage], page: usize) -> Attribution {
    let mut groups: BTreeMap<&str, Sums> = BTreeMap::new();
    let mut all = Sums::default();
    for row in rows {
        let key = row.groups.first().map_or("", |(_, value)| value.as_str());
        groups.entry(key).or_default().add(row);
        all.add(row);
    }
    let mut list: Vec<(&str, Sums)> = groups.into_iter().collect();
    // Largest first; ties in name order, so pages are stable.
    list.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(b.0)));
    let pages = list.len().div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    Attribution {
        top: list
            .iter()
            .take(10)
            .map(|(key, sums)| ((*key).to_owned(), sums.total().to_string()))
            .collect(),
        unattributed_usd: list
            .iter()
            .find(|(key, _)| *key == UNATTRIBUTED)
            .map(|(_, sums)| sums.total().to_string()),
        rows: list
            .iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|(key, sums)| sums.row((*key).to_owned()))
            .collect(),
        totals: all.row(String::new()),
        groups: list.len(),
        page,
        pages,
    }
}

/// `GET /spend/attribution?from=DAY&to=DAY&group_by=person|team|model|tool` (the current UTC
/// month by person by default).
pub(crate) async fn page(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<AttributionQuery>,
) -> Result<Response, Error> {
    let month = crate::integrations::today().month();
    let mut notice = None;
    let mut day = |text: Option<&str>, default: UtcDay, name: &str| match text.map(UtcDay::parse) {
        None => default,
        Some(Ok(day)) => day,
        Some(Err(e)) => {
            notice = Some(Notice::Error(format!("{name}: {e}; write YYYY-MM-DD")));
            default
        }
    };
    let from = day(query.from.as_deref(), month.first_day(), "from");
    let to = day(query.to.as_deref(), month.last_day(), "to");
    let group = query
        .group_by
        .filter(|g| GROUPS.iter().any(|(value, _)| value == g))
        .unwrap_or_else(|| "person".to_owned());
    let dimension = UsageGroup::ALL
        .into_iter()
        .find(|g| g.as_str() == group)
        .unwrap_or(UsageGroup::Person);
    let rows = if from > to {
        Err(format!("from ({from}) is after to ({to})"))
    } else {
        super::super::attribution::attributed_rows(&state, actor.org_id, (from, to), &[dimension])
            .await
            .map(|rows| attribution(&rows, query.page.unwrap_or(1)))
            .map_err(|e| e.to_string())
    };
    let status = if notice.is_some() || rows.is_err() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let viewer = viewer(&state, &actor).await?;
    let html = web::attribution::page(
        viewer,
        (&from.to_string(), &to.to_string()),
        &group,
        rows,
        notice,
    );
    Ok((status, Html(html)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::UsageGroup;

    fn priced(
        key: &str,
        label: &str,
        reported: Option<&str>,
        estimated: Option<&str>,
    ) -> PricedUsage {
        let usd = |text: Option<&str>| text.map(|t| Usd::parse_dollars(t).unwrap());
        PricedUsage {
            groups: vec![(UsageGroup::Person, key.to_owned())],
            label: label.to_owned(),
            records: 1,
            tokens: TokenCounts {
                input: 10,
                ..TokenCounts::default()
            },
            reported: usd(reported),
            estimated: usd(estimated),
            unpriced_tokens: 0,
        }
    }

    #[test]
    fn groups_sum_both_labels_largest_first_with_totals_and_the_unattributed_bucket() {
        let mut rows = vec![
            priced("ann@x", "reported", Some("1.5"), None),
            priced("ann@x", "estimated", None, Some("0.25")),
            priced("bob@x", "estimated", None, Some("2")),
            priced(UNATTRIBUTED, "reported", Some("0.1"), None),
        ];
        // 250 more people spending less, to fill three pages.
        for i in 0..250 {
            rows.push(priced(
                &format!("p{i:03}@x"),
                "estimated",
                None,
                Some("0.01"),
            ));
        }
        let first = attribution(&rows, 1);
        assert_eq!((first.groups, first.page, first.pages), (253, 1, 3));
        assert_eq!(first.rows.len(), PAGE_SIZE);
        let keys: Vec<&str> = first.rows.iter().take(4).map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["bob@x", "ann@x", UNATTRIBUTED, "p000@x"]);
        let ann = &first.rows[1];
        assert_eq!(
            (
                ann.reported_usd.as_deref(),
                ann.estimated_usd.as_deref(),
                ann.total_usd.as_str()
            ),
            (Some("1.50"), Some("0.25"), "1.75")
        );
        assert_eq!((ann.records, ann.tokens), (2, 20));
        assert_eq!(first.unattributed_usd.as_deref(), Some("0.10"));
        assert_eq!(first.top.len(), 10);
        // 1.5 + 0.1 reported; 0.25 + 2 + 250 × 0.01 estimated.
        assert_eq!(first.totals.reported_usd.as_deref(), Some("1.60"));
        assert_eq!(first.totals.estimated_usd.as_deref(), Some("4.75"));
        assert_eq!(first.totals.total_usd, "6.35");
        let last = attribution(&rows, 99);
        assert_eq!((last.page, last.rows.len()), (3, 53));
        assert_eq!(last.rows.last().map(|r| r.key.as_str()), Some("p249@x"));
    }
}
