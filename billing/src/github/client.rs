//! The GitHub Copilot source: the seat list (paged by `Link`), then one billing usage report
//! per UTC day from the endpoint that serves that day's month.

use std::collections::HashSet;
use std::sync::Arc;

use reconciler::{Provider, UtcDay};
use reqwest::header::LINK;

use super::convert::{AI_CREDITS, PREMIUM_REQUESTS, SEATS, seat_line, usage_lines};
use super::wire::{SeatsPage, UsageReport, next_link};
use super::{check_organization, check_token};
use crate::days::months_before;
use crate::http::{Auth, HttpClient};
use crate::paging::Session;
use crate::query::Query;
use crate::{
    BillingError, BillingSource, CostType, DayRange, HttpSettings, Pacer, Progress, Pulled, Secret,
};

/// Seats per page: the documented maximum (the default is smaller and undocumented).
const SEATS_PER_PAGE: u32 = 100;
/// The billing reports serve the last 24 months: this month and the 23 before it.
const HISTORY_MONTHS: u32 = 23;
/// A bound on seat pages, so a provider bug cannot page forever (100 000 seats).
const MAX_PAGES: u32 = 1000;
/// The pinned REST API version.
const API_VERSION: &str = "2022-11-28";

/// The first day GitHub bills Copilot in AI credits (`ai_credit/usage`); earlier months are
/// only in the premium-request report.
fn ai_credits_start() -> UtcDay {
    UtcDay::from_ymd(2026, 6, 1).expect("a valid date")
}

/// Reads a GitHub organization's Copilot seats and billed Copilot usage with a token of an
/// organization owner / billing manager.
#[derive(Debug)]
pub struct CopilotSource {
    http: HttpClient,
    organization: String,
}

impl CopilotSource {
    /// Refuses an unusable token or organization name before any request (see
    /// [`check_token`], [`check_organization`]).
    pub fn new(
        token: Secret,
        organization: String,
        settings: HttpSettings,
    ) -> Result<CopilotSource, BillingError> {
        let unusable = |message| BillingError::Credentials { status: 0, message };
        check_token(token.expose()).map_err(unusable)?;
        check_organization(&organization).map_err(unusable)?;
        let headers = [
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", API_VERSION),
        ];
        let http = HttpClient::new(settings, token, Auth::Bearer, &headers)?;
        Ok(CopilotSource { http, organization })
    }

    /// Paces every request through `pacer` (share one per token). None by default: 5,000
    /// requests an hour is ample, and a used-up quota (`x-ratelimit-remaining: 0`) is waited
    /// out until `x-ratelimit-reset` (up to five minutes; longer fails as rate limited).
    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> CopilotSource {
        self.http.set_pacer(pacer);
        self
    }

    /// `template` with `{org}` filled in.
    fn path(&self, template: &str) -> String {
        template.replace("{org}", &self.organization)
    }

    /// Every page of the seat list, following `Link: <…>; rel="next"` (on GitHub's own origin
    /// only); one seat line each, dated `day`.
    async fn read_seats(&self, day: UtcDay, session: &mut Session<'_>) -> Result<(), BillingError> {
        let query = format!("per_page={SEATS_PER_PAGE}&page=1");
        let mut url = self.http.url(&self.path(SEATS), &query)?;
        let mut followed = HashSet::from([url.clone()]);
        let (mut collected, mut first_total) = (0u64, None);
        for page in 1..=MAX_PAGES {
            let (answer, headers) = self
                .http
                .get_json_at::<SeatsPage>(&url, &mut session.requests)
                .await?;
            let at = |problem: String| {
                BillingError::malformed(SEATS, format!("page {page} ({url}): {problem}"))
            };
            let link = headers.get(LINK).and_then(|v| v.to_str().ok());
            let next = link.and_then(next_link);
            if answer.seats.is_empty() && next.is_some() {
                return Err(at("no seats, yet a next page is linked".into()));
            }
            let first = *first_total.get_or_insert(answer.total_seats);
            collected += answer.seats.len() as u64;
            for seat in answer.seats {
                session.lines.push(seat_line(day, seat))?;
            }
            let Some(next) = next else {
                // total_seats can change while the list is read; only a stable total that
                // the pages fall short of means a truncated list.
                if let Some(total) = answer.total_seats.filter(|t| first == Some(*t))
                    && collected < total
                {
                    return Err(at(format!(
                        "the last page ends after {collected} of {total} seats \
                         (total_seats): the list is truncated"
                    )));
                }
                return Ok(());
            };
            let next = url
                .join(next)
                .map_err(|e| at(format!("the next-page link is not a URL: {e}")))?;
            if !self.http.is_own_origin(&next) {
                return Err(at(format!(
                    "the next-page link leaves the API's origin ({}); not followed",
                    next.origin().ascii_serialization()
                )));
            }
            if !followed.insert(next.clone()) {
                return Err(at("the next-page link repeats a page already read".into()));
            }
            url = next;
        }
        Err(BillingError::malformed(
            SEATS,
            format!("more than {MAX_PAGES} pages"),
        ))
    }

    /// One UTC day's report from the endpoint serving its month. A 404 (the report is not
    /// enabled for the organization, or not on its billing platform) means no data for that
    /// month from that endpoint: `Ok(false)`, and the month's other days are not asked.
    async fn read_usage_day(
        &self,
        day: UtcDay,
        session: &mut Session<'_>,
    ) -> Result<bool, BillingError> {
        let (endpoint, cost_type) = if day >= ai_credits_start() {
            (AI_CREDITS, CostType::Credits)
        } else {
            (PREMIUM_REQUESTS, CostType::Other)
        };
        let query = Query::default()
            .with("year", day.year())
            .with("month", day.month().number())
            .with("day", day.day_of_month());
        let path = self.path(endpoint);
        let report: UsageReport = match self
            .http
            .get_json(&path, &query, None, &mut session.requests)
            .await
        {
            Ok(report) => report,
            Err(BillingError::Refused {
                status: 404,
                message,
            }) => {
                tracing::info!(%day, endpoint, %message,
                    "GitHub has no such usage report for the organization; skipping the month");
                return Ok(false);
            }
            Err(error) => return Err(error),
        };
        let lines = usage_lines(endpoint, cost_type, day, report.usage_items)
            .map_err(|problem| BillingError::malformed(endpoint, format!("{day}: {problem}")))?;
        for line in lines {
            session.lines.push(line)?;
        }
        Ok(true)
    }
}

#[async_trait::async_trait]
impl BillingSource for CopilotSource {
    fn provider(&self) -> Provider {
        Provider::GithubCopilot
    }

    /// The first day of the oldest month of the reports' 24-month window.
    fn earliest_day(&self, today: UtcDay) -> UtcDay {
        months_before(today, HISTORY_MONTHS).month().first_day()
    }

    /// The seat list (dated the range's last day), then each day's usage report.
    async fn pull(&self, range: DayRange, progress: &dyn Progress) -> Result<Pulled, BillingError> {
        let mut session = Session::new(progress);
        self.read_seats(range.to, &mut session).await?;
        session.advanced(range.from);
        let mut months_without_report = HashSet::new();
        for day in range.days() {
            let month = day.month();
            if months_without_report.contains(&month) {
                continue;
            }
            if !self.read_usage_day(day, &mut session).await? {
                months_without_report.insert(month);
            }
            session.advanced(day);
        }
        Ok(Pulled {
            requests: session.requests,
            lines: session.lines.into_vec(),
        })
    }
}
