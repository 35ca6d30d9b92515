//! reckon's pure domain core: the vocabulary every other crate speaks (no IO, no clock).
//!
//! - [`Usd`]: exact US-dollar amounts and the provider units they are parsed from;
//! - [`UtcDay`], [`Month`], [`Period`]: UTC calendar periods;
//! - [`Provider`], [`Tool`]: who bills the spend and which tool reported it;
//! - [`TokenCounts`], [`TokenKind`]: token quantities with non-overlapping kinds;
//! - [`Amount`], [`AmountLabel`]: every amount carries where it came from;
//! - [`Catalogue`]: effective-dated prices, and what tokens cost at them;
//! - [`reconcile`]: billed against observed per month and provider, with the variance explained.

mod amount;
mod catalogue;
mod error;
mod money;
mod period;
mod provider;
pub mod reconcile;
mod text;
mod tokens;

pub use amount::{Amount, AmountLabel};
pub use catalogue::{BUILT_IN, Catalogue, Price, Tier};
pub use error::Error;
pub use money::Usd;
pub use period::{Month, Period, UtcDay};
pub use provider::{Provider, Tool};
pub use tokens::{TokenCounts, TokenKind};
