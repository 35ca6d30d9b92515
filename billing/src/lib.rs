//! reckon's billing pullers: read what AI providers bill (and report as usage) over their admin APIs.
//!
//! Each provider module (`anthropic`, `openai`, `cursor`, `github`) implements
//! [`BillingSource`]: given a range of UTC days it pages and chunks through the provider's
//! reports within their documented limits and returns [`BillingLine`]s in reckon's units (exact
//! [`Usd`], [`TokenCounts`] by kind). The common machinery lives beside them: [`http`] (one
//! client per source, retries with backoff and `Retry-After`, waiting out a used-up quota, error
//! classification), [`pacer`] (per-credential request pacing), [`models`] (the one model alias
//! table) and [`Secret`] (a credential that never prints).
//!
//! Nothing here stores anything: the server upserts the lines by [`BillingLine::natural_key`].

pub mod anthropic;
pub mod cursor;
mod days;
mod error;
pub mod github;
pub mod http;
mod json;
mod line;
pub mod models;
pub mod openai;
pub mod pacer;
mod paging;
mod query;
mod secret;
mod source;

pub use days::DayRange;
pub use error::BillingError;
pub use http::{HttpSettings, MAX_RESPONSE_BYTES, TrustedRoots, check_base_url};
pub use line::{BillingLine, CostType};
pub use pacer::Pacer;
pub use reconciler::{Provider, TokenCounts, TokenKind, Usd, UtcDay};
pub use secret::Secret;
pub use source::{BillingSource, NoProgress, Progress, Pulled};
