//! Conversion of documented GitHub seats and usage items into billing lines, `Link` parsing,
//! and the checks made before any request.

use reconciler::{TokenCounts, Usd, UtcDay};

use super::convert::{AI_CREDITS, PREMIUM_REQUESTS, seat_line, usage_lines};
use super::wire::{Seat, UsageReport, next_link};
use super::{CopilotSource, check_organization, check_token};
use crate::{BillingSource, CostType, HttpSettings, Provider, Secret};

fn day() -> UtcDay {
    UtcDay::parse("2025-10-14").unwrap()
}

fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

fn report(json: &str) -> Result<Vec<crate::BillingLine>, String> {
    let report: UsageReport = serde_json::from_str(json).unwrap();
    usage_lines(PREMIUM_REQUESTS, CostType::Other, day(), report.usage_items)
}

#[test]
fn documented_premium_request_items_are_billed_net_dollars() {
    let lines = report(
        r#"{"timePeriod":{"year":2025,"month":10},"organization":"GitHub","user":"testuser",
            "product":"Copilot","model":"GPT-5","usageItems":[
            {"product":"Copilot","sku":"Copilot Premium Request","model":"GPT-5","unitType":"requests",
             "pricePerUnit":0.04,"grossQuantity":100,"grossAmount":4.0,"discountQuantity":20,
             "discountAmount":0.8,"netQuantity":80,"netAmount":3.2000000000000006}]}"#,
    )
    .unwrap();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line.amount, Some(usd("3.2")));
    assert!(line.is_billed());
    assert_eq!(line.provider, Provider::GithubCopilot);
    assert_eq!(line.model, "gpt-5-2025-08-07");
    assert_eq!(line.cost_type, CostType::Other);
    assert_eq!(line.tokens, TokenCounts::default());
    assert_eq!(line.person, "");
    assert_eq!(
        line.description,
        "Copilot Premium Request: 80 requests net; gross $4.00, discount $0.80"
    );
    assert_eq!(
        line.natural_key,
        "/organizations/{org}/settings/billing/premium_request/usage|2025-10-14\
         |product=Copilot|sku=Copilot Premium Request|model=GPT-5|unit_type=requests"
    );
}

#[test]
fn repeated_items_are_summed_and_zero_is_still_billed() {
    let item = |net: &str| {
        format!(
            r#"{{"product":"Copilot","sku":"Copilot AI Credits","model":"Claude Sonnet 4",
                "unitType":"credits","pricePerUnit":0.01,"netQuantity":1.5,"netAmount":{net}}}"#
        )
    };
    let json = format!(
        r#"{{"usageItems":[{},{},{}]}}"#,
        item("0.015"),
        item("0.015"),
        item("0").replace("Claude Sonnet 4", "Brand New Model")
    );
    let report: UsageReport = serde_json::from_str(&json).unwrap();
    let lines = usage_lines(AI_CREDITS, CostType::Credits, day(), report.usage_items).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].model, "Brand New Model");
    assert_eq!(lines[0].amount, Some(Usd::ZERO));
    assert_eq!(lines[1].model, "claude-sonnet-4-20250514");
    assert_eq!(lines[1].amount, Some(usd("0.03")));
    assert_eq!(lines[1].cost_type, CostType::Credits);
    assert!(
        lines[1]
            .description
            .starts_with("Copilot AI Credits: 3 credits net")
    );
}

