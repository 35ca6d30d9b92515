//! Conversion of documented Cursor events and spend rows (the reference's own examples) into
//! billing lines, and the checks made before any request.

use std::time::Duration;

use reconciler::{TokenCounts, Usd, UtcDay};

use super::convert::{EventTotals, day_of_epoch_ms, spend_line};
use super::wire::{Event, EventsPage, MemberSpend};
use super::{CursorSource, check_api_key};
use crate::{BillingLine, CostType, HttpSettings, Provider, Secret};

fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

fn event(json: &str) -> Event {
    serde_json::from_str(json).unwrap()
}

/// The events' lines, each event on the UTC day of its timestamp.
fn lines(events: &[&str]) -> Result<Vec<BillingLine>, String> {
    let mut totals = EventTotals::default();
    for json in events {
        let event = event(json);
        totals.add(day_of_epoch_ms(event.timestamp).unwrap(), event)?;
    }
    Ok(totals.into_lines())
}

const USAGE_BASED: &str = r#"{"timestamp":"1750979225854","model":"claude-4-opus","kind":"Usage-based",
    "maxMode":true,"requestsCosts":5,"isTokenBasedCall":true,
    "tokenUsage":{"inputTokens":126,"outputTokens":450,"cacheWriteTokens":6112,"cacheReadTokens":11964,
                  "totalCents":40.16699999999999},
    "cursorTokenFee":1.18,"isFreeBugbot":false,"userEmail":"developer@company.com"}"#;

const INCLUDED: &str = r#"{"timestamp":"1750978339901","model":"claude-4-sonnet-thinking",
    "kind":"Included in Business","maxMode":true,"requestsCosts":1.4,"isTokenBasedCall":false,
    "cursorTokenFee":0,"isFreeBugbot":false,"userEmail":"admin@company.com"}"#;

#[test]
fn usage_based_events_bill_model_cost_plus_the_token_fee_exactly() {
    let lines = lines(&[USAGE_BASED]).unwrap();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    // 40.16699999999999 + 1.18 cents, never through f64: $0.41347.
    assert_eq!(line.amount, Some(usd("0.41347")));
    assert!(line.is_billed());
    assert_eq!(line.day, UtcDay::parse("2025-06-26").unwrap());
    assert_eq!(line.provider, Provider::Cursor);
    assert_eq!(line.model, "claude-opus-4-20250514");
    assert_eq!(line.person, "developer@company.com");
    assert_eq!(line.cost_type, CostType::Tokens);
    assert_eq!(line.description, "Usage-based: 1 event");
    assert_eq!(
        line.tokens,
        TokenCounts {
            input: 126,
            cache_read: 11964,
            cache_write_5m: 6112,
            cache_write_1h: 0,
            output: 450,
            reasoning: 0,
        }
    );
    assert_eq!(
        line.natural_key,
        "/teams/filtered-usage-events|2025-06-26|person=developer@company.com\
         |model=claude-4-opus|kind=Usage-based"
    );
}

#[test]
fn included_usage_is_a_subscription_line_without_an_amount() {
    let line = lines(&[INCLUDED]).unwrap().remove(0);
    assert_eq!(line.amount, None);
    assert!(!line.estimate && !line.is_billed());
    assert_eq!(line.cost_type, CostType::Subscription);
    assert_eq!(line.model, "claude-sonnet-4-20250514");
    assert_eq!(line.tokens, TokenCounts::default());
    assert!(
        line.natural_key
            .ends_with("|model=claude-4-sonnet-thinking|kind=Included in Business")
    );
    // Included token-based usage keeps its tokens and its model cost stays unbilled.
    let tokens = INCLUDED.replace(
        r#""cursorTokenFee":0"#,
        r#""tokenUsage":{"inputTokens":"10","totalCents":3.5},"cursorTokenFee":0.2"#,
    );
    let line = lines(&[&tokens]).unwrap().remove(0);
    assert_eq!((line.amount, line.tokens.input), (None, 10));
}

#[test]
fn events_of_one_day_person_model_and_kind_are_summed() {
    let second = USAGE_BASED
        .replace("1750979225854", "1750979000000")
        .replace("40.16699999999999", "0.30000000000000004");
    let next_day = USAGE_BASED.replace("1750979225854", "1751000000000");
    let lines = lines(&[USAGE_BASED, &second, INCLUDED, &next_day]).unwrap();
    assert_eq!(lines.len(), 3);
    let summed = &lines[1];
    assert_eq!(summed.description, "Usage-based: 2 events");
    assert_eq!(summed.amount, Some(usd("0.42827")));
    assert_eq!(summed.tokens.input, 252);
    assert_eq!(lines[2].day, UtcDay::parse("2025-06-27").unwrap());
    assert_eq!(lines[2].amount, Some(usd("0.41347")));
}

