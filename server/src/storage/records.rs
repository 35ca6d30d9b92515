//! What the accounts tables hold, as the rest of the server sees it. No record carries a secret
//! except [`Credentials::password_hash`], which only sign-in reads.

use crate::auth::Role;

#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: Role,
    pub created_at_ms: i64,
    pub disabled_at_ms: Option<i64>,
}

/// A user to create; the email is already normalised and the password already hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub org_id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
}

/// A user with their password hash, for sign-in only.
#[derive(Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// A browser session to create. Only the hash of its id is stored.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub id_hash: String,
    pub org_id: i64,
    pub user_id: i64,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub client_addr: Option<String>,
}

/// A stored session with its (active) user.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub user: User,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub expires_at_ms: i64,
}

#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub user_email: String,
    pub name: String,
    /// The first characters of the token, for recognising it; never enough to use it.
    pub prefix: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// An API token to create. Only the hash of the token is stored.
#[derive(Clone, Debug)]
pub struct NewApiToken {
    pub org_id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub token_hash: String,
}

/// One line of the audit log, as written. `details` never holds a secret.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub org_id: i64,
    /// The acting user; `None` for the command line and the system.
    pub actor_user_id: Option<i64>,
    /// Who acted, as shown: the user's email, `cli` or `system`.
    pub actor: String,
    /// What was done, e.g. `user.create`, `api_token.revoke`.
    pub action: &'static str,
    /// What it was done to, e.g. `user alice@example.com`.
    pub target: String,
    pub details: serde_json::Value,
    /// Where the request came from (the peer address), if over HTTP.
    pub client_addr: Option<String>,
}

/// One line of the audit log, as read.
#[derive(Clone, PartialEq, Debug, serde::Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
    pub created_at_ms: i64,
}
