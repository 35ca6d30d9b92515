//! How a range of days is read for priced usage: whole months from the monthly sums where one
//! price holds all month, the rest day by day.

use reconciler::{Catalogue, Month, UtcDay};

/// A part of a range of days and where it is read from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Span {
    /// The days `from..=to`, from the daily rollups.
    Days(UtcDay, UtcDay),
    /// The whole months `from..=to`, from the monthly sums, each priced at its first day's
    /// prices: no price changes inside them.
    Months(Month, Month),
}

/// `from..=to` (`from <= to`) cut into spans, in order. Months are used only where the rows are
/// not wanted per day (`per_day` false), the month lies wholly in the range, and no price
/// takes effect inside it; consecutive spans of one kind are joined.
pub fn spans(from: UtcDay, to: UtcDay, per_day: bool, catalogue: &Catalogue) -> Vec<Span> {
    if per_day || from > to {
        return vec![Span::Days(from, to)];
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut month = Some(from.month());
    while let Some(m) = month.filter(|m| *m <= to.month()) {
        let (first, last) = (m.first_day(), m.last_day());
        let whole = first >= from && last <= to && !catalogue.changes_within(first, last);
        let span = if whole {
            Span::Months(m, m)
        } else {
            Span::Days(first.max(from), last.min(to))
        };
        match (spans.last_mut(), span) {
            (Some(Span::Months(_, end)), Span::Months(_, next)) => *end = next,
            (Some(Span::Days(_, end)), Span::Days(_, next)) => *end = next,
            _ => spans.push(span),
        }
        month = m.next();
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use reconciler::{Price, Provider, Tier};
    use rust_decimal::Decimal;

    fn day(text: &str) -> UtcDay {
        UtcDay::parse(text).unwrap()
    }

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    #[test]
    fn whole_months_come_from_the_monthly_sums_and_their_edges_day_by_day() {
        let catalogue = Catalogue::default();
        assert_eq!(
            spans(day("2026-09-15"), day("2026-11-30"), false, &catalogue),
            [
                Span::Days(day("2026-09-15"), day("2026-09-30")),
                Span::Months(month("2026-10"), month("2026-11")),
            ]
        );
        assert_eq!(
            spans(day("2026-11-01"), day("2026-11-30"), false, &catalogue),
            [Span::Months(month("2026-11"), month("2026-11"))]
        );
        assert_eq!(
            spans(day("2026-11-02"), day("2026-12-30"), false, &catalogue),
            [Span::Days(day("2026-11-02"), day("2026-12-30"))]
        );
        assert_eq!(
            spans(day("2026-11-01"), day("2026-11-30"), true, &catalogue),
            [Span::Days(day("2026-11-01"), day("2026-11-30"))]
        );
    }

    #[test]
    fn a_month_in_which_a_price_changes_is_read_day_by_day() {
        let mut catalogue = Catalogue::default();
        catalogue.insert(Price {
            provider: Provider::Anthropic,
            model: "claude-sonnet-4-5".into(),
            tier: Tier::Standard,
            effective_from: day("2026-11-10"),
            per_million: [Some(Decimal::ONE); 5],
            origin: "override",
        });
        assert_eq!(
            spans(day("2026-10-01"), day("2026-12-31"), false, &catalogue),
            [
                Span::Months(month("2026-10"), month("2026-10")),
                Span::Days(day("2026-11-01"), day("2026-11-30")),
                Span::Months(month("2026-12"), month("2026-12")),
            ]
        );
        // A price from the first of a month holds all of it.
        assert_eq!(
            spans(day("2026-12-01"), day("2026-12-31"), false, &catalogue),
            [Span::Months(month("2026-12"), month("2026-12"))]
        );
    }
}
