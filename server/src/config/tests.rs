//! Layering, validation and redaction of the configuration.

use super::*;

fn args() -> ConfigArgs {
    ConfigArgs::default()
}

#[test]
fn defaults_apply_without_any_layer() {
    let config = Config::load(&args()).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("reckon-data"));
    assert_eq!(
        config.database_url.expose(),
        "sqlite://reckon-data/reckon.db"
    );
    assert_eq!(config.http_addr.to_string(), "127.0.0.1:8080");
    assert_eq!(config.otlp_grpc_addr.to_string(), "127.0.0.1:4317");
    assert_eq!(config.otlp_http_addr.to_string(), "127.0.0.1:4318");
    assert_eq!(config.log_format, LogFormat::Human);
}

#[test]
fn the_file_sits_beneath_flags_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reckon.toml");
    std::fs::write(
        &file,
        "data_dir = \"/srv/reckon\"\nhttp_addr = \"0.0.0.0:9000\"\nlog_format = \"json\"\n",
    )
    .unwrap();
    let mut layered = ConfigArgs {
        config: Some(file),
        ..args()
    };
    let from_file = Config::load(&layered).unwrap();
    assert_eq!(from_file.http_addr.to_string(), "0.0.0.0:9000");
    assert_eq!(
        from_file.database_url.expose(),
        "sqlite:///srv/reckon/reckon.db"
    );
    assert_eq!(from_file.log_format, LogFormat::Json);
    layered.http_addr = Some("127.0.0.1:0".into());
    let overridden = Config::load(&layered).unwrap();
    assert_eq!(overridden.http_addr.to_string(), "127.0.0.1:0");
    assert_eq!(overridden.data_dir, PathBuf::from("/srv/reckon"));
}

#[test]
fn unknown_file_keys_and_variables_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reckon.toml");
    std::fs::write(&file, "http_adr = \"127.0.0.1:1\"\n").unwrap();
    let error = Config::load(&ConfigArgs {
        config: Some(file),
        ..args()
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("unknown field `http_adr`"), "{error}");
    assert!(!error.contains('\n'), "{error}");

    let error = check_environment(["RECKON_DATABSE_URL".to_owned()].into_iter()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("unknown environment variable RECKON_DATABSE_URL")
    );
    assert!(check_environment(["RECKON_TEST_POSTGRES_URL".to_owned()].into_iter()).is_ok());
}

#[test]
fn debug_output_redacts_the_database_password() {
    let config = Config::load(&ConfigArgs {
        database_url: Some("postgres://reckon:s3cr3t-pw@db.internal:5432/reckon".into()),
        ..args()
    })
    .unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cr3t-pw"), "{shown}");
    assert!(
        shown.contains("postgres://reckon:***@db.internal:5432/reckon"),
        "{shown}"
    );
}

#[test]
fn bad_addresses_say_what_to_write() {
    let error = Config::load(&ConfigArgs {
        http_addr: Some("localhost:80".into()),
        ..args()
    })
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "--http-addr `localhost:80` is not an address: write IP:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free port)"
    );
}

#[test]
fn provider_settings_layer_and_the_master_key_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reckon.toml");
    std::fs::write(
        &file,
        "master_key = \"bWFzdGVyLWtleS1zZWNyZXQtMzItYnl0ZXMtbG9uZyEh\"\n\
         anthropic_base_url = \"http://127.0.0.1:9/\"\nsync_trailing_days = 5\n",
    )
    .unwrap();
    let mut layered = ConfigArgs {
        config: Some(file),
        ..args()
    };
    layered.providers.openai_base_url = Some("http://127.0.0.1:10/v1".into());
    let config = Config::load(&layered).unwrap();
    let providers = &config.providers;
    assert_eq!(
        providers.anthropic_base_url.as_ref().unwrap().as_str(),
        "http://127.0.0.1:9/"
    );
    assert_eq!(
        providers.openai_base_url.as_ref().unwrap().as_str(),
        "http://127.0.0.1:10/v1"
    );
    assert_eq!(providers.sync_trailing_days, 5);
    assert_eq!(providers.sync_interval, Duration::from_secs(86_400));
    let shown = format!("{config:?}");
    assert!(!shown.contains("bWFzdGVyLWtleS"), "{shown}");

    layered.providers.github_base_url = Some("ftp://example.com".into());
    let error = Config::load(&layered).unwrap_err().to_string();
    assert_eq!(
        error,
        "--github-base-url `ftp://example.com` is not an http:// or https:// URL"
    );
}
