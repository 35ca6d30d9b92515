//! Missing components: a test skips with a printed reason, or fails under `RECKON_TEST_REQUIRE_ALL=1`.

/// Whether the suite must fail instead of skipping (CI sets this).
fn require_all() -> bool {
    std::env::var("RECKON_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Returns `Some(value)` when the component is there. Otherwise prints why the test is skipped
/// and returns `None`, or panics when `RECKON_TEST_REQUIRE_ALL=1`.
pub fn require<T>(component: &str, available: Option<T>, how_to_provide: &str) -> Option<T> {
    if available.is_some() {
        return available;
    }
    let message = format!("{component} is not available: {how_to_provide}");
    if require_all() {
        panic!("RECKON_TEST_REQUIRE_ALL=1 and {message}");
    }
    eprintln!("SKIPPED: {message}");
    None
}
