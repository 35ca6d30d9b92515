//! Usage providers through the REST API of the real server, against a provider-shaped Anthropic
//! Admin API on a real socket: connect (tested first), the bill stored exactly, a revoked key,
//! remove, and the key never appearing in any answer or log line.

use reckon_server::auth::Role;
use reckon_server::storage::Storage;
use reckon_tests::fake_anthropic::{ADMIN_KEY, DAILY_COSTS, FakeAnthropic};
use reckon_tests::{Member, TestApp, TestDatabase, TestResponse, add_member, backend_tests};
use reconciler::{Usd, UtcDay};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(
    connecting_tests_first_stores_the_bill_exactly_and_never_shows_the_key,
    a_failing_test_saves_nothing_and_a_revoked_key_marks_the_provider_error,
    removing_destroys_the_credentials_keeps_the_bill_and_allows_reconnecting,
    sync_now_backfills_then_rereads_the_trailing_window_without_duplicates,
);

struct Setup {
    fake: FakeAnthropic,
    app: TestApp,
    owner: Member,
    storage: std::sync::Arc<dyn Storage>,
    org: i64,
    /// Every response body, to search for the key at the end.
    seen: Vec<String>,
}

impl Setup {
    async fn new(db: &TestDatabase) -> Setup {
        let fake = FakeAnthropic::start().await;
        let storage = db.storage().await;
        let org = storage.ensure_default_organization().await.unwrap().id;
        let owner = add_member(storage.as_ref(), org, Role::Owner, "owner@example.com").await;
        let ca_file = fake.ca_file();
        let app = TestApp::spawn_with(
            db,
            &[],
            &[
                ("RECKON_ANTHROPIC_BASE_URL", fake.base_url.as_str()),
                ("RECKON_CA_FILE", ca_file.as_str()),
            ],
        )
        .await;
        Setup {
            fake,
            app,
            owner,
            storage,
            org,
            seen: Vec::new(),
        }
    }

    async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        let mut request = self
            .app
            .request(method, path)
            .header("authorization", self.owner.bearer());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = self.app.send(request).await;
        self.seen.push(response.body.clone());
        response
    }

    async fn connect(&mut self, key: &str) -> TestResponse {
        self.call(
            Method::POST,
            "/api/v1/providers",
            Some(json!({
                "kind": "anthropic",
                "name": "Anthropic production",
                "credentials": { "admin_api_key": key }
            })),
        )
        .await
    }

    /// Billed rows per day of the test's range (yesterday and today).
    async fn billing_by_day(&mut self) -> Vec<Value> {
        let today = today();
        let path = format!(
            "/api/v1/billing?from={}&to={today}&group_by=day",
            today.previous().unwrap()
        );
        let response = self.call(Method::GET, &path, None).await;
        assert_eq!(response.status, 200, "{}", response.body);
        response.json::<Value>()["rows"].as_array().unwrap().clone()
    }

    /// No answer and no log line holds the key.
    fn assert_key_never_shown(&self) {
        for body in &self.seen {
            assert!(
                !body.contains(ADMIN_KEY),
                "a response shows the key: {body}"
            );
        }
        for line in self.app.logs() {
            assert!(
                !line.to_string().contains(ADMIN_KEY),
                "a log line shows the key: {line}"
            );
        }
        for line in self.app.stdout() {
            assert!(!line.contains(ADMIN_KEY), "stdout shows the key: {line}");
        }
    }
}

fn today() -> UtcDay {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    UtcDay::from_unix_nanos(i128::try_from(now.as_nanos()).unwrap()).unwrap()
}

/// One day of the fake's bill, summed exactly from its cent strings.
fn daily_bill() -> Usd {
    DAILY_COSTS
        .iter()
        .map(|(cents, ..)| Usd::parse_cents(cents).unwrap())
        .try_fold(Usd::ZERO, Usd::checked_add)
        .unwrap()
}

