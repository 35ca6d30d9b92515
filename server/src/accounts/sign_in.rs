//! Proving who someone is: the first-owner setup link, sign-in and sign-out, and turning a
//! session cookie or API token back into an [`Actor`].

use std::net::IpAddr;
use std::time::Duration;

use serde_json::json;

use super::{Acting, normalize_email};
use crate::Error;
use crate::auth::{Actor, Credential, LoginLimiter, Role, password, secret};
use crate::storage::{NewSession, NewUser, Storage, User, now_ms};

/// How long a setup link stays valid.
const SETUP_LINK_VALIDITY: Duration = Duration::from_secs(60 * 60);

/// How long browser sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, however busy.
    pub max_age: Duration,
}

impl SessionPolicy {
    /// Activity is recorded at most this often: a tenth of the idle timeout, at most a minute.
    fn touch_granularity_ms(self) -> i64 {
        millis(self.idle / 10).min(60_000)
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// When no user exists yet: a one-time link (valid one hour) to create the first owner of the
/// default organisation. Each call replaces the previous link.
pub async fn issue_setup_link(
    storage: &dyn Storage,
    base_url: &str,
) -> Result<Option<String>, Error> {
    if storage.count_users().await? > 0 {
        return Ok(None);
    }
    let org = storage.ensure_default_organization().await?;
    let token = secret::new_opaque_token();
    let expires = now_ms().saturating_add(millis(SETUP_LINK_VALIDITY));
    storage
        .replace_setup_token(org.id, &secret::hash(&token), expires)
        .await?;
    Ok(Some(format!(
        "{}/setup?token={token}",
        base_url.trim_end_matches('/')
    )))
}

/// Creates the first owner with the setup link's token.
pub async fn complete_setup(
    storage: &dyn Storage,
    token: &str,
    email: &str,
    chosen_password: &str,
    client_addr: Option<String>,
) -> Result<User, Error> {
    let email = normalize_email(email)?;
    password::check_rules(chosen_password).map_err(Error::Invalid)?;
    // Cheap checks first: hashing a password costs tens of milliseconds and megabytes, and this
    // route is open to anyone.
    let token_hash = secret::hash(token);
    if !storage.setup_token_is_valid(&token_hash, now_ms()).await? {
        return Err(crate::storage::StorageError::SetupToken.into());
    }
    let org = storage.ensure_default_organization().await?;
    let owner = NewUser {
        org_id: org.id,
        email: email.clone(),
        password_hash: hash_off_thread(chosen_password.to_owned()).await?,
        role: Role::Owner,
    };
    let acting = Acting {
        user_id: None,
        label: email.clone(),
        client_addr,
    };
    let audit = acting.entry(
        org.id,
        "setup.owner_create",
        format!("user {email}"),
        json!({ "role": Role::Owner }),
    );
    Ok(storage.complete_setup(&token_hash, &owner, &audit).await?)
}

/// Checks the password (within the attempt limits) and opens a session; returns its id, the
/// cookie's value, which is stored only as a hash.
pub async fn sign_in(
    storage: &dyn Storage,
    limiter: &LoginLimiter,
    policy: SessionPolicy,
    email: &str,
    offered_password: &str,
    client: Option<IpAddr>,
) -> Result<(String, User), Error> {
    let email = email.trim().to_lowercase();
    limiter
        .reserve(&email, client)
        .map_err(|limited| Error::TooManyAttempts {
            scope: if limited.by_email {
                "for this account"
            } else {
                "from this address"
            },
            retry_after: limited.retry_after,
        })?;
    let credentials = storage.credentials(&email).await?;
    // An unknown email is checked against a decoy hash, so it takes as long as a wrong password.
    let stored = credentials.as_ref().map_or_else(
        || password::decoy_hash().to_owned(),
        |c| c.password_hash.clone(),
    );
    let offered = offered_password.to_owned();
    let matches = tokio::task::spawn_blocking(move || password::verify(&offered, &stored))
        .await
        .unwrap_or(false);
    let Some(user) = credentials.filter(|_| matches).map(|c| c.user) else {
        // The attempt was counted as failed when it was reserved.
        return Err(Error::Unauthenticated("wrong email or password".into()));
    };
    limiter.record_success(&email, client);
    let session_id = secret::new_opaque_token();
    let now = now_ms();
    let session = NewSession {
        id_hash: secret::hash(&session_id),
        org_id: user.org_id,
        user_id: user.id,
        created_at_ms: now,
        expires_at_ms: now.saturating_add(millis(policy.max_age)),
        client_addr: client.map(|ip| ip.to_string()),
    };
    let acting = Acting {
        user_id: Some(user.id),
        label: user.email.clone(),
        client_addr: session.client_addr.clone(),
    };
    let audit = acting.entry(
        user.org_id,
        "session.sign_in",
        format!("user {}", user.email),
        json!({}),
    );
    storage.create_session(&session, &audit).await?;
    Ok((session_id, user))
}

/// Ends the session behind the cookie value `session_id`.
pub async fn sign_out(
    storage: &dyn Storage,
    session_id: &str,
    actor: &Actor,
    client_addr: Option<String>,
) -> Result<(), Error> {
    let acting = Acting {
        user_id: Some(actor.user_id),
        label: actor.email.clone(),
        client_addr,
    };
    let audit = acting.entry(
        actor.org_id,
        "session.sign_out",
        format!("user {}", actor.email),
        json!({}),
    );
    storage
        .delete_session(&secret::hash(session_id), Some(&audit))
        .await?;
    Ok(())
}

/// The actor behind a session cookie, if the session exists and has not expired (an expired one
/// is deleted).
pub async fn authenticate_session(
    storage: &dyn Storage,
    policy: SessionPolicy,
    session_id: &str,
) -> Result<Option<Actor>, Error> {
    let id_hash = secret::hash(session_id);
    let Some(session) = storage.session(&id_hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    let idle_for = now.saturating_sub(session.last_seen_at_ms);
    if now >= session.expires_at_ms || idle_for >= millis(policy.idle) {
        storage.delete_session(&id_hash, None).await?;
        return Ok(None);
    }
    storage
        .touch_session(&id_hash, now, policy.touch_granularity_ms())
        .await?;
    Ok(Some(actor_of(session.user, Credential::Session)))
}

/// The actor behind an API token, if it exists, is unrevoked and its user active.
pub async fn authenticate_token(
    storage: &dyn Storage,
    token: &str,
) -> Result<Option<Actor>, Error> {
    if !token.starts_with(secret::API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let Some((api_token, user)) = storage.api_token_user(&secret::hash(token)).await? else {
        return Ok(None);
    };
    storage
        .touch_api_token(api_token.id, now_ms(), 60_000)
        .await?;
    Ok(Some(actor_of(user, Credential::ApiToken(api_token.id))))
}

fn actor_of(user: User, credential: Credential) -> Actor {
    Actor {
        user_id: user.id,
        org_id: user.org_id,
        email: user.email,
        role: user.role,
        credential,
    }
}

/// Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
pub(crate) async fn hash_off_thread(plain: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(|e| Error::Serve(std::io::Error::other(e)))
}
