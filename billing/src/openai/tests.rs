//! Conversion of documented OpenAI rows (the spec's own examples) into billing lines.

use reconciler::{TokenCounts, Usd, UtcDay};

use super::check_admin_key;
use super::convert::{cost_line, usage_line};
use super::wire::{CompletionsRow, CostRow};
use crate::{BillingLine, CostType};

fn day() -> UtcDay {
    UtcDay::parse("2024-11-01").unwrap()
}

fn cost(json: &str) -> Result<BillingLine, String> {
    cost_line(day(), serde_json::from_str::<CostRow>(json).unwrap()).map(|mut l| l.remove(0))
}

fn usage(json: &str) -> Result<BillingLine, String> {
    usage_line(day(), serde_json::from_str::<CompletionsRow>(json).unwrap())
        .map(|mut l| l.remove(0))
}

#[test]
fn cost_amounts_are_the_literal_dollars() {
    for (literal, dollars) in [
        ("0.06", "0.06"),
        ("10.1425634", "10.1425634"),
        ("0.30000000000000004", "0.3"),
        ("1e-7", "0.0000001"),
        ("\"2.50\"", "2.5"),
    ] {
        let line = cost(&format!(
            r#"{{"object":"organization.costs.result","amount":{{"value":{literal},"currency":"usd"}},
                "line_item":"gpt-4o, input","project_id":"proj_abc","organization_id":"org-x"}}"#
        ))
        .unwrap();
        assert_eq!(
            line.amount,
            Some(Usd::parse_dollars(dollars).unwrap()),
            "{literal}"
        );
        assert_eq!(line.workspace, "proj_abc");
        assert_eq!(line.description, "gpt-4o, input");
        assert_eq!(line.cost_type, CostType::Tokens);
        // The token line item names its model, so the dollars meet the usage report's tokens.
        assert_eq!(line.model, "gpt-4o");
    }
    let web =
        cost(r#"{"amount":{"value":1,"currency":"usd"},"line_item":"Web search tool calls"}"#)
            .unwrap();
    assert_eq!(web.cost_type, CostType::WebSearch);
    assert_eq!(web.model, "", "names no model");
    let cached = cost(
        r#"{"amount":{"value":1,"currency":"usd"},"line_item":"gpt-5.1-codex, cached input"}"#,
    );
    assert_eq!(cached.unwrap().model, "gpt-5.1-codex");
    let other = cost(r#"{"amount":{"value":1,"currency":"usd"},"line_item":"Image models"}"#);
    assert_eq!(other.unwrap().cost_type, CostType::Other);
    let eur = cost(r#"{"amount":{"value":1,"currency":"eur"}}"#).unwrap_err();
    assert!(eur.contains("eur"));
}

#[test]
fn completions_input_excludes_cached_and_cache_write() {
    let line = usage(
        r#"{"object":"organization.usage.completions.result","input_tokens":1000,
            "input_cached_tokens":400,"input_cache_write_tokens":100,"input_uncached_tokens":500,
            "output_tokens":500,"input_audio_tokens":50,"output_audio_tokens":50,
            "num_model_requests":5,"project_id":null,"user_id":null,"api_key_id":null,
            "model":"gpt-4o-2024-08-06","batch":false,"service_tier":"default"}"#,
    )
    .unwrap();
    assert_eq!(
        line.tokens,
        TokenCounts {
            input: 500,
            cache_read: 400,
            cache_write_5m: 100,
            cache_write_1h: 0,
            output: 500,
            reasoning: 0,
        }
    );
    assert_eq!(line.amount, None);
    assert_eq!(line.service_tier, "default");
    assert_eq!(line.model, "gpt-4o-2024-08-06");
    // Older responses: no cache fields at all; counts as strings are tolerated.
    let old =
        usage(r#"{"input_tokens":"70","output_tokens":30,"num_model_requests":1,"batch":true}"#)
            .unwrap();
    assert_eq!(old.tokens.input, 70);
    assert_eq!(old.tokens.cache_read, 0);
    assert_eq!(old.service_tier, "batch");
    let inconsistent = usage(r#"{"input_tokens":10,"input_cached_tokens":20,"output_tokens":0}"#);
    assert!(inconsistent.unwrap_err().contains("less than"));
}

#[test]
fn admin_key_check_explains_how_to_get_one() {
    assert!(check_admin_key("sk-admin-1234abcd").is_ok());
    let project = check_admin_key("sk-proj-secretpart").unwrap_err();
    assert!(project.contains("Admin keys"), "{project}");
    assert!(project.contains("sk-admin-"), "{project}");
    assert!(!project.contains("secretpart"));
    assert!(check_admin_key("sk-ant-admin01-x").is_err());
    assert!(check_admin_key(" sk-admin-1").is_err());
}
