//! Calendar arithmetic on UTC days and epoch milliseconds, in integers (no clock is ever read).

use reconciler::UtcDay;

pub(crate) const MS_PER_DAY: i64 = 86_400_000;
const NS_PER_MS: i128 = 1_000_000;

/// Epoch milliseconds of the day's first instant.
pub(crate) fn day_start_ms(day: UtcDay) -> i64 {
    i64::try_from(day.start_unix_nanos() / NS_PER_MS).unwrap_or(i64::MAX)
}

/// The UTC day an epoch-milliseconds instant falls on.
pub(crate) fn day_of_ms(ms: i64) -> Option<UtcDay> {
    UtcDay::from_unix_nanos(i128::from(ms) * NS_PER_MS).ok()
}

/// `day` moved by `days` (negative: back); `day` itself where the calendar ends.
pub(crate) fn add_days(day: UtcDay, days: i64) -> UtcDay {
    day_of_ms(day_start_ms(day).saturating_add(days.saturating_mul(MS_PER_DAY))).unwrap_or(day)
}

/// Days from `from` to `to` (negative when `to` is earlier).
pub(crate) fn days_between(from: UtcDay, to: UtcDay) -> i64 {
    (day_start_ms(to) - day_start_ms(from)) / MS_PER_DAY
}

/// Monday = 0 … Sunday = 6. The Unix epoch, 1970-01-01, was a Thursday.
pub(crate) fn weekday(day: UtcDay) -> i64 {
    (day_start_ms(day).div_euclid(MS_PER_DAY) + 3).rem_euclid(7)
}

pub(crate) fn is_weekend(day: UtcDay) -> bool {
    weekday(day) >= 5
}

/// `2026-11-22T02:20:15.846Z`: an instant as the tools write `event.timestamp`.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    let day = day_of_ms(ms).map(|d| d.to_string()).unwrap_or_default();
    let of_day = ms.rem_euclid(MS_PER_DAY);
    let (hours, minutes) = (of_day / 3_600_000, of_day / 60_000 % 60);
    let (seconds, millis) = (of_day / 1000 % 60, of_day % 1000);
    format!("{day}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// `2026-11-22T00:00:00Z`.
pub(crate) fn rfc3339_midnight(day: UtcDay) -> String {
    format!("{day}T00:00:00Z")
}

/// Nanoseconds since the epoch, as OTLP carries time.
pub(crate) fn ms_to_ns(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> UtcDay {
        UtcDay::parse(text).unwrap()
    }

    #[test]
    fn arithmetic_and_weekdays() {
        assert_eq!(add_days(day("2026-11-22"), -89), day("2026-08-25"));
        assert_eq!(add_days(day("2026-02-28"), 1), day("2026-03-01"));
        assert_eq!(days_between(day("2026-08-25"), day("2026-11-22")), 89);
        // 2026-11-22 is a Sunday, 2026-11-23 a Monday.
        assert_eq!(weekday(day("2026-11-22")), 6);
        assert_eq!(weekday(day("2026-11-23")), 0);
        assert!(is_weekend(day("2026-11-21")));
        assert!(!is_weekend(day("2026-11-20")));
    }

    #[test]
    fn timestamps() {
        let midnight = day_start_ms(day("2026-11-22"));
        assert_eq!(rfc3339_ms(midnight + 8_415_846), "2026-11-22T02:20:15.846Z");
        assert_eq!(day_of_ms(midnight - 1), Some(day("2026-11-21")));
        assert_eq!(ms_to_ns(1), 1_000_000);
    }
}
