//! reckon's web UI: Leptos components rendered on the server into whole HTML pages. Every page
//! and action works with plain links and forms (no client code at all); data comes in through
//! [`WebData`], which the server implements (no SQL here). The stylesheet is served by the
//! binary ([`STYLESHEET`]): no third-party origins.

pub mod attribution;
mod chart;
pub mod data;
pub mod inventory;
mod layout;
pub mod providers;
pub mod reconciliation;
pub mod telemetry_keys;

pub use data::{
    AddProviderForm, CredentialField, DayCell, Notice, ProviderKindOption, ProviderRow,
    ReconciliationRow, Viewer, WebData,
};

/// The one stylesheet, served at `/assets/reckon.css`.
pub const STYLESHEET: &str = include_str!("../assets/reckon.css");