#[test]
fn absent_and_null_fields_are_tolerated() {
    let bare = r#"{"timestamp":1750979225854,"kind":"Usage-based","tokenUsage":null,
                   "cursorTokenFee":null,"userEmail":null,"model":null}"#;
    let line = lines(&[bare]).unwrap().remove(0);
    assert_eq!((line.amount, line.cost_type), (None, CostType::Other));
    assert_eq!((line.person.as_str(), line.model.as_str()), ("", ""));
    let no_fee = r#"{"timestamp":"1750979225854","kind":"Usage-based",
                     "tokenUsage":{"outputTokens":5,"totalCents":"12.5"}}"#;
    let line = lines(&[no_fee]).unwrap().remove(0);
    assert_eq!(line.amount, Some(usd("0.125")));
    assert_eq!(line.tokens.output, 5);
    let page: EventsPage = serde_json::from_str(r#"{"usageEvents":[]}"#).unwrap();
    assert!(!page.has_next() && page.total_usage_events_count.is_none());
    let by_count: EventsPage =
        serde_json::from_str(r#"{"usageEvents":[],"pagination":{"numPages":3,"currentPage":2}}"#)
            .unwrap();
    assert!(by_count.has_next());
}

#[test]
fn events_cursor_does_not_charge_carry_no_amount() {
    let not_chargeable = USAGE_BASED.replace(r#""isFreeBugbot":false"#, r#""isChargeable":false"#);
    let bugbot = USAGE_BASED.replace(r#""isFreeBugbot":false"#, r#""isFreeBugbot":true"#);
    for json in [not_chargeable, bugbot] {
        let line = lines(&[&json]).unwrap().remove(0);
        assert_eq!(line.amount, None, "{json}");
        assert_eq!(line.tokens.output, 450);
    }
    let bad = USAGE_BASED.replace("1.18", "\"1,18\"");
    assert!(lines(&[&bad]).unwrap_err().starts_with("cursorTokenFee:"));
    let text: Result<Event, _> = serde_json::from_str(r#"{"timestamp":"yesterday"}"#);
    assert!(text.unwrap_err().to_string().contains("epoch milliseconds"));
}

#[test]
fn spend_rows_are_snapshot_estimates_keyed_by_cycle() {
    let member: MemberSpend = serde_json::from_str(
        r#"{"spendCents":2450,"fastPremiumRequests":1250,"name":"Alex","email":"developer@company.com",
            "role":"member","hardLimitOverrideDollars":100,"overallSpendCents":3000.5}"#,
    )
    .unwrap();
    let cycle = UtcDay::parse("2024-02-27").unwrap();
    let line = spend_line(cycle, 1_708_992_000_000, member).unwrap();
    assert_eq!(line.amount, Some(usd("24.50")));
    assert!(line.estimate && !line.is_billed());
    assert_eq!(line.day, cycle);
    assert_eq!(line.cost_type, CostType::Other);
    assert_eq!(
        line.natural_key,
        "/teams/spend|2024-02-27|cycle_start=1708992000000|person=developer@company.com"
    );
    assert_eq!(
        line.description,
        "cycle spend snapshot: spend since 2024-02-27 (overall $30.005 including usage in the plan)"
    );
    let nameless: MemberSpend = serde_json::from_str(r#"{"name":"Bo","spendCents":null}"#).unwrap();
    let line = spend_line(cycle, 1_708_992_000_000, nameless).unwrap();
    assert_eq!((line.person.as_str(), line.amount), ("Bo", None));
}

#[test]
fn the_default_pacer_keeps_to_twenty_a_minute() {
    test_tls::install_ring();
    let source = CursorSource::new(
        Secret::new("key_0123".to_owned()),
        HttpSettings::for_provider(Provider::Cursor),
    )
    .unwrap();
    let (requests, per) = source.pacer().unwrap().limit();
    assert_eq!(requests, 20);
    assert!(per >= Duration::from_secs(60) && per <= Duration::from_secs(61));
}

#[test]
fn api_key_check_explains_how_to_get_one() {
    assert!(check_api_key("key_0123456789abcdef").is_ok());
    let empty = check_api_key("").unwrap_err();
    assert!(empty.contains("Admin API Keys"), "{empty}");
    assert!(check_api_key("key_abc\n").is_err());
    let colon = check_api_key("key_secretpart:").unwrap_err();
    assert!(
        colon.contains("colon") && !colon.contains("secretpart"),
        "{colon}"
    );
}
