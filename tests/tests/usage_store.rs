//! The usage write path at the storage layer: a group holding events already stored beside
//! new ones stores exactly the new ones, however many statements (padded or not) it takes;
//! rollups rebuilt from the events equal those the write path kept.

use otlp_receiver::{IdempotencyKey, Identity, RecordKind, StoreOutcome, UsageRecord};
use reckon_server::accounts::{Acting, create_telemetry_key};
use reckon_server::storage::{Storage, UsageBatch, UsageGroup};
use reckon_tests::{TestDatabase, backend_tests};
use reconciler::{Provider, TokenCounts, TokenKind, Tool, Usd, UtcDay};

backend_tests!(
    a_group_mixing_stored_and_new_events_stores_only_the_new_ones,
    hundreds_of_events_in_one_export_are_stored_once_each,
    rebuilt_rollups_equal_the_written_ones_and_leave_other_days_alone,
    records_that_would_take_a_stored_sum_out_of_bounds_are_refused_and_change_nothing,
);

const DAY_START_NS: u64 = 1_795_305_600_000_000_000; // 2026-11-22T00:00:00Z

/// Event `n`: 100 + n input tokens and a reported cost of n thousandths of a dollar.
fn event(n: u64) -> UsageRecord {
    let at = DAY_START_NS + n * 1_000_000;
    UsageRecord {
        idempotency_key: IdempotencyKey::new(at, &["usage-store-test", &n.to_string()]),
        kind: RecordKind::Event { covers: vec![] },
        tool: Tool::ClaudeCode,
        provider: Provider::Anthropic,
        model: "claude-sonnet-4-5".into(),
        occurred_at_ns: at,
        session_id: Some("s1".into()),
        identity: Identity {
            email: Some("dev@example.com".into()),
            ..Identity::default()
        },
        tokens: TokenCounts::default().with(TokenKind::Input, 100 + n),
        reported_cost: Some(Usd::from_nanos(i64::try_from(n).unwrap() * 1_000_000)),
    }
}

struct Fixture {
    storage: std::sync::Arc<dyn Storage>,
    org_id: i64,
    key_id: i64,
}

impl Fixture {
    async fn new(db: &TestDatabase) -> Fixture {
        let storage = db.storage().await;
        let org = storage.ensure_default_organization().await.unwrap();
        let (key, _) = create_telemetry_key(storage.as_ref(), org.id, "test", &Acting::cli())
            .await
            .unwrap();
        Fixture {
            storage,
            org_id: org.id,
            key_id: key.id,
        }
    }

    async fn store(&self, exports: &[Vec<UsageRecord>]) -> Vec<StoreOutcome> {
        let batches: Vec<UsageBatch<'_>> = exports
            .iter()
            .map(|records| UsageBatch {
                org_id: self.org_id,
                telemetry_key_id: self.key_id,
                records,
            })
            .collect();
        self.storage.store_usage(&batches).await.unwrap()
    }

    /// (records, input tokens, reported nano-dollars) of the day.
    async fn totals(&self) -> (i64, u64, i64) {
        let day: UtcDay = "2026-11-22".parse().unwrap();
        let rows = self
            .storage
            .usage(self.org_id, day, day, &[UsageGroup::Day])
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        (
            rows[0].records,
            rows[0].tokens.get(TokenKind::Input),
            rows[0].reported_cost.map(Usd::to_nanos).unwrap(),
        )
    }
}

fn outcome(stored: usize, duplicates: usize) -> StoreOutcome {
    StoreOutcome {
        stored,
        duplicates,
        ..StoreOutcome::default()
    }
}

async fn a_group_mixing_stored_and_new_events_stores_only_the_new_ones(db: TestDatabase) {
    let f = Fixture::new(&db).await;
    assert_eq!(f.store(&[vec![event(1), event(2)]]).await, [outcome(2, 0)]);
    // One group of two exports: the first re-sent, the second half old, half new.
    let outcomes = f.store(&[vec![event(1)], vec![event(2), event(3)]]).await;
    assert_eq!(outcomes, [outcome(0, 1), outcome(1, 1)]);
    assert_eq!(f.totals().await, (3, 101 + 102 + 103, 6_000_000));
    f.storage.close().await;
}

async fn hundreds_of_events_in_one_export_are_stored_once_each(db: TestDatabase) {
    let f = Fixture::new(&db).await;
    // 301 events take statements of 128, 128 and 48 rows (45 and three copies of the last).
    let first: Vec<UsageRecord> = (1..=301).map(event).collect();
    assert_eq!(
        f.store(std::slice::from_ref(&first)).await,
        [outcome(301, 0)]
    );
    let input: u64 = (1..=301).map(|n| 100 + n).sum();
    let cost: i64 = (1..=301).map(|n| n * 1_000_000).sum();
    assert_eq!(f.totals().await, (301, input, cost));
    // Re-sent with one more: only that one counts.
    let again: Vec<UsageRecord> = (1..=302).map(event).collect();
    assert_eq!(f.store(&[again]).await, [outcome(1, 301)]);
    assert_eq!(f.totals().await, (302, input + 402, cost + 302 * 1_000_000));
    f.storage.close().await;
}

/// A delta metric point of `scope` (a fallback until an event covers the scope).
fn fallback(n: u64, scope: &str) -> UsageRecord {
    UsageRecord {
        idempotency_key: IdempotencyKey::new(DAY_START_NS + n, &["fallback", scope]),
        kind: RecordKind::Fallback {
            scope: scope.into(),
        },
        reported_cost: None,
        ..event(n)
    }
}

