//! `reckon serve --demo`: a demo organisation with the Demo provider seeded and a demo owner
//! to sign in as, created on the first start and reused on later ones.

use std::path::Path;

use crate::Error;
use crate::accounts::{Acting, create_user};
use crate::auth::Role;
use crate::integrations::Integrations;
use crate::storage::Storage;

pub const DEMO_ORG_SLUG: &str = "demo";
pub const DEMO_OWNER_EMAIL: &str = "demo-owner@demo.example";
/// The demo owner's password, kept beside the database (mode 0600) so a later start can
/// print the login again: a demo account, never a real one.
const PASSWORD_FILE: &str = "demo-owner-password";

/// How to sign in to the demo.
#[derive(Debug)]
pub struct DemoLogin {
    pub email: &'static str,
    pub password: String,
    /// Whether this start seeded the demo (false: the data directory's demo was reused).
    pub seeded: bool,
}

fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
}

/// The demo organisation, owner and Demo provider: created when missing, else reused.
pub async fn prepare(
    storage: &dyn Storage,
    integrations: &Integrations,
    data_dir: &Path,
) -> Result<DemoLogin, Error> {
    let org = match storage.organization_by_slug(DEMO_ORG_SLUG).await? {
        Some(org) => org,
        None => {
            storage
                .create_organization(DEMO_ORG_SLUG, "Demo organisation (synthetic data)")
                .await?
        }
    };
    let password_file = data_dir.join(PASSWORD_FILE);
    let password = match storage.user_by_email(DEMO_OWNER_EMAIL).await? {
        Some(_) => std::fs::read_to_string(&password_file)
            .map(|p| p.trim().to_owned())
            .map_err(|e| {
                Error::Invalid(format!(
                    "the demo owner exists but {} cannot be read ({e}); remove the data directory to start the demo afresh",
                    password_file.display()
                ))
            })?,
        None => {
            let (_, generated) =
                create_user(storage, org.id, DEMO_OWNER_EMAIL, Role::Owner, None, &Acting::cli())
                    .await?;
            let password = generated.unwrap_or_default();
            write_private(&password_file, &password)?;
            password
        }
    };
    let has_demo = integrations
        .list(org.id)
        .await?
        .iter()
        .any(|i| i.kind == "demo" && i.status != "removed");
    if !has_demo {
        integrations
            .create(&Acting::cli(), org.id, "demo", "Demo", Default::default())
            .await?;
    }
    Ok(DemoLogin {
        email: DEMO_OWNER_EMAIL,
        password,
        seeded: !has_demo,
    })
}
