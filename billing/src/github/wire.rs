//! GitHub REST response bodies for Copilot seats and billing usage reports (unknown fields
//! ignored), and the `Link` header that pages the seat list.

use serde::Deserialize;
use serde_json::value::RawValue;

/// `GET /orgs/{org}/copilot/billing/seats`: one page of seats.
#[derive(Deserialize, Debug)]
pub(crate) struct SeatsPage {
    #[serde(default)]
    pub(crate) total_seats: Option<u64>,
    pub(crate) seats: Vec<Seat>,
}

/// `copilot-seat-details`; only what a seat line uses.
#[derive(Deserialize, Debug)]
pub(crate) struct Seat {
    /// A user (`login`); historically a team (`slug`) or organization; may be null.
    #[serde(default)]
    pub(crate) assignee: Option<Assignee>,
    /// `YYYY-MM-DD`: the seat is cancelled from the next billing cycle.
    #[serde(default)]
    pub(crate) pending_cancellation_date: Option<String>,
    /// `business`, `enterprise` or `unknown`.
    #[serde(default)]
    pub(crate) plan_type: Option<String>,
}

#[derive(Deserialize, Debug)]
pub(crate) struct Assignee {
    #[serde(default)]
    pub(crate) login: Option<String>,
    #[serde(default)]
    pub(crate) slug: Option<String>,
    #[serde(default)]
    pub(crate) id: Option<u64>,
}

/// `billing-premium-request-usage-report-org`, also the AI-credit report's shape.
#[derive(Deserialize, Debug)]
pub(crate) struct UsageReport {
    #[serde(rename = "usageItems")]
    pub(crate) usage_items: Vec<UsageItem>,
}

/// One usage item. The schema marks every field required; only `netAmount` (the billed
/// dollars) is required here, so a missing label or quantity does not lose the money.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageItem {
    #[serde(default)]
    pub(crate) product: Option<String>,
    #[serde(default)]
    pub(crate) sku: Option<String>,
    /// A display name (`GPT-5`), normalised through the alias table.
    #[serde(default)]
    pub(crate) model: Option<String>,
    /// `requests`, `credits`, …
    #[serde(default)]
    pub(crate) unit_type: Option<String>,
    /// US dollars as a JSON number, read from its literal text.
    pub(crate) net_amount: Box<RawValue>,
    #[serde(default)]
    pub(crate) gross_amount: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) discount_amount: Option<Box<RawValue>>,
    /// Requests or credits billed (not tokens).
    #[serde(default)]
    pub(crate) net_quantity: Option<Box<RawValue>>,
}

/// The target of the `rel="next"` link in a `Link` header (RFC 8288): `<url>; rel="next",
/// <url>; rel="last"`. Parameters may come in any order, `rel` may hold several
/// space-separated values, and URLs may contain commas and semicolons (they are inside `<>`).
pub(crate) fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let inside = rest.strip_prefix('<')?;
        let close = inside.find('>')?;
        let target = &inside[..close];
        rest = &inside[close + 1..];
        let mut is_next = false;
        while let Some(after) = rest.trim_start().strip_prefix(';') {
            let after = after.trim_start();
            let name_end = after
                .find(|c: char| matches!(c, '=' | ';' | ',') || c.is_whitespace())
                .unwrap_or(after.len());
            let name = &after[..name_end];
            rest = after[name_end..].trim_start();
            let mut value = "";
            if let Some(after_eq) = rest.strip_prefix('=') {
                let after_eq = after_eq.trim_start();
                if let Some(quoted) = after_eq.strip_prefix('"') {
                    let end = quoted.find('"')?;
                    value = &quoted[..end];
                    rest = &quoted[end + 1..];
                } else {
                    let end = after_eq.find([';', ',']).unwrap_or(after_eq.len());
                    value = after_eq[..end].trim();
                    rest = &after_eq[end..];
                }
            }
            if name.eq_ignore_ascii_case("rel")
                && value
                    .split_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
            {
                is_next = true;
            }
        }
        if is_next {
            return Some(target);
        }
        rest = rest.trim_start();
        if !rest.starts_with(',') {
            return None;
        }
    }
}
