//! The storage of usage providers on both backends: claims that let each sync run once even
//! with several processes on one database, and runs that end without touching earlier lines
//! unless they succeed.

use reckon_server::storage::{BillingGroup, RunEnd, now_ms};
use reckon_tests::{TestDatabase, backend_tests};
use reconciler::{Usd, UtcDay};

backend_tests!(
    of_two_racing_claims_one_wins_and_the_run_s_end_releases_it,
    due_syncs_are_claimed_by_one_process_each,
    a_failed_run_leaves_earlier_lines_exactly_and_says_why,
    a_running_backfill_shows_how_far_it_has_come,
);

use reckon_tests::bills::{anthropic_integration as integration, cost_line as line};

async fn of_two_racing_claims_one_wins_and_the_run_s_end_releases_it(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let created = integration(storage.as_ref(), org, &[], false).await;
    let until = now_ms() + 60_000;
    let other = db.storage().await;
    let (a, b) = tokio::join!(
        storage.claim_integration(org, created.id, until),
        other.claim_integration(org, created.id, until)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().filter(|won| **won).count(),
        1
    );
    let run = storage
        .start_run(org, created.id, "sync", ("2026-11-01", "2026-11-02"))
        .await
        .unwrap();
    let end = RunEnd {
        requests: 1,
        result: Err("the provider is unavailable".into()),
        complete_through: None,
        next_sync_at_ms: None,
    };
    storage.finish_run(org, created.id, run, end).await.unwrap();
    assert!(
        storage
            .claim_integration(org, created.id, until)
            .await
            .unwrap()
    );
    other.close().await;
    storage.close().await;
}

async fn due_syncs_are_claimed_by_one_process_each(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let mut due = Vec::new();
    for _ in 0..3 {
        due.push(integration(storage.as_ref(), org, &[], true).await.id);
    }
    integration(storage.as_ref(), org, &[], false).await;
    let other = db.storage().await;
    let until = now_ms() + 60_000;
    let (a, b) = tokio::join!(
        storage.claim_due_integrations(until),
        other.claim_due_integrations(until)
    );
    let mut claimed: Vec<i64> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .map(|(_, id)| id)
        .collect();
    claimed.sort_unstable();
    assert_eq!(
        claimed, due,
        "each due one exactly once, the one not due not at all"
    );
    assert!(
        storage
            .claim_due_integrations(until)
            .await
            .unwrap()
            .is_empty()
    );
    other.close().await;
    storage.close().await;
}

async fn a_failed_run_leaves_earlier_lines_exactly_and_says_why(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let lines = [
        line("2026-11-01", "123.78912"),
        line("2026-11-02", "40.16699999999999"),
    ];
    let created = integration(storage.as_ref(), org, &lines, false).await;
    let billed = |rows: Vec<reckon_server::storage::BillingRow>| {
        rows.into_iter()
            .map(|row| (row.groups[0].1.clone(), row.billed))
            .collect::<Vec<_>>()
    };
    let (from, to) = (
        UtcDay::parse("2026-11-01").unwrap(),
        UtcDay::parse("2026-11-30").unwrap(),
    );
    let before = billed(
        storage
            .billing(org, from, to, &[BillingGroup::Day])
            .await
            .unwrap(),
    );
    assert_eq!(
        before,
        [
            (
                "2026-11-01".to_owned(),
                Some(Usd::parse_cents("123.78912").unwrap())
            ),
            (
                "2026-11-02".to_owned(),
                Some(Usd::parse_cents("40.16699999999999").unwrap())
            ),
        ]
    );

    let run = storage
        .start_run(org, created.id, "sync", ("2026-11-01", "2026-11-02"))
        .await
        .unwrap();
    let syncing = storage.integration(org, created.id).await.unwrap().unwrap();
    assert_eq!(syncing.status, "syncing");
    let end = RunEnd {
        requests: 5,
        result: Err("the provider is unavailable (HTTP 500) after several attempts".into()),
        complete_through: Some("2026-11-02".into()),
        next_sync_at_ms: Some(now_ms() + 1000),
    };
    storage.finish_run(org, created.id, run, end).await.unwrap();
    let after = billed(
        storage
            .billing(org, from, to, &[BillingGroup::Day])
            .await
            .unwrap(),
    );
    assert_eq!(after, before);
    let failed = storage.integration(org, created.id).await.unwrap().unwrap();
    assert_eq!(failed.status, "error");
    assert_eq!(
        failed.status_message.as_deref(),
        Some("the provider is unavailable (HTTP 500) after several attempts")
    );
    assert_eq!(
        failed.complete_through, None,
        "a failed run completes nothing"
    );
    let runs = storage.runs(org, created.id).await.unwrap();
    assert_eq!(runs[0].outcome, "failed");
    assert_eq!(runs[0].requests, 5);
    assert_eq!(runs[0].lines, 0);
    assert_eq!(runs[1].outcome, "succeeded");
    assert_eq!(runs[1].lines, 2);
    storage.close().await;
}

async fn a_running_backfill_shows_how_far_it_has_come(db: TestDatabase) {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let created = integration(storage.as_ref(), org, &[], false).await;
    let run = storage
        .start_run(org, created.id, "backfill", ("2025-11-22", "2026-11-22"))
        .await
        .unwrap();
    storage
        .record_progress(run, "2026-03-14", 57, 1200)
        .await
        .unwrap();
    let running = &storage.runs(org, created.id).await.unwrap()[0];
    assert_eq!(running.outcome, "running");
    assert_eq!(running.progress_through.as_deref(), Some("2026-03-14"));
    assert_eq!((running.requests, running.lines), (57, 1200));
    let end = RunEnd {
        requests: 130,
        result: Ok(&[]),
        complete_through: Some("2026-11-21".into()),
        next_sync_at_ms: None,
    };
    storage.finish_run(org, created.id, run, end).await.unwrap();
    // A late progress report after the end changes nothing.
    storage
        .record_progress(run, "2026-04-01", 60, 1300)
        .await
        .unwrap();
    let ended = &storage.runs(org, created.id).await.unwrap()[0];
    assert_eq!(ended.outcome, "succeeded");
    assert_eq!((ended.requests, ended.lines), (130, 0));
    let provider = storage.integration(org, created.id).await.unwrap().unwrap();
    assert_eq!(provider.complete_through.as_deref(), Some("2026-11-21"));
    assert_eq!(provider.status, "active");
    storage.close().await;
}
