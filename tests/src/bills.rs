//! Bills stored directly (as a successful sync would store them), for tests of what reads them.

use billing::{BillingLine, CostType};
use reckon_server::storage::{AuditEntry, Integration, NewIntegration, RunEnd, Storage, now_ms};
use reckon_server::vault::{Binding, MasterKey, Vault};
use reconciler::{Provider, TokenCounts, Usd, UtcDay};

/// An Anthropic cost line of `cents` on `day`.
pub fn cost_line(day: &str, cents: &str) -> BillingLine {
    BillingLine {
        day: UtcDay::parse(day).unwrap(),
        provider: Provider::Anthropic,
        model: "claude-sonnet-4-5".into(),
        workspace: String::new(),
        api_key: String::new(),
        person: String::new(),
        service_tier: "standard".into(),
        description: "Claude Sonnet 4.5 Usage - Input Tokens".into(),
        cost_type: CostType::Tokens,
        tokens: TokenCounts::default(),
        amount: Some(Usd::parse_cents(cents).unwrap()),
        estimate: false,
        source: "/v1/organizations/cost_report".into(),
        natural_key: format!("cost|{day}|{cents}"),
    }
}

/// A Cursor usage-based line: `cents` of `person`'s usage of `model` on `day`.
pub fn cursor_line(day: &str, person: &str, model: &str, cents: &str) -> BillingLine {
    BillingLine {
        provider: Provider::Cursor,
        model: model.into(),
        person: person.into(),
        description: "usage-based".into(),
        source: "/teams/filtered-usage-events".into(),
        natural_key: format!("cursor|{day}|{person}|{model}|{cents}"),
        ..cost_line(day, cents)
    }
}

/// An Anthropic integration whose test stored `lines` (reading the days from the first line's
/// to the last's); its next sync is due now if `due`.
pub async fn anthropic_integration(
    storage: &dyn Storage,
    org: i64,
    lines: &[BillingLine],
    due: bool,
) -> Integration {
    stored_integration(storage, org, "anthropic", lines, due).await
}

/// An integration of `kind` whose test stored `lines`, as [`anthropic_integration`].
pub async fn stored_integration(
    storage: &dyn Storage,
    org: i64,
    kind: &str,
    lines: &[BillingLine],
    due: bool,
) -> Integration {
    let vault = Vault::new(MasterKey::generate().unwrap(), vec![]);
    let seal = move |integration_id| {
        Ok(vault
            .seal(
                b"{}",
                Binding {
                    org_id: org,
                    integration_id,
                },
            )
            .unwrap())
    };
    let new = NewIntegration {
        org_id: org,
        kind: kind.into(),
        name: "stored bill".into(),
        account: String::new(),
        credential_hint: None,
        created_by_user_id: None,
        next_sync_at_ms: due.then(now_ms),
    };
    let audit = AuditEntry {
        org_id: org,
        actor_user_id: None,
        actor: "cli".into(),
        action: "integration.create",
        target: String::new(),
        details: serde_json::json!({}),
        client_addr: None,
    };
    let test = RunEnd {
        requests: 3,
        result: Ok(lines),
        complete_through: None,
        next_sync_at_ms: None,
    };
    // The test run read the days of its lines (coverage starts at the first day a run read).
    let mut days: Vec<String> = lines.iter().map(|l| l.day.to_string()).collect();
    days.sort();
    let first = days.first().map_or("2026-11-01", String::as_str);
    let last = days.last().map_or("2026-11-02", String::as_str);
    storage
        .create_integration(&new, &seal, (first, last, test), &audit)
        .await
        .unwrap()
}
