//! `reckon usage rebuild-rollups`: the replayed fixture's usage is the same after its rollups
//! are rebuilt from the stored events; a bad range is refused and changes nothing.

use reckon_tests::otlp::{replay, setup, usage};
use reckon_tests::{Output, TestApp, TestDatabase, backend_tests};

backend_tests!(rebuilding_rollups_at_the_command_line_keeps_usage_exact);

fn reckon(db: &TestDatabase, args: &[&str]) -> Output {
    db.reckon(args, None)
}

async fn rebuilding_rollups_at_the_command_line_keeps_usage_exact(db: TestDatabase) {
    let (key, viewer) = setup(&db).await;
    let app = TestApp::spawn(&db).await;
    replay(&app, "codex-0.169.0-http-json-delta.jsonl", &key).await;
    replay(&app, "gemini-cli-0.61.0-http-json-cumulative.jsonl", &key).await;
    let before = usage(&app, &viewer, "day,provider,tool,model,person,team").await;
    assert!(!before.is_empty());

    let refused = reckon(
        &db,
        &[
            "usage",
            "rebuild-rollups",
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-01",
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("--from 2026-11-30 is after --to 2026-11-01"),
        "{}",
        refused.stderr
    );
    let rebuilt = reckon(
        &db,
        &[
            "usage",
            "rebuild-rollups",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
        ],
    );
    assert!(rebuilt.status.success(), "{}", rebuilt.stderr);
    assert!(
        rebuilt
            .stdout
            .contains("rebuilt the rollups of 2026-11-01..=2026-11-30 in default"),
        "{}",
        rebuilt.stdout
    );
    assert_eq!(
        usage(&app, &viewer, "day,provider,tool,model,person,team").await,
        before
    );
}
