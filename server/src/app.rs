//! Starting and stopping the server: storage, listeners (web and API, OTLP gRPC, OTLP HTTP),
//! routes, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use otlp_receiver::Receiver;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Error;
use crate::auth::{LoginLimiter, LoginLimits};
use crate::config::Config;
use crate::http::{AppState, CookieSettings, router};
use crate::listen::{Protocol, bind, load_tls, raise_open_file_limit, serve, watch_certificate};
use crate::storage::{self, Storage};
use crate::telemetry::StorageSink;

/// A started server. Dropping it without [`Running::stop`] leaves it serving until the runtime ends.
#[derive(Debug)]
pub struct Running {
    /// The bound address of the web UI and REST API (the real port when port 0 was asked for).
    pub http_addr: SocketAddr,
    pub otlp_grpc_addr: SocketAddr,
    pub otlp_http_addr: SocketAddr,
    storage: Arc<dyn Storage>,
    integrations: Arc<crate::integrations::Integrations>,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<Result<(), Error>>>,
    /// The OTLP listeners' threads.
    otlp_runtime: OtlpRuntime,
}

/// A runtime of the OTLP listeners' own; shut down without waiting when dropped (a runtime
/// cannot be dropped, blocking, from async code).
#[derive(Debug)]
struct OtlpRuntime(Option<tokio::runtime::Runtime>);

impl OtlpRuntime {
    fn start() -> Result<OtlpRuntime, Error> {
        // Inflating, decoding and mapping run on this runtime's blocking pool: with as many
        // threads as there are cores, a saturated receiver took every core from the web UI and
        // API; one core less leaves them one (and one thread on a single core).
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(cores.saturating_sub(1).max(1))
            .thread_name("reckon-otlp")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        Ok(OtlpRuntime(Some(runtime)))
    }

    fn handle(&self) -> tokio::runtime::Handle {
        self.0
            .as_ref()
            .expect("the runtime runs until dropped")
            .handle()
            .clone()
    }
}

impl Drop for OtlpRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Prepares the data directory and database, binds the listeners and starts serving.
pub async fn start(config: &Config) -> Result<Running, Error> {
    // First: a certificate that cannot be served stops the start before anything is created.
    let tls = match &config.listeners.tls {
        Some(files) => Some(load_tls(files).await?),
        None => None,
    };
    storage::prepare_data_dir(&config.data_dir)?;
    let storage = storage::open_and_migrate(&config.database_url).await?;
    let http = bind(config.http_addr, "HTTP", "--http-addr").await?;
    let grpc = bind(config.otlp_grpc_addr, "OTLP gRPC", "--otlp-grpc-addr").await?;
    let otlp_http = bind(config.otlp_http_addr, "OTLP HTTP", "--otlp-http-addr").await?;
    let local = |listener: &TcpListener| listener.local_addr().map_err(Error::Serve);
    let (http_addr, otlp_grpc_addr, otlp_http_addr) =
        (local(&http)?, local(&grpc)?, local(&otlp_http)?);
    let (vault, key_source) = crate::vault::load(
        config.providers.master_key.as_ref().map(|k| k.expose()),
        &config.data_dir,
    )?;
    if let crate::vault::KeySource::CreatedFile(path) = &key_source {
        tracing::warn!(
            path = %path.display(),
            "created a new master key for provider credentials; back this file up (without it the stored credentials cannot be read), or set RECKON_MASTER_KEY"
        );
    }
    // One usage writer for the process: the receiver's, and the Demo provider's seeding.
    let sink = Arc::new(StorageSink::start(storage.clone()).map_err(Error::Runtime)?);
    let integrations = Arc::new(crate::integrations::Integrations::new(
        storage.clone(),
        vault,
        config.providers.clone(),
        sink.clone(),
    ));
    let otlp = otlp_endpoints(config, tls.is_some(), otlp_http_addr, otlp_grpc_addr);
    // Browsers are told to use HTTPS only when reckon (or the proxy in front) serves it.
    let https = tls.is_some()
        || config
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"));
    let app = router(AppState {
        otlp,
        storage: storage.clone(),
        integrations: integrations.clone(),
        catalogue: Arc::new(reconciler::Catalogue::built_in()),
        attribution: Arc::default(),
        limiter: Arc::new(LoginLimiter::new(LoginLimits::default())),
        sessions: config.sessions,
        cookie: CookieSettings {
            secure: config.secure_cookies || https,
            max_age: config.sessions.max_age,
        },
        hsts: https,
        trusted_proxies: config.listeners.trusted_proxies.clone(),
    });
    let receiver = Receiver::new(sink, config.otlp);
    let (stop, stopped) = watch::channel(false);
    let limits = connection_limits(config);
    let here = tokio::runtime::Handle::current();
    let otlp_runtime = OtlpRuntime::start()?;
    let otlp_threads = otlp_runtime.handle();
    let mut servers = vec![
        serve(
            http,
            app,
            Protocol::Http,
            tls.clone(),
            limits,
            stopped.clone(),
            &here,
        ),
        serve(
            grpc,
            behind_proxies(otlp_receiver::grpc_services(receiver.clone()), config),
            Protocol::Grpc,
            tls.clone(),
            limits,
            stopped.clone(),
            &otlp_threads,
        ),
        serve(
            otlp_http,
            behind_proxies(otlp_receiver::http_router(receiver), config),
            Protocol::Http,
            tls.clone(),
            limits,
            stopped.clone(),
            &otlp_threads,
        ),
    ];
    if let (Some(tls), Some(files)) = (tls, &config.listeners.tls) {
        servers.push(watch_certificate(tls, files.clone(), stopped.clone())?);
    }
    servers.push(tokio::spawn(schedule_syncs(integrations.clone(), stopped)));
    Ok(Running {
        http_addr,
        otlp_grpc_addr,
        otlp_http_addr,
        storage,
        integrations,
        stop,
        servers,
        otlp_runtime,
    })
}

