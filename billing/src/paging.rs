//! Reading a bucketed report page by page: the paging loop, its cursor guards, and merging of
//! rows that arrive more than once.

use std::collections::HashSet;
use std::collections::hash_map::{Entry, HashMap};

use reconciler::UtcDay;
use serde::de::DeserializeOwned;

use crate::http::HttpClient;
use crate::query::Query;
use crate::{BillingError, BillingLine, DayRange, Progress};

/// One page of a report in provider-neutral form: rows by the UTC day of their bucket.
#[derive(Debug)]
pub(crate) struct Page<R> {
    pub(crate) buckets: Vec<(UtcDay, Vec<R>)>,
    pub(crate) has_more: bool,
    pub(crate) next_page: Option<String>,
}

/// A provider's page body that can be read as a [`Page`] (fails on an unreadable bucket time).
pub(crate) trait IntoPage {
    type Row;
    fn into_page(self) -> Result<Page<Self::Row>, String>;
}

/// What one pull has gathered so far, and whom to tell.
pub(crate) struct Session<'a> {
    pub(crate) requests: u32,
    pub(crate) lines: Lines,
    progress: &'a dyn Progress,
}

impl<'a> Session<'a> {
    pub(crate) fn new(progress: &'a dyn Progress) -> Session<'a> {
        Session {
            requests: 0,
            lines: Lines::default(),
            progress,
        }
    }

    /// Reports that the pull has read through `through` (requests and lines so far).
    pub(crate) fn advanced(&self, through: UtcDay) {
        self.progress
            .advanced(through, self.requests, self.lines.len());
    }
}

/// An endpoint: the request path under the base URL, and the documented path that names it in
/// messages and in [`BillingLine::source`] (they differ where the base URL carries `/v1`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Endpoint {
    pub(crate) path: &'static str,
    pub(crate) name: &'static str,
}

/// Reads every page of an endpoint for the days of `chunk` (the query stays identical, only `page`
/// changes), converting each row into lines. `convert` errors name what was wrong with a row;
/// they become [`BillingError::Malformed`] naming the endpoint.
pub(crate) async fn read_pages<W>(
    http: &HttpClient,
    session: &mut Session<'_>,
    endpoint: Endpoint,
    query: &Query,
    chunk: DayRange,
    mut convert: impl FnMut(UtcDay, W::Row) -> Result<Vec<BillingLine>, String> + Send,
) -> Result<(), BillingError>
where
    W: DeserializeOwned + IntoPage + Send,
    W::Row: Send,
{
    let mut cursor = Cursor::default();
    let mut page: Option<String> = None;
    loop {
        let body: W = http
            .get_json(endpoint.path, query, page.as_deref(), &mut session.requests)
            .await?;
        let current = body
            .into_page()
            .map_err(|problem| BillingError::malformed(endpoint.name, problem))?;
        let mut through = chunk.from;
        for (day, rows) in current.buckets {
            through = through.max(day);
            for row in rows {
                let lines = convert(day, row).map_err(|problem| {
                    BillingError::malformed(endpoint.name, format!("bucket {day}: {problem}"))
                })?;
                for line in lines {
                    session.lines.push(line)?;
                }
            }
        }
        page = cursor.next(endpoint.name, current.has_more, current.next_page)?;
        if page.is_none() {
            through = through.max(chunk.to);
        }
        session
            .progress
            .advanced(through, session.requests, session.lines.len());
        if page.is_none() {
            return Ok(());
        }
    }
}

/// Follows `has_more`/`next_page` cursors and refuses the ways a provider can make a pager
/// loop forever or stop early without saying so.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    seen: HashSet<String>,
}

impl Cursor {
    /// The cursor for the next page, `None` when the provider says there is none.
    pub(crate) fn next(
        &mut self,
        endpoint: &str,
        has_more: bool,
        next_page: Option<String>,
    ) -> Result<Option<String>, BillingError> {
        if !has_more {
            return Ok(None);
        }
        let Some(cursor) = next_page.filter(|c| !c.is_empty()) else {
            return Err(BillingError::malformed(
                endpoint,
                "has_more is true but next_page is missing: the last page is truncated",
            ));
        };
        if !self.seen.insert(cursor.clone()) {
            return Err(BillingError::malformed(
                endpoint,
                "next_page repeats a cursor already followed; stopping instead of looping",
            ));
        }
        Ok(Some(cursor))
    }
}

/// Collects lines, merging those with the same natural key: an exact repeat (the same row
/// served twice across a page boundary) is dropped; rows that differ are added together (the
/// provider split a group by a dimension reckon did not ask for), so no money is lost.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    lines: Vec<BillingLine>,
    index: HashMap<String, usize>,
}

impl Lines {
    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    pub(crate) fn push(&mut self, line: BillingLine) -> Result<(), BillingError> {
        match self.index.entry(line.natural_key.clone()) {
            Entry::Vacant(slot) => {
                slot.insert(self.lines.len());
                self.lines.push(line);
            }
            Entry::Occupied(slot) => {
                let kept = &mut self.lines[*slot.get()];
                if *kept == line {
                    return Ok(());
                }
                let overflow = || BillingError::Malformed {
                    message: format!("{}: merged amounts overflow", line.source),
                };
                kept.tokens = kept.tokens.checked_add(&line.tokens).ok_or_else(overflow)?;
                kept.amount = match (kept.amount, line.amount) {
                    (Some(a), Some(b)) => Some(a.checked_add(b).ok_or_else(overflow)?),
                    (a, b) => a.or(b),
                };
            }
        }
        Ok(())
    }

    pub(crate) fn into_vec(self) -> Vec<BillingLine> {
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CostType;
    use reconciler::{Provider, TokenCounts, Usd, UtcDay};

    fn line(key: &str, cents: &str, input: u64) -> BillingLine {
        BillingLine {
            day: UtcDay::parse("2026-01-01").unwrap(),
            provider: Provider::Anthropic,
            model: String::new(),
            workspace: String::new(),
            api_key: String::new(),
            person: String::new(),
            service_tier: String::new(),
            description: String::new(),
            cost_type: CostType::Tokens,
            tokens: TokenCounts {
                input,
                ..TokenCounts::default()
            },
            amount: Some(Usd::parse_cents(cents).unwrap()),
            estimate: false,
            source: "/x".into(),
            natural_key: key.into(),
        }
    }

    #[test]
    fn cursor_refuses_truncation_and_loops() {
        let mut cursor = Cursor::default();
        assert_eq!(cursor.next("/x", false, Some("a".into())).unwrap(), None);
        assert_eq!(
            cursor.next("/x", true, Some("a".into())).unwrap(),
            Some("a".into())
        );
        assert!(matches!(
            cursor.next("/x", true, Some("a".into())),
            Err(BillingError::Malformed { .. })
        ));
        assert!(matches!(
            cursor.next("/x", true, None),
            Err(BillingError::Malformed { .. })
        ));
    }

    #[test]
    fn repeats_are_dropped_and_splits_are_added() {
        let mut lines = Lines::default();
        lines.push(line("a", "100", 5)).unwrap();
        lines.push(line("a", "100", 5)).unwrap();
        lines.push(line("b", "1", 1)).unwrap();
        lines.push(line("b", "2", 2)).unwrap();
        let lines = lines.into_vec();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].amount, Some(Usd::parse_dollars("1").unwrap()));
        assert_eq!(lines[1].amount, Some(Usd::parse_dollars("0.03").unwrap()));
        assert_eq!(lines[1].tokens.input, 3);
    }
}
