//! The database URL: which backend it selects, and a form that is safe to print.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::storage::StorageError;

/// Which storage backend a URL selects.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database URL: `sqlite://PATH` (relative or absolute) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
///
/// It may hold a password, so `Debug` and `Display` show it redacted; only [`DatabaseUrl::expose`]
/// gives the full text, for the driver.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    full: String,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<DatabaseUrl, StorageError> {
        let invalid = |reason: String| StorageError::InvalidUrl {
            url: redact(text),
            reason,
        };
        let scheme = text.split_once(':').map(|(scheme, _)| scheme);
        let backend = match scheme {
            Some("sqlite") => {
                let path = sqlite_path(text);
                if path.as_os_str().is_empty() {
                    return Err(invalid("it names no file; write sqlite://PATH, e.g. sqlite://reckon-data/reckon.db".into()));
                }
                Backend::Sqlite
            }
            Some("postgres" | "postgresql") => {
                let parsed = url::Url::parse(text).map_err(|e| invalid(e.to_string()))?;
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(invalid("it names no host".into()));
                }
                if parsed.path().trim_start_matches('/').is_empty() {
                    return Err(invalid(
                        "it names no database; end it with /DATABASE".into(),
                    ));
                }
                Backend::Postgres
            }
            _ => {
                return Err(invalid(
                    "reckon stores data in SQLite (sqlite://PATH) or PostgreSQL (postgres://…)"
                        .into(),
                ));
            }
        };
        Ok(DatabaseUrl {
            full: text.to_owned(),
            backend,
        })
    }

    /// The default: a SQLite file in the data directory.
    pub fn sqlite_in(data_dir: &Path) -> DatabaseUrl {
        DatabaseUrl {
            full: format!("sqlite://{}", data_dir.join("reckon.db").display()),
            backend: Backend::Sqlite,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The full URL, password included: only for handing to the database driver.
    pub fn expose(&self) -> &str {
        &self.full
    }

    /// For SQLite: the database file.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        (self.backend == Backend::Sqlite).then(|| sqlite_path(&self.full))
    }
}

/// `sqlite://a/b.db?mode=rwc` → `a/b.db`; `sqlite:a.db` → `a.db`.
fn sqlite_path(text: &str) -> PathBuf {
    let rest = text.trim_start_matches("sqlite:");
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    PathBuf::from(rest.split('?').next().unwrap_or_default())
}

/// The URL with any password replaced by `***`.
fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => text.to_owned(),
        // Unparsable: keep the scheme and drop the rest, which may hold a password.
        Err(_) => match text.split_once("://") {
            Some((scheme, rest)) if rest.contains('@') => format!("{scheme}://***"),
            _ => text.to_owned(),
        },
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.full))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_the_backend_by_scheme() {
        let sqlite = DatabaseUrl::parse("sqlite://reckon-data/reckon.db").unwrap();
        assert_eq!(sqlite.backend(), Backend::Sqlite);
        assert_eq!(
            sqlite.sqlite_file().unwrap(),
            PathBuf::from("reckon-data/reckon.db")
        );
        let absolute = DatabaseUrl::parse("sqlite:///var/lib/reckon/r.db?mode=rwc").unwrap();
        assert_eq!(
            absolute.sqlite_file().unwrap(),
            PathBuf::from("/var/lib/reckon/r.db")
        );
        let pg = DatabaseUrl::parse("postgresql://u@db:5432/reckon").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
    }

    #[test]
    fn rejects_what_it_cannot_serve() {
        for bad in [
            "mysql://x/y",
            "reckon.db",
            "sqlite://",
            "postgres://",
            "postgres://host",
            "postgres://h:notaport/db",
        ] {
            let message = DatabaseUrl::parse(bad).unwrap_err().to_string();
            assert!(
                message.starts_with("invalid database URL"),
                "{bad}: {message}"
            );
        }
    }

    #[test]
    fn never_shows_the_password() {
        let url = DatabaseUrl::parse("postgres://reckon:hunter2@db/reckon").unwrap();
        assert_eq!(url.to_string(), "postgres://reckon:***@db/reckon");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert!(url.expose().contains("hunter2"));
        let error = DatabaseUrl::parse("postgres://reckon:hunter2@db:bad/reckon").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