/// `router` seeing, as its peer's address, the client a trusted reverse proxy names in
/// `X-Forwarded-For` (the receiver's per-client share of the export permits counts clients,
/// not the load balancer in front of them).
fn behind_proxies(router: axum::Router, config: &Config) -> axum::Router {
    let trusted = config.listeners.trusted_proxies.clone();
    router.layer(axum::middleware::from_fn(
        move |mut request: axum::extract::Request, next: axum::middleware::Next| {
            let trusted = trusted.clone();
            async move {
                let forwarded: Vec<String> = request
                    .headers()
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok().map(str::to_owned))
                    .collect();
                let forwarded: Vec<&str> = forwarded.iter().map(String::as_str).collect();
                let peer = request
                    .extensions_mut()
                    .get_mut::<axum::extract::ConnectInfo<SocketAddr>>();
                if let Some(axum::extract::ConnectInfo(addr)) = peer {
                    addr.set_ip(trusted.client(addr.ip(), &forwarded));
                }
                next.run(request).await
            }
        },
    ))
}

/// The configured limits, with the connections of the three listeners kept within the
/// process's open-file limit (raised to its hard limit first), room left for the database
/// and files.
fn connection_limits(config: &Config) -> crate::listen::ListenLimits {
    let mut limits = config.listeners.limits;
    let files = usize::try_from(raise_open_file_limit()).unwrap_or(usize::MAX);
    let room = files.saturating_sub(256) / 3;
    if limits.max_connections > room && config.listeners.max_connections_configured {
        tracing::warn!(
            configured = limits.max_connections,
            allowed = room,
            open_file_limit = files,
            "--max-connections is above what the open-file limit allows per listener; using the lower figure"
        );
    }
    limits.max_connections = limits.max_connections.min(room.max(1));
    limits
}

/// Where exporters are told to send: the configured public endpoints, else the public host
/// (or the bound one) on the OTLP ports, `https` when reckon serves TLS.
fn otlp_endpoints(
    config: &Config,
    tls: bool,
    otlp_http_addr: SocketAddr,
    otlp_grpc_addr: SocketAddr,
) -> web::telemetry_keys::OtlpEndpoints {
    let host = config
        .public_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| {
            let ip = otlp_http_addr.ip();
            if ip.is_unspecified() {
                "localhost".to_owned()
            } else {
                ip.to_string()
            }
        });
    let scheme = if tls { "https" } else { "http" };
    let http = config
        .listeners
        .public_otlp_http_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{host}:{}", otlp_http_addr.port()));
    let grpc = config
        .listeners
        .public_otlp_grpc_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{host}:{}", otlp_grpc_addr.port()));
    web::telemetry_keys::OtlpEndpoints {
        tls: http.starts_with("https://") || grpc.starts_with("https://"),
        http,
        grpc,
    }
}

/// How often the scheduler looks for due syncs.
const SCHEDULER_TICK: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs the usage providers' scheduled syncs until told to stop. A sync in progress at that
/// moment is abandoned; its claim lapses and the next start runs it again.
async fn schedule_syncs(
    integrations: Arc<crate::integrations::Integrations>,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), Error> {
    loop {
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
            due = integrations.run_due() => {
                if let Err(error) = due {
                    tracing::warn!(%error, "could not look for due provider syncs");
                }
            }
        }
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
            () = tokio::time::sleep(SCHEDULER_TICK) => {}
        }
    }
}

impl Running {
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn integrations(&self) -> &Arc<crate::integrations::Integrations> {
        &self.integrations
    }

    /// Stops accepting connections, lets requests in flight finish, and closes the database.
    pub async fn stop(self) -> Result<(), Error> {
        let _ = self.stop.send(true);
        let mut served = Ok(());
        for server in self.servers {
            let result = match server.await {
                Ok(result) => result,
                Err(join) => Err(Error::Serve(std::io::Error::other(join))),
            };
            if served.is_ok() {
                served = result;
            }
        }
        self.storage.close().await;
        // Its listeners have finished; what is left on its threads (nothing) is let go.
        drop(self.otlp_runtime);
        served
    }
}
