//! A fresh database per test: a SQLite file in a temporary directory, or a PostgreSQL database
//! created on the server `RECKON_TEST_POSTGRES_URL` names and dropped when the test ends.

use std::sync::atomic::{AtomicU32, Ordering};

use reckon_server::storage::{self, Backend, DatabaseUrl};
use tempfile::TempDir;

use crate::skip::require;

/// A database that exists only for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: DatabaseUrl,
    /// Holds the SQLite file (and the test's data directory) until the test ends.
    dir: TempDir,
}

impl TestDatabase {
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("test.db");
        let url =
            DatabaseUrl::parse(&format!("sqlite://{}", file.display())).expect("a SQLite URL");
        TestDatabase { url, dir }
    }

    /// A new PostgreSQL database, or `None` (test skipped) when no server is configured.
    pub fn postgres() -> Option<TestDatabase> {
        let server = std::env::var("RECKON_TEST_POSTGRES_URL").ok();
        let server = require(
            "PostgreSQL",
            server,
            "set RECKON_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres",
        )?;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "reckon_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default()
        );
        let mut url = reqwest::Url::parse(&server).expect("RECKON_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let url = DatabaseUrl::parse(url.as_str()).expect("a PostgreSQL URL");
        let dir = tempfile::tempdir().expect("a temporary directory");
        // The database itself is created by whoever opens it first (reckon creates a missing one).
        Some(TestDatabase { url, dir })
    }

    /// The backend's database, or `None` (test skipped) when it is not available.
    pub fn of(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(TestDatabase::sqlite()),
            Backend::Postgres => TestDatabase::postgres(),
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// The database opened and migrated, as a server would (creating it if needed).
    pub async fn storage(&self) -> std::sync::Arc<dyn storage::Storage> {
        storage::open_and_migrate(&self.url)
            .await
            .unwrap_or_else(|e| panic!("opening the test database: {e}"))
    }

    /// Runs `reckon ARGS` against this database and data directory, with `input` on stdin.
    pub fn reckon(&self, args: &[&str], input: Option<&str>) -> crate::Output {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(self.cli_args());
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let data_dir = self.data_dir();
        let dir = data_dir.parent().expect("the data dir has a parent");
        crate::TestApp::run_with_input(&all, &[], dir, input)
    }

    /// The flags that point a `reckon` command at this database and its data directory.
    pub fn cli_args(&self) -> Vec<String> {
        vec![
            "--database-url".to_owned(),
            self.url.expose().to_owned(),
            "--data-dir".to_owned(),
            self.data_dir().display().to_string(),
        ]
    }

    /// The SQLite file, for a SQLite database.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        (self.url.backend() == Backend::Sqlite).then(|| self.dir.path().join("test.db"))
    }

    /// A directory that lives as long as the database, for a server's data directory.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.url.backend() != Backend::Postgres {
            return;
        }
        let url = self.url.clone();
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread with
        // its own runtime. FORCE ends connections a stopped or killed server left behind.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(storage::drop_postgres_database(&url))
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop test database {}: {error}", self.url);
        }
    }
}
