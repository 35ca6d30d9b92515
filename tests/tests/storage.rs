//! The behavioural storage suite: every test runs on SQLite and on PostgreSQL.

use std::collections::BTreeSet;
use std::sync::Arc;

use reckon_server::storage::{self, DEFAULT_ORG_SLUG, Storage, StorageError};
use reckon_tests::{TestDatabase, backend_tests};

backend_tests!(
    migrations_apply_once_and_make_it_ready,
    an_unmigrated_database_is_not_ready,
    the_default_organisation_is_created_exactly_once,
    racing_starts_create_one_default_organisation,
    a_taken_slug_is_refused_and_changes_nothing,
    organisations_are_listed_oldest_first,
    every_table_holding_org_data_carries_the_org_id,
    no_column_stores_a_float,
    data_survives_reopening,
);

async fn migrations_apply_once_and_make_it_ready(db: TestDatabase) {
    let store = storage::connect(db.url()).await.unwrap();
    let applied = store.migrate().await.unwrap();
    assert_eq!(applied, migration_names("sqlite").len());
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "a second run applies nothing"
    );
    store.check_ready().await.unwrap();
    store.close().await;
}

async fn an_unmigrated_database_is_not_ready(db: TestDatabase) {
    let store = storage::connect(db.url()).await.unwrap();
    let error = store.check_ready().await.unwrap_err();
    let expected = migration_names("sqlite").len();
    assert!(
        matches!(error, StorageError::PendingMigrations(n) if n == expected),
        "{error}"
    );
    store.close().await;
}

async fn the_default_organisation_is_created_exactly_once(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let first = store.ensure_default_organization().await.unwrap();
    let again = store.ensure_default_organization().await.unwrap();
    assert_eq!(first, again);
    assert_eq!(first.slug, DEFAULT_ORG_SLUG);
    assert_eq!(first.name, "Default organisation");
    assert_eq!(store.organizations().await.unwrap(), vec![first]);
    store.close().await;
}

async fn racing_starts_create_one_default_organisation(db: TestDatabase) {
    let store = storage::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let store: Arc<dyn Storage> = store.clone();
            tokio::spawn(async move { store.ensure_default_organization().await })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for racer in racers {
        ids.insert(racer.await.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 1, "every racer sees the same organisation");
    assert_eq!(store.organizations().await.unwrap().len(), 1);
    store.close().await;
}

async fn a_taken_slug_is_refused_and_changes_nothing(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let acme = store.create_organization("acme", "Acme Ltd").await.unwrap();
    let before = store.organizations().await.unwrap();
    let error = store
        .create_organization("acme", "Another Acme")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "an organisation with the slug `acme` already exists"
    );
    assert_eq!(store.organizations().await.unwrap(), before);
    assert_eq!(
        store.organization_by_slug("acme").await.unwrap(),
        Some(acme)
    );
    store.close().await;
}

async fn organisations_are_listed_oldest_first(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    store.create_organization("zeta", "Zeta").await.unwrap();
    store.create_organization("alpha", "Alpha").await.unwrap();
    let slugs: Vec<String> = store
        .organizations()
        .await
        .unwrap()
        .into_iter()
        .map(|org| org.slug)
        .collect();
    assert_eq!(slugs, ["default", "zeta", "alpha"]);
    assert_eq!(store.organization_by_slug("nope").await.unwrap(), None);
    store.close().await;
}

/// A guard for every future migration: tenant isolation starts in the schema.
async fn every_table_holding_org_data_carries_the_org_id(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let tables = store.schema().await.unwrap();
    assert!(tables.iter().any(|t| t.name == "organizations"));
    for table in tables.iter().filter(|t| t.name != "organizations") {
        assert!(
            table.columns.iter().any(|c| c.name == "org_id"),
            "table {} has no org_id column",
            table.name
        );
    }
    store.close().await;
}

/// Money and counts are exact: no REAL/FLOAT/DOUBLE column anywhere.
async fn no_column_stores_a_float(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    for table in store.schema().await.unwrap() {
        for column in &table.columns {
            let inexact = ["REAL", "FLOAT", "DOUBLE"]
                .iter()
                .any(|float| column.declared_type.contains(float));
            assert!(
                !inexact,
                "{}.{} is {}",
                table.name, column.name, column.declared_type
            );
        }
    }
    store.close().await;
}

async fn data_survives_reopening(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let created = store.create_organization("acme", "Acme Ltd").await.unwrap();
    store.close().await;
    let reopened = storage::open_and_migrate(db.url()).await.unwrap();
    assert_eq!(
        reopened.organization_by_slug("acme").await.unwrap(),
        Some(created)
    );
    assert_eq!(reopened.organizations().await.unwrap().len(), 2);
    reopened.close().await;
}

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_files() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}
