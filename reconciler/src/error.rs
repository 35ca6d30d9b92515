//! The one error type of the domain core: what input was wrong and what was expected instead.

/// Why a value from outside (a provider, a request, a file) was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A price catalogue entry (or its file) that cannot be used, and why.
    #[error("{0}")]
    Catalogue(String),
    /// Text that should hold an amount of money did not.
    #[error("`{input}` is not an amount: {reason}")]
    InvalidAmount { input: String, reason: &'static str },
    /// An amount too large for reckon's storage (about ±9.2 billion USD).
    #[error("{0} USD is outside the range reckon stores (±9,223,372,036 USD)")]
    AmountOutOfRange(rust_decimal::Decimal),
    /// Text that should hold a UTC day (`2026-11-22`) or month (`2026-11`) did not.
    #[error("`{input}` is not a {expected}")]
    InvalidPeriod {
        input: String,
        expected: &'static str,
    },
    /// A timestamp outside the calendar reckon handles (years 1 to 9999).
    #[error("timestamp {0} ns is outside the years reckon handles")]
    TimestampOutOfRange(i128),
    /// An identifier (provider, tool, token kind, label) that is not known.
    #[error("unknown {what} `{input}`; expected one of: {expected}")]
    UnknownName {
        what: &'static str,
        input: String,
        expected: String,
    },
    /// Token counts whose parts contradict each other.
    #[error("{0}")]
    InconsistentTokens(String),
}
