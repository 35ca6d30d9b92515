//! The recorded exports of the real CLIs, replayed over real sockets to the running server —
//! protobuf byte for byte, JSON as sent, gRPC through a tonic client — give exactly the figures
//! in the fixtures' README, and replaying them again changes nothing.

use reckon_tests::otlp::{FIXTURES, replay, setup, usage};
use reckon_tests::{TestApp, TestDatabase, backend_tests};
use serde_json::{Value, json};

fn row(
    tool: &str,
    model: &str,
    label: &str,
    tokens: [u64; 5],
    cost: Option<&str>,
    records: i64,
) -> Value {
    json!({
        "tool": tool,
        "model": model,
        "label": label,
        "records": records,
        "tokens": {
            "input": tokens[0], "cache_read": tokens[1], "cache_write": tokens[2],
            "output": tokens[3], "reasoning": tokens[4],
        },
        // The tool's own cost for `reported` rows; the catalogue's for `estimated` ones.
        "reported_cost_usd": if label == "reported" { cost } else { None },
        "estimated_cost_usd": if label == "estimated" { cost } else { None },
        "unpriced_tokens": 0,
    })
}

backend_tests!(every_fixture_counts_once_however_often_it_is_sent);

async fn every_fixture_counts_once_however_often_it_is_sent(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    for file in FIXTURES {
        replay(&app, file, &key).await;
    }
    let expected = vec![
        row(
            "claude_code",
            "claude-sonnet-4-5",
            "reported",
            [2400, 9000, 600, 74, 0],
            Some("0.01326"),
            2,
        ),
        row(
            "codex",
            "gpt-5.1-codex",
            "estimated",
            [702, 3000, 0, 168, 21],
            Some("0.0029325"),
            3,
        ),
        row(
            "gemini_cli",
            "gemini-2.5-flash",
            "estimated",
            [690, 4000, 0, 150, 16],
            Some("0.000702"),
            2,
        ),
    ];
    assert_eq!(usage(&app, &viewer, "tool,model").await, expected);
    for file in FIXTURES {
        replay(&app, file, &key).await;
    }
    assert_eq!(
        usage(&app, &viewer, "tool,model").await,
        expected,
        "a second replay changes nothing"
    );
}

#[tokio::test]
async fn each_file_alone_gives_the_readme_figures() {
    let cases = [
        (
            "claude-code-2.1.328-http-json-delta.jsonl",
            row(
                "claude_code",
                "claude-sonnet-4-5",
                "reported",
                [1200, 4500, 300, 37, 0],
                Some("0.00663"),
                1,
            ),
        ),
        (
            "claude-code-2.1.328-http-protobuf-delta.jsonl",
            row(
                "claude_code",
                "claude-sonnet-4-5",
                "reported",
                [1200, 4500, 300, 37, 0],
                Some("0.00663"),
                1,
            ),
        ),
        (
            "codex-0.169.0-http-json-delta.jsonl",
            row(
                "codex",
                "gpt-5.1-codex",
                "estimated",
                [234, 1000, 0, 56, 7],
                Some("0.0009775"),
                1,
            ),
        ),
        (
            "codex-0.169.0-grpc-delta.jsonl",
            row(
                "codex",
                "gpt-5.1-codex",
                "estimated",
                [234, 1000, 0, 56, 7],
                Some("0.0009775"),
                1,
            ),
        ),
        (
            "codex-0.169.0-http-json-delta-chatgpt-login.jsonl",
            row(
                "codex",
                "gpt-5.1-codex",
                "estimated",
                [234, 1000, 0, 56, 7],
                Some("0.0009775"),
                1,
            ),
        ),
        (
            "gemini-cli-0.61.0-http-json-cumulative.jsonl",
            row(
                "gemini_cli",
                "gemini-2.5-flash",
                "estimated",
                [345, 2000, 0, 75, 8],
                Some("0.000351"),
                1,
            ),
        ),
        (
            "gemini-cli-0.61.0-grpc-cumulative.jsonl",
            row(
                "gemini_cli",
                "gemini-2.5-flash",
                "estimated",
                [345, 2000, 0, 75, 8],
                Some("0.000351"),
                1,
            ),
        ),
    ];
    for (file, expected) in cases {
        let db = TestDatabase::sqlite();
        let (key, viewer) = setup(&db).await;
        let app = TestApp::spawn(&db).await;
        replay(&app, file, &key).await;
        assert_eq!(
            usage(&app, &viewer, "tool,model").await,
            vec![expected],
            "{file}"
        );
    }
}

#[tokio::test]
async fn usage_is_attributed_to_people_teams_and_days() {
    let db = TestDatabase::sqlite();
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    replay(
        &app,
        "codex-0.169.0-http-json-delta-chatgpt-login.jsonl",
        &key,
    )
    .await;
    replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    let rows = usage(&app, &viewer, "day,provider,person,team").await;
    let people: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["day"].as_str().unwrap(),
                r["provider"].as_str().unwrap(),
                r["person"].as_str().unwrap(),
                r["team"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(people.len(), 2, "{rows:?}");
    assert!(
        people.contains(&("2026-11-22", "openai", "dev.user@example.com", "")),
        "{people:?}"
    );
    let claude = people.iter().find(|p| p.1 == "anthropic").unwrap();
    assert_eq!((claude.0, claude.3), ("2026-11-22", "platform"));
    assert_eq!(
        claude.2.len(),
        64,
        "Claude Code's user.id when no email is sent"
    );
}
