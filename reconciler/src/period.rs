//! UTC calendar periods: the day every provider buckets by, and the month finance closes.

use std::fmt;

use time::{Date, OffsetDateTime};

use crate::Error;
use crate::text::text_form;

/// One calendar day in UTC, written `2026-11-22`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDay(Date);

/// One calendar month in UTC, written `2026-11`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: time::Month,
}

/// A reconciliation period: a UTC day, or a month made of its days.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Period {
    Day(UtcDay),
    Month(Month),
}

/// Splits `YYYY-MM[-DD]` strictly: four-digit year, two-digit month (and day), nothing else.
fn split_date(text: &str, parts: usize) -> Option<Vec<u32>> {
    let fields: Vec<&str> = text.split('-').collect();
    let widths = [4, 2, 2];
    if fields.len() != parts {
        return None;
    }
    fields
        .iter()
        .zip(widths)
        .map(|(field, width)| {
            (field.len() == width && field.bytes().all(|b| b.is_ascii_digit()))
                .then(|| field.parse().ok())
                .flatten()
        })
        .collect()
}

impl UtcDay {
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<UtcDay> {
        let month = time::Month::try_from(month).ok()?;
        Date::from_calendar_date(year, month, day).ok().map(UtcDay)
    }

    /// Parses `2026-11-22`.
    pub fn parse(text: &str) -> Result<UtcDay, Error> {
        let invalid = || Error::InvalidPeriod {
            input: text.chars().take(64).collect(),
            expected: "UTC day written YYYY-MM-DD, e.g. 2026-11-22",
        };
        let fields = split_date(text, 3).ok_or_else(invalid)?;
        let year = i32::try_from(fields[0]).map_err(|_| invalid())?;
        let month = u8::try_from(fields[1]).map_err(|_| invalid())?;
        let day = u8::try_from(fields[2]).map_err(|_| invalid())?;
        UtcDay::from_ymd(year, month, day).ok_or_else(invalid)
    }

    /// The UTC day a timestamp (nanoseconds since the Unix epoch, as OTLP sends) falls on.
    pub fn from_unix_nanos(nanos: i128) -> Result<UtcDay, Error> {
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map(|at| UtcDay(at.date()))
            .map_err(|_| Error::TimestampOutOfRange(nanos))
    }

    /// Nanoseconds since the Unix epoch at the day's first instant (00:00:00 UTC).
    pub fn start_unix_nanos(self) -> i128 {
        self.0.midnight().assume_utc().unix_timestamp_nanos()
    }

    pub fn month(self) -> Month {
        Month {
            year: self.0.year(),
            month: self.0.month(),
        }
    }

    pub fn next(self) -> Option<UtcDay> {
        self.0.next_day().map(UtcDay)
    }

    pub fn previous(self) -> Option<UtcDay> {
        self.0.previous_day().map(UtcDay)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn day_of_month(self) -> u8 {
        self.0.day()
    }
}

impl Month {
    pub fn new(year: i32, month: u8) -> Option<Month> {
        let month = time::Month::try_from(month).ok()?;
        // Only months whose every day the calendar holds (years 1..=9999 by time's defaults).
        Date::from_calendar_date(year, month, 1).ok()?;
        Date::from_calendar_date(year, month, month.length(year)).ok()?;
        Some(Month { year, month })
    }

