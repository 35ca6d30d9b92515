//! The reconciliation engine on named scenarios, and its properties on any input: order does
//! not matter, running twice gives the same report, cells sum to their month, and months are
//! independent of each other.

use proptest::prelude::*;
use reconciler::reconcile::{
    BilledLine, Coverage, Inputs, ObservedLine, Reason, Row, Status, Tolerance, WriteOff, reconcile,
};
use reconciler::{Catalogue, Month, Provider, Tier, TokenCounts, Usd, UtcDay};

fn day(text: &str) -> UtcDay {
    UtcDay::parse(text).unwrap()
}

fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

fn input(n: u64) -> TokenCounts {
    TokenCounts {
        input: n,
        ..TokenCounts::default()
    }
}

const SONNET: &str = "claude-sonnet-4-5";

fn billed(on: &str, tokens: u64, amount: &str) -> Vec<BilledLine> {
    // A cost line (dollars, no tokens) and a usage line (tokens, no dollars), as Anthropic bills.
    vec![
        BilledLine {
            day: day(on),
            provider: Provider::Anthropic,
            model: "claude-sonnet-4-5-20250929".into(),
            tier: Tier::Standard,
            tokens: TokenCounts::default(),
            amount: Some(usd(amount)),
        },
        BilledLine {
            day: day(on),
            provider: Provider::Anthropic,
            model: SONNET.into(),
            tier: Tier::Standard,
            tokens: input(tokens),
            amount: None,
        },
    ]
}

fn observed(on: &str, tokens: u64, reported: Option<&str>) -> ObservedLine {
    ObservedLine {
        day: day(on),
        provider: Provider::Anthropic,
        model: SONNET.into(),
        tokens: input(tokens),
        reported: reported.map(usd),
    }
}

fn connected(final_through: &str) -> Coverage {
    Coverage {
        provider: Provider::Anthropic,
        bill_source: true,
        from: day("2026-01-01"),
        removed: None,
        final_through: Some(day(final_through)),
    }
}

const NOV: &str = "2026-11";

fn run(
    billed: &[BilledLine],
    observed: &[ObservedLine],
    coverage: &[Coverage],
    write_offs: &[WriteOff],
) -> Vec<Row> {
    let catalogue = Catalogue::built_in();
    let months = [Month::parse(NOV).unwrap()];
    reconcile(Inputs {
        billed,
        observed,
        catalogue: &catalogue,
        coverage,
        write_offs,
        tolerance: Tolerance::default(),
        months: &months,
    })
}

