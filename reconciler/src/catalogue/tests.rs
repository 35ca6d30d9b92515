//! The built-in catalogue reproduces the tools' own figures; lookups honour effective days,
//! tiers and aliases; a kind without a price makes the cost unknown, never lower.

use super::*;

fn day(text: &str) -> UtcDay {
    UtcDay::parse(text).unwrap()
}

fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

#[test]
fn the_built_in_catalogue_reproduces_claude_codes_cost_for_the_fixture_request() {
    let tokens = TokenCounts {
        input: 1200,
        cache_read: 4500,
        cache_write_5m: 300,
        output: 37,
        ..TokenCounts::default()
    };
    let cost = Catalogue::built_in().cost(
        &Provider::Anthropic,
        "claude-sonnet-4-5",
        Tier::Standard,
        day("2026-11-20"),
        &tokens,
    );
    assert_eq!(cost, Some(usd("0.00663")));
}

#[test]
fn fixture_models_are_priced_or_plainly_unpriced() {
    let catalogue = Catalogue::built_in();
    let on = day("2026-11-20");
    let codex = TokenCounts {
        input: 234,
        cache_read: 1000,
        output: 56,
        reasoning: 7,
        ..TokenCounts::default()
    };
    // (234 × 1.25 + 1000 × 0.125 + 56 × 10) per million: reasoning is part of the 56 output.
    assert_eq!(
        catalogue.cost(
            &Provider::OpenAi,
            "gpt-5.1-codex",
            Tier::Standard,
            on,
            &codex
        ),
        Some(usd("0.0009775"))
    );
    let gemini = TokenCounts {
        input: 345,
        cache_read: 2000,
        output: 75,
        reasoning: 8,
        ..TokenCounts::default()
    };
    // (345 × 0.30 + 2000 × 0.03 + 75 × 2.50) per million.
    assert_eq!(
        catalogue.cost(
            &Provider::Google,
            "gemini-2.5-flash",
            Tier::Standard,
            on,
            &gemini
        ),
        Some(usd("0.000351"))
    );
    assert_eq!(
        catalogue.cost(
            &Provider::OpenAi,
            "gpt-5.6-luna",
            Tier::Standard,
            on,
            &codex
        ),
        None,
        "a model the catalogue does not know is unpriced"
    );
}

#[test]
fn a_kind_without_a_price_makes_the_cost_unknown_but_zero_tokens_of_it_do_not() {
    let catalogue = Catalogue::built_in();
    let on = day("2026-11-20");
    let written = TokenCounts {
        input: 10,
        cache_write_5m: 10,
        ..TokenCounts::default()
    };
    assert_eq!(
        catalogue.cost(&Provider::OpenAi, "gpt-5", Tier::Standard, on, &written),
        None,
        "OpenAI lists no cache-write price"
    );
    let plain = TokenCounts {
        input: 1_000_000,
        ..TokenCounts::default()
    };
    assert_eq!(
        catalogue.cost(&Provider::OpenAi, "gpt-5", Tier::Standard, on, &plain),
        Some(usd("1.25"))
    );
}

#[test]
fn prices_apply_from_their_day_and_overrides_replace_or_follow_them() {
    let mut catalogue = Catalogue::built_in();
    let tokens = TokenCounts {
        input: 1_000_000,
        ..TokenCounts::default()
    };
    let cost = |c: &Catalogue, on: &str| {
        c.cost(
            &Provider::Anthropic,
            "claude-sonnet-4-5",
            Tier::Standard,
            day(on),
            &tokens,
        )
    };
    assert_eq!(
        cost(&catalogue, "2025-09-28"),
        None,
        "before the model existed"
    );
    assert_eq!(cost(&catalogue, "2025-09-29"), Some(usd("3")));
    let mut negotiated = catalogue
        .price(
            &Provider::Anthropic,
            "claude-sonnet-4-5",
            Tier::Standard,
            day("2026-01-01"),
        )
        .unwrap()
        .clone();
    negotiated.effective_from = day("2026-06-01");
    negotiated.per_million[0] = Some("2.70".parse().unwrap());
    negotiated.origin = "override";
    catalogue.insert(negotiated);
    assert_eq!(cost(&catalogue, "2026-05-31"), Some(usd("3")));
    assert_eq!(cost(&catalogue, "2026-06-01"), Some(usd("2.70")));
}

#[test]
fn aliases_and_tiers_find_their_own_prices() {
    let catalogue = Catalogue::built_in();
    let tokens = TokenCounts {
        output: 1_000_000,
        ..TokenCounts::default()
    };
    let on = day("2026-11-20");
    let dated = "claude-sonnet-4-5-20250929";
    assert_eq!(
        catalogue.model_name(&Provider::Anthropic, dated),
        "claude-sonnet-4-5"
    );
    assert_eq!(
        catalogue.cost(&Provider::Anthropic, dated, Tier::Batch, on, &tokens),
        Some(usd("7.50"))
    );
    assert_eq!(
        catalogue.cost(&Provider::OpenAi, "gpt-5", Tier::Priority, on, &tokens),
        Some(usd("20"))
    );
    assert_eq!(
        catalogue.cost(&Provider::Anthropic, dated, Tier::Priority, on, &tokens),
        None,
        "Anthropic's priority tier is committed capacity, not a list price"
    );
}

#[test]
fn bad_entries_say_what_is_wrong() {
    let error = Catalogue::parse(
        "[[price]]\nprovider = \"anthropic\"\nmodel = \"m\"\ntier = \"standard\"\n\
         effective_from = \"2026-01-01\"\ninput = \"-1\"\n",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "price of anthropic m: `-1` is not a price"
    );
    let error = Catalogue::parse("[[price]]\nprovider = \"anthropic\"\n").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("price catalogue: missing field"),
        "{error}"
    );
}
