//! Conversion of documented Anthropic rows (the reference's own examples) into billing lines.

use reconciler::{TokenCounts, Usd, UtcDay};

use super::check_admin_key;
use super::convert::{claude_code_lines, cost_line, usage_line};
use super::wire::{ClaudeCodeRecord, CostRow, UsageRow};
use crate::CostType;

fn day() -> UtcDay {
    UtcDay::parse("2025-08-01").unwrap()
}

fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}

fn cost(json: &str) -> Result<Vec<crate::BillingLine>, String> {
    cost_line(day(), serde_json::from_str::<CostRow>(json).unwrap())
}

#[test]
fn documented_cost_row_is_billed_dollars_from_cents() {
    let lines = cost(
        r#"{"currency":"USD","amount":"123.78912","workspace_id":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
            "description":"Claude Sonnet 4 Usage - Input Tokens","cost_type":"tokens",
            "context_window":"0-200k","model":"claude-sonnet-4-20250514","service_tier":"standard",
            "token_type":"uncached_input_tokens","inference_geo":"global","new_field":1}"#,
    )
    .unwrap();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line.amount, Some(usd("1.2378912")));
    assert!(line.is_billed());
    assert_eq!(line.model, "claude-sonnet-4-20250514");
    assert_eq!(line.workspace, "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ");
    assert_eq!(line.description, "Claude Sonnet 4 Usage - Input Tokens");
    assert_eq!(line.service_tier, "standard");
    assert_eq!(line.cost_type, CostType::Tokens);
    assert_eq!(line.tokens, TokenCounts::default());
    assert_eq!(line.source, "/v1/organizations/cost_report");
    assert!(
        line.natural_key
            .contains("token_type=uncached_input_tokens")
    );
    assert!(
        line.natural_key
            .starts_with("/v1/organizations/cost_report|2025-08-01|")
    );
}

#[test]
fn cost_nulls_and_other_cost_types() {
    let lines = cost(
        r#"{"currency":"USD","amount":"40.16699999999999","workspace_id":null,
            "description":"Claude Code Session Usage","cost_type":"session_usage","model":null}"#,
    )
    .unwrap();
    assert_eq!(lines[0].workspace, "", "null = the default workspace");
    assert_eq!(lines[0].model, "");
    assert_eq!(lines[0].cost_type, CostType::Other);
    assert_eq!(lines[0].amount, Some(usd("0.40167")));
    let code =
        cost(r#"{"amount":"5","cost_type":"code_execution","description":"Code Execution Usage"}"#)
            .unwrap();
    assert_eq!(code[0].cost_type, CostType::CodeExecution);
    assert_eq!(code[0].amount, Some(usd("0.05")));
    let euro = cost(r#"{"currency":"EUR","amount":"5"}"#).unwrap_err();
    assert!(euro.contains("EUR"), "{euro}");
    let bad = cost(r#"{"currency":"USD","amount":"12,5"}"#).unwrap_err();
    assert!(bad.starts_with("amount:"), "{bad}");
}

#[test]
fn usage_row_maps_every_token_kind() {
    let row: UsageRow = serde_json::from_str(
        r#"{"uncached_input_tokens":1500,
            "cache_creation":{"ephemeral_1h_input_tokens":1000,"ephemeral_5m_input_tokens":500},
            "cache_read_input_tokens":200,"output_tokens":500,
            "server_tool_use":{"web_search_requests":10},"model":"claude-sonnet-4-20250514",
            "api_key_id":null,"workspace_id":null,"service_tier":"priority",
            "context_window":null,"inference_geo":null}"#,
    )
    .unwrap();
    let line = usage_line(day(), row).unwrap().remove(0);
    assert_eq!(
        line.tokens,
        TokenCounts {
            input: 1500,
            cache_read: 200,
            cache_write_5m: 500,
            cache_write_1h: 1000,
            output: 500,
            reasoning: 0,
        }
    );
    assert_eq!(line.amount, None);
    assert!(!line.is_billed());
    assert_eq!(line.api_key, "", "null = Console/Workbench usage");
    assert_eq!(line.service_tier, "priority");
    assert_eq!(line.cost_type, CostType::Tokens);
}

#[test]
fn claude_code_records_are_estimates_per_model() {
    let record: ClaudeCodeRecord = serde_json::from_str(
        r#"{"actor":{"email_address":"user@emaildomain.com","type":"user_actor"},
            "core_metrics":{"num_sessions":15},"customer_type":"api","date":"2025-08-08T00:00:00Z",
            "model_breakdown":[
              {"estimated_cost":{"amount":186,"currency":"USD"},"model":"claude-sonnet-4-20250514",
               "tokens":{"cache_creation":2340,"cache_read":8790,"input":45230,"output":12450}},
              {"estimated_cost":{"amount":0.5,"currency":"USD"},"model":"claude-3-5-haiku-20241022",
               "tokens":{"input":10,"output":2}}],
            "organization_id":"12345678-1234-5678-1234-567812345678","terminal_type":"iTerm.app"}"#,
    )
    .unwrap();
    let day = UtcDay::parse("2025-08-08").unwrap();
    let lines = claude_code_lines(day, record).unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.estimate && !l.is_billed()));
    assert_eq!(lines[0].amount, Some(usd("1.86")));
    assert_eq!(lines[1].amount, Some(usd("0.005")));
    assert_eq!(lines[0].person, "user@emaildomain.com");
    assert_eq!(lines[0].tokens.cache_write_5m, 2340);
    assert_eq!(lines[0].tokens.input, 45230);
    assert_ne!(lines[0].natural_key, lines[1].natural_key);
    let api: ClaudeCodeRecord = serde_json::from_str(
        r#"{"actor":{"type":"api_actor","api_key_name":"ci-bot"},"date":"2025-08-08",
            "model_breakdown":[{"model":"claude-sonnet-4-20250514","tokens":{"input":1}}]}"#,
    )
    .unwrap();
    let line = claude_code_lines(day, api).unwrap().remove(0);
    assert_eq!(line.person, "ci-bot");
    assert_eq!(line.amount, None);
}

#[test]
fn admin_key_check_explains_how_to_get_one() {
    assert!(check_admin_key("sk-ant-admin01-abc").is_ok());
    let regular = check_admin_key("sk-ant-api03-secretpart").unwrap_err();
    assert!(regular.contains("regular Anthropic API key"), "{regular}");
    assert!(regular.contains("Settings → Admin keys"), "{regular}");
    assert!(regular.contains("admin role"), "{regular}");
    assert!(!regular.contains("secretpart"));
    assert!(check_admin_key("sk-admin-123").is_err());
    assert!(check_admin_key("").is_err());
    assert!(check_admin_key("sk-ant-admin01-abc\n").is_err());
}