    /// Parses `2026-11`.
    pub fn parse(text: &str) -> Result<Month, Error> {
        let invalid = || Error::InvalidPeriod {
            input: text.chars().take(64).collect(),
            expected: "UTC month written YYYY-MM, e.g. 2026-11",
        };
        let fields = split_date(text, 2).ok_or_else(invalid)?;
        let year = i32::try_from(fields[0]).map_err(|_| invalid())?;
        let month = u8::try_from(fields[1]).map_err(|_| invalid())?;
        Month::new(year, month).ok_or_else(invalid)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 for January through 12 for December.
    pub fn number(self) -> u8 {
        self.month as u8
    }

    pub fn first_day(self) -> UtcDay {
        UtcDay::from_ymd(self.year, self.number(), 1).expect("Month holds only valid months")
    }

    pub fn last_day(self) -> UtcDay {
        UtcDay::from_ymd(self.year, self.number(), self.month.length(self.year))
            .expect("Month holds only valid months")
    }

    pub fn day_count(self) -> u8 {
        self.month.length(self.year)
    }

    /// Every day of the month, first to last.
    pub fn days(self) -> impl Iterator<Item = UtcDay> {
        let (first, count) = (self.first_day(), self.day_count());
        (0..count).map(move |offset| UtcDay(first.0 + time::Duration::days(i64::from(offset))))
    }

    pub fn contains(self, day: UtcDay) -> bool {
        day.month() == self
    }

    pub fn next(self) -> Option<Month> {
        self.last_day().next().map(UtcDay::month)
    }
}

impl Period {
    /// Parses a day (`2026-11-22`) or a month (`2026-11`).
    pub fn parse(text: &str) -> Result<Period, Error> {
        match text.len() {
            7 => Month::parse(text).map(Period::Month),
            _ => UtcDay::parse(text).map(Period::Day),
        }
        .map_err(|_| Error::InvalidPeriod {
            input: text.chars().take(64).collect(),
            expected: "UTC day (YYYY-MM-DD) or month (YYYY-MM)",
        })
    }

    pub fn first_day(self) -> UtcDay {
        match self {
            Period::Day(day) => day,
            Period::Month(month) => month.first_day(),
        }
    }

    pub fn last_day(self) -> UtcDay {
        match self {
            Period::Day(day) => day,
            Period::Month(month) => month.last_day(),
        }
    }

    pub fn contains(self, day: UtcDay) -> bool {
        self.first_day() <= day && day <= self.last_day()
    }
}

impl fmt::Display for UtcDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = (self.0.year(), self.0.month() as u8, self.0.day());
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.number())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Day(day) => day.fmt(f),
            Period::Month(month) => month.fmt(f),
        }
    }
}

impl fmt::Debug for UtcDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UtcDay({self})")
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Month({self})")
    }
}

text_form!(UtcDay, UtcDay::parse);
text_form!(Month, Month::parse);
text_form!(Period, Period::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_days_and_months_strictly() {
        assert_eq!(
            UtcDay::parse("2026-11-22").unwrap().to_string(),
            "2026-11-22"
        );
        assert_eq!(Month::parse("2026-11").unwrap().to_string(), "2026-11");
        for bad in [
            "2026-11-31",
            "2026-2-01",
            "2026-02-1",
            "26-02-01",
            "2026-13",
            "2026-00",
            "2026-11-22T00:00:00Z",
            " 2026-11-22",
            "2026/11/22",
            "+026-11-22",
            "",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            Period::parse("2026-11").unwrap(),
            Period::Month(Month::new(2026, 11).unwrap())
        );
    }

    #[test]
    fn months_know_their_days() {
        assert_eq!(Month::parse("2028-02").unwrap().day_count(), 29);
        assert_eq!(Month::parse("2026-02").unwrap().day_count(), 28);
        let november = Month::parse("2026-11").unwrap();
        let days: Vec<String> = november.days().map(|d| d.to_string()).collect();
        assert_eq!(days.len(), 30);
        assert_eq!(days.first().unwrap(), "2026-11-01");
        assert_eq!(days.last().unwrap(), "2026-11-30");
        assert_eq!(
            Month::parse("2026-12").unwrap().next().unwrap().to_string(),
            "2027-01"
        );
    }

    #[test]
    fn timestamps_fall_on_their_utc_day() {
        let midnight = UtcDay::parse("2026-11-22").unwrap().start_unix_nanos();
        assert_eq!(
            UtcDay::from_unix_nanos(midnight).unwrap().to_string(),
            "2026-11-22"
        );
        assert_eq!(
            UtcDay::from_unix_nanos(midnight - 1).unwrap().to_string(),
            "2026-11-21"
        );
        assert_eq!(
            UtcDay::from_unix_nanos(0).unwrap().to_string(),
            "1970-01-01"
        );
    }
}
