//! The Cursor source: which requests a pull makes, in what order, within Cursor's rate limit,
//! and the guards on its page-number paging.

use std::sync::Arc;
use std::time::Duration;

use reconciler::{Provider, UtcDay};
use serde_json::json;

use super::convert::{EventTotals, SPEND, USAGE_EVENTS, day_of_epoch_ms, spend_line};
use super::wire::{EventsPage, SpendPage};
use super::{REQUESTS_PER_MINUTE, check_api_key};
use crate::days::months_before;
use crate::http::{Auth, HttpClient};
use crate::paging::Session;
use crate::{BillingError, BillingSource, DayRange, HttpSettings, Pacer, Progress, Pulled, Secret};

/// Days per usage-events request: the documented 30-day maximum range of the admin reports.
const MAX_WINDOW_DAYS: u32 = 30;
/// Events per page. The default is 10, far too few under 20 requests a minute; third parties
/// report 1000 accepted. A server that serves fewer per page is still read to the end.
const EVENTS_PAGE_SIZE: u32 = 1000;
/// Members per `/teams/spend` page (no maximum documented).
const SPEND_PAGE_SIZE: u32 = 100;
/// Cursor states no retention; a first backfill asks for a year.
const BACKFILL_MONTHS: u32 = 12;
/// A bound on pages per window, so a provider bug cannot page forever.
const MAX_PAGES: u32 = 10_000;
/// Reads of one window when events arrive while it is read (its total changes): the first
/// and two more. Pages shift under a reader when newer events are prepended.
const WINDOW_READS: u32 = 3;
/// Cursor's minute window plus a second of margin, so that network delays cannot land 21
/// requests within one minute on Cursor's side.
const PACER_WINDOW: Duration = Duration::from_secs(61);

/// Reads a Cursor team's usage events and cycle spend with an Admin API key.
#[derive(Debug)]
pub struct CursorSource {
    http: HttpClient,
}

/// How reading one window of events ended.
enum Window {
    Complete(EventTotals),
    /// `totalUsageEventsCount` changed between the first and the last page.
    Changed {
        first: u64,
        last: u64,
    },
}

fn malformed(endpoint: &str, problem: impl std::fmt::Display) -> BillingError {
    BillingError::malformed_response(&format!("POST {endpoint}"), problem)
}

/// Epoch milliseconds of the day's first instant.
fn epoch_ms(day: UtcDay) -> i64 {
    i64::try_from(day.start_unix_nanos() / 1_000_000).expect("UtcDay is within i64 ms")
}

impl CursorSource {
    /// Refuses an unusable key before any request (see [`check_api_key`]); paces requests at
    /// [`REQUESTS_PER_MINUTE`] (with a second of margin) unless [`CursorSource::with_pacer`]
    /// replaces it.
    pub fn new(api_key: Secret, settings: HttpSettings) -> Result<CursorSource, BillingError> {
        check_api_key(api_key.expose())
            .map_err(|message| BillingError::Credentials { status: 0, message })?;
        let mut http = HttpClient::new(settings, api_key, Auth::BasicUser, &[])?;
        http.set_pacer(Arc::new(Pacer::new(REQUESTS_PER_MINUTE, PACER_WINDOW)));
        Ok(CursorSource { http })
    }

    /// Replaces the default pacer. Cursor's limit is per team and shared by every admin
    /// endpoint, so every source reading one team must share one pacer.
    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> CursorSource {
        self.http.set_pacer(pacer);
        self
    }

    #[cfg(test)]
    pub(crate) fn pacer(&self) -> Option<&Pacer> {
        self.http.pacer()
    }

    /// Reads one window's events, again when it changed while being read.
    async fn read_events(
        &self,
        window: DayRange,
        session: &mut Session<'_>,
    ) -> Result<(), BillingError> {
        for read in 1..=WINDOW_READS {
            match self.read_window(window, session).await? {
                Window::Complete(totals) => {
                    for line in totals.into_lines() {
                        session.lines.push(line)?;
                    }
                    session.advanced(window.to);
                    return Ok(());
                }
                Window::Changed { first, last } => {
                    tracing::info!(%window.from, %window.to, first, last, read,
                        "Cursor usage events changed while being read; reading the window again");
                }
            }
        }
        Err(malformed(
            USAGE_EVENTS,
            format!(
                "totalUsageEventsCount kept changing while {}..{} was read {WINDOW_READS} times",
                window.from, window.to
            ),
        ))
    }

