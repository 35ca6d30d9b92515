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

/// An Anthropic integration whose test stored `lines`; its next sync is due now if `due`.
pub async fn anthropic_integration(
    storage: &dyn Storage,
    org: i64,
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
        kind: "anthropic".into(),
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
    storage
        .create_integration(&new, &seal, ("2026-11-01", "2026-11-02", test), &audit)
        .await
        .unwrap()
}
