//! The per-person drill-down: both sides per person where the bill names people, persons
//! adding up to their (month, provider) row, and no split where the bill names nobody.

use proptest::prelude::*;
use reconciler::reconcile::{
    BilledLine, Coverage, Inputs, ObservedLine, Tolerance, people, reconcile,
};
use reconciler::{Catalogue, Month, Provider, Tier, TokenCounts, Usd, UtcDay};

const PEOPLE: [&str; 3] = ["ann@example.com", "bo@example.com", ""];
const MODELS: [&str; 3] = ["claude-sonnet-4-5", "claude-opus-4-5", "claude-unknown"];
/// Anthropic, so that the catalogue prices the observed side (it has no Cursor prices).
const PROVIDER: Provider = Provider::Anthropic;

fn tokens(n: u64) -> TokenCounts {
    TokenCounts {
        input: n,
        output: n / 10,
        ..TokenCounts::default()
    }
}

fn nov() -> Month {
    Month::parse("2026-11").unwrap()
}

type Lines = (Vec<(String, BilledLine)>, Vec<(String, ObservedLine)>);

/// (billed?, person, day, model, tokens, cents, reported?)
fn lines(spec: &[(bool, usize, u8, usize, u64, u32, bool)]) -> Lines {
    let (mut billed, mut observed) = (Vec::new(), Vec::new());
    for &(is_billed, person, d, model, n, cents, reported) in spec {
        let day = UtcDay::from_ymd(2026, 11, d).unwrap();
        let amount = Usd::parse_cents(&cents.to_string()).unwrap();
        let (person, model) = (PEOPLE[person].to_owned(), MODELS[model].to_owned());
        if is_billed {
            let line = BilledLine {
                day,
                provider: PROVIDER,
                model,
                tier: Tier::Standard,
                tokens: tokens(n),
                amount: Some(amount),
            };
            billed.push((person, line));
        } else {
            let line = ObservedLine {
                day,
                provider: PROVIDER,
                model,
                tokens: tokens(n),
                reported: reported.then_some(amount),
            };
            observed.push((person, line));
        }
    }
    (billed, observed)
}

#[test]
fn each_person_shows_both_sides_and_their_variance() {
    let (billed, observed) = lines(&[
        (true, 0, 3, 0, 1_000_000, 500, false),
        (false, 0, 3, 0, 1_000_000, 0, false),
        (true, 1, 4, 0, 0, 200, false),
        (false, 2, 5, 2, 10, 0, false),
    ]);
    let catalogue = Catalogue::built_in();
    let rows = people(&billed, &observed, &catalogue, nov(), &PROVIDER).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.person.as_str()).collect();
    assert_eq!(names, ["", "ann@example.com", "bo@example.com"]);
    // Bo is billed 2 USD with no telemetry: all of it is residual.
    assert_eq!(rows[2].billed, Usd::parse_dollars("2").unwrap());
    assert_eq!(rows[2].variance, Some(Usd::parse_dollars("2").unwrap()));
    // Nobody's usage of a model with no price: tokens shown, dollars unknown, never zero.
    assert_eq!(rows[0].unpriced_tokens, 11);
    assert_eq!(rows[0].variance, None);
}

#[test]
fn a_bill_that_names_nobody_has_no_per_person_split() {
    let (billed, observed) = lines(&[
        (true, 2, 3, 0, 100, 5, false),
        (false, 0, 3, 0, 100, 5, true),
    ]);
    let catalogue = Catalogue::built_in();
    assert_eq!(
        people(&billed, &observed, &catalogue, nov(), &PROVIDER),
        None
    );
    // Another month or provider has no lines at all: nothing to split either.
    let dec = Month::parse("2026-12").unwrap();
    assert_eq!(people(&billed, &observed, &catalogue, dec, &PROVIDER), None);
}

fn any_line() -> impl Strategy<Value = (bool, usize, u8, usize, u64, u32, bool)> {
    (
        any::<bool>(),
        0usize..3,
        1u8..=30,
        0usize..2,
        0u64..3_000_000,
        0u32..50_000,
        any::<bool>(),
    )
}

proptest! {
    #[test]
    fn persons_add_up_to_their_month(spec in proptest::collection::vec(any_line(), 1..40)) {
        let (billed, observed) = lines(&spec);
        prop_assume!(billed.iter().any(|(p, _)| !p.is_empty()));
        let catalogue = Catalogue::built_in();
        let rows = people(&billed, &observed, &catalogue, nov(), &PROVIDER).unwrap();
        let coverage = [Coverage {
            provider: PROVIDER,
            bill_source: true,
            from: UtcDay::from_ymd(2026, 1, 1).unwrap(),
            removed: None,
            final_through: UtcDay::from_ymd(2026, 11, 30),
        }];
        let plain_billed: Vec<BilledLine> = billed.iter().map(|(_, l)| l.clone()).collect();
        let plain_observed: Vec<ObservedLine> = observed.iter().map(|(_, l)| l.clone()).collect();
        let month = reconcile(Inputs {
            billed: &plain_billed,
            observed: &plain_observed,
            catalogue: &catalogue,
            coverage: &coverage,
            write_offs: &[],
            tolerance: Tolerance::default(),
            months: &[nov()],
        });
        let row = &month[0];
        let sum = |f: &dyn Fn(&reconciler::reconcile::PersonRow) -> Usd| Usd::checked_sum(rows.iter().map(f)).unwrap();
        prop_assert_eq!(row.billed, Some(sum(&|r| r.billed)));
        prop_assert_eq!(row.observed_reported, sum(&|r| r.observed_reported));
        prop_assert_eq!(row.observed_estimated, sum(&|r| r.observed_estimated));
        prop_assert_eq!(row.unpriced_tokens, rows.iter().map(|r| r.unpriced_tokens).sum::<u64>());
        if row.unpriced_tokens == 0 {
            prop_assert_eq!(row.variance, Usd::checked_sum(rows.iter().map(|r| r.variance.unwrap())));
        }
    }
}
