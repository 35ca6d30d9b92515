//! Organisation members for tests: users of a given role with a known password and an API token,
//! created through the same account operations the CLI and API use.

use reckon_server::accounts::{self, Acting};
use reckon_server::auth::Role;
use reckon_server::storage::{Storage, User};

/// The password every test member gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A user with an API token.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub token: String,
}

impl Member {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

/// Creates `email` with `role` in organisation `org_id`, and an API token for them.
pub async fn add_member(storage: &dyn Storage, org_id: i64, role: Role, email: &str) -> Member {
    let (user, _) = accounts::create_user(
        storage,
        org_id,
        email,
        role,
        Some(PASSWORD.to_owned()),
        &Acting::cli(),
    )
    .await
    .unwrap_or_else(|e| panic!("creating {email}: {e}"));
    let (_, token) = accounts::create_api_token(storage, &user, "tests", &Acting::cli())
        .await
        .unwrap_or_else(|e| panic!("creating a token for {email}: {e}"));
    Member { user, token }
}
