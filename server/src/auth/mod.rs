//! Who may do what: roles, their permissions, and the authenticated actor of a request.

mod limiter;
pub mod password;
pub mod secret;

use std::fmt;

pub use limiter::{LoginLimiter, LoginLimits};

/// A user's role in their organisation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Finance,
    Viewer,
}

/// One thing a role may do. Routes name the permission they need (see `http::routes`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Permission {
    /// Create users, change roles, disable users, see and revoke everyone's API tokens.
    UsersManage,
    /// Create and revoke one's own API tokens.
    ApiTokensManage,
    /// Read the audit log.
    AuditRead,
    /// Connect, test, sync and remove usage providers.
    SettingsIntegrationsUpdate,
    /// Create and revoke telemetry keys.
    TelemetryKeysManage,
    /// Read spend, usage and reconciliation.
    SpendRead,
    /// Write off variance.
    SpendWriteOff,
    /// Export spend.
    SpendExport,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Finance, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The permission table: the only place that says which role may do what.
    pub fn has(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => matches!(
                permission,
                ApiTokensManage
                    | AuditRead
                    | SettingsIntegrationsUpdate
                    | TelemetryKeysManage
                    | SpendRead
            ),
            Role::Finance => matches!(permission, SpendRead | SpendWriteOff | SpendExport),
            Role::Viewer => matches!(permission, SpendRead),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request proved who it is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Credential {
    /// A browser session cookie; state-changing requests must pass the CSRF check.
    Session,
    /// An API token (`Authorization: Bearer …`), with its id.
    ApiToken(i64),
}

/// The authenticated user behind a request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: Role,
    pub credential: Credential,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.has(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_have_exactly_the_documented_permissions() {
        use Permission::*;
        let all = [
            UsersManage,
            ApiTokensManage,
            AuditRead,
            SettingsIntegrationsUpdate,
            TelemetryKeysManage,
            SpendRead,
            SpendWriteOff,
            SpendExport,
        ];
        let granted =
            |role: Role| -> Vec<Permission> { all.into_iter().filter(|p| role.has(*p)).collect() };
        assert_eq!(granted(Role::Owner), all);
        assert_eq!(
            granted(Role::Admin),
            [
                ApiTokensManage,
                AuditRead,
                SettingsIntegrationsUpdate,
                TelemetryKeysManage,
                SpendRead
            ]
        );
        assert_eq!(
            granted(Role::Finance),
            [SpendRead, SpendWriteOff, SpendExport]
        );
        assert_eq!(granted(Role::Viewer), [SpendRead]);
    }
}
