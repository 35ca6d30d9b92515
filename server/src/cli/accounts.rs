//! `reckon users`, `reckon api-tokens` and `reckon orgs`: account administration at the server's
//! command line, acting as the operator (`cli` in the audit log). Secrets go to standard output
//! alone, so they can be piped; everything else goes to standard error.
#![allow(
    clippy::print_stdout,
    reason = "printing the secret is the command's output"
)]

use std::io::{IsTerminal, Read};

use clap::Subcommand;

use crate::Error;
use crate::accounts::{self, Acting, normalize_email, parse_role};
use crate::storage::{DEFAULT_ORG_SLUG, Organization, Storage};

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Create a user. The password is read from standard input when it is piped in; otherwise
    /// one is generated and printed once on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// owner, admin, finance or viewer
        #[arg(long)]
        role: String,
        /// The organisation's slug [default: default]
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
    /// List an organisation's users.
    List {
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiTokensCommand {
    /// Create an API token for a user; prints the token once on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "finance export script"
        #[arg(long)]
        name: String,
    },
    /// List a user's API tokens (prefix, created, last used, revoked).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke an API token by id; it stops working at once.
    Revoke {
        id: i64,
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgsCommand {
    /// Create an organisation (a tenant).
    Create {
        /// Short name: lowercase letters, digits and `-`
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
    },
    /// List organisations.
    List,
}

pub(super) async fn organization(
    storage: &dyn Storage,
    slug: Option<&str>,
) -> Result<Organization, Error> {
    let slug = slug.unwrap_or(DEFAULT_ORG_SLUG);
    storage
        .organization_by_slug(slug)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no organisation `{slug}`; see `reckon orgs list`")))
}

/// The password piped on standard input (first line), or `None` to generate one.
fn piped_password() -> Result<Option<String>, Error> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(|source| Error::Stdin {
            what: "the password",
            source,
        })?;
    let line = text.lines().next().unwrap_or_default().to_owned();
    Ok((!line.is_empty()).then_some(line))
}

pub(super) fn time(ms: Option<i64>) -> String {
    ms.and_then(|ms| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
    })
    .and_then(|at| {
        at.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_else(|| "-".to_owned())
}

pub async fn users(storage: &dyn Storage, command: UsersCommand) -> Result<(), Error> {
    match command {
        UsersCommand::Create { email, role, org } => {
            let role = parse_role(&role)?;
            let org = organization(storage, org.as_deref()).await?;
            let chosen = piped_password()?;
            let (user, generated) =
                accounts::create_user(storage, org.id, &email, role, chosen, &Acting::cli())
                    .await?;
            eprintln!(
                "created {} {} (id {}) in {}",
                user.role, user.email, user.id, org.slug
            );
            if let Some(password) = generated {
                eprintln!("generated password (shown once):");
                println!("{password}");
            }
        }
        UsersCommand::List { org } => {
            let org = organization(storage, org.as_deref()).await?;
            println!(
                "{:<6} {:<40} {:<8} {:<9} created",
                "id", "email", "role", "status"
            );
            for user in storage.users(org.id).await? {
                let status = if user.disabled_at_ms.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:<6} {:<40} {:<8} {:<9} {}",
                    user.id,
                    user.email,
                    user.role,
                    status,
                    time(Some(user.created_at_ms))
                );
            }
        }
    }
    Ok(())
}

pub async fn api_tokens(storage: &dyn Storage, command: ApiTokensCommand) -> Result<(), Error> {
    match command {
        ApiTokensCommand::Create { email, name } => {
            let email = normalize_email(&email)?;
            let user = storage
                .user_by_email(&email)
                .await?
                .filter(|user| user.disabled_at_ms.is_none())
                .ok_or_else(|| Error::NotFound(format!("no active user {email}")))?;
            let (token, secret) =
                accounts::create_api_token(storage, &user, &name, &Acting::cli()).await?;
            eprintln!(
                "created API token {} ({}…) for {}; shown once:",
                token.id, token.prefix, user.email
            );
            println!("{secret}");
        }
        ApiTokensCommand::List { email } => {
            let email = normalize_email(&email)?;
            let user = storage
                .user_by_email(&email)
                .await?
                .ok_or_else(|| Error::NotFound(format!("no user {email}")))?;
            println!(
                "{:<6} {:<14} {:<24} {:<26} {:<26} revoked",
                "id", "prefix", "name", "created", "last used"
            );
            for token in storage.api_tokens(user.org_id, Some(user.id)).await? {
                println!(
                    "{:<6} {:<14} {:<24} {:<26} {:<26} {}",
                    token.id,
                    format!("{}…", token.prefix),
                    token.name,
                    time(Some(token.created_at_ms)),
                    time(token.last_used_at_ms),
                    time(token.revoked_at_ms)
                );
            }
        }
        ApiTokensCommand::Revoke { id, org } => {
            let org = organization(storage, org.as_deref()).await?;
            let token =
                accounts::revoke_api_token(storage, org.id, id, None, &Acting::cli()).await?;
            eprintln!(
                "revoked API token {} ({}…) of {}",
                token.id, token.prefix, token.user_email
            );
        }
    }
    Ok(())
}

pub async fn orgs(storage: &dyn Storage, command: OrgsCommand) -> Result<(), Error> {
    match command {
        OrgsCommand::Create { slug, name } => {
            let well_formed = (2..=40).contains(&slug.len())
                && slug.starts_with(|c: char| c.is_ascii_lowercase())
                && slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !well_formed {
                return Err(Error::Invalid(format!(
                    "`{slug}` is not a slug: use 2 to 40 lowercase letters, digits and -, starting with a letter"
                )));
            }
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::Invalid("an organisation needs a name".into()));
            }
            let org = storage.create_organization(&slug, name).await?;
            eprintln!("created organisation {} ({})", org.slug, org.name);
        }
        OrgsCommand::List => {
            println!("{:<6} {:<24} name", "id", "slug");
            for org in storage.organizations().await? {
                println!("{:<6} {:<24} {}", org.id, org.slug, org.name);
            }
        }
    }
    Ok(())
}
