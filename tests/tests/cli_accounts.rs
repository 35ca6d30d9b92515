//! `reckon users`, `reckon api-tokens` and `reckon orgs` act on the same database as the server.

use reckon_tests::{Output, PASSWORD, TestApp, TestDatabase};
use reqwest::Method;
use serde_json::{Value, json};

fn reckon(db: &TestDatabase, args: &[&str], input: Option<&str>) -> Output {
    db.reckon(args, input)
}

#[tokio::test]
async fn users_and_tokens_created_at_the_command_line_work_against_the_server() {
    let db = TestDatabase::sqlite();
    let piped = reckon(
        &db,
        &[
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--role",
            "owner",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(piped.status.success(), "{}", piped.stderr);
    assert_eq!(piped.stdout, "", "a piped password is not echoed");

    let generated = reckon(
        &db,
        &[
            "users",
            "create",
            "--email",
            "fin@example.com",
            "--role",
            "finance",
        ],
        None,
    );
    assert!(generated.status.success(), "{}", generated.stderr);
    let password = generated.stdout.trim().to_owned();
    assert_eq!(
        generated.stdout.lines().count(),
        1,
        "only the password on stdout"
    );
    assert_eq!(password.len(), 24);

    let minted = reckon(
        &db,
        &[
            "api-tokens",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "nightly export",
        ],
        None,
    );
    assert!(minted.status.success(), "{}", minted.stderr);
    let token = minted.stdout.trim().to_owned();
    assert!(
        token.starts_with("rk_api_") && minted.stdout.lines().count() == 1,
        "{}",
        minted.stdout
    );
    assert!(
        !minted.stderr.contains(&token),
        "the secret goes to stdout only"
    );

    let app = TestApp::spawn(&db).await;
    let me: Value = app
        .send(app.authed(Method::GET, "/api/v1/me", &token))
        .await
        .json();
    assert_eq!(me["user"]["email"], "boss@example.com");
    assert_eq!(me["user"]["role"], "owner");
    for (email, password) in [
        ("boss@example.com", PASSWORD),
        ("fin@example.com", password.as_str()),
    ] {
        let signed_in = app
            .send(
                app.browser_request(Method::POST, "/login")
                    .json(&json!({ "email": email, "password": password })),
            )
            .await;
        assert_eq!(signed_in.status, 200, "{email}: {}", signed_in.body);
    }

    let listed = reckon(
        &db,
        &["api-tokens", "list", "--email", "boss@example.com"],
        None,
    );
    assert!(
        listed.stdout.contains(&token[..12]) && listed.stdout.contains("nightly export"),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains(&token), "never the whole token");
    let id = me_token_id(&app, &token).await;
    let revoked = reckon(&db, &["api-tokens", "revoke", &id.to_string()], None);
    assert!(revoked.status.success(), "{}", revoked.stderr);
    let refused = app
        .send(app.authed(Method::GET, "/api/v1/me", &token))
        .await;
    assert_eq!(refused.status, 401, "revocation takes effect at once");

    let audit: Value = {
        let second = reckon(
            &db,
            &[
                "api-tokens",
                "create",
                "--email",
                "boss@example.com",
                "--name",
                "audit",
            ],
            None,
        );
        let token = second.stdout.trim().to_owned();
        app.send(app.authed(Method::GET, "/api/v1/audit", &token))
            .await
            .json()
    };
    let by_cli: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "cli")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        by_cli,
        [
            "api_token.create",
            "api_token.revoke",
            "api_token.create",
            "user.create",
            "user.create"
        ]
    );
}

async fn me_token_id(app: &TestApp, token: &str) -> i64 {
    let tokens: Value = app
        .send(app.authed(Method::GET, "/api/v1/api-tokens", token))
        .await
        .json();
    tokens["api_tokens"][0]["id"].as_i64().unwrap()
}

