//! Starting and stopping the server: storage, listeners, routes, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Error;
use crate::auth::{LoginLimiter, LoginLimits};
use crate::config::Config;
use crate::http::{AppState, CookieSettings, router};
use crate::storage::{self, Storage};

/// A started server. Dropping it without [`Running::stop`] leaves it serving until the runtime ends.
#[derive(Debug)]
pub struct Running {
    /// The bound address of the web UI and REST API (the real port when port 0 was asked for).
    pub http_addr: SocketAddr,
    storage: Arc<dyn Storage>,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), Error>>,
}

/// Prepares the data directory and database, binds the listeners and starts serving.
pub async fn start(config: &Config) -> Result<Running, Error> {
    storage::prepare_data_dir(&config.data_dir)?;
    let storage = storage::open_and_migrate(&config.database_url).await?;
    let listener = TcpListener::bind(config.http_addr)
        .await
        .map_err(|source| Error::Bind {
            addr: config.http_addr,
            purpose: "HTTP",
            flag: "--http-addr",
            source,
        })?;
    let http_addr = listener.local_addr().map_err(Error::Serve)?;
    let app = router(AppState {
        storage: storage.clone(),
        limiter: Arc::new(LoginLimiter::new(LoginLimits::default())),
        sessions: config.sessions,
        cookie: CookieSettings {
            secure: config.secure_cookies
                || config
                    .public_url
                    .as_deref()
                    .is_some_and(|url| url.starts_with("https://")),
            max_age: config.sessions.max_age,
        },
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            // A dropped sender also means stop.
            let _ = stopped.await;
        })
        .await
        .map_err(Error::Serve)
    });
    Ok(Running {
        http_addr,
        storage,
        stop,
        server,
    })
}

impl Running {
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Stops accepting connections, lets requests in flight finish, and closes the database.
    pub async fn stop(self) -> Result<(), Error> {
        let _ = self.stop.send(());
        let served = match self.server.await {
            Ok(result) => result,
            Err(join) => Err(Error::Serve(std::io::Error::other(join))),
        };
        self.storage.close().await;
        served
    }
}
