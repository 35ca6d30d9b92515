//! reckon's server: configuration, CLI, storage, HTTP API, and the wiring of the other crates.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
mod http;
pub mod integrations;
pub mod listen;
mod logging;
pub mod spend;
pub mod storage;
mod telemetry;
pub mod vault;

pub use error::Error;

/// mimalloc rather than the system allocator, in every program that links the server (the
/// `reckon` binary, the test binary, the benchmark): the receiver allocates and frees many
/// small strings per exported record, and glibc's malloc took about a sixth of the server's CPU
/// in the ingest benchmark (README, performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
pub use http::routes;
