//! Configuration that cannot work stops `reckon serve` with one line saying what to fix.

use reckon_tests::{TestApp, TestDatabase};

#[test]
fn an_unknown_config_file_key_is_refused() {
    let db = TestDatabase::sqlite();
    let file = db.data_dir().with_file_name("reckon.toml");
    std::fs::write(&file, "http_adress = \"127.0.0.1:0\"\n").unwrap();
    let output = TestApp::run_serve(&db, &["--config", file.to_str().unwrap()], &[]);
    output.assert_refused(&["reckon.toml", "unknown field `http_adress`", "`http_addr`"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!db.data_dir().exists(), "nothing was created");
}

#[test]
fn an_unknown_environment_variable_is_refused() {
    let db = TestDatabase::sqlite();
    let output = TestApp::run_serve(&db, &[], &[("RECKON_DATABSE_URL", "sqlite://x.db")]);
    output.assert_refused(&[
        "unknown environment variable RECKON_DATABSE_URL",
        "RECKON_DATABASE_URL",
    ]);
}

#[test]
fn a_malformed_database_url_is_refused_without_its_password() {
    let db = TestDatabase::sqlite();
    let output = TestApp::run_serve(
        &db,
        &["--database-url", "mysql://admin:hunter2@db/reckon"],
        &[],
    );
    output.assert_refused(&["invalid database URL", "sqlite://PATH", "postgres://"]);
    assert!(!output.stderr.contains("hunter2"), "{}", output.stderr);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unreachable_database_is_refused_with_the_reason() {
    let db = TestDatabase::sqlite();
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let url = "postgres://reckon:hunter2@127.0.0.1:1/reckon";
    let output = TestApp::run_serve(&db, &["--database-url", url], &[]);
    output.assert_refused(&[
        "cannot open the database at postgres://reckon:***@127.0.0.1:1/reckon",
        "refused",
        "--database-url",
    ]);
    assert!(!output.stderr.contains("hunter2"), "{}", output.stderr);
}

#[test]
fn an_unwritable_data_directory_is_refused() {
    let db = TestDatabase::sqlite();
    // A path below a regular file cannot be a directory, even for root.
    let blocker = db.data_dir().with_file_name("a-file");
    std::fs::write(&blocker, "").unwrap();
    let data_dir = blocker.join("data");
    let output = TestApp::run_serve(&db, &["--data-dir", data_dir.to_str().unwrap()], &[]);
    output.assert_refused(&["data directory", "is not writable", "--data-dir"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_address_that_is_not_one_is_refused() {
    let db = TestDatabase::sqlite();
    let output = TestApp::run_serve(&db, &["--http-addr", "localhost:http"], &[]);
    output.assert_refused(&["--http-addr `localhost:http` is not an address", "IP:PORT"]);
}

#[test]
fn an_address_in_use_is_refused() {
    let db = TestDatabase::sqlite();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = TestApp::run_serve(&db, &["--http-addr", &addr], &[]);
    output.assert_refused(&[&format!("cannot listen on {addr} for HTTP"), "--http-addr"]);
}

#[test]
fn help_documents_every_command_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let output = TestApp::run(&["--help"], &[], dir.path());
    assert!(output.status.success());
    for expected in [
        "serve",
        "migrate",
        "--config",
        "--data-dir",
        "RECKON_DATA_DIR",
        "--database-url",
        "RECKON_DATABASE_URL",
        "--http-addr",
        "RECKON_HTTP_ADDR",
        "--otlp-grpc-addr",
        "RECKON_OTLP_GRPC_ADDR",
        "--otlp-http-addr",
        "RECKON_OTLP_HTTP_ADDR",
        "--log-format",
    ] {
        assert!(
            output.stdout.contains(expected),
            "--help lacks {expected}:\n{}",
            output.stdout
        );
    }
}

#[test]
fn a_value_depth_past_what_prost_decodes_is_refused() {
    let db = TestDatabase::sqlite();
    let output = TestApp::run_serve(&db, &["--otlp-max-value-depth", "101"], &[]);
    output.assert_refused(&["--otlp-max-value-depth", "101", "at most 100"]);
    let output = TestApp::run_serve(&db, &["--otlp-max-entries", "0"], &[]);
    output.assert_refused(&["--otlp-max-entries", "at least 1"]);
}
