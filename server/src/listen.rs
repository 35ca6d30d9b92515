//! The listeners: binding, serving a router in plain HTTP or TLS (rustls; ALPN `h2` and
//! `http/1.1`, so gRPC clients accept it), graceful shutdown, and picking up a renewed
//! certificate without a restart (SIGHUP, or the files changing).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;
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

/// Serves `app` on `listener` (over TLS with `tls`) until `stop` turns true; requests in
/// flight finish first.
pub(crate) fn serve(
    listener: TcpListener,
    app: axum::Router,
    tls: Option<RustlsConfig>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<Result<(), Error>> {
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let Some(tls) = tls else {
            return axum::serve(listener, service)
                .with_graceful_shutdown(async move {
                    // A dropped sender also means stop.
                    let _ = stop.wait_for(|stopped| *stopped).await;
                })
                .await
                .map_err(Error::Serve);
        };
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
            stopping.graceful_shutdown(None);
        });
        let listener = listener.into_std().map_err(Error::Serve)?;
        axum_server::from_tcp_rustls(listener, tls)
            .map_err(Error::Serve)?
            .handle(handle)
            .serve(service)
            .await
            .map_err(Error::Serve)
    })
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
