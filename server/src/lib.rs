//! reckon's server: configuration, CLI, storage, HTTP API, and the wiring of the other crates.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
mod http;
mod logging;
pub mod storage;
mod telemetry;

pub use error::Error;
pub use http::routes;
