//! The real binary reaching a provider over HTTPS as an operator runs it: a private CA given
//! with `--ca-file` (and what the provider's status says without it), a corporate CONNECT proxy
//! from `HTTPS_PROXY` (its credentials never shown), `NO_PROXY`, and settings refused at start.

use base64::Engine;
use reckon_server::auth::Role;
use reckon_tests::fake_anthropic::{ADMIN_KEY, DAILY_COSTS, FakeAnthropic};
use reckon_tests::{Member, TestApp, TestDatabase, TestResponse, add_member};
use reconciler::Usd;
use reqwest::Method;
use serde_json::{Value, json};
use test_tls::ConnectProxy;

const PROXY_PASSWORD: &str = "proxy-s3cret-pw";

async fn owner(db: &TestDatabase) -> Member {
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    add_member(storage.as_ref(), org, Role::Owner, "owner@example.com").await
}

async fn connect(app: &TestApp, owner: &Member) -> TestResponse {
    let body = json!({
        "kind": "anthropic",
        "name": "Anthropic production",
        "credentials": { "admin_api_key": ADMIN_KEY }
    });
    app.send(
        app.request(Method::POST, "/api/v1/providers")
            .header("authorization", owner.bearer())
            .json(&body),
    )
    .await
}

async fn call(app: &TestApp, owner: &Member, method: Method, path: &str) -> TestResponse {
    app.send(
        app.request(method, path)
            .header("authorization", owner.bearer()),
    )
    .await
}

/// The stored bill of every day is the fake's, exactly.
async fn assert_bill_exact(app: &TestApp, owner: &Member) {
    let today = time::OffsetDateTime::now_utc().date();
    let path = format!(
        "/api/v1/billing?from={}&to={today}&group_by=day",
        today.previous_day().unwrap()
    );
    let rows = call(app, owner, Method::GET, &path).await.json::<Value>()["rows"]
        .as_array()
        .unwrap()
        .clone();
    let daily = DAILY_COSTS
        .iter()
        .map(|(cents, ..)| Usd::parse_cents(cents).unwrap())
        .try_fold(Usd::ZERO, Usd::checked_add)
        .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in rows {
        let billed = Usd::parse_dollars(row["billed_usd"].as_str().unwrap()).unwrap();
        assert_eq!(billed, daily, "{row}");
    }
}

/// Arguments that point reckon at `fake` and trust the CA its certificate comes from.
fn trusting(fake: &FakeAnthropic) -> [String; 4] {
    [
        "--anthropic-base-url".into(),
        fake.base_url.clone(),
        "--ca-file".into(),
        fake.ca_file(),
    ]
}

fn assert_never_shown(app: &TestApp, secret: &str) {
    for line in app.logs() {
        assert!(
            !line.to_string().contains(secret),
            "a log line shows it: {line}"
        );
    }
    for line in app.stdout() {
        assert!(!line.contains(secret), "stdout shows it: {line}");
    }
}

#[tokio::test]
async fn the_ca_file_makes_a_private_ca_trusted_and_without_it_the_status_names_the_issuer() {
    let db = TestDatabase::sqlite();
    let owner = owner(&db).await;
    let fake = FakeAnthropic::start().await;
    let base = ["--anthropic-base-url", fake.base_url.as_str()];

    // Without the CA the connection test fails, says why, and saves nothing.
    let app = TestApp::spawn_with(&db, &base, &[]).await;
    let refused = connect(&app, &owner).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("unknown issuer"), "{}", refused.body);
    assert!(refused.body.contains("--ca-file"), "{}", refused.body);
    assert!(fake.requests().is_empty(), "nothing reached the provider");
    app.stop().await;

    // With it: connected over HTTPS, the bill stored exactly.
    let trusted = trusting(&fake);
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let app = TestApp::spawn_with(&db, &trusted, &[]).await;
    let created = connect(&app, &owner).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json::<Value>()["provider"]["id"].as_i64().unwrap();
    assert_bill_exact(&app, &owner).await;
    // The backfill, run now, so that no sync is due when reckon starts again (it would race
    // the test below for the provider).
    let synced = call(
        &app,
        &owner,
        Method::POST,
        &format!("/api/v1/providers/{id}/sync"),
    )
    .await;
    assert_eq!(synced.status, 200, "{}", synced.body);
    assert_eq!(
        synced.json::<Value>()["run"]["outcome"],
        "succeeded",
        "{}",
        synced.body
    );
    app.stop().await;

    // Started again without the CA, the next test marks the provider with the TLS problem.
    let app = TestApp::spawn_with(&db, &base, &[]).await;
    let tested = call(
        &app,
        &owner,
        Method::POST,
        &format!("/api/v1/providers/{id}/test"),
    )
    .await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    let run = tested.json::<Value>()["run"].clone();
    assert_eq!(run["outcome"], "failed", "{run}");
    let provider = call(
        &app,
        &owner,
        Method::GET,
        &format!("/api/v1/providers/{id}"),
    )
    .await;
    let provider = provider.json::<Value>()["provider"].clone();
    assert_eq!(provider["status"], "error", "{provider}");
    let message = provider["status_message"].as_str().unwrap();
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(!message.contains("could not reach"), "{message}");
    assert_never_shown(&app, ADMIN_KEY);
}