    /// Reads every page of one window (pages 1, 2, … with identical dates), checking that
    /// the pages add up to `totalUsageEventsCount`.
    async fn read_window(
        &self,
        window: DayRange,
        session: &mut Session<'_>,
    ) -> Result<Window, BillingError> {
        let start = epoch_ms(window.from);
        // The last millisecond of the window's last day: windows never overlap, whether
        // Cursor reads `endDate` as inclusive or not.
        let end = window.to.next().map_or(i64::MAX, epoch_ms) - 1;
        let mut totals = EventTotals::default();
        let (mut collected, mut first_total) = (0u64, None);
        let mut previous = None;
        for page in 1..=MAX_PAGES {
            let body = json!({"startDate": start, "endDate": end, "page": page,
                              "pageSize": EVENTS_PAGE_SIZE});
            let answer: EventsPage = self
                .http
                .post_json(USAGE_EVENTS, &body, &mut session.requests)
                .await?;
            let at = |problem: String| malformed(USAGE_EVENTS, format!("page {page}: {problem}"));
            let current = answer.pagination.as_ref().and_then(|p| p.current_page);
            if current.is_some_and(|current| current != u64::from(page)) {
                return Err(at(format!("the answer says it is page {current:?}")));
            }
            let has_next = answer.has_next();
            if answer.usage_events.is_empty() && has_next {
                return Err(at("no events, yet hasNextPage is true".into()));
            }
            let fingerprint = answer.fingerprint();
            if !fingerprint.is_empty() && previous.as_ref() == Some(&fingerprint) {
                return Err(at("the same events as the page before; stopping".into()));
            }
            previous = Some(fingerprint);
            let total = answer.total_usage_events_count;
            let first = *first_total.get_or_insert(total);
            collected += answer.usage_events.len() as u64;
            for event in answer.usage_events {
                let day = day_of_epoch_ms(event.timestamp)
                    .ok_or_else(|| at(format!("timestamp {} is out of range", event.timestamp)))?;
                // An event outside the requested window belongs to another window's read.
                if day < window.from || day > window.to {
                    tracing::debug!(%day, "Cursor sent a usage event outside the window");
                    continue;
                }
                totals
                    .add(day, event)
                    .map_err(|problem| at(format!("{day}: {problem}")))?;
            }
            session.advanced(window.from);
            let (Some(total), Some(first)) = (total, first) else {
                if has_next {
                    continue;
                }
                return Ok(Window::Complete(totals));
            };
            // Pages read before the change may have shifted: start over rather than finish.
            if total != first {
                return Ok(Window::Changed { first, last: total });
            }
            if collected > total {
                return Err(at(format!(
                    "{collected} events so far, more than totalUsageEventsCount {total}"
                )));
            }
            if !has_next {
                if collected < total {
                    return Err(at(format!(
                        "the last page ends after {collected} of {total} events \
                         (totalUsageEventsCount): the pages are truncated"
                    )));
                }
                return Ok(Window::Complete(totals));
            }
        }
        Err(malformed(
            USAGE_EVENTS,
            format!("more than {MAX_PAGES} pages"),
        ))
    }

    /// The current cycle's spend per member, every page: snapshot lines (see the module doc).
    async fn read_spend(&self, session: &mut Session<'_>) -> Result<(), BillingError> {
        let (mut cycle, mut previous, mut members) = (None, None, 0u64);
        for page in 1..=MAX_PAGES {
            let body = json!({"page": page, "pageSize": SPEND_PAGE_SIZE});
            let answer: SpendPage = self
                .http
                .post_json(SPEND, &body, &mut session.requests)
                .await?;
            let at = |problem: String| malformed(SPEND, format!("page {page}: {problem}"));
            let cycle_ms = *cycle.get_or_insert(answer.subscription_cycle_start);
            if cycle_ms != answer.subscription_cycle_start {
                return Err(at("subscriptionCycleStart changed between pages".into()));
            }
            let cycle_day = day_of_epoch_ms(cycle_ms)
                .ok_or_else(|| at(format!("subscriptionCycleStart {cycle_ms} is out of range")))?;
            let rows = answer.team_member_spend.len();
            let has_next = match answer.total_pages {
                Some(pages) => u64::from(page) < pages,
                None => rows == SPEND_PAGE_SIZE as usize,
            };
            if rows == 0 && has_next {
                return Err(at(format!(
                    "no members, yet totalPages is {:?}",
                    answer.total_pages
                )));
            }
            let persons: Vec<_> = answer
                .team_member_spend
                .iter()
                .map(|m| m.email.clone())
                .collect();
            if rows > 0 && previous.as_ref() == Some(&persons) {
                return Err(at("the same members as the page before; stopping".into()));
            }
            previous = Some(persons);
            members += rows as u64;
            for member in answer.team_member_spend {
                session
                    .lines
                    .push(spend_line(cycle_day, cycle_ms, member).map_err(at)?)?;
            }
            match answer.total_members {
                Some(total) if members > total => {
                    return Err(at(format!(
                        "{members} members, more than totalMembers {total}"
                    )));
                }
                // Whether members without spend are listed is not documented: fewer rows
                // than members is reported, not refused.
                Some(total) if !has_next && members < total => {
                    tracing::info!(
                        members,
                        total,
                        "Cursor listed spend for fewer than all members"
                    );
                }
                _ => {}
            }
            if !has_next {
                return Ok(());
            }
        }
        Err(malformed(SPEND, format!("more than {MAX_PAGES} pages")))
    }
}

#[async_trait::async_trait]
impl BillingSource for CursorSource {
    fn provider(&self) -> Provider {
        Provider::Cursor
    }

    fn earliest_day(&self, today: UtcDay) -> UtcDay {
        months_before(today, BACKFILL_MONTHS)
    }

    /// Usage events in windows of at most 30 UTC days, then the current cycle's spend.
    async fn pull(&self, range: DayRange, progress: &dyn Progress) -> Result<Pulled, BillingError> {
        let mut session = Session::new(progress);
        for window in range.chunks(MAX_WINDOW_DAYS) {
            self.read_events(window, &mut session).await?;
        }
        self.read_spend(&mut session).await?;
        session.advanced(range.to);
        Ok(Pulled {
            requests: session.requests,
            lines: session.lines.into_vec(),
        })
    }
}