#[test]
fn items_with_absent_labels_keep_their_money_and_bad_money_is_refused() {
    let lines = report(r#"{"usageItems":[{"netAmount":1.25,"grossAmount":null}]}"#).unwrap();
    assert_eq!(lines[0].amount, Some(usd("1.25")));
    assert_eq!(
        lines[0].description,
        ": 0  net; gross $0.00, discount $0.00"
    );
    let bad = report(r#"{"usageItems":[{"netAmount":"1,25"}]}"#).unwrap_err();
    assert!(bad.starts_with("netAmount:"), "{bad}");
    assert!(serde_json::from_str::<UsageReport>(r#"{"usageItems":[{"sku":"x"}]}"#).is_err());
    assert!(serde_json::from_str::<UsageReport>(r#"{"usageItems":null}"#).is_err());
}

#[test]
fn seats_are_unpriced_lines_per_assignee() {
    let seat: Seat = serde_json::from_str(
        r#"{"created_at":"2021-08-03T18:00:00-06:00","updated_at":"2021-09-23T15:00:00-06:00",
            "pending_cancellation_date":"2026-12-01","last_activity_at":null,
            "last_activity_editor":null,"plan_type":"business",
            "assignee":{"login":"octocat","id":1,"type":"User","site_admin":false},
            "assigning_team":null}"#,
    )
    .unwrap();
    let line = seat_line(day(), seat);
    assert_eq!(line.person, "octocat");
    assert_eq!(line.cost_type, CostType::Seat);
    assert_eq!(line.amount, None);
    assert!(!line.estimate);
    assert_eq!(
        line.description,
        "Copilot business seat, pending cancellation from 2026-12-01"
    );
    assert_eq!(
        line.natural_key,
        "/orgs/{org}/copilot/billing/seats|2025-10-14|login=octocat"
    );
    let team: Seat =
        serde_json::from_str(r#"{"assignee":{"slug":"justice-league","id":7}}"#).unwrap();
    assert_eq!(seat_line(day(), team).person, "justice-league");
    let id_only: Seat = serde_json::from_str(r#"{"assignee":{"id":9}}"#).unwrap();
    assert_eq!(seat_line(day(), id_only).person, "id:9");
    let nobody: Seat = serde_json::from_str(r#"{"assignee":null}"#).unwrap();
    let line = seat_line(day(), nobody);
    assert_eq!(
        (line.person.as_str(), line.description.as_str()),
        ("", "Copilot seat")
    );
}

#[test]
fn link_headers_are_parsed_not_pattern_matched() {
    let github = r#"<https://api.github.com/organizations/9919/copilot/billing/seats?per_page=100&page=2>; rel="next", <https://api.github.com/organizations/9919/copilot/billing/seats?per_page=100&page=5>; rel="last""#;
    assert_eq!(
        next_link(github),
        Some("https://api.github.com/organizations/9919/copilot/billing/seats?per_page=100&page=2")
    );
    let last_page = r#"<https://x/y?page=1>; rel="first", <https://x/y?page=4>; rel="prev""#;
    assert_eq!(next_link(last_page), None);
    // Any parameter order, several rel values, unquoted values, commas inside the URL.
    let odd = r#"<https://x/a,b;c?page=1>; title="a, b; rel=next"; rel=prev, <https://x/n?page=3>;type="x"; REL="last next""#;
    assert_eq!(next_link(odd), Some("https://x/n?page=3"));
    assert_eq!(
        next_link("</relative?page=2>; rel=next"),
        Some("/relative?page=2")
    );
    assert_eq!(next_link(""), None);
    assert_eq!(next_link("garbage; rel=next"), None);
    assert_eq!(next_link(r#"<https://x/y>; rel="next"#), None);
}

#[test]
fn checks_before_any_request() {
    assert!(check_token("github_pat_11ABCDEFG0123456789").is_ok());
    assert!(check_token("").unwrap_err().contains("Administration"));
    assert!(check_token("ghp_abc def").is_err());
    assert!(check_organization("octo-org").is_ok());
    assert!(check_organization("Octo_Org2").is_ok());
    for bad in [
        "",
        "-octo",
        "octo/org",
        "octo?x=1",
        "ghp_secret token",
        &"a".repeat(40),
    ] {
        let error = check_organization(bad).unwrap_err();
        assert!(bad.is_empty() || !error.contains(bad), "{error}");
    }
    let source = CopilotSource::new(
        Secret::new("ghp_0123".into()),
        "octo-org".into(),
        HttpSettings::for_provider(Provider::GithubCopilot),
    )
    .unwrap();
    assert_eq!(source.provider(), Provider::GithubCopilot);
    // This month and the 23 before it, from their first day.
    let today = UtcDay::parse("2026-11-22").unwrap();
    assert_eq!(
        source.earliest_day(today),
        UtcDay::parse("2024-12-01").unwrap()
    );
}