#[tokio::test]
async fn ssl_cert_file_replaces_the_platform_roots_as_for_curl() {
    let db = TestDatabase::sqlite();
    let owner = owner(&db).await;
    let fake = FakeAnthropic::start().await;
    let ca_file = fake.ca_file();
    let app = TestApp::spawn_with(
        &db,
        &["--anthropic-base-url", fake.base_url.as_str()],
        &[("SSL_CERT_FILE", ca_file.as_str())],
    )
    .await;
    let created = connect(&app, &owner).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_bill_exact(&app, &owner).await;
}

#[tokio::test]
async fn provider_requests_go_through_the_https_proxy_with_its_credentials_never_shown() {
    let db = TestDatabase::sqlite();
    let owner = owner(&db).await;
    let fake = FakeAnthropic::start().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("ops:{PROXY_PASSWORD}"));
    let proxy = ConnectProxy::start(Some(format!("Basic {basic}"))).await;
    let proxy_url = format!("http://ops:{PROXY_PASSWORD}@{}", proxy.addr);
    let args = trusting(&fake);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let app = TestApp::spawn_with(&db, &args, &[("HTTPS_PROXY", proxy_url.as_str())]).await;

    let created = connect(&app, &owner).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_bill_exact(&app, &owner).await;
    let target = fake.base_url.trim_start_matches("https://").to_owned();
    let tunnels = proxy.tunnels();
    assert!(!tunnels.is_empty(), "nothing went through the proxy");
    assert!(
        tunnels.iter().all(|t| t.target == target),
        "{tunnels:?} (expected {target})"
    );
    let logged = app
        .logs()
        .iter()
        .find(|line| line["message"] == "provider requests go through a forward proxy")
        .cloned()
        .unwrap_or_else(|| panic!("the proxy is not logged: {:?}", app.logs()));
    assert_eq!(
        logged["proxy"],
        format!("http://{} (with credentials)", proxy.addr)
    );
    assert_never_shown(&app, PROXY_PASSWORD);
    assert_never_shown(&app, ADMIN_KEY);
}

#[tokio::test]
async fn a_proxy_refusing_the_credentials_is_reported_without_them() {
    let db = TestDatabase::sqlite();
    let owner = owner(&db).await;
    let fake = FakeAnthropic::start().await;
    let proxy = ConnectProxy::start(Some("Basic b3RoZXI6b3RoZXI=".to_owned())).await;
    let proxy_url = format!("http://ops:{PROXY_PASSWORD}@{}", proxy.addr);
    let args = trusting(&fake);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let app = TestApp::spawn_with(&db, &args, &[("HTTPS_PROXY", proxy_url.as_str())]).await;
    let refused = connect(&app, &owner).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("the forward proxy refused reckon") && refused.body.contains("407"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains(PROXY_PASSWORD), "{}", refused.body);
    assert!(fake.requests().is_empty());
    assert_eq!(proxy.tunnels().len(), 1, "refused once, not retried");
    assert_never_shown(&app, PROXY_PASSWORD);
}

#[tokio::test]
async fn no_proxy_sends_the_host_directly() {
    let db = TestDatabase::sqlite();
    let owner = owner(&db).await;
    let fake = FakeAnthropic::start().await;
    let proxy = ConnectProxy::start(None).await;
    let proxy_url = format!("http://{}", proxy.addr);
    let args = trusting(&fake);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env = [
        ("HTTPS_PROXY", proxy_url.as_str()),
        ("NO_PROXY", "127.0.0.1"),
    ];
    let app = TestApp::spawn_with(&db, &args, &env).await;
    let created = connect(&app, &owner).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(proxy.tunnels().is_empty(), "{:?}", proxy.tunnels());
}

#[test]
fn a_missing_or_unusable_ca_file_stops_serve_with_one_line() {
    let db = TestDatabase::sqlite();
    let missing = db.data_dir().with_file_name("no-such-ca.pem");
    let output = TestApp::run_serve(&db, &["--ca-file", missing.to_str().unwrap()], &[]);
    output.assert_refused(&["--ca-file", "cannot read the CA file", "no-such-ca.pem"]);

    let garbage = db.data_dir().with_file_name("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate\n").unwrap();
    let env = [("RECKON_CA_FILE", garbage.to_str().unwrap())];
    let output = TestApp::run_serve(&db, &[], &env);
    output.assert_refused(&["--ca-file", "garbage.pem", "no PEM certificate"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn plain_http_to_a_provider_off_loopback_stops_serve() {
    let db = TestDatabase::sqlite();
    let output = TestApp::run_serve(
        &db,
        &["--openai-base-url", "http://billing-proxy.corp.example/v1"],
        &[],
    );
    output.assert_refused(&["--openai-base-url", "not loopback", "use https://"]);
}