#[test]
fn bad_account_commands_say_what_is_wrong_and_change_nothing() {
    let db = TestDatabase::sqlite();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "users",
                "create",
                "--email",
                "a@example.com",
                "--role",
                "superuser",
            ],
            "unknown role `superuser`",
        ),
        (
            &[
                "users",
                "create",
                "--email",
                "not-an-email",
                "--role",
                "viewer",
            ],
            "is not an email address",
        ),
        (
            &[
                "users",
                "create",
                "--email",
                "a@example.com",
                "--role",
                "viewer",
                "--org",
                "nope",
            ],
            "no organisation `nope`",
        ),
        (
            &[
                "api-tokens",
                "create",
                "--email",
                "ghost@example.com",
                "--name",
                "x",
            ],
            "no active user ghost@example.com",
        ),
        (
            &["orgs", "create", "--slug", "Bad Slug", "--name", "X"],
            "is not a slug",
        ),
    ];
    for (args, expected) in cases {
        let output = reckon(&db, args, None);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(
            output.last_error_line().contains(expected),
            "{args:?}: {}",
            output.stderr
        );
    }
    let short = reckon(
        &db,
        &[
            "users",
            "create",
            "--email",
            "a@example.com",
            "--role",
            "viewer",
        ],
        Some("short\n"),
    );
    assert!(
        short.last_error_line().contains("at least 12 characters"),
        "{}",
        short.stderr
    );
    let listed = reckon(&db, &["users", "list"], None);
    assert_eq!(
        listed.stdout.lines().count(),
        1,
        "only the header: {}",
        listed.stdout
    );

    let created = reckon(
        &db,
        &[
            "users",
            "create",
            "--email",
            "a@example.com",
            "--role",
            "viewer",
        ],
        None,
    );
    assert!(created.status.success());
    let duplicate = reckon(
        &db,
        &[
            "users",
            "create",
            "--email",
            "A@example.com",
            "--role",
            "admin",
        ],
        None,
    );
    assert!(
        duplicate
            .last_error_line()
            .contains("a user with the email a@example.com already exists"),
        "{}",
        duplicate.stderr
    );
}

#[test]
fn organisations_are_created_and_listed() {
    let db = TestDatabase::sqlite();
    let created = reckon(
        &db,
        &["orgs", "create", "--slug", "beta", "--name", "Beta Corp"],
        None,
    );
    assert!(created.status.success(), "{}", created.stderr);
    let user = reckon(
        &db,
        &[
            "users",
            "create",
            "--email",
            "b@beta.example",
            "--role",
            "owner",
            "--org",
            "beta",
        ],
        None,
    );
    assert!(user.status.success(), "{}", user.stderr);
    let listed = reckon(&db, &["orgs", "list"], None);
    assert!(
        listed.stdout.contains("default") && listed.stdout.contains("Beta Corp"),
        "{}",
        listed.stdout
    );
    let members = reckon(&db, &["users", "list", "--org", "beta"], None);
    assert!(
        members.stdout.contains("b@beta.example") && members.stdout.contains("owner"),
        "{}",
        members.stdout
    );
    let taken = reckon(
        &db,
        &["orgs", "create", "--slug", "beta", "--name", "Again"],
        None,
    );
    assert!(
        taken.last_error_line().contains("already exists"),
        "{}",
        taken.stderr
    );
}

#[tokio::test]
async fn telemetry_keys_at_the_command_line() {
    let db = TestDatabase::sqlite();
    let created = reckon(
        &db,
        &["telemetry-keys", "create", "--name", "engineering laptops"],
        None,
    );
    assert!(created.status.success(), "{}", created.stderr);
    let key = created.stdout.trim().to_owned();
    assert!(
        key.starts_with("rk_tel_") && created.stdout.lines().count() == 1,
        "{}",
        created.stdout
    );
    let listed = reckon(&db, &["telemetry-keys", "list"], None);
    assert!(
        listed.stdout.contains(&key[..12]) && listed.stdout.contains("engineering laptops"),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains(&key));
    let id = listed
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let revoked = reckon(&db, &["telemetry-keys", "revoke", &id], None);
    assert!(revoked.status.success(), "{}", revoked.stderr);
    let app = TestApp::spawn(&db).await;
    let refused = reckon_tests::http_client()
        .post(format!("http://{}/v1/logs", app.otlp_http_addr))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}
