//! reckon's web UI: Leptos components rendered on the server into whole HTML pages. Every page
//! and action works with plain links and forms (one small script only adds Copy buttons); data
//! comes in through [`WebData`], which the server implements (no SQL here). The stylesheet and
//! the script are served by the binary ([`STYLESHEET`], [`SCRIPT`]): no third-party origins.

pub mod attribution;
pub mod audit;
mod chart;
pub mod data;
pub mod inventory;
mod layout;
pub mod people;
pub mod providers;
pub mod reconciliation;
pub mod telemetry_keys;
pub mod users;

pub use data::{
    AddProviderForm, CredentialField, DayCell, Notice, ProviderKindOption, ProviderRow,
    ReconciliationRow, RunningSync, Viewer, WebData,
};

/// The one stylesheet, served at `/assets/reckon.css`.
pub const STYLESHEET: &str = include_str!("../assets/reckon.css");

/// The one script, served at `/assets/reckon.js`: an enhancement (Copy buttons) that nothing
/// depends on.
pub const SCRIPT: &str = include_str!("../assets/reckon.js");
