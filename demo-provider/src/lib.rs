//! reckon's demo provider: a deterministic synthetic organisation, its telemetry and its bills.
//!
//! Its last 90 days of AI usage become OTLP exports and provider-shaped HTTP APIs, so a demo
//! is seeded through reckon's real ingest and real billing pullers.
//!
//! - [`Demo::generate`]`(seed, today)`: the organisation (40 people in 5 teams), every model
//!   call they made (the truth), and both streams derived from it. Pure: no clock, no IO; the
//!   same seed and day give byte-identical output.
//! - [`Demo::telemetry`]: OTLP export requests shaped like Claude Code's, Codex CLI's and Gemini
//!   CLI's real exports (logs) and GenAI spans for Cursor, one per person, day and tool.
//! - [`server::start`]: an in-process server speaking the Anthropic, OpenAI, Cursor and GitHub
//!   admin APIs the `billing` crate's pullers read; [`server::base_url`] says where each is.
//!
//! The streams agree (billed amounts are the built-in catalogue's list prices, so unchanged
//! usage reconciles as matched) except for deliberate cases, all visible in the demo month
//! (the month containing `today`; dates in [`Scenario`]):
//!
//! | case | where |
//! |---|---|
//! | a team without telemetry (untracked usage) | team `data`: Claude Code, billed by Anthropic, no OTLP |
//! | an exporter that died mid-month | one payments engineer, from [`Scenario::exporter_stopped_on`] |
//! | a negotiated price | OpenAI bills Codex at 0.85 × list ([`Demo::openai_rate`]) |
//! | priority tier | 40 % of payments' Claude Code calls: in the usage report as `priority`, never in the cost report |
//! | an unpriced model | Gemini CLI's `gemini-3-pro-preview` |
//! | data not yet final | after [`Demo::final_through`] the providers serve only part of each day |
//! | a provider removed mid-month | Cursor serves nothing from [`Demo::cursor_removed_on`]; its telemetry goes on |
//! | a month written off | [`Demo::written_off`]: OpenAI, the month before the demo month |
//! | two identities for one person | [`Demo::identity_switchers`]: `user.account_uuid` only, from [`Scenario::identity_switch_on`] |
//!
//! Seeding a demo through the real paths: generate once; send every [`Demo::telemetry`] export
//! to the OTLP receiver ([`Export::http_path`], [`Export::to_protobuf`]) or map it with
//! `otlp_receiver::map_logs` / `map_traces`; [`server::start`] the provider server and connect
//! each provider with [`server::base_url`] and the [`server::credentials`] (Cursor with a fast
//! `Pacer`: the server has no rate limit); pull [`Demo::first_day`]`..=`[`Demo::today`]; then
//! record Cursor's removal on [`Demo::cursor_removed_on`], the write-off of
//! [`Demo::written_off`], and [`Demo::final_through`] as the last final day.

mod bills;
mod calendar;
mod demo;
mod models;
mod org;
mod otlp;
mod rng;
mod scenario;
pub mod server;
mod usage;

pub use demo::Demo;
pub use models::{CopilotModel, Model, provider_of};
pub use org::{DOMAIN, Person, TEAMS, Team, UNTRACKED_TEAM};
pub use otlp::Export;
pub use scenario::{HISTORY_DAYS, Scenario};
pub use usage::{CopilotUsage, Usage};
