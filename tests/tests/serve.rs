//! `reckon serve` end to end: the real binary on port 0, probes, shutdown, and start-up failures.

use reckon_server::storage::{self, Backend};
use reckon_tests::{TestApp, TestDatabase, backend_tests};
use serde_json::{Value, json};

backend_tests!(
    serves_health_and_readiness,
    first_start_creates_the_default_organisation_once,
    stops_gracefully_on_sigterm,
    migrate_command_prepares_the_database_serve_uses,
);

async fn serves_health_and_readiness(db: TestDatabase) {
    let app = TestApp::spawn(&db).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json::<Value>(), json!({ "status": "ok" }));
    let ready: Value = app.get_json("/readyz").await;
    let backend = db.backend().as_str();
    assert_eq!(ready, json!({ "status": "ready", "database": backend }));
    let unknown = app.get("/no/such/page").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json::<Value>(),
        json!({ "error": { "code": "not_found", "message": "no route for GET /no/such/page" } })
    );
}

async fn first_start_creates_the_default_organisation_once(db: TestDatabase) {
    for _ in 0..2 {
        let app = TestApp::spawn(&db).await;
        let status = app.stop().await;
        assert!(status.success(), "exit status {status}");
    }
    let store = storage::connect(db.url()).await.unwrap();
    let slugs: Vec<String> = store
        .organizations()
        .await
        .unwrap()
        .into_iter()
        .map(|org| org.slug)
        .collect();
    assert_eq!(slugs, ["default"]);
    store.close().await;
}

async fn stops_gracefully_on_sigterm(db: TestDatabase) {
    let app = TestApp::spawn(&db).await;
    let listening = app
        .logs()
        .into_iter()
        .find(|event| event["message"] == "reckon listening")
        .expect("the start-up line");
    assert_eq!(listening["http_addr"], app.http_addr.to_string());
    assert_eq!(listening["database"], db.backend().as_str());
    let logs_before_stop = app.logs();
    let status = app.stop().await;
    assert!(status.success(), "exit status {status}");
    assert!(
        logs_before_stop
            .iter()
            .all(|event| event["message"] != "stopped"),
        "it stopped before it was asked to"
    );
}

async fn migrate_command_prepares_the_database_serve_uses(db: TestDatabase) {
    let data_dir = db.data_dir();
    let dir = data_dir.parent().unwrap();
    let output = TestApp::run(
        &[
            "migrate",
            "--database-url",
            db.url().expose(),
            "--data-dir",
            data_dir.to_str().unwrap(),
        ],
        &[],
        dir,
    );
    assert!(output.status.success(), "{}", output.stderr);
    let store = storage::connect(db.url()).await.unwrap();
    store.check_ready().await.unwrap();
    store.close().await;
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.get("/readyz").await.status, 200);
}

/// Each layer overrides the one beneath: defaults → file → environment → flags.
#[test]
fn configuration_layers_override_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("reckon.toml"),
        "database_url = \"sqlite://from-file.db\"\n",
    )
    .unwrap();
    let migrate = |flags: &[&str], env: &[(&str, &str)]| {
        let output = TestApp::run(&[&["migrate"], flags].concat(), env, root);
        assert!(output.status.success(), "{}", output.stderr);
    };
    migrate(&[], &[]);
    assert!(root.join("reckon-data/reckon.db").exists(), "default");
    migrate(&["--config", "reckon.toml"], &[]);
    assert!(root.join("from-file.db").exists(), "file over default");
    let env = [("RECKON_DATABASE_URL", "sqlite://from-env.db")];
    migrate(&["--config", "reckon.toml"], &env);
    assert!(root.join("from-env.db").exists(), "environment over file");
    migrate(
        &[
            "--config",
            "reckon.toml",
            "--database-url",
            "sqlite://from-flag.db",
        ],
        &env,
    );
    assert!(root.join("from-flag.db").exists(), "flag over environment");
}

#[tokio::test]
async fn a_missing_postgres_database_is_created() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    assert_eq!(db.backend(), Backend::Postgres);
    // No one has created this database yet: the server does.
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.get("/readyz").await.status, 200);
    assert!(
        app.logs().iter().any(|event| event["message"]
            == "creating the PostgreSQL database, which does not exist yet")
    );
}

#[tokio::test]
async fn readiness_fails_while_the_database_is_gone() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.get("/readyz").await.status, 200);
    storage::drop_postgres_database(db.url()).await.unwrap();
    let response = app.get("/readyz").await;
    assert_eq!(response.status, 503, "{}", response.body);
    let error: Value = response.json();
    assert_eq!(error["error"]["code"], "not_ready");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("database not ready: "), "{message}");
    assert_eq!(app.get("/healthz").await.status, 200, "alive all the same");
}
