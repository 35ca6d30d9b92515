//! UTC day ranges and the time forms providers take them in (RFC 3339 midnights, Unix seconds).

use reconciler::UtcDay;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND;

/// An inclusive range of UTC days.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DayRange {
    pub from: UtcDay,
    pub to: UtcDay,
}

impl DayRange {
    /// The range `from..=to`; `None` when `to` is before `from`.
    pub fn new(from: UtcDay, to: UtcDay) -> Option<DayRange> {
        (from <= to).then_some(DayRange { from, to })
    }

    /// A single day.
    pub fn day(day: UtcDay) -> DayRange {
        DayRange { from: day, to: day }
    }

    /// Number of days in the range (0 when `to` is before `from`).
    pub fn len(&self) -> u32 {
        let span = self.to.start_unix_nanos() - self.from.start_unix_nanos();
        u32::try_from(span / NANOS_PER_DAY + 1).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.to < self.from
    }

    /// Every day of the range, first to last.
    pub fn days(&self) -> impl Iterator<Item = UtcDay> + use<> {
        let from = self.from;
        (0..self.len()).filter_map(move |offset| add_days(from, i64::from(offset)))
    }

    /// Consecutive sub-ranges of at most `max_days` days covering the range, in order: how a
    /// long backfill is cut to a provider's per-request window.
    pub fn chunks(&self, max_days: u32) -> Vec<DayRange> {
        let max_days = max_days.max(1);
        let mut chunks = Vec::new();
        let mut from = self.from;
        while from <= self.to {
            let last = add_days(from, i64::from(max_days) - 1).map_or(self.to, |d| d.min(self.to));
            chunks.push(DayRange { from, to: last });
            match last.next() {
                Some(next) => from = next,
                None => break,
            }
        }
        chunks
    }
}

/// `day` moved by `days` (negative moves back); `None` outside the calendar.
pub(crate) fn add_days(day: UtcDay, days: i64) -> Option<UtcDay> {
    let nanos = day.start_unix_nanos() + i128::from(days) * NANOS_PER_DAY;
    UtcDay::from_unix_nanos(nanos).ok()
}

/// The same calendar day `months` months earlier (the last day of that month when it is
/// shorter): how a backfill horizon is counted.
pub(crate) fn months_before(day: UtcDay, months: u32) -> UtcDay {
    let index =
        i64::from(day.year()) * 12 + i64::from(day.month().number()) - 1 - i64::from(months);
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let (Ok(year), Ok(month)) = (i32::try_from(year), u8::try_from(month)) else {
        return day;
    };
    (1..=day.day_of_month())
        .rev()
        .find_map(|dom| UtcDay::from_ymd(year, month, dom))
        .unwrap_or(day)
}

/// Unix seconds at the day's first instant (00:00:00 UTC).
pub(crate) fn unix_seconds(day: UtcDay) -> i64 {
    i64::try_from(day.start_unix_nanos() / NANOS_PER_SECOND).expect("UtcDay is within i64 seconds")
}

/// The UTC day a Unix-seconds timestamp falls on.
pub(crate) fn day_of_unix_seconds(seconds: i64) -> Option<UtcDay> {
    UtcDay::from_unix_nanos(i128::from(seconds) * NANOS_PER_SECOND).ok()
}

/// `2026-11-22T00:00:00Z`: the day's first instant in RFC 3339.
pub(crate) fn rfc3339_midnight(day: UtcDay) -> String {
    format!("{day}T00:00:00Z")
}

/// The UTC day of an RFC 3339 timestamp (any offset) or of a plain `YYYY-MM-DD` date.
pub(crate) fn parse_day(text: &str) -> Option<UtcDay> {
    if let Ok(day) = UtcDay::parse(text) {
        return Some(day);
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    UtcDay::from_unix_nanos(at.unix_timestamp_nanos()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> UtcDay {
        UtcDay::parse(text).unwrap()
    }

    #[test]
    fn chunks_cover_the_range_in_order() {
        let range = DayRange::new(day("2026-01-01"), day("2026-02-09")).unwrap();
        assert_eq!(range.len(), 40);
        let chunks = range.chunks(31);
        assert_eq!(
            chunks,
            [
                DayRange::new(day("2026-01-01"), day("2026-01-31")).unwrap(),
                DayRange::new(day("2026-02-01"), day("2026-02-09")).unwrap(),
            ]
        );
        assert_eq!(DayRange::day(day("2026-01-01")).chunks(31).len(), 1);
        assert_eq!(range.days().count(), 40);
        assert_eq!(range.days().last(), Some(day("2026-02-09")));
    }

    #[test]
    fn time_forms() {
        assert_eq!(unix_seconds(day("2024-11-01")), 1_730_419_200);
        assert_eq!(day_of_unix_seconds(1_730_505_599), Some(day("2024-11-01")));
        assert_eq!(rfc3339_midnight(day("2025-08-01")), "2025-08-01T00:00:00Z");
        assert_eq!(parse_day("2025-08-08T00:00:00Z"), Some(day("2025-08-08")));
        assert_eq!(parse_day("2025-08-08"), Some(day("2025-08-08")));
        assert_eq!(
            parse_day("2025-08-08T23:30:00-02:00"),
            Some(day("2025-08-09"))
        );
        assert_eq!(parse_day("yesterday"), None);
    }

    #[test]
    fn horizons_count_calendar_months() {
        assert_eq!(months_before(day("2026-11-22"), 12), day("2025-11-22"));
        assert_eq!(months_before(day("2028-02-29"), 12), day("2027-02-28"));
        assert_eq!(months_before(day("2026-03-31"), 1), day("2026-02-28"));
        assert_eq!(months_before(day("2026-01-15"), 1), day("2025-12-15"));
        assert_eq!(add_days(day("2026-03-01"), -1), Some(day("2026-02-28")));
    }
}
