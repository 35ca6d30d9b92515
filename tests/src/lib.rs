//! The end-to-end test harness: test databases on both backends, the real application spawned on
//! port 0, typed HTTP helpers, and skipping (or failing) when a component is missing.

mod app;
pub mod bills;
pub mod browser;
mod database;
pub mod fake_anthropic;
mod members;
pub mod month;
pub mod otlp;
mod skip;

pub use app::{Output, TestApp, TestResponse, reckon_binary};
pub use database::TestDatabase;
pub use members::{Member, PASSWORD, add_member};
pub use skip::require;

/// Runs each named `async fn(TestDatabase)` once on SQLite and once on PostgreSQL, as the tests
/// `sqlite::NAME` and `postgres::NAME` (the latter skipped, or failed under
/// `RECKON_TEST_REQUIRE_ALL=1`, when no PostgreSQL server is configured).
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::TestDatabase::sqlite()).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = $crate::TestDatabase::postgres() {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}
