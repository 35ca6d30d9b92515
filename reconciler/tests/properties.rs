//! Property tests of the domain vocabulary: parsing and storage round trips hold for all inputs.

use proptest::prelude::*;
use reconciler::{Month, Period, TokenCounts, Usd, UtcDay};
use rust_decimal::Decimal;

/// Days from 0001-01-01 to 9999-12-31 (the calendar reckon handles).
fn any_day() -> impl Strategy<Value = UtcDay> {
    (1i32..=9999, 1u8..=12, 1u8..=31)
        .prop_filter_map("a real date", |(y, m, d)| UtcDay::from_ymd(y, m, d))
}

fn any_tokens() -> impl Strategy<Value = TokenCounts> {
    let count = 0u64..=u64::from(u32::MAX);
    (
        count.clone(),
        count.clone(),
        count.clone(),
        count.clone(),
        count,
    )
        .prop_map(
            |(input, cache_read, cache_write_5m, cache_write_1h, output)| TokenCounts {
                input,
                cache_read,
                cache_write_5m,
                cache_write_1h,
                output,
                reasoning: output / 3,
            },
        )
}

proptest! {
    // Failures print their minimal input; nothing is written into the source tree.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nano_dollars_round_trip_through_storage(nanos in any::<i64>()) {
        prop_assert_eq!(Usd::from_nanos(nanos).to_nanos(), nanos);
    }

    #[test]
    fn display_parses_back_to_the_same_amount(nanos in any::<i64>()) {
        let amount = Usd::from_nanos(nanos);
        prop_assert_eq!(amount.to_string().parse::<Usd>().unwrap(), amount);
        let json = serde_json::to_string(&amount).unwrap();
        prop_assert_eq!(serde_json::from_str::<Usd>(&json).unwrap(), amount);
    }

    /// Cents and dollars are the same number a hundredfold apart, for every decimal string with
    /// up to 7 places (exactly representable in nano-dollars either way).
    #[test]
    fn cents_are_hundredths_of_dollars(mantissa in -9_000_000_000i64..9_000_000_000, scale in 0u32..=7) {
        let text = Decimal::new(mantissa, scale).to_string();
        let dollars = Usd::parse_dollars(&text).unwrap();
        let cents = Usd::parse_cents(&text).unwrap();
        prop_assert_eq!(cents.to_nanos() * 100, dollars.to_nanos(), "{}", text);
    }

    /// A JSON number may come in plain or exponent form; both denote the same amount.
    #[test]
    fn exponent_and_plain_forms_agree(value in -1.0e9f64..1.0e9) {
        let plain = Usd::parse_dollars(&format!("{value}")).unwrap();
        let exponent = Usd::parse_dollars(&format!("{value:e}")).unwrap();
        prop_assert_eq!(plain, exponent);
        let upper = Usd::parse_dollars(&format!("{value:E}")).unwrap();
        prop_assert_eq!(plain, upper);
    }

    /// Parsing the shortest text of a float lands within half a nano-dollar of that text.
    #[test]
    fn float_text_is_kept_to_the_nano_dollar(value in -1.0e9f64..1.0e9) {
        let text = format!("{value}");
        let exact: Decimal = text.parse().unwrap();
        let parsed = Usd::parse_dollars(&text).unwrap().as_decimal();
        prop_assert!((parsed - exact).abs() <= Decimal::new(5, 10), "{} → {}", text, parsed);
    }

    #[test]
    fn sums_do_not_depend_on_order(nanos in proptest::collection::vec(-1_000_000_000_000i64..1_000_000_000_000, 0..50)) {
        let amounts: Vec<Usd> = nanos.iter().copied().map(Usd::from_nanos).collect();
        let forward = Usd::checked_sum(amounts.iter().copied()).unwrap();
        let backward = Usd::checked_sum(amounts.iter().rev().copied()).unwrap();
        prop_assert_eq!(forward, backward);
        prop_assert_eq!(forward.to_nanos(), nanos.iter().sum::<i64>());
    }

    #[test]
    fn days_round_trip_and_belong_to_their_month(day in any_day()) {
        prop_assert_eq!(UtcDay::parse(&day.to_string()).unwrap(), day);
        prop_assert_eq!(Period::parse(&day.to_string()).unwrap(), Period::Day(day));
        let month = day.month();
        prop_assert!(month.contains(day));
        prop_assert_eq!(Month::parse(&month.to_string()).unwrap(), month);
        if let Some(next) = day.next() {
            prop_assert_eq!(next.previous(), Some(day));
            prop_assert!(next > day);
        }
    }

    #[test]
    fn a_month_is_its_consecutive_days(day in any_day()) {
        let month = day.month();
        let days: Vec<UtcDay> = month.days().collect();
        prop_assert_eq!(days.len(), usize::from(month.day_count()));
        prop_assert_eq!(days[0], month.first_day());
        prop_assert_eq!(*days.last().unwrap(), month.last_day());
        for pair in days.windows(2) {
            prop_assert_eq!(pair[0].next(), Some(pair[1]));
        }
        prop_assert!(days.iter().all(|d| month.contains(*d)));
        prop_assert!(days.contains(&day));
        let period = Period::Month(month);
        prop_assert!(period.contains(day));
    }

    #[test]
    fn timestamps_fall_inside_their_day(nanos in -62_135_596_800_000_000_000i128..253_402_300_799_000_000_000) {
        let day = UtcDay::from_unix_nanos(nanos).unwrap();
        prop_assert!(day.start_unix_nanos() <= nanos);
        if let Some(next) = day.next() {
            prop_assert!(nanos < next.start_unix_nanos());
        }
    }

    #[test]
    fn token_totals_add_up(a in any_tokens(), b in any_tokens()) {
        let sum = a.checked_add(&b).unwrap();
        prop_assert_eq!(sum, b.checked_add(&a).unwrap());
        prop_assert_eq!(sum.total().unwrap(), a.total().unwrap() + b.total().unwrap());
        prop_assert!(sum.validate().is_ok());
    }
}
