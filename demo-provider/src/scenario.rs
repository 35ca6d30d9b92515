//! When the deliberate variance cases happen, all inside the demo month.
//!
//! Every date derives from `today`; the demo month is the calendar month containing it.

use reconciler::{Month, Provider, UtcDay};

use crate::calendar::add_days;

/// Days of history the demo holds, `today` included.
pub const HISTORY_DAYS: i64 = 90;

/// The last hour (UTC, exclusive) of activity on `today`: the demo stands at midday, so today
/// is half a working day.
pub(crate) const TODAY_UNTIL_HOUR: u64 = 12;

/// The dates of the variance cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub today: UtcDay,
    /// The first day with usage: `today` − 89.
    pub first_day: UtcDay,
    /// The calendar month containing `today`.
    pub demo_month: Month,
    /// The last day the providers' reports are complete for; the days after it (yesterday and
    /// today) are served only in part.
    pub final_through: UtcDay,
    /// The middle of the demo month so far: the 15th, or halfway to `today` early in a month.
    pub mid_month: UtcDay,
    /// From this day on the Cursor API serves no usage (the integration was removed), while
    /// Cursor's telemetry goes on.
    pub cursor_removed_on: UtcDay,
    /// From this day on one person's device exports nothing; their usage is still billed.
    pub exporter_stopped_on: UtcDay,
    /// From this day on some Claude Code users' records carry only `user.account_uuid`.
    pub identity_switch_on: UtcDay,
    /// The (provider, month) the demo writes off: OpenAI's month before the demo month.
    pub written_off: (Provider, Month),
}

impl Scenario {
    /// The dates of a demo generated on `today` (cheap: no usage is generated).
    pub fn new(today: UtcDay) -> Scenario {
        let demo_month = today.month();
        let first = demo_month.first_day();
        let elapsed = i64::from(today.day_of_month()) - 1;
        let mid_month = if elapsed >= 16 {
            add_days(first, 14)
        } else {
            add_days(first, elapsed / 2)
        };
        let previous_month = first.previous().map_or(demo_month, UtcDay::month);
        Scenario {
            today,
            first_day: add_days(today, 1 - HISTORY_DAYS),
            demo_month,
            final_through: add_days(today, -2),
            mid_month,
            cursor_removed_on: mid_month,
            exporter_stopped_on: mid_month,
            identity_switch_on: add_days(first, elapsed / 3),
            written_off: (Provider::OpenAi, previous_month),
        }
    }

    /// Every day of the history, oldest first.
    pub fn days(&self) -> impl Iterator<Item = UtcDay> + use<> {
        let first = self.first_day;
        (0..HISTORY_DAYS).map(move |offset| add_days(first, offset))
    }

    /// Percent of a day's usage that the providers' reports already hold: all of it up to
    /// `final_through`, then less and less.
    pub(crate) fn reported_percent(&self, day: UtcDay) -> u64 {
        if day <= self.final_through {
            100
        } else if day < self.today {
            60
        } else {
            30
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> UtcDay {
        UtcDay::parse(text).unwrap()
    }

    #[test]
    fn cases_fall_in_the_demo_month() {
        let s = Scenario::new(day("2026-11-22"));
        assert_eq!(s.first_day, day("2026-08-25"));
        assert_eq!(s.days().count(), 90);
        assert_eq!(s.days().last(), Some(day("2026-11-22")));
        assert_eq!(s.final_through, day("2026-11-20"));
        assert_eq!(s.cursor_removed_on, day("2026-11-15"));
        assert_eq!(s.identity_switch_on, day("2026-11-08"));
        assert_eq!(s.written_off.1.to_string(), "2026-10");
        let early = Scenario::new(day("2026-12-05"));
        assert_eq!(early.mid_month, day("2026-12-03"));
        assert_eq!(early.written_off.1.to_string(), "2026-11");
        assert_eq!(early.reported_percent(day("2026-12-04")), 60);
        assert_eq!(early.reported_percent(day("2026-12-03")), 100);
    }
}
