//! The listeners: binding, serving a router in plain HTTP or TLS (rustls; ALPN `h2` and
//! `http/1.1`, so gRPC clients accept it) within the connection limits, graceful shutdown with
//! a deadline, and picking up a renewed certificate without a restart (SIGHUP, or the files
//! changing).

mod limits;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::response::IntoResponse;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use hyper_util::rt::TokioTimer;

use limits::LimitAcceptor;
pub(crate) use limits::raise_open_file_limit;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Error;
use crate::config::{ConfigError, TlsFiles};

/// How often the certificate files are looked at for a change.
const RELOAD_POLL: Duration = Duration::from_secs(5);

pub(crate) async fn bind(
    addr: SocketAddr,
    purpose: &'static str,
    flag: &'static str,
) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Bind {
        addr,
        purpose,
        flag,
        source,
    })
}

/// The TLS configuration every listener shares, loaded from `files`; a certificate or key
/// that cannot be used stops the start with one line.
pub(crate) async fn load_tls(files: &TlsFiles) -> Result<RustlsConfig, Error> {
    RustlsConfig::from_pem_file(&files.cert, &files.key)
        .await
        .map_err(|e| {
            Error::Config(ConfigError::Setting {
                setting: "--tls-cert/--tls-key",
                message: format!(
                    "cannot serve TLS with {} and {}: {e}",
                    files.cert.display(),
                    files.key.display()
                ),
            })
        })
}

/// What every listener's connections and requests may cost in time and number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenLimits {
    /// Open connections per listener; more are closed at once.
    pub max_connections: usize,
    /// A connection with no traffic for this long is closed.
    pub idle: Duration,
    /// A request's headers (the first request's included) must arrive within this.
    pub header_read: Duration,
    /// A request, its body included, must be answered within this.
    pub request: Duration,
    /// On stop, requests in flight get this long; then every connection is closed.
    pub shutdown: Duration,
    /// Concurrent HTTP/2 streams per connection (gRPC).
    pub max_streams: u32,
}

/// What a listener speaks, for the answer to a request over its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Http,
    Grpc,
}

/// Serves `app` on `listener` (over TLS with `tls`) within `limits` until `stop` turns true;
/// requests in flight finish first, within the shutdown deadline.
/// `on`: the runtime whose threads serve it (the OTLP listeners have their own, so a saturated
/// receiver does not starve the web UI and API).
pub(crate) fn serve(
    listener: TcpListener,
    app: axum::Router,
    protocol: Protocol,
    tls: Option<RustlsConfig>,
    limits: ListenLimits,
    mut stop: watch::Receiver<bool>,
    on: &tokio::runtime::Handle,
) -> JoinHandle<Result<(), Error>> {
    let app = app.layer(axum::middleware::from_fn(move |request, next| {
        within_request_time(limits.request, protocol, request, next)
    }));
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    on.spawn(async move {
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            // A dropped sender also means stop.
            let _ = stop.wait_for(|stopped| *stopped).await;
            stopping.graceful_shutdown(Some(limits.shutdown));
        });
        let listener = listener.into_std().map_err(Error::Serve)?;
        let acceptor = LimitAcceptor::new(limits.max_connections, limits.idle);
        let mut server = axum_server::from_tcp(listener)
            .map_err(Error::Serve)?
            .first_request_timeout(limits.header_read)
            .handle(handle);
        let builder = server.http_builder();
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.max_streams);
        match tls {
            None => server.acceptor(acceptor).serve(service).await,
            Some(tls) => {
                let tls = RustlsAcceptor::new(tls)
                    .handshake_timeout(limits.header_read)
                    .acceptor(acceptor);
                server.acceptor(tls).serve(service).await
            }
        }
        .map_err(Error::Serve)
    })
}

/// Answers a request that is not answered within `limit` (a body trickling in, a handler
/// stuck): 408 on HTTP, DEADLINE_EXCEEDED on gRPC.
async fn within_request_time(
    limit: Duration,
    protocol: Protocol,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => match protocol {
            Protocol::Http => (
                axum::http::StatusCode::REQUEST_TIMEOUT,
                format!("the request was not complete within {} s", limit.as_secs()),
            )
                .into_response(),
            Protocol::Grpc => tonic::Status::deadline_exceeded(format!(
                "the call was not complete within {} s",
                limit.as_secs()
            ))
            .into_http(),
        },
    }
}

/// Reloads `tls` from `files` on SIGHUP and whenever either file changes (a renewal writes
/// new files or moves a symlink); a reload that fails keeps the certificate being served and
/// says why.
pub(crate) fn watch_certificate(
    tls: RustlsConfig,
    files: TlsFiles,
    mut stop: watch::Receiver<bool>,
) -> Result<JoinHandle<Result<(), Error>>, Error> {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(Error::Signal)?;
    Ok(tokio::spawn(async move {
        let mut seen = stamp(&files);
        loop {
            let why = tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
                _ = hangup.recv() => "SIGHUP",
                () = tokio::time::sleep(RELOAD_POLL) => {
                    let now = stamp(&files);
                    if now == seen {
                        continue;
                    }
                    seen = now;
                    "the files changed"
                }
            };
            match tls.reload_from_pem_file(&files.cert, &files.key).await {
                Ok(()) => tracing::info!(
                    cert = %files.cert.display(),
                    reason = why,
                    "reloaded the TLS certificate"
                ),
                Err(error) => tracing::error!(
                    cert = %files.cert.display(),
                    reason = why,
                    %error,
                    "could not reload the TLS certificate; still serving the previous one"
                ),
            }
        }
    }))
}

/// What tells a changed file: modification time and length of both (through symlinks).
fn stamp(files: &TlsFiles) -> [Option<(SystemTime, u64)>; 2] {
    let of = |path: &Path| {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    [of(&files.cert), of(&files.key)]
}
