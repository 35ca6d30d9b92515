//! reckon's own listeners over TLS (`--tls-cert`/`--tls-key`), as a browser, a script and the
//! CLIs' exporters reach them: HTTPS with HSTS and a Secure cookie, the recorded exports over
//! OTLP/HTTP and OTLP/gRPC (ALPN h2) giving exactly what they give in plain text, setup snippets
//! with https endpoints, a renewed certificate served without a restart, unusable files refused,
//! and the client address taken from X-Forwarded-For only behind a trusted proxy.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use reckon_server::auth::Role;
use reckon_tests::otlp::{FIXTURES, replay, setup, usage};
use reckon_tests::{Output, PASSWORD, TestApp, TestDatabase, TestResponse, add_member};
use reqwest::Method;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use test_tls::{Issued, TestCa, Validity};

/// A certificate of its own in a directory of its own (the renewal test rewrites its files).
fn certificate() -> (tempfile::TempDir, Issued) {
    let dir = tempfile::tempdir().unwrap();
    let issued = TestCa::shared().localhost();
    let cert_file = dir.path().join("reckon.crt");
    let key_file = dir.path().join("reckon.key");
    std::fs::write(&cert_file, &issued.cert_pem).unwrap();
    std::fs::write(&key_file, &issued.key_pem).unwrap();
    (
        dir,
        Issued {
            cert_file,
            key_file,
            ..issued
        },
    )
}

fn tls_args(cert: &Issued) -> Vec<String> {
    vec![
        "--tls-cert".into(),
        cert.cert_file.display().to_string(),
        "--tls-key".into(),
        cert.key_file.display().to_string(),
    ]
}

async fn spawn_tls(db: &TestDatabase, cert: &Issued, more: &[&str]) -> TestApp {
    let args = tls_args(cert);
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(more);
    TestApp::spawn_with(db, &all, &[]).await
}

#[tokio::test]
async fn every_listener_speaks_tls_and_the_exports_count_as_in_plain_text() {
    let (_dir, cert) = certificate();
    let tls_db = TestDatabase::sqlite();
    let (tls_key, tls_viewer) = setup(&tls_db).await;
    let app = spawn_tls(&tls_db, &cert, &[]).await;

    // The web UI and API: HTTPS, with HSTS; plain HTTP on the same port gets no answer.
    let health = app.send(app.request(Method::GET, "/healthz")).await;
    assert_eq!(health.status, 200);
    assert_eq!(
        health.headers["strict-transport-security"],
        "max-age=31536000"
    );
    let plain = reckon_tests::http_client()
        .get(format!("http://{}/healthz", app.http_addr))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");

    // Every recorded export, over OTLP/HTTP and OTLP/gRPC with TLS, gives exactly what the same
    // exports give a plain-text server.
    for file in FIXTURES {
        replay(&app, file, &tls_key).await;
    }
    let plain_db = TestDatabase::sqlite();
    let (plain_key, plain_viewer) = setup(&plain_db).await;
    let plain_app = TestApp::spawn(&plain_db).await;
    for file in FIXTURES {
        replay(&plain_app, file, &plain_key).await;
    }
    for group_by in ["tool,model", "person", "day"] {
        let over_tls = usage(&app, &tls_viewer, group_by).await;
        assert!(!over_tls.is_empty());
        assert_eq!(
            over_tls,
            usage(&plain_app, &plain_viewer, group_by).await,
            "{group_by}"
        );
    }
}