async fn connecting_tests_first_stores_the_bill_exactly_and_never_shows_the_key(db: TestDatabase) {
    let mut s = Setup::new(&db).await;

    // A regular API key is refused before any call to Anthropic.
    let regular = s.connect("sk-ant-api03-R2DxxxxxxxxxxigAA").await;
    assert_eq!(regular.status, 400, "{}", regular.body);
    assert!(regular.body.contains("Admin"), "{}", regular.body);
    assert!(s.fake.requests().is_empty(), "{:?}", s.fake.requests());

    let created = s.connect(ADMIN_KEY).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let provider = created.json::<Value>()["provider"].clone();
    assert_eq!(provider["status"], "active");
    assert_eq!(provider["kind"], "anthropic");
    assert_eq!(provider["credential_hint"], "xyz9");
    let requests = s.fake.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("/v1/organizations/cost_report?")
                && r.contains("group_by[]=description")),
        "{requests:?}"
    );

    // The test's two days are stored: the cost report's dollars exactly, the usage report's
    // tokens, and not the Claude Code analytics estimate.
    let rows = s.billing_by_day().await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        let billed = Usd::parse_dollars(row["billed_usd"].as_str().unwrap()).unwrap();
        assert_eq!(billed, daily_bill(), "{row}");
        assert_eq!(row["label"], "billed");
        assert_eq!(
            row["tokens"],
            json!({ "input": 1500, "cache_read": 200, "cache_write": 1500, "output": 500, "reasoning": 0 }),
            "{row}"
        );
    }

    let id = provider["id"].as_i64().unwrap();
    let runs = s
        .call(Method::GET, &format!("/api/v1/providers/{id}/runs"), None)
        .await;
    let runs = runs.json::<Value>()["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["kind"], "test");
    assert_eq!(runs[0]["outcome"], "succeeded");
    assert_eq!(runs[0]["range_to"], today().to_string());
    assert!(runs[0]["lines"].as_i64().unwrap() >= 6, "{runs:?}");

    let listed = s.call(Method::GET, "/api/v1/providers", None).await;
    assert_eq!(
        listed.json::<Value>()["providers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.assert_key_never_shown();
}

async fn a_failing_test_saves_nothing_and_a_revoked_key_marks_the_provider_error(db: TestDatabase) {
    let mut s = Setup::new(&db).await;
    let created = s.connect(ADMIN_KEY).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json::<Value>()["provider"]["id"].as_i64().unwrap();
    let bill_before = s.billing_by_day().await;

    s.fake.revoke_key();
    let before = s.fake.requests().len();
    let tested = s
        .call(Method::POST, &format!("/api/v1/providers/{id}/test"), None)
        .await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    let run = tested.json::<Value>()["run"].clone();
    assert_eq!(run["outcome"], "failed", "{run}");
    let message = run["message"].as_str().unwrap();
    assert!(message.contains("invalid x-api-key"), "{message}");
    assert!(message.contains("401"), "{message}");
    // A credential problem is not retried: one request, refused.
    assert_eq!(s.fake.requests().len(), before + 1);

    let provider = s
        .call(Method::GET, &format!("/api/v1/providers/{id}"), None)
        .await;
    let provider = provider.json::<Value>()["provider"].clone();
    assert_eq!(provider["status"], "error");
    assert!(
        provider["status_message"]
            .as_str()
            .unwrap()
            .contains("invalid x-api-key"),
        "{provider}"
    );
    assert_eq!(
        s.billing_by_day().await,
        bill_before,
        "earlier data unchanged"
    );

    // Connecting with the refused key saves nothing and says why.
    let refused = s.connect(ADMIN_KEY).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.error_code(), "provider_test_failed");
    assert!(
        refused.body.contains("invalid x-api-key"),
        "{}",
        refused.body
    );
    let listed = s.call(Method::GET, "/api/v1/providers", None).await;
    assert_eq!(
        listed.json::<Value>()["providers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.assert_key_never_shown();
}

async fn removing_destroys_the_credentials_keeps_the_bill_and_allows_reconnecting(
    db: TestDatabase,
) {
    let mut s = Setup::new(&db).await;
    let created = s.connect(ADMIN_KEY).await;
    let id = created.json::<Value>()["provider"]["id"].as_i64().unwrap();
    let bill = s.billing_by_day().await;
    assert_eq!(bill.len(), 2);

    let removed = s
        .call(Method::DELETE, &format!("/api/v1/providers/{id}"), None)
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.json::<Value>()["provider"]["status"], "removed");
    assert!(removed.json::<Value>()["provider"]["removed_at_ms"].is_i64());
    assert_eq!(
        s.storage.integration_credentials(s.org, id).await.unwrap(),
        None,
        "credentials destroyed"
    );
    assert_eq!(s.billing_by_day().await, bill, "billed lines kept");

    let before = s.fake.requests().len();
    let tested = s
        .call(Method::POST, &format!("/api/v1/providers/{id}/test"), None)
        .await;
    assert_eq!(tested.status, 400, "{}", tested.body);
    assert!(tested.body.contains("has been removed"), "{}", tested.body);
    assert_eq!(
        s.fake.requests().len(),
        before,
        "no call with destroyed credentials"
    );

    let again = s.connect(ADMIN_KEY).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_ne!(
        again.json::<Value>()["provider"]["id"].as_i64().unwrap(),
        id
    );
    // The same days' lines come again under the new integration; billing counts both
    // integrations' lines, so a reconnected provider's overlap is the reconciliation's
    // concern (it reads per integration).
    s.assert_key_never_shown();
}

async fn sync_now_backfills_then_rereads_the_trailing_window_without_duplicates(db: TestDatabase) {
    let mut s = Setup::new(&db).await;
    let created = s.connect(ADMIN_KEY).await;
    let id = created.json::<Value>()["provider"]["id"].as_i64().unwrap();
    let today = today();
    let yesterday = today.previous().unwrap();

    let first = s
        .call(Method::POST, &format!("/api/v1/providers/{id}/sync"), None)
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let run = first.json::<Value>()["run"].clone();
    assert_eq!(run["kind"], "backfill", "{run}");
    assert_eq!(run["outcome"], "succeeded", "{run}");
    assert_eq!(run["range_to"], today.to_string());
    let from = UtcDay::parse(run["range_from"].as_str().unwrap()).unwrap();
    let days = (today.start_unix_nanos() - from.start_unix_nanos()) / 86_400_000_000_000 + 1;
    assert!((365..=367).contains(&days), "a year back: {run}");
    let provider = s
        .call(Method::GET, &format!("/api/v1/providers/{id}"), None)
        .await;
    let provider = provider.json::<Value>()["provider"].clone();
    assert_eq!(provider["status"], "active");
    assert_eq!(provider["complete_through"], yesterday.to_string());
    assert!(
        provider["next_sync_at_ms"].as_i64().unwrap() > run["finished_at_ms"].as_i64().unwrap()
    );

    let total = |rows: &Value| {
        let rows = rows["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        (
            Usd::parse_dollars(rows[0]["billed_usd"].as_str().unwrap()).unwrap(),
            rows[0]["lines"].as_i64().unwrap(),
        )
    };
    let path = format!("/api/v1/billing?from={from}&to={today}");
    let year = s.call(Method::GET, &path, None).await.json::<Value>();
    let expected = (0..days).try_fold(Usd::ZERO, |sum, _| sum.checked_add(daily_bill()));
    assert_eq!(
        total(&year).0,
        expected.unwrap(),
        "every day of the year, exactly"
    );

    // The next sync re-reads the last 3 complete days and today; nothing is counted twice.
    let second = s
        .call(Method::POST, &format!("/api/v1/providers/{id}/sync"), None)
        .await;
    let run = second.json::<Value>()["run"].clone();
    assert_eq!(run["kind"], "sync", "{run}");
    let three_back = yesterday.previous().unwrap().previous().unwrap();
    assert_eq!(run["range_from"], three_back.to_string(), "{run}");
    let again = s.call(Method::GET, &path, None).await.json::<Value>();
    assert_eq!(total(&again), total(&year));

    let runs = s
        .call(Method::GET, &format!("/api/v1/providers/{id}/runs"), None)
        .await;
    let kinds: Vec<Value> = runs.json::<Value>()["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("sync"), json!("backfill"), json!("test")]);
    s.assert_key_never_shown();
}
