//! The demo's telemetry through reckon's real OTLP mapping: all counted, none rejected, exact.
//!
//! Token totals and the tools' own costs are as generated, and attribution is intact.

#[allow(dead_code, reason = "each test binary uses part of the helpers")]
mod common;

use std::collections::{BTreeMap, BTreeSet};

use demo_provider::Export;
use otlp_receiver::{IdempotencyKey, UsageRecord, WorkLimits, map_logs, map_traces};
use reconciler::{Catalogue, Provider, Tier, TokenCounts, Tool, Usd, UtcDay};

use common::{calls, demo, sum};

/// Every record the real mapping makes of the demo's exports (none may be rejected).
fn mapped_records() -> Vec<UsageRecord> {
    let mut records = Vec::new();
    for export in demo().telemetry() {
        let mapped = match &export {
            Export::Logs(request) => map_logs(request, &WorkLimits::default()),
            Export::Traces(request) => map_traces(request, &WorkLimits::default()),
        };
        assert!(
            mapped.rejected.is_empty(),
            "rejected: {:?}",
            mapped.rejected.first()
        );
        records.extend(mapped.records);
    }
    records
}

fn mapped() -> &'static [UsageRecord] {
    static RECORDS: std::sync::OnceLock<Vec<UsageRecord>> = std::sync::OnceLock::new();
    RECORDS.get_or_init(mapped_records)
}

fn day_of(record: &UsageRecord) -> UtcDay {
    UtcDay::from_unix_nanos(i128::from(record.occurred_at_ns)).unwrap()
}

#[test]
fn every_record_is_counted_with_exact_tokens() {
    let demo = demo();
    let records = mapped();
    assert_eq!(records.len(), demo.telemetry_record_count());
    let mut by_tool: BTreeMap<Tool, TokenCounts> = BTreeMap::new();
    for record in records {
        let total = by_tool.entry(record.tool).or_default();
        *total = total.checked_add(&record.tokens).unwrap();
    }
    assert_eq!(by_tool, demo.telemetry_tokens());
    assert_eq!(
        by_tool.keys().copied().collect::<Vec<_>>(),
        [Tool::ClaudeCode, Tool::Codex, Tool::GeminiCli, Tool::Cursor]
    );
    // Every record has its own idempotency key: re-sending changes nothing, and nothing
    // distinct is merged.
    let keys: BTreeSet<IdempotencyKey> = records.iter().map(|r| r.idempotency_key).collect();
    assert_eq!(keys.len(), records.len());
}

#[test]
fn the_scale_fits_a_quick_seed() {
    let demo = demo();
    let records = demo.telemetry_record_count();
    assert!(
        (50_000..=150_000).contains(&records),
        "{records} telemetry records"
    );
    assert_eq!(demo.otlp_request_count(), demo.telemetry().count());
    println!(
        "{records} records in {} OTLP requests",
        demo.otlp_request_count()
    );
}

#[test]
fn providers_models_and_teams_are_as_generated() {
    let demo = demo();
    let catalogue = Catalogue::built_in();
    for record in mapped() {
        let expected = match record.tool {
            Tool::ClaudeCode => Provider::Anthropic,
            Tool::Codex => Provider::OpenAi,
            Tool::GeminiCli => Provider::Google,
            _ => Provider::Cursor,
        };
        assert_eq!(record.provider, expected);
        let person = demo
            .people()
            .iter()
            .find(|p| {
                Some(p.email.as_str()) == record.identity.email.as_deref()
                    || Some(p.account_uuid.as_str()) == record.identity.account_uuid.as_deref()
            })
            .expect("every record names its person");
        assert_eq!(record.identity.team_tag(), person.team);
        let priced = catalogue
            .price(
                &record.provider,
                &record.model,
                Tier::Standard,
                day_of(record),
            )
            .is_some();
        // Cursor's usage is priced by its own reported cost; the preview model by nobody.
        if record.tool != Tool::Cursor {
            assert_eq!(
                priced,
                record.model != demo.unpriced_model(),
                "{}",
                record.model
            );
        }
    }
}

