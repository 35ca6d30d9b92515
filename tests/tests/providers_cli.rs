//! `reckon providers` with credentials on standard input, and `reckon rotate-master-key` with a
//! key file and with `RECKON_MASTER_KEY`: after a rotation the credentials open under the new
//! key only, and the key is never printed where it should not be.

use reckon_tests::fake_anthropic::{ADMIN_KEY, FakeAnthropic};
use reckon_tests::{Output, TestApp, TestDatabase, backend_tests};

backend_tests!(providers_are_managed_at_the_command_line_and_survive_key_rotation);

/// Runs `reckon` on the test's database, on a blocking thread so that the fake provider, served
/// by the test's runtime, can answer it.
async fn reckon(
    db: &TestDatabase,
    fake: &FakeAnthropic,
    args: &[&str],
    env: &[(&str, &str)],
    input: Option<&str>,
) -> Output {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(db.cli_args());
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    env.push(("RECKON_ANTHROPIC_BASE_URL".into(), fake.base_url.clone()));
    env.push(("RECKON_CA_FILE".into(), fake.ca_file()));
    let dir = db.data_dir().parent().unwrap().to_owned();
    let input = input.map(str::to_owned);
    let output = tokio::task::spawn_blocking(move || {
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        TestApp::run_with_input(&all, &env, &dir, input.as_deref())
    })
    .await
    .unwrap();
    assert!(!output.stdout.contains(ADMIN_KEY), "{}", output.stdout);
    assert!(!output.stderr.contains(ADMIN_KEY), "{}", output.stderr);
    output
}

/// The keys in the key file, current first.
fn key_file(db: &TestDatabase) -> Vec<String> {
    let path = db.data_dir().join("master.key");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

async fn providers_are_managed_at_the_command_line_and_survive_key_rotation(db: TestDatabase) {
    let fake = FakeAnthropic::start().await;
    let added = reckon(
        &db,
        &fake,
        &[
            "providers",
            "add",
            "--kind",
            "anthropic",
            "--name",
            "CLI Anthropic",
        ],
        &[],
        Some(&format!("admin_api_key={ADMIN_KEY}\n")),
    )
    .await;
    assert!(added.status.success(), "{}", added.stderr);
    let id = added.stdout.trim().to_owned();
    assert!(id.parse::<i64>().is_ok(), "{}", added.stdout);
    assert!(added.stderr.contains("the test passed"), "{}", added.stderr);

    let listed = reckon(&db, &fake, &["providers", "list"], &[], None).await;
    assert!(listed.stdout.contains("CLI Anthropic"), "{}", listed.stdout);
    assert!(listed.stdout.contains("active"), "{}", listed.stdout);

    // Rotation with the key file: a new single key, and the credential opens under it.
    let first = key_file(&db);
    assert_eq!(first.len(), 1);
    let rotated = reckon(&db, &fake, &["rotate-master-key"], &[], None).await;
    assert!(rotated.status.success(), "{}", rotated.stderr);
    assert!(
        rotated.stderr.contains("re-sealed 1 credential(s)"),
        "{}",
        rotated.stderr
    );
    assert_eq!(rotated.stdout, "", "a key file rotation prints no key");
    let second = key_file(&db);
    assert_eq!(second.len(), 1);
    assert_ne!(second, first);
    let tested = reckon(&db, &fake, &["providers", "test", &id], &[], None).await;
    assert!(tested.status.success(), "{}", tested.stderr);
    assert!(
        tested.stdout.contains("test") && tested.stdout.contains("succeeded"),
        "{}",
        tested.stdout
    );

    // The old key alone no longer opens it, and the error says which key is missing.
    let stale = reckon(
        &db,
        &fake,
        &["providers", "test", &id],
        &[("RECKON_MASTER_KEY", &first[0])],
        None,
    )
    .await;
    assert!(!stale.status.success());
    assert!(stale.stderr.contains("master key"), "{}", stale.stderr);

    // Rotation with RECKON_MASTER_KEY: the new key is printed once, and only it opens.
    let printed = reckon(
        &db,
        &fake,
        &["rotate-master-key"],
        &[("RECKON_MASTER_KEY", &second[0])],
        None,
    )
    .await;
    assert!(printed.status.success(), "{}", printed.stderr);
    let third = printed.stdout.trim().to_owned();
    assert_eq!(third.len(), 44, "{}", printed.stdout);
    assert!(
        printed.stderr.contains("set RECKON_MASTER_KEY"),
        "{}",
        printed.stderr
    );
    let tested = reckon(
        &db,
        &fake,
        &["providers", "test", &id],
        &[("RECKON_MASTER_KEY", &third)],
        None,
    )
    .await;
    assert!(tested.status.success(), "{}", tested.stderr);
    let stale = reckon(
        &db,
        &fake,
        &["providers", "test", &id],
        &[("RECKON_MASTER_KEY", &second[0])],
        None,
    )
    .await;
    assert!(!stale.status.success());

    let removed = reckon(
        &db,
        &fake,
        &["providers", "remove", &id],
        &[("RECKON_MASTER_KEY", &third)],
        None,
    )
    .await;
    assert!(removed.status.success(), "{}", removed.stderr);
    assert!(
        removed.stderr.contains("billed lines kept"),
        "{}",
        removed.stderr
    );
}
