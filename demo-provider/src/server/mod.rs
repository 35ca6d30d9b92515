//! The demo's provider-shaped HTTP server: Anthropic, OpenAI, Cursor and GitHub admin APIs.
//!
//! They serve the demo's bills with the endpoints, parameters, paging and JSON shapes reckon's
//! real pullers use, so a demo is seeded through the same code as a real connection.
//!
//! Each provider lives under its own prefix of one listener (see [`base_url`]). Any credential
//! is accepted as long as it arrives the way the provider expects it.

mod anthropic;
mod claude_code;
mod cursor;
mod github;
mod openai;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use reconciler::Provider;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Demo;
use crate::bills::Bills;

/// Credentials the pullers' own checks accept; the server accepts any in the right header.
pub mod credentials {
    pub const ANTHROPIC_ADMIN_KEY: &str = "sk-ant-admin01-reckon-demo-0000000000000000";
    pub const OPENAI_ADMIN_KEY: &str = "sk-admin-reckon-demo-0000000000000000";
    pub const CURSOR_API_KEY: &str =
        "key_reckondemo0000000000000000000000000000000000000000000000000000";
    pub const GITHUB_TOKEN: &str = "github_pat_reckon_demo_0000000000000000";
    pub const GITHUB_ORGANIZATION: &str = "demo-org";
}

/// The base URL to give a provider's puller (its `HttpSettings::base_url`) for a server at
/// `addr`; `None` for a provider the demo serves no bill for (Google).
pub fn base_url(addr: SocketAddr, provider: &Provider) -> Option<String> {
    let prefix = match provider {
        Provider::Anthropic => "/anthropic",
        // OpenAI's base URL carries the API version; the puller appends `/organization/…`.
        Provider::OpenAi => "/openai/v1",
        Provider::Cursor => "/cursor",
        Provider::GithubCopilot => "/github",
        _ => return None,
    };
    Some(format!("http://{addr}{prefix}"))
}

/// The router serving `demo`'s bills (for embedding in another server or a test).
pub fn router(demo: &Demo) -> Router {
    let bills: Arc<Bills> = Arc::clone(&demo.bills);
    Router::new()
        .nest(
            "/anthropic",
            anthropic::router(Arc::clone(&bills)).layer(middleware::from_fn(anthropic::auth)),
        )
        .nest(
            "/openai",
            openai::router(Arc::clone(&bills)).layer(middleware::from_fn(openai::auth)),
        )
        .nest(
            "/cursor",
            cursor::router(Arc::clone(&bills)).layer(middleware::from_fn(cursor::auth)),
        )
        .nest(
            "/github",
            github::router(bills).layer(middleware::from_fn(github::auth)),
        )
}

/// A running demo provider server; it stops when dropped or shut down.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl DemoServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// See [`base_url`].
    pub fn base_url(&self, provider: &Provider) -> Option<String> {
        base_url(self.addr, provider)
    }

    /// Stops accepting requests and waits for those in flight to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `demo`'s bills on 127.0.0.1 with a port the OS chooses. Needs a Tokio runtime.
pub async fn start(demo: &Demo) -> std::io::Result<DemoServer> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router(demo);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        // Nothing to report to: the listener is local and the caller holds the handle.
        drop(served);
    });
    Ok(DemoServer {
        addr,
        stop: Some(stop),
        task,
    })
}

/// The value of header `name`, when present and not blank.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Lets a request through unless `refusal` finds fault with its headers, in which case it
/// answers with the provider's error.
async fn guarded(
    request: Request,
    next: Next,
    refusal: impl FnOnce(&HeaderMap) -> Option<Response>,
) -> Response {
    match refusal(request.headers()) {
        None => next.run(request).await,
        Some(refusal) => refusal,
    }
}

/// The `Authorization` credential of `scheme` (`Bearer`, `Basic`, …), case-insensitively.
fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = header(headers, "authorization")?;
    let (given, credential) = value.split_once(' ')?;
    (given.eq_ignore_ascii_case(scheme) && !credential.trim().is_empty()).then_some(credential)
}