#[test]
fn reported_costs_are_the_list_prices_exactly() {
    let demo = demo();
    let reported = |tool: Tool| {
        sum(mapped()
            .iter()
            .filter(|r| r.tool == tool)
            .map(|r| r.reported_cost.unwrap()))
    };
    let claude = calls(demo, Tool::ClaudeCode, |u| u.exported);
    assert_eq!(
        reported(Tool::ClaudeCode),
        sum(claude.iter().map(|u| u.list_cost.unwrap()))
    );
    assert!(
        mapped()
            .iter()
            .filter(|r| matches!(r.tool, Tool::Codex | Tool::GeminiCli))
            .all(|r| r.reported_cost.is_none())
    );
    // Cursor reports model cost plus its fee: more than list, and what Cursor bills.
    let cursor = reported(Tool::Cursor);
    let list = sum(calls(demo, Tool::Cursor, |u| u.exported)
        .iter()
        .map(|u| u.list_cost.unwrap()));
    assert!(cursor > list);
    let before_removal: Usd = sum(mapped()
        .iter()
        .filter(|r| r.tool == Tool::Cursor && day_of(r) < demo.cursor_removed_on())
        .filter(|r| day_of(r) <= demo.final_through())
        .map(|r| r.reported_cost.unwrap()));
    assert_eq!(before_removal, demo.billed_total(&Provider::Cursor));
}

#[test]
fn identities_switch_from_email_to_account_id() {
    let demo = demo();
    let switch = demo.scenario().identity_switch_on;
    assert!(demo.demo_month().contains(switch));
    let switchers: Vec<_> = demo.identity_switchers().collect();
    assert_eq!(switchers.len(), 3);
    for person in switchers {
        let mine: Vec<&UsageRecord> = mapped()
            .iter()
            .filter(|r| r.identity.account_uuid.as_deref() == Some(&person.account_uuid))
            .collect();
        let (before, after): (Vec<&UsageRecord>, Vec<&UsageRecord>) =
            mine.iter().partition(|r| day_of(r) < switch);
        assert!(!before.is_empty() && !after.is_empty(), "{}", person.email);
        assert!(
            before
                .iter()
                .all(|r| r.identity.email.as_deref() == Some(&person.email))
        );
        assert!(after.iter().all(|r| r.identity.email.is_none()));
        assert!(after.iter().any(|r| demo.demo_month().contains(day_of(r))));
    }
}

#[test]
fn the_untracked_team_and_the_dead_exporter_send_nothing() {
    let demo = demo();
    assert!(
        mapped()
            .iter()
            .all(|r| r.identity.team_tag() != demo.untracked_team())
    );
    let (person, stopped) = demo.stopped_exporter().unwrap();
    assert!(demo.demo_month().contains(stopped));
    let theirs: Vec<UtcDay> = mapped()
        .iter()
        .filter(|r| r.identity.email.as_deref() == Some(&person.email))
        .map(day_of)
        .collect();
    assert!(
        theirs
            .iter()
            .any(|d| demo.demo_month().contains(*d) && *d < stopped)
    );
    assert!(theirs.iter().all(|d| *d < stopped));
    // …while the person kept working.
    let index = demo.people().iter().position(|p| p == person).unwrap();
    assert!(
        demo.usage()
            .iter()
            .any(|u| u.person == index && u.day >= stopped && u.reported)
    );
}

#[test]
fn the_unpriced_model_and_cursor_after_removal_are_in_the_demo_month() {
    let demo = demo();
    let month = demo.demo_month();
    assert!(
        mapped()
            .iter()
            .any(|r| r.model == demo.unpriced_model() && month.contains(day_of(r)))
    );
    assert!(
        mapped()
            .iter()
            .any(|r| r.tool == Tool::Cursor && day_of(r) >= demo.cursor_removed_on())
    );
}
