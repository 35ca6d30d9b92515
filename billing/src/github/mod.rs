//! GitHub Copilot puller: the organization's Copilot seats (no price) and its billed Copilot
//! usage per UTC day (premium requests before June 2026, AI credits from June 2026).
//!
//! What the lines mean, for whoever stores and sums them:
//!
//! - **Seats** (`GET /orgs/{org}/copilot/billing/seats`, source `/orgs/{org}/copilot/billing/seats`
//!   with the placeholder as written): one line per seat, dated the **last day of the pulled
//!   range** (the list is the current state; a daily sync thus records a seat census per day),
//!   cost type `seat`, `person` = the assignee's login, **`amount` None** (GitHub's API has no
//!   seat price: it must come from configuration), `estimate` false. Natural key
//!   `/orgs/{org}/copilot/billing/seats|<day>|login=<login>`.
//! - **Usage** — one request per UTC day of the range (`year`, `month`, `day`), so every line
//!   has its real day: days from 2026-06-01 read `GET /organizations/{org}/settings/billing/ai_credit/usage`
//!   (cost type `credits`), earlier days `…/premium_request/usage` (cost type `other`: premium
//!   requests are request units, neither tokens nor prepaid credits). Items are summed per
//!   (day, product, SKU, model, unit type): `amount` = Σ `netAmount`, the billed dollars, exact
//!   and `Some` even when zero; `estimate` false; `model` normalised from GitHub's display
//!   name; quantities (requests/credits, never tokens) and the gross and discount dollars are
//!   in the description. Natural key
//!   `<source>|<day>|product=…|sku=…|model=<GitHub's name>|unit_type=…`.
//!   A 24-month backfill is about 730 requests, well inside 5,000 an hour.
//!
//! Errors: 401/403 are credential errors with GitHub's `message`, except a 403 that is a rate
//! limit (`Retry-After`, `x-ratelimit-remaining: 0` or "rate limit" in the message), which is
//! retried. 404 on the seat list is refused with GitHub's message (no Copilot, or a wrong
//! organization); 404 on a usage report means that report has no data for the organization
//! for that month: the month's remaining days are skipped and the pull goes on.

mod client;
mod convert;
#[cfg(test)]
mod tests;
mod wire;

pub use client::CopilotSource;

/// Refuses, before any request, a token that cannot be sent. The message never repeats it.
pub fn check_token(token: &str) -> Result<(), String> {
    const HOW: &str = "Create a fine-grained personal access token with the organization \
                       permissions \"GitHub Copilot Business\" (read) and \"Administration\" \
                       (read), or a classic token with manage_billing:copilot and read:org, as \
                       an organization owner or billing manager.";
    if token.is_empty() {
        return Err(format!("No token was given. {HOW}"));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "The token contains spaces or line breaks; paste the token alone, without quotes."
                .to_owned(),
        );
    }
    Ok(())
}

/// Refuses an organization name that is not a GitHub login (1–39 letters, digits, hyphens;
/// underscores tolerated), so that it can go into a request path as it is. The message does
/// not repeat the value: a token pasted into the wrong field must not end up in a status line.
pub fn check_organization(organization: &str) -> Result<(), String> {
    let valid = (1..=39).contains(&organization.len())
        && !organization.starts_with('-')
        && organization
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(
            "The organization is not a GitHub organization name: give its login as in \
             github.com/<login> (letters, digits and hyphens, at most 39 characters)."
                .to_owned(),
        )
    }
}
