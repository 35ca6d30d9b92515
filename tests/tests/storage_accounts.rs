//! The storage suite for accounts, on SQLite and PostgreSQL: users, owners, sessions, tokens,
//! setup and the audit log.

use reckon_server::accounts::{self, Acting};
use reckon_server::auth::{Role, secret};
use reckon_server::storage::{self, AuditEntry, NewSession, NewUser, StorageError, now_ms};
use reckon_tests::{TestDatabase, add_member, backend_tests};
use serde_json::json;

backend_tests!(
    a_user_and_its_audit_entry_are_written_together,
    the_last_active_owner_stays,
    disabling_a_user_ends_their_sessions_and_tokens,
    the_setup_token_creates_one_owner_once,
    audit_events_page_newest_first_within_their_organisation,
);

fn entry(org_id: i64, action: &'static str) -> AuditEntry {
    AuditEntry {
        org_id,
        actor_user_id: None,
        actor: "cli".into(),
        action,
        target: "test".into(),
        details: json!({}),
        client_addr: None,
    }
}

fn new_user(org_id: i64, email: &str, role: Role) -> NewUser {
    NewUser {
        org_id,
        email: email.into(),
        password_hash: "$argon2id$not-a-real-hash".into(),
        role,
    }
}

async fn a_user_and_its_audit_entry_are_written_together(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let org = store.ensure_default_organization().await.unwrap();
    let user = store
        .create_user(
            &new_user(org.id, "a@example.com", Role::Admin),
            &entry(org.id, "user.create"),
        )
        .await
        .unwrap();
    assert_eq!(
        (user.email.as_str(), user.role),
        ("a@example.com", Role::Admin)
    );
    let duplicate = store
        .create_user(
            &new_user(org.id, "a@example.com", Role::Owner),
            &entry(org.id, "user.create"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        duplicate.to_string(),
        "a user with the email a@example.com already exists"
    );
    let events = store.audit_events(org.id, None, 100).await.unwrap();
    assert_eq!(events.len(), 1, "the refused insert left no audit entry");
    assert_eq!(store.users(org.id).await.unwrap(), vec![user]);
    store.close().await;
}

async fn the_last_active_owner_stays(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let org = store.ensure_default_organization().await.unwrap();
    let first = store
        .create_user(
            &new_user(org.id, "one@example.com", Role::Owner),
            &entry(org.id, "user.create"),
        )
        .await
        .unwrap();
    let refused = store
        .set_role(
            org.id,
            first.id,
            Role::Admin,
            &entry(org.id, "user.role_change"),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, StorageError::Conflict(_)), "{refused}");
    let refused = store
        .disable_user(org.id, first.id, &entry(org.id, "user.disable"))
        .await
        .unwrap_err();
    assert!(matches!(refused, StorageError::Conflict(_)), "{refused}");
    assert_eq!(
        store.user(org.id, first.id).await.unwrap().unwrap(),
        first,
        "unchanged"
    );
    let second = store
        .create_user(
            &new_user(org.id, "two@example.com", Role::Owner),
            &entry(org.id, "user.create"),
        )
        .await
        .unwrap();
    let demoted = store
        .set_role(
            org.id,
            first.id,
            Role::Viewer,
            &entry(org.id, "user.role_change"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(demoted.role, Role::Viewer);
    assert!(
        store
            .set_role(org.id, second.id, Role::Admin, &entry(org.id, "x"))
            .await
            .is_err()
    );
    assert_eq!(
        store
            .set_role(org.id + 1000, second.id, Role::Admin, &entry(org.id, "x"))
            .await
            .unwrap(),
        None,
        "another organisation's id finds nothing"
    );
    store.close().await;
}

async fn disabling_a_user_ends_their_sessions_and_tokens(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let org = store.ensure_default_organization().await.unwrap();
    add_member(store.as_ref(), org.id, Role::Owner, "owner@example.com").await;
    let leaver = add_member(store.as_ref(), org.id, Role::Viewer, "leaver@example.com").await;
    let session = NewSession {
        id_hash: secret::hash("session-id"),
        org_id: org.id,
        user_id: leaver.user.id,
        created_at_ms: now_ms(),
        expires_at_ms: now_ms() + 60_000,
        client_addr: None,
    };
    store
        .create_session(&session, &entry(org.id, "session.sign_in"))
        .await
        .unwrap();
    assert!(store.session(&session.id_hash).await.unwrap().is_some());
    assert!(
        store
            .api_token_user(&secret::hash(&leaver.token))
            .await
            .unwrap()
            .is_some()
    );
    let disabled = accounts::disable_user(store.as_ref(), org.id, leaver.user.id, &Acting::cli())
        .await
        .unwrap();
    assert!(disabled.disabled_at_ms.is_some());
    assert!(store.session(&session.id_hash).await.unwrap().is_none());
    assert!(
        store
            .api_token_user(&secret::hash(&leaver.token))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .credentials("leaver@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let tokens = store
        .api_tokens(org.id, Some(leaver.user.id))
        .await
        .unwrap();
    assert!(tokens.iter().all(|t| t.revoked_at_ms.is_some()));
    store.close().await;
}

async fn the_setup_token_creates_one_owner_once(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let org = store.ensure_default_organization().await.unwrap();
    let owner = new_user(org.id, "founder@example.com", Role::Owner);
    store
        .replace_setup_token(org.id, "expired", now_ms() - 1)
        .await
        .unwrap();
    let expired = store
        .complete_setup("expired", &owner, &entry(org.id, "setup"))
        .await
        .unwrap_err();
    assert!(matches!(expired, StorageError::SetupToken), "{expired}");
    store
        .replace_setup_token(org.id, "good", now_ms() + 60_000)
        .await
        .unwrap();
    assert!(
        store
            .complete_setup("wrong", &owner, &entry(org.id, "setup"))
            .await
            .is_err()
    );
    let created = store
        .complete_setup("good", &owner, &entry(org.id, "setup"))
        .await
        .unwrap();
    assert_eq!(created.role, Role::Owner);
    let second = new_user(org.id, "second@example.com", Role::Owner);
    let again = store
        .complete_setup("good", &second, &entry(org.id, "setup"))
        .await;
    assert!(matches!(again.unwrap_err(), StorageError::SetupToken));
    // A fresh token does not help once a user exists.
    store
        .replace_setup_token(org.id, "late", now_ms() + 60_000)
        .await
        .unwrap();
    let latecomer = new_user(org.id, "late@example.com", Role::Owner);
    let late = store
        .complete_setup("late", &latecomer, &entry(org.id, "setup"))
        .await;
    assert!(matches!(late.unwrap_err(), StorageError::SetupToken));
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert_eq!(store.audit_events(org.id, None, 10).await.unwrap().len(), 1);
    store.close().await;
}

async fn audit_events_page_newest_first_within_their_organisation(db: TestDatabase) {
    let store = storage::open_and_migrate(db.url()).await.unwrap();
    let org = store.ensure_default_organization().await.unwrap();
    let other = store.create_organization("other", "Other").await.unwrap();
    for action in ["first", "second", "third"] {
        store.record_audit(&entry(org.id, action)).await.unwrap();
    }
    store
        .record_audit(&entry(other.id, "elsewhere"))
        .await
        .unwrap();
    let all = store.audit_events(org.id, None, 10).await.unwrap();
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["third", "second", "first"]);
    let older = store
        .audit_events(org.id, Some(all[0].id), 1)
        .await
        .unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].action, "second");
    store.close().await;
}