fn only(rows: Vec<Row>) -> Row {
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

#[test]
fn an_exact_match() {
    // 1M input tokens of Sonnet 4.5 at 3 USD per million, both sides.
    let row = only(run(
        &billed("2026-11-10", 1_000_000, "3"),
        &[observed("2026-11-10", 1_000_000, None)],
        &[connected("2026-11-30")],
        &[],
    ));
    assert_eq!(row.billed, Some(usd("3")));
    assert_eq!(row.observed_estimated, usd("3"));
    assert_eq!(row.variance, Some(Usd::ZERO));
    assert_eq!(row.variance_pct, Some("0".parse().unwrap()));
    assert_eq!(
        (row.quantity_variance, row.price_variance),
        (Some(Usd::ZERO), Some(Usd::ZERO))
    );
    assert_eq!(row.status, Status::Matched);
    assert_eq!(row.reasons, []);
}

#[test]
fn a_bill_higher_than_telemetry_is_untracked_usage_split_into_quantity() {
    let row = only(run(
        &billed("2026-11-10", 3_000_000, "9"),
        &[observed("2026-11-10", 1_000_000, None)],
        &[connected("2026-11-30")],
        &[],
    ));
    assert_eq!(row.variance, Some(usd("6")));
    assert_eq!(row.variance_pct, Some("66.67".parse().unwrap()));
    assert_eq!(row.quantity_variance, Some(usd("6")));
    assert_eq!(row.price_variance, Some(Usd::ZERO));
    assert_eq!(row.status, Status::Over);
    assert_eq!(row.reasons, [Reason::UntrackedUsage]);
}

#[test]
fn telemetry_higher_than_the_bill_is_under() {
    let row = only(run(
        &billed("2026-11-10", 1_000_000, "3"),
        &[observed("2026-11-10", 2_000_000, Some("6"))],
        &[connected("2026-11-30")],
        &[],
    ));
    assert_eq!(row.observed_reported, usd("6"));
    assert_eq!(row.variance, Some(usd("-3")));
    assert_eq!(row.status, Status::Under);
    assert_eq!(row.reasons, [Reason::TelemetryWithoutBill]);
}

#[test]
fn the_same_tokens_billed_at_another_rate_are_a_price_difference() {
    // A negotiated 2.40 per million: the same tokens, 0.60 less per million.
    let row = only(run(
        &billed("2026-11-10", 10_000_000, "24"),
        &[observed("2026-11-10", 10_000_000, None)],
        &[connected("2026-11-30")],
        &[],
    ));
    assert_eq!(row.variance, Some(usd("-6")));
    assert_eq!(row.quantity_variance, Some(Usd::ZERO));
    assert_eq!(row.price_variance, Some(usd("-6")));
    assert_eq!(row.status, Status::Under);
    assert_eq!(row.reasons, [Reason::PriceDifference]);
}

#[test]
fn an_unpriced_model_leaves_the_variance_unknown_never_zero() {
    let mut luna = observed("2026-11-10", 500, None);
    luna.model = "claude-luna-9".into();
    let row = only(run(
        &billed("2026-11-10", 0, "3"),
        &[luna],
        &[connected("2026-11-30")],
        &[],
    ));
    assert_eq!(row.unpriced_tokens, 500);
    assert_eq!(row.variance, None);
    assert_eq!(row.variance_pct, None);
    assert!(row.variance_note.unwrap().contains("unpriced"));
    assert!(row.reasons.contains(&Reason::UnpricedModel));
    assert_ne!(row.status, Status::Matched);
}

#[test]
fn after_removal_observed_spend_is_an_unreconciled_residual() {
    let mut coverage = connected("2026-11-30");
    coverage.removed = Some(day("2026-11-15"));
    let row = only(run(
        &billed("2026-11-10", 1_000_000, "3"),
        &[
            observed("2026-11-10", 1_000_000, None),
            observed("2026-11-20", 1_000_000, None),
        ],
        &[coverage],
        &[],
    ));
    assert_eq!(row.billed, Some(usd("3")));
    assert_eq!(row.variance, Some(usd("-3")));
    assert!(
        row.reasons.contains(&Reason::ProviderRemoved),
        "{:?}",
        row.reasons
    );
    assert_eq!(row.status, Status::Under);
}

#[test]
fn months_after_removal_show_observed_spend_as_residual() {
    let mut coverage = connected("2026-10-31");
    coverage.removed = Some(day("2026-10-20"));
    let row = only(run(
        &[],
        &[observed("2026-11-10", 1_000_000, None)],
        &[coverage],
        &[],
    ));
    assert_eq!(row.billed, Some(Usd::ZERO));
    assert_eq!(row.variance, Some(usd("-3")));
    assert_eq!(row.status, Status::Under);
    assert_eq!(row.reasons, [Reason::ProviderRemoved]);
}

#[test]
fn a_written_off_month_stays_written_off_and_says_when_data_changed_after() {
    let write_off = WriteOff {
        provider: Provider::Anthropic,
        month: Month::parse(NOV).unwrap(),
        variance: usd("6"),
    };
    let lines = billed("2026-11-10", 3_000_000, "9");
    let row = only(run(
        &lines,
        &[observed("2026-11-10", 1_000_000, None)],
        &[connected("2026-11-30")],
        std::slice::from_ref(&write_off),
    ));
    assert_eq!(
        (row.status, row.written_off, row.changed_after_write_off),
        (Status::WrittenOff, Some(usd("6")), false)
    );
    // Late telemetry for the month: still written off, flagged, with both figures.
    let late = [
        observed("2026-11-10", 1_000_000, None),
        observed("2026-11-12", 1_000_000, None),
    ];
    let row = only(run(&lines, &late, &[connected("2026-11-30")], &[write_off]));
    assert_eq!(row.status, Status::WrittenOff);
    assert!(row.changed_after_write_off);
    assert_eq!(
        (row.written_off, row.variance),
        (Some(usd("6")), Some(usd("3")))
    );
}

#[test]
fn a_configuration_free_provider_has_no_bill_to_match() {
    let gemini = ObservedLine {
        day: day("2026-11-10"),
        provider: Provider::Google,
        model: "gemini-2.5-flash".into(),
        tokens: input(1_000_000),
        reported: None,
    };
    let coverage = Coverage {
        provider: Provider::Google,
        bill_source: false,
        from: day("2026-01-01"),
        removed: None,
        final_through: None,
    };
    let row = only(run(&[], &[gemini], &[coverage], &[]));
    assert_eq!((row.billed, row.variance), (None, None));
    assert_eq!(row.observed_estimated, usd("0.30"));
    assert_eq!(row.status, Status::NoBill);
    assert_eq!(row.reasons, [Reason::NoBillSource]);
}

#[test]
fn billed_with_no_telemetry_and_days_not_yet_final() {
    let row = only(run(
        &billed("2026-11-10", 1_000_000, "3"),
        &[],
        &[connected("2026-11-30")],
        &[],
    ));
    assert_eq!(row.status, Status::NoTelemetry);
    assert_eq!(row.reasons, [Reason::UntrackedUsage]);
    let row = only(run(
        &billed("2026-11-10", 3_000_000, "9"),
        &[observed("2026-11-10", 1_000_000, None)],
        &[connected("2026-11-20")],
        &[],
    ));
    assert_eq!(row.status, Status::Provisional);
    assert!(row.reasons.contains(&Reason::NotYetFinal));
}

#[test]
fn days_belong_to_their_utc_month() {
    let rows = run(
        &billed("2026-10-31", 1_000_000, "3"),
        &[observed("2026-11-01", 1_000_000, None)],
        &[connected("2026-11-30")],
        &[],
    );
    let row = only(rows);
    assert_eq!(
        row.billed,
        Some(Usd::ZERO),
        "October's bill is not November's"
    );
    assert_eq!(row.observed_estimated, usd("3"));
}

// ---- properties ----

fn any_line() -> impl Strategy<Value = (bool, u8, u8, u64, u32, bool)> {
    // (billed?, day of November, model index, tokens, cents, reported?)
    (
        any::<bool>(),
        1u8..=30,
        0u8..3,
        0u64..5_000_000,
        0u32..100_000,
        any::<bool>(),
    )
}

const MODELS: [&str; 3] = ["claude-sonnet-4-5", "claude-opus-4-5", "claude-unknown"];

fn lines(spec: &[(bool, u8, u8, u64, u32, bool)]) -> (Vec<BilledLine>, Vec<ObservedLine>) {
    let (mut billed, mut observed) = (Vec::new(), Vec::new());
    for (is_billed, d, m, tokens, cents, reported) in spec {
        let on = UtcDay::from_ymd(2026, 11, *d).unwrap();
        let model = MODELS[usize::from(*m)].to_owned();
        let amount = Usd::parse_cents(&cents.to_string()).unwrap();
        if *is_billed {
            billed.push(BilledLine {
                day: on,
                provider: Provider::Anthropic,
                model,
                tier: Tier::Standard,
                tokens: input(*tokens),
                amount: Some(amount),
            });
        } else {
            observed.push(ObservedLine {
                day: on,
                provider: Provider::Anthropic,
                model,
                tokens: input(*tokens),
                reported: reported.then_some(amount),
            });
        }
    }
    (billed, observed)
}

proptest! {
    #[test]
    fn order_does_not_matter_and_twice_is_the_same(spec in proptest::collection::vec(any_line(), 0..40), seed in any::<u64>()) {
        let (billed, observed) = lines(&spec);
        let coverage = [connected("2026-11-25")];
        let first = run(&billed, &observed, &coverage, &[]);
        prop_assert_eq!(&first, &run(&billed, &observed, &coverage, &[]));
        let (mut b, mut o) = (billed.clone(), observed.clone());
        // A deterministic shuffle from the seed.
        let rotate = usize::try_from(seed % 41).unwrap();
        b.reverse();
        o.reverse();
        if !b.is_empty() { let n = rotate % b.len(); b.rotate_left(n); }
        if !o.is_empty() { let n = rotate % o.len(); o.rotate_left(n); }
        prop_assert_eq!(first, run(&b, &o, &coverage, &[]));
    }

    #[test]
    fn cells_sum_to_their_month_and_the_split_explains_the_variance(spec in proptest::collection::vec(any_line(), 1..40)) {
        let (billed, observed) = lines(&spec);
        let row = only(run(&billed, &observed, &[connected("2026-11-30")], &[]));
        let sum = |f: &dyn Fn(&reconciler::reconcile::Cell) -> Usd| Usd::checked_sum(row.days.iter().map(|(_, _, c)| f(c))).unwrap();
        prop_assert_eq!(row.billed.unwrap(), sum(&|c| c.billed.unwrap_or(Usd::ZERO)));
        prop_assert_eq!(row.observed_reported, sum(&|c| c.observed_reported));
        prop_assert_eq!(row.observed_estimated, sum(&|c| c.observed_estimated));
        prop_assert_eq!(row.unpriced_tokens, row.days.iter().map(|(_, _, c)| c.unpriced_tokens).sum::<u64>());
        if let Some(variance) = row.variance {
            let observed = row.observed_reported.checked_add(row.observed_estimated).unwrap();
            prop_assert_eq!(Some(variance), row.billed.unwrap().checked_sub(observed));
        }
        if let (Some(quantity), Some(price)) = (row.quantity_variance, row.price_variance) {
            // Quantity + price = billed − the observed tokens at list prices.
            let catalogue = Catalogue::built_in();
            let observed_at_list = Usd::checked_sum(row.days.iter().map(|(d, m, c)| {
                catalogue.cost(&Provider::Anthropic, m, Tier::Standard, *d, &c.observed_tokens).unwrap()
            })).unwrap();
            prop_assert_eq!(quantity.checked_add(price), row.billed.unwrap().checked_sub(observed_at_list));
        }
    }

    #[test]
    fn months_are_reconciled_independently(spec in proptest::collection::vec(any_line(), 0..30), spec2 in proptest::collection::vec(any_line(), 0..30)) {
        let (mut billed, mut observed) = lines(&spec);
        let (b2, o2) = lines(&spec2);
        // The second set falls in December.
        billed.extend(b2.into_iter().map(|mut l| { l.day = UtcDay::from_ymd(2026, 12, l.day.day_of_month()).unwrap(); l }));
        observed.extend(o2.into_iter().map(|mut l| { l.day = UtcDay::from_ymd(2026, 12, l.day.day_of_month()).unwrap(); l }));
        let catalogue = Catalogue::built_in();
        let coverage = [connected("2026-12-31")];
        let report = |months: &[Month]| reconcile(Inputs { billed: &billed, observed: &observed, catalogue: &catalogue, coverage: &coverage, write_offs: &[], tolerance: Tolerance::default(), months });
        let (nov, dec) = (Month::parse("2026-11").unwrap(), Month::parse("2026-12").unwrap());
        let mut separately = report(&[nov]);
        separately.extend(report(&[dec]));
        prop_assert_eq!(report(&[nov, dec]), separately);
    }
}