/// Signs the admin in (a browser's form) and creates a telemetry key on the page: the
/// sign-in's and the created page's answers.
async fn sign_in_and_create_a_key(app: &TestApp) -> (TestResponse, TestResponse) {
    let signed_in = app
        .send(
            app.browser_request(Method::POST, "/login")
                .form(&[("email", "ann@example.com"), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let session = signed_in.cookie("__Host-reckon_session").unwrap();
    let created = app
        .send(
            app.browser_request(Method::POST, "/settings/ai/telemetry-keys")
                .header("cookie", format!("__Host-reckon_session={session}"))
                .form(&[("name", "laptops")]),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    (signed_in, created)
}

#[tokio::test]
async fn the_browser_gets_a_secure_cookie_and_https_setup_snippets() {
    let (_dir, cert) = certificate();
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    add_member(storage.as_ref(), org, Role::Admin, "ann@example.com").await;
    let app = spawn_tls(&db, &cert, &[]).await;
    // Over TLS a browser speaks HTTP/2 (ALPN), where the host is `:authority`, not `Host`:
    // the form posts below must pass the same-origin check all the same.
    let version = reckon_tests::http_client()
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .version();
    assert_eq!(version, reqwest::Version::HTTP_2);

    let (signed_in, created) = sign_in_and_create_a_key(&app).await;
    let set_cookie = signed_in.headers["set-cookie"].to_str().unwrap();
    assert!(
        set_cookie.starts_with("__Host-reckon_session=") && set_cookie.contains("; Secure"),
        "{set_cookie}"
    );
    let page = created.body;
    let http = format!("https://127.0.0.1:{}", app.otlp_http_addr.port());
    let grpc = format!("https://127.0.0.1:{}", app.otlp_grpc_addr.port());
    for expected in [
        format!("OTEL_EXPORTER_OTLP_ENDPOINT={http}"),
        format!("endpoint = \"{http}/v1/logs\""),
        format!("\"otlpEndpoint\": \"{grpc}\""),
        "export NODE_EXTRA_CA_CERTS=/path/to/reckon-ca.pem".to_owned(),
        "export OTEL_EXPORTER_OTLP_CERTIFICATE=/path/to/reckon-ca.pem".to_owned(),
        "tls = { ca-certificate = \"/path/to/reckon-ca.pem\" }".to_owned(),
    ] {
        assert!(page.contains(&expected), "no {expected:?} in {page}");
    }
    assert!(!page.contains("http://127.0.0.1"), "{page}");
}

#[tokio::test]
async fn public_otlp_urls_are_what_the_snippets_show() {
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    add_member(storage.as_ref(), org, Role::Admin, "ann@example.com").await;
    let app = TestApp::spawn_with(
        &db,
        &[
            "--public-url",
            "https://reckon.corp.example",
            "--public-otlp-http-url",
            "https://otlp.corp.example/",
            "--public-otlp-grpc-url",
            "https://otlp-grpc.corp.example:443",
        ],
        &[],
    )
    .await;
    let (_, created) = sign_in_and_create_a_key(&app).await;
    let page = created.body;
    assert!(
        page.contains("OTEL_EXPORTER_OTLP_ENDPOINT=https://otlp.corp.example\n"),
        "{page}"
    );
    assert!(
        page.contains("\"otlpEndpoint\": \"https://otlp-grpc.corp.example:443\""),
        "{page}"
    );
    // Behind a TLS-terminating proxy: HSTS is sent although reckon itself speaks plain HTTP.
    assert_eq!(
        created.headers["strict-transport-security"],
        "max-age=31536000"
    );
}

/// The DER of the certificate the HTTPS listener presents.
async fn served_certificate(app: &TestApp) -> Vec<u8> {
    let client = reckon_tests::http_client_builder()
        .tls_info(true)
        .build()
        .unwrap();
    let response = client.get(app.url("/healthz")).send().await.unwrap();
    let info = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("TLS information");
    info.peer_certificate().expect("a certificate").to_vec()
}

fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

async fn wait_until_served(app: &TestApp, expected: &[u8], what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while served_certificate(app).await != expected {
        assert!(
            Instant::now() < deadline,
            "{what}: the old certificate is still served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let (_dir, first) = certificate();
    let db = TestDatabase::sqlite();
    let app = spawn_tls(&db, &first, &[]).await;
    assert_eq!(served_certificate(&app).await, der(&first.cert_pem));

    // A renewal writes new files: picked up on its own.
    let second = TestCa::shared().localhost();
    std::fs::write(&first.key_file, &second.key_pem).unwrap();
    std::fs::write(&first.cert_file, &second.cert_pem).unwrap();
    wait_until_served(&app, &der(&second.cert_pem), "after the files changed").await;

    // A broken file is not taken: the current certificate stays.
    std::fs::write(&first.cert_file, "not a certificate").unwrap();
    app.signal(Signal::SIGHUP);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(served_certificate(&app).await, der(&second.cert_pem));

    // SIGHUP reloads at once.
    let third = TestCa::shared().localhost();
    std::fs::write(&first.key_file, &third.key_pem).unwrap();
    std::fs::write(&first.cert_file, &third.cert_pem).unwrap();
    app.signal(Signal::SIGHUP);
    wait_until_served(&app, &der(&third.cert_pem), "after SIGHUP").await;
    let logged = app.logs().iter().any(|line| {
        line["message"] == "could not reload the TLS certificate; still serving the previous one"
    });
    assert!(logged, "the failed reload is not logged");
}

fn assert_refused(output: &Output, expected: &[&str]) {
    output.assert_refused(expected);
    assert_eq!(output.status.code(), Some(2), "a configuration error");
}

#[test]
fn unusable_tls_files_stop_serve_with_one_line() {
    let (_dir, cert) = certificate();
    let db = TestDatabase::sqlite();
    let only_cert = ["--tls-cert", cert.cert_file.to_str().unwrap()];
    let output = TestApp::run_serve(&db, &only_cert, &[]);
    assert_refused(&output, &["--tls-cert and --tls-key go together"]);

    let other = TestCa::shared().issue(&["localhost"], Validity::Current);
    let mismatched = [
        "--tls-cert",
        cert.cert_file.to_str().unwrap(),
        "--tls-key",
        other.key_file.to_str().unwrap(),
    ];
    let output = TestApp::run_serve(&db, &mismatched, &[]);
    assert_refused(&output, &["cannot serve TLS with", "reckon.crt"]);

    let missing = [
        "--tls-cert",
        "/nonexistent/reckon.crt",
        "--tls-key",
        cert.key_file.to_str().unwrap(),
    ];
    let output = TestApp::run_serve(&db, &missing, &[]);
    assert_refused(
        &output,
        &["cannot serve TLS with", "/nonexistent/reckon.crt"],
    );
    assert!(!db.data_dir().exists(), "nothing was created");
}

/// The client address the audit log records for a telemetry key created with
/// `X-Forwarded-For: 198.51.100.7`.
async fn audited_client(args: &[&str]) -> String {
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let owner = add_member(storage.as_ref(), org, Role::Owner, "owner@example.com").await;
    let app = TestApp::spawn_with(&db, args, &[]).await;
    let created = app
        .send(
            app.authed(Method::POST, "/api/v1/telemetry-keys", &owner.token)
                .header("x-forwarded-for", "203.0.113.66, 198.51.100.7")
                .json(&serde_json::json!({ "name": "laptops" })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let audit = app
        .send(app.authed(Method::GET, "/api/v1/audit", &owner.token))
        .await;
    let entries: serde_json::Value = audit.json();
    entries["events"][0]["client_addr"]
        .as_str()
        .unwrap_or_else(|| panic!("no client address: {entries}"))
        .to_owned()
}

#[tokio::test]
async fn x_forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    assert_eq!(audited_client(&[]).await, "127.0.0.1");
    assert_eq!(
        audited_client(&["--trusted-proxies", "127.0.0.1/32,10.0.0.0/8"]).await,
        "198.51.100.7"
    );
    assert_eq!(
        audited_client(&["--trusted-proxies", "10.0.0.0/8"]).await,
        "127.0.0.1"
    );
}