async fn rebuilt_rollups_equal_the_written_ones_and_leave_other_days_alone(db: TestDatabase) {
    let f = Fixture::new(&db).await;
    let next_day = |mut record: UsageRecord| {
        record.occurred_at_ns += 86_400_000_000_000;
        record
    };
    // A metric counted until an event covering its scope arrives and takes it back out; an
    // estimated (no cost) event; and usage on the next day.
    let covering = UsageRecord {
        kind: RecordKind::Event {
            covers: vec!["scope-a".into()],
        },
        ..event(7)
    };
    let mut unreported = event(8);
    unreported.reported_cost = None;
    f.store(&[vec![fallback(1, "scope-a"), fallback(2, "scope-b")]])
        .await;
    f.store(&[
        vec![covering, unreported, event(9)],
        vec![next_day(event(10))],
    ])
    .await;
    let all = [
        UsageGroup::Day,
        UsageGroup::Provider,
        UsageGroup::Tool,
        UsageGroup::Model,
        UsageGroup::Person,
        UsageGroup::Team,
    ];
    let (day, after): (UtcDay, UtcDay) =
        ("2026-11-22".parse().unwrap(), "2026-11-23".parse().unwrap());
    let written = f.storage.usage(f.org_id, day, after, &all).await.unwrap();
    let records =
        |rows: &[reckon_server::storage::UsageRow]| rows.iter().map(|r| r.records).sum::<i64>();
    assert_eq!(
        records(&written),
        5,
        "scope-b's metric, 4 events; scope-a's was taken back"
    );

    // Day, provider and model alone are read from the daily sums: the same figures.
    let coarse = [UsageGroup::Day, UsageGroup::Provider, UsageGroup::Model];
    let daily = f
        .storage
        .usage(f.org_id, day, after, &coarse)
        .await
        .unwrap();
    assert_eq!(records(&daily), records(&written));
    let input = |rows: &[reckon_server::storage::UsageRow]| {
        rows.iter()
            .map(|r| r.tokens.get(TokenKind::Input))
            .sum::<u64>()
    };
    assert_eq!(input(&daily), input(&written));

    // The monthly sums (what attribution reads) hold the month's rollups summed.
    let month = day.month();
    let whole_month = async |f: &Fixture| {
        let groups = &all[1..];
        // Every key column asked for: the stored rows are the month's sums, in no order.
        let mut monthly: Vec<_> = f
            .storage
            .usage_by_month(f.org_id, month, month, groups)
            .await
            .unwrap()
            .into_iter()
            .map(|(m, row)| {
                assert_eq!(m, month);
                row
            })
            .collect();
        monthly.sort_by_cached_key(|row| format!("{row:?}"));
        let mut days = f
            .storage
            .usage(f.org_id, month.first_day(), month.last_day(), groups)
            .await
            .unwrap();
        days.sort_by_cached_key(|row| format!("{row:?}"));
        assert_eq!(monthly, days, "monthly sums against the days summed");
        monthly
    };
    assert_eq!(records(&whole_month(&f).await), 5);

    let rebuilt = f.storage.rebuild_rollups(f.org_id, day, day).await.unwrap();
    // The day has two rollup rows: one per label.
    assert_eq!((rebuilt.removed, rebuilt.written), (2, 2), "{rebuilt:?}");
    assert_eq!(
        f.storage.usage(f.org_id, day, after, &all).await.unwrap(),
        written
    );
    // Usage stored after a rebuild adds to the rebuilt rows as before.
    f.store(&[vec![event(11)]]).await;
    let now = f.storage.usage(f.org_id, day, after, &all).await.unwrap();
    assert_eq!(records(&now), 6);
    assert_eq!(records(&whole_month(&f).await), 6);
    f.storage.close().await;
}

/// Event `n` with the largest cost one record may state: a million dollars.
fn costly(n: u64) -> UsageRecord {
    UsageRecord {
        reported_cost: Some(Usd::from_nanos(1_000_000_000_000_000)),
        ..event(n)
    }
}

async fn records_that_would_take_a_stored_sum_out_of_bounds_are_refused_and_change_nothing(
    db: TestDatabase,
) {
    let f = Fixture::new(&db).await;
    // 36 of them fit one day's row (3.6 × 10^16 nano-dollars, below 2^55); a 37th would not.
    let fitting: Vec<UsageRecord> = (1..=36).map(costly).collect();
    assert_eq!(f.store(&[fitting]).await, [outcome(36, 0)]);
    let before = f.totals().await;
    assert_eq!(before.2, 36_000_000_000_000_000);
    let batch = [costly(37), event(38)];
    let refused = f
        .storage
        .store_usage(&[UsageBatch {
            org_id: f.org_id,
            telemetry_key_id: f.key_id,
            records: &batch,
        }])
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            reckon_server::storage::StorageError::SumOverflow(_)
        ),
        "{refused}"
    );
    assert!(refused.to_string().contains("2^55"), "{refused}");
    // Rolled back whole: the harmless record with it is not stored either, and nothing moved.
    assert_eq!(f.totals().await, before);
    assert_eq!(f.store(&[vec![event(38)]]).await, [outcome(1, 0)]);
    f.storage.close().await;
}
