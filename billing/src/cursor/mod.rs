//! Cursor Admin API puller: usage events (billed cents and tokens per day, person, model) and
//! the current cycle's spend per member (a snapshot, never billed).
//!
//! What the lines mean, for whoever stores and sums them:
//!
//! - **Usage events** (`POST /teams/filtered-usage-events`, source `/teams/filtered-usage-events`)
//!   are summed into one line per (UTC day of the event, `userEmail`, model label, `kind`);
//!   natural key `/teams/filtered-usage-events|<day>|person=<email>|model=<Cursor's label>|kind=<kind>`
//!   (the raw label, so that a new alias never re-keys stored lines; `model` is the canonical id).
//!   Tokens come from `tokenUsage` (`cacheWriteTokens` as `cache_write_5m`).
//!   - Billed usage — `kind` "Usage-based" (or `isChargeable: true` where the server sends it;
//!     never a free Bugbot run): `amount` = Σ (`tokenUsage.totalCents` + `cursorTokenFee`) cents,
//!     exact; `estimate` false; cost type `tokens` (`other` when Cursor sent no token counts,
//!     i.e. request-based usage, which then has no amount).
//!   - Usage included in the plan — `kind` "Included in …": cost type `subscription`, tokens
//!     kept, **`amount` None** (it is paid by the subscription, not per use), `estimate` false.
//!   - Any other `kind` (errored, free, own API key, …): cost type `other`, tokens kept,
//!     `amount` None.
//! - **Cycle spend** (`POST /teams/spend`, source `/teams/spend`): one line per member for the
//!   current billing cycle only, dated the cycle's first UTC day (`subscriptionCycleStart`),
//!   natural key `/teams/spend|<cycle day>|cycle_start=<epoch ms>|person=<email>` so each cycle
//!   keeps its own last snapshot. `amount` = `spendCents` (a running total that the usage
//!   events already bill day by day), cost type `other`, description "cycle spend snapshot: …",
//!   and **`estimate` true**, so it never adds to billed totals: it is there to compare with.
//! - `POST /teams/daily-usage-data` is not read: it has no money and no tokens (only request
//!   counts, which a billing line cannot carry), and every request counts against the limit.
//!
//! Requests: usage events in windows of at most 30 UTC days (`startDate` = the first day's
//! midnight, `endDate` = the last millisecond of the last day, epoch ms numbers), pages 1, 2, …
//! with `pageSize` 1000, then `/teams/spend` pages with `pageSize` 100. Every request is paced
//! at 20 per minute (Cursor's per-team limit shared by the admin endpoints); a 429 (no
//! `Retry-After` documented) is retried with exponential backoff.

mod client;
mod convert;
#[cfg(test)]
mod tests;
mod wire;

pub use client::CursorSource;

/// Cursor's documented Admin API limit: 20 requests per minute per team, shared by the admin
/// endpoints. [`CursorSource::new`] paces at this rate by default.
pub const REQUESTS_PER_MINUTE: u32 = 20;

/// Refuses, before any request, a key that cannot be sent: Cursor's Admin API takes the key
/// as the user name of HTTP Basic authentication. The message never repeats the key. The
/// `key_` prefix is not required: Cursor does not document the format as stable.
pub fn check_api_key(key: &str) -> Result<(), String> {
    const HOW: &str = "Create an Admin API key in the Cursor dashboard under Settings → \
                       Advanced → Admin API Keys (team admins can; the Admin API needs an \
                       Enterprise team).";
    if key.is_empty() {
        return Err(format!("No key was given. {HOW}"));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "The key contains spaces or line breaks; paste the key alone, without quotes."
                .to_owned(),
        );
    }
    if key.contains(':') {
        return Err(format!(
            "The key contains a colon, which Cursor keys never do; paste the key alone. {HOW}"
        ));
    }
    Ok(())
}
