//! Account operations shared by the command line and the HTTP API: users, API tokens, the
//! first-owner setup and sign-in. Each mutation is audited in its own transaction.

mod sign_in;
mod telemetry_keys;

use serde_json::json;

use crate::Error;
use crate::auth::{Role, password, secret};
use crate::storage::{ApiToken, AuditEntry, NewApiToken, NewUser, Storage, User};

pub use sign_in::{
    SessionPolicy, authenticate_session, authenticate_token, complete_setup, issue_setup_link,
    sign_in, sign_out,
};
pub use telemetry_keys::{
    authenticate_telemetry_key, create_telemetry_key, record_telemetry_key_use,
    revoke_telemetry_key,
};

/// Who performs an account operation, for the audit log.
#[derive(Clone, Debug)]
pub struct Acting {
    pub user_id: Option<i64>,
    /// The user's email, or `cli`.
    pub label: String,
    pub client_addr: Option<String>,
}

impl Acting {
    /// The operator at the server's command line.
    pub fn cli() -> Acting {
        Acting {
            user_id: None,
            label: "cli".to_owned(),
            client_addr: None,
        }
    }

    pub(crate) fn entry(
        &self,
        org_id: i64,
        action: &'static str,
        target: String,
        details: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            org_id,
            actor_user_id: self.user_id,
            actor: self.label.clone(),
            action,
            target,
            details,
            client_addr: self.client_addr.clone(),
        }
    }
}

/// Lower-cased, trimmed email with one `@` between non-empty parts and no blanks.
pub fn normalize_email(text: &str) -> Result<String, Error> {
    let email = text.trim().to_lowercase();
    let well_formed = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if well_formed {
        Ok(email)
    } else {
        Err(Error::Invalid(format!(
            "`{}` is not an email address",
            text.trim()
        )))
    }
}

pub fn parse_role(text: &str) -> Result<Role, Error> {
    Role::parse(text).ok_or_else(|| {
        Error::Invalid(format!(
            "unknown role `{text}`; roles are owner, admin, finance, viewer"
        ))
    })
}

/// Creates a user. Without a password one is generated and returned, to be shown once.
pub async fn create_user(
    storage: &dyn Storage,
    org_id: i64,
    email: &str,
    role: Role,
    chosen_password: Option<String>,
    acting: &Acting,
) -> Result<(User, Option<String>), Error> {
    let email = normalize_email(email)?;
    let (plain, generated) = match chosen_password {
        Some(chosen) => {
            password::check_rules(&chosen).map_err(Error::Invalid)?;
            (chosen, false)
        }
        None => (password::generate(), true),
    };
    let new = NewUser {
        org_id,
        email: email.clone(),
        password_hash: sign_in::hash_off_thread(plain.clone()).await?,
        role,
    };
    let audit = acting.entry(
        org_id,
        "user.create",
        format!("user {email}"),
        json!({ "role": role }),
    );
    let user = storage.create_user(&new, &audit).await?;
    Ok((user, generated.then_some(plain)))
}

pub async fn set_role(
    storage: &dyn Storage,
    org_id: i64,
    user_id: i64,
    role: Role,
    acting: &Acting,
) -> Result<User, Error> {
    let target = storage
        .user(org_id, user_id)
        .await?
        .ok_or_else(|| no_user(user_id))?;
    let audit = acting.entry(
        org_id,
        "user.role_change",
        format!("user {}", target.email),
        json!({ "from": target.role, "to": role }),
    );
    storage
        .set_role(org_id, user_id, role, &audit)
        .await?
        .ok_or_else(|| no_user(user_id))
}

pub async fn disable_user(
    storage: &dyn Storage,
    org_id: i64,
    user_id: i64,
    acting: &Acting,
) -> Result<User, Error> {
    let target = storage
        .user(org_id, user_id)
        .await?
        .ok_or_else(|| no_user(user_id))?;
    if target.disabled_at_ms.is_some() {
        return Ok(target);
    }
    let audit = acting.entry(
        org_id,
        "user.disable",
        format!("user {}", target.email),
        json!({}),
    );
    storage
        .disable_user(org_id, user_id, &audit)
        .await?
        .ok_or_else(|| no_user(user_id))
}

fn no_user(user_id: i64) -> Error {
    Error::NotFound(format!("no user {user_id} in this organisation"))
}

/// Creates an API token for `user`; the secret is returned once and only its hash is kept.
pub async fn create_api_token(
    storage: &dyn Storage,
    user: &User,
    name: &str,
    acting: &Acting,
) -> Result<(ApiToken, String), Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::Invalid(
            "a token name must have 1 to 100 characters".into(),
        ));
    }
    let token = secret::new_api_token();
    let prefix = secret::display_prefix(&token);
    let new = NewApiToken {
        org_id: user.org_id,
        user_id: user.id,
        name: name.to_owned(),
        prefix: prefix.clone(),
        token_hash: secret::hash(&token),
    };
    let audit = acting.entry(
        user.org_id,
        "api_token.create",
        format!("api token {prefix}… ({name}) of {}", user.email),
        json!({ "name": name, "prefix": prefix }),
    );
    let created = storage.create_api_token(&new, &audit).await?;
    Ok((created, token))
}

/// Revokes a token of the organisation; `only_of` limits it to one user's tokens.
pub async fn revoke_api_token(
    storage: &dyn Storage,
    org_id: i64,
    token_id: i64,
    only_of: Option<i64>,
    acting: &Acting,
) -> Result<ApiToken, Error> {
    let not_found = || Error::NotFound(format!("no API token {token_id} that you may revoke"));
    let target = storage
        .api_token(org_id, token_id, only_of)
        .await?
        .ok_or_else(not_found)?;
    let audit = acting.entry(
        org_id,
        "api_token.revoke",
        format!(
            "api token {}… ({}) of {}",
            target.prefix, target.name, target.user_email
        ),
        json!({ "name": target.name, "prefix": target.prefix }),
    );
    storage
        .revoke_api_token(org_id, token_id, only_of, &audit)
        .await?
        .ok_or_else(not_found)
}
