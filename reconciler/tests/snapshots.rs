//! Reports of named scenarios, as finance would read them, checked against stored snapshots
//! (`reconciler/tests/snapshots/`): any change to a figure, status or reason shows up as a diff.

use std::fmt::Write;

use reconciler::reconcile::{
    BilledLine, Coverage, Inputs, ObservedLine, Row, Tolerance, WriteOff, reconcile,
};
use reconciler::{Catalogue, Month, Provider, Tier, TokenCounts, Usd, UtcDay};

fn day(text: &str) -> UtcDay {
    UtcDay::parse(text).unwrap()
}

fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

fn tokens(input: u64, output: u64) -> TokenCounts {
    TokenCounts {
        input,
        output,
        ..TokenCounts::default()
    }
}

fn bill(
    on: &str,
    provider: Provider,
    model: &str,
    tier: Tier,
    tokens: TokenCounts,
    amount: Option<&str>,
) -> BilledLine {
    BilledLine {
        day: day(on),
        provider,
        model: model.into(),
        tier,
        tokens,
        amount: amount.map(usd),
    }
}

fn seen(
    on: &str,
    provider: Provider,
    model: &str,
    tokens: TokenCounts,
    reported: Option<&str>,
) -> ObservedLine {
    ObservedLine {
        day: day(on),
        provider,
        model: model.into(),
        tokens,
        reported: reported.map(usd),
    }
}

fn coverage(provider: Provider, bill_source: bool, removed: Option<&str>) -> Coverage {
    Coverage {
        provider,
        bill_source,
        from: day("2026-01-01"),
        removed: removed.map(day),
        final_through: Some(day("2026-11-28")),
    }
}

/// The report as text: one block per row, then its cells.
fn text(rows: &[Row]) -> String {
    let show = |usd: Option<Usd>| usd.map_or("null".to_owned(), |u| u.to_string());
    let mut out = String::new();
    for row in rows {
        writeln!(
            out,
            "{} {}: billed {} | reported {} | estimated {} | unpriced tokens {}",
            row.month,
            row.provider,
            show(row.billed),
            row.observed_reported,
            row.observed_estimated,
            row.unpriced_tokens
        )
        .unwrap();
        writeln!(
            out,
            "  variance {} ({}%){} | quantity {} | price {}",
            show(row.variance),
            row.variance_pct
                .map_or("null".to_owned(), |p| p.to_string()),
            row.variance_note
                .map(|n| format!(" [{n}]"))
                .unwrap_or_default(),
            show(row.quantity_variance),
            show(row.price_variance)
        )
        .unwrap();
        let reasons: Vec<&str> = row.reasons.iter().map(|r| r.as_str()).collect();
        writeln!(
            out,
            "  status {} | reasons [{}] | written off {} (changed after: {})",
            row.status.as_str(),
            reasons.join(", "),
            show(row.written_off),
            row.changed_after_write_off
        )
        .unwrap();
        for (day, model, cell) in &row.days {
            writeln!(
                out,
                "    {day} {model}: billed {} for {} tokens; observed {} tokens, {} reported, {} estimated, {} unpriced",
                show(cell.billed),
                cell.billed_tokens.total().unwrap_or_default(),
                cell.observed_tokens.total().unwrap_or_default(),
                cell.observed_reported,
                cell.observed_estimated,
                cell.unpriced_tokens
            )
            .unwrap();
        }
    }
    out
}

#[test]
fn a_month_with_every_case() {
    let anthropic = Provider::Anthropic;
    let billed = vec![
        // Anthropic: an untracked team (billed tokens nobody reports), and priority-tier usage.
        bill(
            "2026-11-03",
            anthropic.clone(),
            "claude-sonnet-4-5-20250929",
            Tier::Standard,
            TokenCounts::default(),
            Some("9.00"),
        ),
        bill(
            "2026-11-03",
            anthropic.clone(),
            "claude-sonnet-4-5",
            Tier::Standard,
            tokens(2_000_000, 200_000),
            None,
        ),
        bill(
            "2026-11-29",
            anthropic.clone(),
            "claude-sonnet-4-5",
            Tier::Priority,
            tokens(100_000, 0),
            None,
        ),
        // OpenAI: the same tokens at a negotiated rate, 20 % under the list price of 9.00.
        bill(
            "2026-11-10",
            Provider::OpenAi,
            "gpt-5",
            Tier::Standard,
            TokenCounts::default(),
            Some("7.20"),
        ),
        bill(
            "2026-11-10",
            Provider::OpenAi,
            "gpt-5",
            Tier::Standard,
            tokens(4_000_000, 400_000),
            None,
        ),
        // Cursor, removed on the 15th: billed before only.
        bill(
            "2026-11-05",
            Provider::Cursor,
            "claude-4-sonnet",
            Tier::Standard,
            tokens(10_000, 1_000),
            Some("0.50"),
        ),
    ];
    let observed = vec![
        seen(
            "2026-11-03",
            anthropic.clone(),
            "claude-sonnet-4-5",
            tokens(1_000_000, 100_000),
            Some("4.50"),
        ),
        seen(
            "2026-11-04",
            anthropic,
            "claude-luna-9",
            tokens(5_000, 0),
            None,
        ),
        seen(
            "2026-11-10",
            Provider::OpenAi,
            "gpt-5",
            tokens(4_000_000, 400_000),
            None,
        ),
        seen(
            "2026-11-05",
            Provider::Cursor,
            "claude-4-sonnet",
            tokens(10_000, 1_000),
            Some("0.50"),
        ),
        seen(
            "2026-11-20",
            Provider::Cursor,
            "claude-4-sonnet",
            tokens(20_000, 2_000),
            Some("1.00"),
        ),
        seen(
            "2026-11-12",
            Provider::Google,
            "gemini-2.5-flash",
            tokens(1_000_000, 100_000),
            None,
        ),
    ];
    let coverage = [
        coverage(Provider::Anthropic, true, None),
        coverage(Provider::OpenAi, true, None),
        coverage(Provider::Cursor, true, Some("2026-11-15")),
        coverage(Provider::Google, false, None),
    ];
    let write_offs = [WriteOff {
        provider: Provider::Cursor,
        month: Month::parse("2026-11").unwrap(),
        variance: usd("-0.50"),
    }];
    let rows = reconcile(Inputs {
        billed: &billed,
        observed: &observed,
        catalogue: &Catalogue::built_in(),
        coverage: &coverage,
        write_offs: &write_offs,
        tolerance: Tolerance::default(),
        months: &[Month::parse("2026-11").unwrap()],
    });
    insta::assert_snapshot!("a_month_with_every_case", text(&rows));
}
