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

/// An HTTP client for talking to reckon and its fakes: it trusts the platform's roots and the
/// test CA every fake's certificate comes from (ring installed first, as reckon's `main` does).
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("an HTTP client")
}

/// [`http_client`]'s builder, for a test that needs more (no redirects).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    test_tls::install_ring();
    let ca = reqwest::Certificate::from_pem(test_tls::TestCa::shared().ca_pem().as_bytes())
        .expect("the test CA");
    reqwest::Client::builder().tls_certs_merge([ca])
}

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
