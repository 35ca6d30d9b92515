//! The `reckon` command line: every command takes the same configuration (see `config`).

mod accounts;
mod prices;
mod providers;
mod telemetry_keys;
mod usage;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::pin::Pin;

use crate::config::{Config, ConfigArgs};
use crate::storage::Storage;
use crate::{Error, app, logging, storage};

/// reckon reconciles what AI coding tools report (OpenTelemetry) with what AI providers bill.
#[derive(Parser, Debug)]
#[command(name = "reckon", version, args_override_self = true)]
pub struct Cli {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server until SIGINT or SIGTERM, migrating the database first.
    Serve {
        /// Start with a demo organisation of synthetic data (the Demo provider) and print its
        /// owner's login. For evaluation only: never on a production data directory.
        #[arg(long)]
        demo: bool,
    },
    /// Create or update the database schema, then exit (serve does this at start too).
    Migrate,
    /// Manage users: create, list.
    #[command(subcommand)]
    Users(accounts::UsersCommand),
    /// Manage API tokens for scripts and the REST API: create, list, revoke.
    #[command(subcommand, name = "api-tokens")]
    ApiTokens(accounts::ApiTokensCommand),
    /// Manage telemetry keys for developers' OTLP exporters: create, list, revoke.
    #[command(subcommand, name = "telemetry-keys")]
    TelemetryKeys(telemetry_keys::TelemetryKeysCommand),
    /// Manage organisations (tenants): create, list.
    #[command(subcommand)]
    Orgs(accounts::OrgsCommand),
    /// Manage usage providers (billing sources): list, add, test, sync, remove.
    #[command(subcommand)]
    Providers(providers::ProvidersCommand),
    /// The price catalogue estimates are priced with: list, set (add or override from a day on).
    #[command(subcommand)]
    Prices(prices::PricesCommand),
    /// Observed usage upkeep: rebuild-rollups (recompute daily rollups from stored events).
    #[command(subcommand)]
    Usage(usage::UsageCommand),
    /// Seal every stored provider credential under a new master key.
    #[command(name = "rotate-master-key")]
    RotateMasterKey,
}

/// Parses the command line, runs the command and turns any error into one line on standard error.
pub fn main() -> ExitCode {
    // The one TLS crypto provider of the process (ring), before any HTTP client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("reckon: error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let config = Config::load(&cli.config)?;
    logging::init(config.log_format);
    let runtime = tokio::runtime::Runtime::new().map_err(Error::Runtime)?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve { demo } => serve(&config, demo).await,
            Command::Migrate => migrate(&config).await,
            Command::Users(command) => {
                with_storage(&config, |s| Box::pin(accounts::users(s, command))).await
            }
            Command::ApiTokens(command) => {
                with_storage(&config, |s| Box::pin(accounts::api_tokens(s, command))).await
            }
            Command::TelemetryKeys(command) => {
                with_storage(&config, |s| {
                    Box::pin(telemetry_keys::telemetry_keys(s, command))
                })
                .await
            }
            Command::Orgs(command) => {
                with_storage(&config, |s| Box::pin(accounts::orgs(s, command))).await
            }
            Command::Providers(command) => providers::providers(&config, command).await,
            Command::Prices(command) => {
                with_storage(&config, |s| Box::pin(prices::prices(s, command))).await
            }
            Command::Usage(command) => {
                with_storage(&config, |s| Box::pin(usage::usage(s, command))).await
            }
            Command::RotateMasterKey => providers::rotate_master_key(&config).await,
        }
    })
}

async fn serve(config: &Config, demo: bool) -> Result<(), Error> {
    tracing::info!(?config, "starting reckon");
    crate::integrations::proxy::log_configured();
    let started = std::time::Instant::now();
    let shutdown = shutdown_signal()?;
    let running = app::start(config).await?;
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", running.http_addr));
    if demo {
        let prepared = crate::demo::prepare(
            running.storage().as_ref(),
            running.integrations(),
            &config.data_dir,
        )
        .await;
        let login = match prepared {
            Ok(login) => login,
            Err(error) => {
                let _ = running.stop().await;
                return Err(error);
            }
        };
        tracing::warn!(
            seeded = login.seeded,
            "demo mode: the demo organisation holds synthetic data from the Demo provider; do not use this data directory in production"
        );
        print_demo_login(&base_url, &login, started.elapsed());
    }
    // Part of starting: once reckon says it listens, it runs until it is told to stop.
    let setup_link =
        match crate::accounts::issue_setup_link(running.storage().as_ref(), &base_url).await {
            Ok(link) => link,
            Err(error) => {
                let _ = running.stop().await;
                return Err(error);
            }
        };
    tracing::info!(
        http_addr = %running.http_addr,
        otlp_grpc_addr = %running.otlp_grpc_addr,
        otlp_http_addr = %running.otlp_http_addr,
        database = config.database_url.backend().as_str(),
        "reckon listening"
    );
    if let Some(link) = setup_link {
        tracing::info!("no user exists yet: the first owner's setup link is on standard output");
        print_setup_link(&link);
    }
    shutdown.await;
    tracing::info!("shutting down");
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Opens (and migrates) the configured database, runs `command` on it, and closes it.
async fn with_storage<F>(config: &Config, command: F) -> Result<(), Error>
where
    F: for<'s> FnOnce(&'s dyn Storage) -> Pin<Box<dyn Future<Output = Result<(), Error>> + 's>>,
{
    storage::prepare_data_dir(&config.data_dir)?;
    let store = storage::open_and_migrate(&config.database_url).await?;
    let result = command(store.as_ref()).await;
    store.close().await;
    result
}

async fn migrate(config: &Config) -> Result<(), Error> {
    storage::prepare_data_dir(&config.data_dir)?;
    let store = storage::open_and_migrate(&config.database_url).await?;
    store.check_ready().await?;
    store.close().await;
    tracing::info!(database = %config.database_url, "database schema is up to date");
    Ok(())
}

/// Registers for SIGINT (Ctrl-C) and SIGTERM at once, since a signal that arrives before its
/// handler exists ends the process abruptly, and returns a future that resolves on either.
fn shutdown_signal() -> Result<impl Future<Output = ()>, Error> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).map_err(Error::Signal)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(Error::Signal)?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[allow(
    clippy::print_stdout,
    reason = "the demo login is for the person who started reckon"
)]
fn print_demo_login(base_url: &str, login: &crate::demo::DemoLogin, took: std::time::Duration) {
    println!(
        "Demo ready in {:.1} s ({}): open {base_url}/ and sign in as {} with password {}",
        took.as_secs_f64(),
        if login.seeded {
            "seeded now"
        } else {
            "reused from the data directory"
        },
        login.email,
        login.password
    );
    println!("The demo organisation's data is synthetic (Demo provider): not for production.");
}

#[allow(
    clippy::print_stdout,
    reason = "the setup link is for the person who started reckon"
)]
fn print_setup_link(link: &str) {
    println!("No user exists yet. Create the first owner (link valid for 1 hour, once):");
    println!("{link}");
}
